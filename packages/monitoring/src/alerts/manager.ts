import type { MetricBucket } from '../collect/bucket.js';
import type { BreakerChange, MetricCollector } from '../collect/collector.js';
import type { AlertRule, MonitorConfig } from '../config.js';
import { MemoryClaimStore, type ClaimStore } from './claims.js';
import { evaluatorFor, type Observation, type RuleEvaluator } from './rules.js';

/** What reaches a channel. */
export interface Notification {
  kind: 'firing' | 'resolved' | 'digest';
  /** The incident key (the dedup key): `provider:<id>`, `breaker:<member>`, `budget:<rule>:<period>`, ... */
  key: string;
  /** Which occurrence of the incident (the firing time, epoch ms, as text); the same on every process. */
  episode: string;
  severity: 'critical' | 'warning' | 'info';
  title: string;
  /** Plain text, one line per series in trouble (or per incident of a digest). */
  text: string;
  /** When the message was made (monitor clock). */
  at: number;
  startedAt: number;
  resolvedAt?: number;
  rules: string[];
  lines: string[];
}

/** Sends notifications: a Slack, e-mail or webhook channel (src/channels), or a test's list. */
export interface NotificationChannel {
  readonly name: string;
  send(notification: Notification): Promise<void>;
}

export interface AlertManagerOptions {
  rules: AlertRule[];
  channels: NotificationChannel[];
  /** Where claims are made so several processes send each message once (default: this process only). */
  claims?: ClaimStore;
  now?: () => number;
  /** Defaults of `for`, `resolveAfter` and the firing cooldown, ms. */
  forMs?: number;
  resolveAfterMs?: number;
  cooldownMs?: number;
  digest?: { at: string; channels?: string[] };
  /** Told about each message this process sends (before the channels get it), e.g. to log it. */
  onNotify?: (notification: Notification) => void;
  /** Told about a channel that failed (after its retries) or a claim store that failed. */
  onError?: (error: unknown, notification?: Notification) => void;
}

type State = 'pending' | 'firing';

interface Member extends Observation {
  /** Start of the current run of active (or clear) observations. */
  since: number;
}

interface Incident {
  key: string;
  state: State;
  members: Map<string, Member>;
  rules: Set<string>;
  /** The rule that opened it: its `for`, `resolveAfter`, severity. */
  opener: AlertRule;
  startedAt: number;
  clearSince?: number;
  episode?: string;
  notified: boolean;
}

interface HistoryEntry {
  key: string;
  title: string;
  startedAt: number;
  resolvedAt?: number;
  paged: boolean;
}

const SENT_RECORD_MS = 7 * 86_400_000;

/**
 * The alert manager: each closed minute's observations go to their incident, whose state machine is
 * pending → firing → resolved. An incident fires when its condition held for `for`, resolves when
 * it was clear for `resolveAfter`, and sends one message each way. One incident gathers every
 * series of a provider and every rule on it (unless a rule's `groupBy` says otherwise), so an
 * outage of one provider is one message, not one per route, key, metric or request. Before a
 * message is sent it is claimed in the claim store (Redis `SET NX`, or a PostgreSQL row with a
 * unique key): of several monitor processes, one sends.
 */
export class AlertManager {
  private readonly evaluators: RuleEvaluator[];
  private readonly rulesByName = new Map<string, AlertRule>();
  private readonly incidents = new Map<string, Incident>();
  private readonly channels: NotificationChannel[];
  private readonly claims: ClaimStore;
  private readonly now: () => number;
  private readonly history: HistoryEntry[] = [];
  private lastDigest = '';
  /** Notifications this process sent (for tests and `monitor start`'s log). */
  readonly sent: Notification[] = [];

  constructor(private readonly options: AlertManagerOptions) {
    this.now = options.now ?? Date.now;
    this.claims = options.claims ?? new MemoryClaimStore(this.now);
    this.channels = options.channels;
    this.evaluators = options.rules.map((rule) => evaluatorFor(rule));
    for (const rule of options.rules) this.rulesByName.set(rule.name, rule);
    const names = new Set(this.channels.map((channel) => channel.name));
    for (const rule of options.rules) {
      for (const channel of rule.channels ?? []) if (!names.has(channel)) throw new Error(`alert rule ${rule.name}: no channel named ${channel} (have: ${[...names].join(', ') || 'none'}).`);
    }
  }

