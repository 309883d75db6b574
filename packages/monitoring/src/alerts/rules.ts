import type { MetricBucket, SeriesKey } from '../collect/bucket.js';
import type { BreakerChange } from '../collect/collector.js';
import { toPoint, type MetricPoint } from '../collect/points.js';
import type { AlertRule, SeriesMatch } from '../config.js';
import { OnlineDetector } from '../detect/detector.js';

/**
 * Rules turn closed buckets (and breaker changes) into observations: "series S of rule R is (or is
 * no longer) in trouble, with this value, as of this time". The alert manager gathers observations
 * into incidents by their incident key and runs each incident's state machine.
 */
export interface Observation {
  rule: string;
  /** Which incident this belongs to (see `groupBy`). */
  incident: string;
  /** Unique within the incident: the rule and the series (or breaker member). */
  member: string;
  active: boolean;
  /** Start of the bucket (or time of the change) observed. */
  at: number;
  /** End of the bucket observed (= `at` for a breaker change). */
  until: number;
  /** One line on what was seen, for the message. */
  message: string;
  series?: SeriesKey;
  value?: number;
  /** True when the member stays as it is until told otherwise (breakers, budgets): it never goes stale. */
  sticky?: boolean;
}

export interface RuleEvaluator {
  readonly rule: AlertRule;
  buckets?(buckets: MetricBucket[]): Observation[];
  breakers?(changes: BreakerChange[]): Observation[];
}

const DEFAULT_MIN_COUNT = 10;
const BASELINE_POINTS = 60;

