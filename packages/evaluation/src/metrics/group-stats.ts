import { seededRandom } from './bootstrap.js';
import { wilsonInterval, type ProportionInterval } from './wilson.js';

/**
 * How a run's results are grouped (a config's `groups:` block, a task file's `group_by`): by a
 * field of each case's prepared row (`subject`), and optionally the groups into categories
 * (MMLU's 57 subjects into STEM, humanities, social sciences and other).
 */
export interface GroupSpec {
  /** The row field (a dotted path for nested fields) naming each case's group. */
  by: string;
  /** Category name → the groups in it. A group listed nowhere falls in `(uncategorised)`. */
  categories?: Record<string, readonly string[]> | undefined;
  /** Seed of the macro average's bootstrap. Default 1234. */
  seed?: number | undefined;
  /** Bootstrap resamples. Default 1,000. */
  resamples?: number | undefined;
}

/** The accuracy of one group (or category) over its scored results, with a Wilson interval. */
export interface GroupAccuracy {
  name: string;
  /** Scored results (errors are left out, as in the run's accuracy). */
  scored: number;
  passed: number;
  accuracy: number | null;
  /** Wilson score interval; null with nothing scored. */
  interval: ProportionInterval | null;
}

/**
 * The mean of group accuracies with a stratified bootstrap interval (`wilson` when the bootstrap
 * cannot vary: one group, or every group all right or all wrong; see {@link macroAverage}).
 */
export interface MacroAverage {
  /** Groups averaged (those with at least one scored result). */
  groups: number;
  accuracy: number | null;
  interval: ProportionInterval | null;
  method: 'stratified-bootstrap' | 'wilson';
  resamples: number;
  seed: number;
}

/** A category: micro accuracy over its questions, and the macro average of its groups. */
export interface CategoryAccuracy extends GroupAccuracy {
  /** The groups in it that had results. */
  members: string[];
  macro: MacroAverage;
}

/** Per-group results of one provider and prompt. */
export interface GroupSummary {
  providerId: string;
  promptId: string;
  /** The field grouped by. */
  by: string;
  groups: GroupAccuracy[];
  /** Present when the spec has categories. */
  categories?: CategoryAccuracy[];
  /** Over every scored result (each question counts once): the run's own accuracy. */
  micro: GroupAccuracy;
  /** The mean of the group accuracies (each group counts once). */
  macro: MacroAverage;
  /** Results whose row has no value in the field, gathered in the group `(none)`. */
  ungrouped: number;
}

/** One result as stored, the part grouping needs. */
export interface GroupableResult {
  providerId: string;
  promptId: string;
  vars: unknown;
  passed: boolean | null;
  errorKind: string | null;
}

export const DEFAULT_GROUP_SEED = 1234;
const DEFAULT_RESAMPLES = 1_000;
const NO_GROUP = '(none)';
const UNCATEGORISED = '(uncategorised)';

function fieldValue(vars: unknown, path: readonly string[]): string | undefined {
  let current: unknown = vars;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (current === undefined || current === null || current === '') return undefined;
  return typeof current === 'string' ? current : typeof current === 'object' ? JSON.stringify(current) : String(current as number | boolean | bigint);
}

function accuracyOf(name: string, passed: number, scored: number, confidence: number): GroupAccuracy {
  return {
    name,
    scored,
    passed,
    accuracy: scored === 0 ? null : passed / scored,
    interval: scored === 0 ? null : wilsonInterval(passed, scored, { confidence }),
  };
}

/**
 * The mean of the groups' accuracies with a percentile bootstrap interval, stratified by group:
 * each resample redraws every group's results with replacement at its own size (so each group
 * keeps its weight of one), and the interval is the 2.5th and 97.5th percentiles of the resampled
 * means. Seeded, so the same results always give the same interval.
 *
 * When every group is all right or all wrong (and so with a single such group) resampling cannot
 * vary and the bootstrap would collapse to a point; the Wilson interval of the pooled counts is
 * given instead (`method: wilson`), as for a single group, where the macro average is the micro one.
 */