  /** Builds a manager from a monitor config's `alerts:` and its channels. */
  static fromConfig(config: MonitorConfig, channels: NotificationChannel[], options: Omit<AlertManagerOptions, 'rules' | 'channels'> = {}): AlertManager {
    const alerts = config.alerts;
    return new AlertManager({
      rules: alerts.rules,
      channels,
      ...(alerts.for !== undefined ? { forMs: alerts.for } : {}),
      ...(alerts.resolveAfter !== undefined ? { resolveAfterMs: alerts.resolveAfter } : {}),
      ...(alerts.cooldown !== undefined ? { cooldownMs: alerts.cooldown } : {}),
      ...(alerts.digest ? { digest: alerts.digest } : {}),
      ...options,
    });
  }

  /** Feeds the manager from a collector: every closed minute is judged, then the incidents are. */
  attach(collector: MetricCollector): () => void {
    const offBreakers = collector.onBreaker((changes) => this.breakerChanges(changes));
    const offBuckets = collector.onBucket((buckets) => this.judge(buckets));
    return () => {
      offBreakers();
      offBuckets();
    };
  }

  /** Judges closed buckets, then runs every incident's state machine (and the digest) at `now()`. */
  async judge(buckets: MetricBucket[]): Promise<void> {
    this.observe(this.evaluators.flatMap((e) => e.buckets?.(buckets) ?? []));
    await this.evaluate();
  }

  /** Breaker changes (the collector hands them over at its tick). */
  async breakerChanges(changes: BreakerChange[]): Promise<void> {
    this.observe(this.evaluators.flatMap((e) => e.breakers?.(changes) ?? []));
    await this.evaluate();
  }

  /** Incidents pending or firing right now, for inspection. */
  open(): Array<{ key: string; state: State; rules: string[] }> {
    return [...this.incidents.values()].map((i) => ({ key: i.key, state: i.state, rules: [...i.rules] }));
  }

  private forMs(rule: AlertRule): number {
    if (rule.for !== undefined) return rule.for;
    if (rule.type === 'budget' || rule.type === 'breaker') return 0;
    return this.options.forMs ?? 120_000;
  }

  private resolveAfterMs(rule: AlertRule): number {
    return rule.resolveAfter ?? this.options.resolveAfterMs ?? 180_000;
  }

  private observe(observations: Observation[]): void {
    for (const o of observations) {
      let incident = this.incidents.get(o.incident);
      if (!incident) {
        if (!o.active) continue;
        incident = { key: o.incident, state: 'pending', members: new Map(), rules: new Set(), opener: this.rulesByName.get(o.rule)!, startedAt: o.at, notified: false };
        this.incidents.set(o.incident, incident);
      }
      const previous = incident.members.get(o.member);
      const since = previous && previous.active === o.active ? previous.since : o.at;
      incident.members.set(o.member, { ...o, since });
      if (o.active) incident.rules.add(o.rule);
    }
  }

  /** Runs every incident's state machine at `now()`; sends what it must. */
  async evaluate(): Promise<void> {
    const now = this.now();
    for (const incident of [...this.incidents.values()]) {
      const staleAfter = Math.max(this.resolveAfterMs(incident.opener), 300_000);
      const active = [...incident.members.values()].filter((m) => m.active && (m.sticky || m.until > now - staleAfter));
      if (active.length > 0) {
        incident.clearSince = undefined;
        const since = Math.min(...active.map((m) => m.since));
        const until = Math.max(...active.map((m) => m.until));
        if (incident.state === 'pending' && until - since >= this.forMs(incident.opener)) {
          incident.state = 'firing';
          incident.startedAt = since;
          await this.fire(incident, now);
        }
        continue;
      }
      if (incident.state === 'pending') {
        this.incidents.delete(incident.key);
        continue;
      }
      if (incident.opener.type === 'budget') {
        // A budget is spent until its period ends: no resolved message; the next period is another incident.
        if (![...incident.members.values()].some((m) => m.active)) this.incidents.delete(incident.key);
        continue;
      }
      const members = [...incident.members.values()];
      incident.clearSince ??= Math.max(...members.map((m) => (m.active ? m.until : m.since)));
      if (now - incident.clearSince >= this.resolveAfterMs(incident.opener)) {
        this.incidents.delete(incident.key);
        await this.resolve(incident, now);
      }
    }
    await this.maybeDigest(now);
  }

  private paged(incident: Incident): boolean {
    return [...incident.rules].some((name) => (this.rulesByName.get(name)?.notify ?? 'page') === 'page');
  }

  private channelsFor(incident: Incident): NotificationChannel[] {
    const wanted = new Set<string>();
    for (const name of incident.rules) {
      const rule = this.rulesByName.get(name);
      if (!rule?.channels) return this.channels;
      for (const channel of rule.channels) wanted.add(channel);
    }
    return this.channels.filter((channel) => wanted.has(channel.name));
  }

  private lines(incident: Incident): string[] {
    return [...incident.members.values()].filter((m) => m.active).map((m) => `${m.rule}: ${m.message}`);
  }