function matches(series: SeriesKey, match: SeriesMatch | undefined): boolean {
  if (!match) return true;
  for (const [field, want] of Object.entries(match)) if (want !== undefined && series[field as keyof SeriesKey] !== want) return false;
  return true;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function describeSeries(series: SeriesKey): string {
  const where = series.route && series.route !== series.providerId ? ` via ${series.route}` : '';
  const key = series.key ? ` (key ${series.key})` : '';
  return `${series.providerId} [${series.provider} ${series.model}]${where}${key}, ${series.source}`;
}

function format(value: number, metric: string): string {
  if (metric.endsWith('_rate') || metric === 'probe_score') return `${(value * 100).toFixed(1)}%`;
  if (metric.startsWith('latency') || metric.startsWith('ttft')) return `${Math.round(value)} ms`;
  if (metric === 'cost_usd') return `$${value.toFixed(4)}`;
  return String(Math.round(value * 1000) / 1000);
}

type SeriesRule = Extract<AlertRule, { type: 'anomaly' | 'threshold' | 'probe' }>;

function incidentOf(rule: SeriesRule, point: MetricPoint): string {
  switch (rule.groupBy ?? 'provider') {
    case 'provider':
      return `provider:${point.series.providerId}`;
    case 'series':
      return `series:${point.id}`;
    case 'rule':
      return `rule:${rule.name}`;
  }
}

function observation(rule: SeriesRule, point: MetricPoint, widthMs: number, active: boolean, message: string): Observation {
  return { rule: rule.name, incident: incidentOf(rule, point), member: `${rule.name}|${point.id}`, active, at: point.at, until: point.at + widthMs, message, series: point.series, value: point.value };
}

/** Anomaly on a series: the online detector, with warm-up, minimum volume and a least change from the baseline. */
class AnomalyEvaluator implements RuleEvaluator {
  private readonly state = new Map<string, { detector: OnlineDetector; normals: number[]; judged: number; active: boolean }>();
  constructor(readonly rule: Extract<AlertRule, { type: 'anomaly' }>) {}

  buckets(buckets: MetricBucket[]): Observation[] {
    const rule = this.rule;
    const out: Observation[] = [];
    const warmup = rule.warmup ?? 30;
    const direction = rule.direction ?? 'up';
    for (const bucket of buckets) {
      if (!matches(bucket, rule.match)) continue;
      const point = toPoint(bucket, rule.metric);
      if (!point || point.count < (rule.minCount ?? DEFAULT_MIN_COUNT)) continue;
      let state = this.state.get(point.id);
      if (!state) {
        // Point z-scores on (a minute far off its baseline is news), no cooldown (the incident's state machine holds one report per incident).
        const detector = new OnlineDetector({ window: Math.max(warmup, BASELINE_POINTS), pointZ: 4, cooldown: 0, warmup: 0 });
        this.state.set(point.id, (state = { detector, normals: [], judged: 0, active: false }));
      }
      const baseline = state.normals.length > 0 ? median(state.normals) : point.value;
      const delta = point.value - baseline;
      const changed =
        (direction === 'both' || (direction === 'up' ? delta > 0 : delta < 0)) &&
        Math.abs(delta) >= (rule.minDelta ?? 0) &&
        Math.abs(delta) >= (rule.minChange ?? 0.5) * Math.abs(baseline);
      const describe = () => `${rule.metric} ${format(point.value, rule.metric)} against a baseline of ${format(baseline, rule.metric)} on ${describeSeries(point.series)}`;
      if (state.active) {
        // While the incident lasts the baseline is frozen: it must not learn the incident as normal.
        if (changed) {
          out.push(observation(rule, point, bucket.widthMs, true, describe()));
          continue;
        }
        state.active = false;
      }
      const score = state.detector.update(point.value);
      state.judged += 1;
      if (state.judged > warmup && score >= (rule.threshold ?? 0.5) && changed) {
        state.active = true;
        out.push(observation(rule, point, bucket.widthMs, true, describe()));
        continue;
      }
      state.normals.push(point.value);
      if (state.normals.length > BASELINE_POINTS) state.normals.shift();
      out.push(observation(rule, point, bucket.widthMs, false, describe()));
    }
    return out;
  }
}

/** A static threshold on a series. */
class ThresholdEvaluator implements RuleEvaluator {
  constructor(readonly rule: Extract<AlertRule, { type: 'threshold' }>) {}

  buckets(buckets: MetricBucket[]): Observation[] {
    const rule = this.rule;
    const out: Observation[] = [];
    for (const bucket of buckets) {
      if (!matches(bucket, rule.match)) continue;
      const point = toPoint(bucket, rule.metric);
      if (!point || point.count < (rule.minCount ?? DEFAULT_MIN_COUNT)) continue;
      const over = rule.above !== undefined && point.value > rule.above;
      const under = rule.below !== undefined && point.value < rule.below;
      const limit = over ? `above ${format(rule.above!, rule.metric)}` : under ? `below ${format(rule.below!, rule.metric)}` : 'within its limits';
      out.push(observation(rule, point, bucket.widthMs, over || under, `${rule.metric} ${format(point.value, rule.metric)} ${limit} on ${describeSeries(point.series)}`));
    }
    return out;
  }
}

/** A probe's score falling below its recent median (or an absolute floor). */
class ProbeEvaluator implements RuleEvaluator {
  private readonly recent = new Map<string, { scores: number[]; active: boolean }>();
  constructor(readonly rule: Extract<AlertRule, { type: 'probe' }>) {}

  buckets(buckets: MetricBucket[]): Observation[] {
    const rule = this.rule;
    const out: Observation[] = [];
    const need = rule.baseline ?? 5;
    for (const bucket of buckets) {
      if (!matches(bucket, rule.match)) continue;
      const point = toPoint(bucket, 'probe_score');
      if (!point || point.count < (rule.minCount ?? 1)) continue;
      let state = this.recent.get(point.id);
      if (!state) this.recent.set(point.id, (state = { scores: [], active: false }));
      const base = state.scores.length >= need ? median(state.scores) : undefined;
      const dropped = base !== undefined && base - point.value >= (rule.drop ?? 0.1);
      const floor = rule.below !== undefined && point.value < rule.below;
      state.active = dropped || floor;
      if (!state.active) {
        state.scores.push(point.value);
        if (state.scores.length > need) state.scores.shift();
      }
      const against = base !== undefined ? ` (recent median ${format(base, 'probe_score')})` : '';
      out.push(observation({ ...rule, type: 'probe' }, point, bucket.widthMs, state.active, `probe score ${format(point.value, 'probe_score')}${against} on ${describeSeries(point.series)}`));
    }
    return out;
  }
}

/** Calendar period start (UTC) of `at`. */
export function periodStart(at: number, period: 'day' | 'week' | 'month'): number {
  const date = new Date(at);
  if (period === 'month') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  if (period === 'day') return day;
  return day - ((date.getUTCDay() + 6) % 7) * 86_400_000;
}

/** Spend over a calendar period: one alert per period, however long the spend keeps growing. */
class BudgetEvaluator implements RuleEvaluator {
  private period = Number.NaN;
  private spent = 0;
  constructor(readonly rule: Extract<AlertRule, { type: 'budget' }>) {}

  buckets(buckets: MetricBucket[]): Observation[] {
    const rule = this.rule;
    let last: number | undefined;
    let until = 0;
    for (const bucket of buckets) {
      if (!matches(bucket, rule.match)) continue;
      const period = periodStart(bucket.start, rule.period);
      if (period !== this.period) {
        if (period < this.period) continue;
        this.period = period;
        this.spent = 0;
      }
      this.spent += bucket.costUsd;
      last = bucket.start;
      until = Math.max(until, bucket.start + bucket.widthMs);
    }
    if (last === undefined) return [];
    const active = this.spent >= rule.limitUsd;
    const day = new Date(this.period).toISOString().slice(0, rule.period === 'month' ? 7 : 10);
    return [
      {
        rule: rule.name,
        incident: `budget:${rule.name}:${day}`,
        member: rule.name,
        active,
        at: last,
        until,
        sticky: true,
        value: this.spent,
        message: `spend $${this.spent.toFixed(2)} this ${rule.period} (from ${day}) against a budget of $${rule.limitUsd.toFixed(2)}`,
      },
    ];
  }
}

/** A circuit breaker that opened (and is not closed again). */
class BreakerEvaluator implements RuleEvaluator {
  constructor(readonly rule: Extract<AlertRule, { type: 'breaker' }>) {}

  breakers(changes: BreakerChange[]): Observation[] {
    const rule = this.rule;
    return changes
      .filter((change) => !rule.members || rule.members.includes(change.member))
      .map((change) => ({
        rule: rule.name,
        incident: `breaker:${change.member}`,
        member: `${rule.name}|${change.member}`,
        active: change.to !== 'closed',
        at: change.at,
        until: change.at,
        sticky: true,
        message: `circuit breaker of ${change.member} is ${change.to} (was ${change.from})`,
      }));
  }
}

export function evaluatorFor(rule: AlertRule): RuleEvaluator {
  switch (rule.type) {
    case 'anomaly':
      return new AnomalyEvaluator(rule);
    case 'threshold':
      return new ThresholdEvaluator(rule);
    case 'probe':
      return new ProbeEvaluator(rule);
    case 'budget':
      return new BudgetEvaluator(rule);
    case 'breaker':
      return new BreakerEvaluator(rule);
  }
}