export function macroAverage(groups: ReadonlyArray<{ passed: number; scored: number }>, options: { seed?: number; resamples?: number; confidence?: number } = {}): MacroAverage {
  const seed = options.seed ?? DEFAULT_GROUP_SEED;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? 0.95;
  const used = groups.filter((group) => group.scored > 0);
  const base = { groups: used.length, method: 'stratified-bootstrap' as const, resamples, seed };
  if (used.length === 0) return { ...base, accuracy: null, interval: null };
  const accuracy = used.reduce((sum, group) => sum + group.passed / group.scored, 0) / used.length;
  if (used.length === 1 || used.every((group) => group.passed === 0 || group.passed === group.scored)) {
    const passed = used.reduce((sum, group) => sum + group.passed, 0);
    const scored = used.reduce((sum, group) => sum + group.scored, 0);
    const pooled = wilsonInterval(passed, scored, { confidence });
    return { ...base, method: 'wilson', accuracy, interval: { ...pooled, lower: Math.min(pooled.lower, accuracy), upper: Math.max(pooled.upper, accuracy) } };
  }  const random = seededRandom(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (const group of used) {
      // Drawing `scored` results with replacement from one of `passed` passes and the rest fails.
      let passes = 0;
      for (let i = 0; i < group.scored; i++) if (Math.floor(random() * group.scored) < group.passed) passes++;
      total += passes / group.scored;
    }
    means[r] = total / used.length;
  }
  means.sort();
  const alpha = (1 - confidence) / 2;
  const at = (share: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(share * resamples)))] as number;
  return { ...base, accuracy, interval: { lower: Math.min(at(alpha), accuracy), upper: Math.max(at(1 - alpha), accuracy), confidence } };
}

/** Counts per group, for one provider and prompt. */
type Tally = Map<string, { passed: number; scored: number }>;

/**
 * Per-group accuracies, fed one stored result at a time (in any order: the figures depend only
 * on the set of results, so a resumed run, summarised from storage, gets the same).
 */
export class GroupStatsCollector {
  private readonly tallies = new Map<string, { providerId: string; promptId: string; tally: Tally; ungrouped: number }>();
  private readonly path: string[];

  constructor(
    readonly spec: GroupSpec,
    private readonly confidence = 0.95,
  ) {
    this.path = spec.by.split('.');
  }

  add(result: GroupableResult): void {
    const key = `${result.providerId}\u0000${result.promptId}`;
    let entry = this.tallies.get(key);
    if (!entry) {
      entry = { providerId: result.providerId, promptId: result.promptId, tally: new Map(), ungrouped: 0 };
      this.tallies.set(key, entry);
    }
    const found = fieldValue(result.vars, this.path);
    if (found === undefined) entry.ungrouped++;
    const group = found ?? NO_GROUP;
    let counts = entry.tally.get(group);
    if (!counts) {
      counts = { passed: 0, scored: 0 };
      entry.tally.set(group, counts);
    }
    if (result.errorKind !== null || result.passed === null) return;
    counts.scored++;
    if (result.passed) counts.passed++;
  }

  summaries(): GroupSummary[] {
    return [...this.tallies.values()].map(({ providerId, promptId, tally, ungrouped }) => this.summarise(providerId, promptId, tally, ungrouped));
  }

  private summarise(providerId: string, promptId: string, tally: Tally, ungrouped: number): GroupSummary {
    const names = [...tally.keys()].sort();
    const groups = names.map((name) => {
      const counts = tally.get(name) as { passed: number; scored: number };
      return accuracyOf(name, counts.passed, counts.scored, this.confidence);
    });
    const passed = groups.reduce((sum, group) => sum + group.passed, 0);
    const scored = groups.reduce((sum, group) => sum + group.scored, 0);
    const bootstrap = { seed: this.spec.seed ?? DEFAULT_GROUP_SEED, resamples: this.spec.resamples ?? DEFAULT_RESAMPLES, confidence: this.confidence };
    const summary: GroupSummary = {
      providerId,
      promptId,
      by: this.spec.by,
      groups,
      micro: accuracyOf('micro', passed, scored, this.confidence),
      macro: macroAverage(groups, bootstrap),
      ungrouped,
    };
    if (this.spec.categories) summary.categories = this.categorise(groups, this.spec.categories, bootstrap);
    return summary;
  }

  private categorise(groups: GroupAccuracy[], categories: Record<string, readonly string[]>, bootstrap: { seed: number; resamples: number; confidence: number }): CategoryAccuracy[] {
    const categoryOf = new Map<string, string>();
    for (const [category, members] of Object.entries(categories)) for (const member of members) categoryOf.set(member, category);
    const order = [...Object.keys(categories), UNCATEGORISED];
    const byCategory = new Map<string, GroupAccuracy[]>();
    for (const group of groups) {
      const category = categoryOf.get(group.name) ?? UNCATEGORISED;
      byCategory.set(category, [...(byCategory.get(category) ?? []), group]);
    }
    return order
      .filter((category) => byCategory.has(category))
      .map((category) => {
        const members = byCategory.get(category) as GroupAccuracy[];
        const passed = members.reduce((sum, group) => sum + group.passed, 0);
        const scored = members.reduce((sum, group) => sum + group.scored, 0);
        return { ...accuracyOf(category, passed, scored, this.confidence), members: members.map((group) => group.name), macro: macroAverage(members, bootstrap) };
      });
  }
}

/** Per-group summaries of a set of results. */
export function summariseGroups(results: Iterable<GroupableResult>, spec: GroupSpec): GroupSummary[] {
  const collector = new GroupStatsCollector(spec);
  for (const result of results) collector.add(result);
  return collector.summaries();
}