  private async fire(incident: Incident, now: number): Promise<void> {
    const lines = this.lines(incident);
    const title = `[FIRING] ${incident.key}: ${lines[0] ?? incident.opener.name}${lines.length > 1 ? ` (+${lines.length - 1} more)` : ''}`;
    const entry: HistoryEntry = { key: incident.key, title, startedAt: incident.startedAt, paged: this.paged(incident) };
    this.record(entry);
    const cooldown = incident.opener.type === 'budget' ? 40 * 86_400_000 : (this.options.cooldownMs ?? 900_000);
    const claim = await this.claim(incident.key, 'firing', String(incident.startedAt), cooldown);
    if (!claim) return;
    incident.episode = claim.value;
    if (!claim.won || !entry.paged) return;
    incident.notified = true;
    await this.send(incident, { kind: 'firing', key: incident.key, episode: claim.value, severity: incident.opener.severity ?? 'warning', title, text: lines.join('\n'), at: now, startedAt: incident.startedAt, rules: [...incident.rules], lines });
  }

  private async resolve(incident: Incident, now: number): Promise<void> {
    const entry = this.history.find((h) => h.key === incident.key && h.startedAt === incident.startedAt);
    if (entry) entry.resolvedAt = now;
    if (incident.episode === undefined || !this.paged(incident)) return;
    const claim = await this.claim(`${incident.key}|${incident.episode}`, 'resolved', String(now), SENT_RECORD_MS);
    if (!claim?.won) return;
    const lines = [...incident.rules].map((rule) => `${rule}: back to normal`);
    const minutes = Math.round((now - incident.startedAt) / 60_000);
    await this.send(incident, {
      kind: 'resolved',
      key: incident.key,
      episode: incident.episode,
      severity: incident.opener.severity ?? 'warning',
      title: `[RESOLVED] ${incident.key}: back to normal after ${minutes} min`,
      text: lines.join('\n'),
      at: now,
      startedAt: incident.startedAt,
      resolvedAt: now,
      rules: [...incident.rules],
      lines,
    });
  }

  private record(entry: HistoryEntry): void {
    this.history.push(entry);
    while (this.history.length > 1_000) this.history.shift();
  }

  private async claim(key: string, transition: string, value: string, ttlMs: number): Promise<{ won: boolean; value: string } | undefined> {
    try {
      return await this.claims.claim(key, transition, value, ttlMs);
    } catch (error) {
      this.options.onError?.(new Error(`the alert claim store (${this.claims.kind}) failed; the message for ${key} was not sent: ${(error as Error).message}`));
      return undefined;
    }
  }

  private async send(incident: Incident | undefined, notification: Notification, channels = incident ? this.channelsFor(incident) : this.channels): Promise<void> {
    this.sent.push(notification);
    this.options.onNotify?.(notification);
    await Promise.all(
      channels.map((channel) =>
        channel.send(notification).catch((error: unknown) => {
          this.options.onError?.(new Error(`channel ${channel.name} could not send "${notification.title}": ${(error as Error).message}`), notification);
        }),
      ),
    );
  }

  private async maybeDigest(now: number): Promise<void> {
    const digest = this.options.digest;
    if (!digest) return;
    const [hours, minutes] = digest.at.split(':').map(Number) as [number, number];
    const date = new Date(now);
    const today = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    const due = today + (hours * 60 + minutes) * 60_000;
    const day = new Date(today).toISOString().slice(0, 10);
    if (now < due || this.lastDigest === day) return;
    this.lastDigest = day;
    const claim = await this.claim('digest', day, String(now), 2 * 86_400_000);
    if (!claim?.won) return;
    const since = due - 86_400_000;
    const entries = this.history.filter((h) => h.startedAt >= since || (h.resolvedAt ?? now) >= since);
    const lines = entries.map((h) => `${h.title.replace(/^\[FIRING\] /, '')} — from ${new Date(h.startedAt).toISOString()}${h.resolvedAt !== undefined ? ` to ${new Date(h.resolvedAt).toISOString()}` : ', still open'}${h.paged ? '' : ' (digest only)'}`);
    const wanted = digest.channels ? this.channels.filter((c) => digest.channels!.includes(c.name)) : this.channels;
    await this.send(
      undefined,
      {
        kind: 'digest',
        key: 'digest',
        episode: day,
        severity: 'info',
        title: `[DIGEST] ${day}: ${entries.length === 0 ? 'no incidents' : `${entries.length} incident${entries.length === 1 ? '' : 's'}`} in the last 24 hours`,
        text: lines.join('\n') || 'Nothing happened.',
        at: now,
        startedAt: since,
        rules: [],
        lines,
      },
      wanted,
    );
  }
}
