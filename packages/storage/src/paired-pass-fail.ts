/**
 * `pairResults` for the common case: pass/fail on both sides, one sample per case. Each case's
 * pair is then one of 16 states (each side: no result, not scored, failed, passed), so every
 * total a paired test needs is a count per state: the pairing pass groups by (category,
 * cluster, state) and nothing else, with no per-row sums and nothing materialised. What cannot
 * be counted comes from the same pass or from small statements after it:
 *
 * - **Flips** (the first pass → fail and fail → pass cases by case index): the pass collects
 *   the flips' case indexes and keeps the first `flipsLimit` of each direction; a second
 *   statement reads those cases (side A by case index, side B by case id) for their ids and
 *   categories.
 * - **The latency/cost sample**: after the pass, which tells how many cases are paired, case
 *   indexes drawn at random from side A's span are probed on both sides (see `drawSample`).
 * - **Exact percentiles** (up to `exactPercentilesUpTo` paired cases): one more join of the two
 *   sides, small by definition.
 *
 * On 2 × 1,000,000 results this reads each side once through `results_side_case_idx` (side A's
 * table rows too, for a `by` or cluster field), where the general statement materialised every
 * pair and read it four times.
 */
import type { FlippedCase, PairedResultsAnswer, PairedResultsQuery, PairedTotals } from './analysis-query.js';

/** A statement run with planner settings for its transaction (see `AnalyticQuery`). */
export type SettingsQuery = (text: string, params: unknown[], settings?: Readonly<Record<string, string>>) => Promise<Array<Record<string, unknown>>>;

/** Per side: 0 no result, 1 not scored (errored, or no pass/fail), 2 failed, 3 passed (`table`: a qualifier, `a.`). */
const stateOf = (table = '') =>
  `CASE WHEN ${table}error_kind IS NULL AND ${table}passed IS NOT NULL THEN CASE WHEN ${table}passed THEN 3 ELSE 2 END ELSE 1 END`;
/** state = 4 × A's + B's. */
const PASS_TO_FAIL = 14;
const FAIL_TO_PASS = 11;

/** A field of side A's vars: `->>` for a top-level name (cheaper per row than a path), `#>>` for a dotted path; NULL when not asked. */
const field = (depth: number, parameter: string) => (depth === 0 ? 'NULL::text' : depth === 1 ? `vars ->> (${parameter}::text[])[1]` : `vars #>> ${parameter}::text[]`);

/** How deep the `by` and `cluster` paths go (0: not asked). */
interface Fields {
  by: number;
  cluster: number;
}
const NO_FIELDS: Fields = { by: 0, cluster: 0 };

/** The two sides' first samples, as CTEs `a` and `b` (parameters $1–$6; $7/$8 the by/cluster paths). */
function sides(fields: Fields): string {
  const side = (run: string, provider: string, prompt: string, withFields: boolean) => `
    SELECT case_id, case_index AS ci, ${stateOf()} AS s, latency_ms AS lat, cost_usd AS cost,
      ${field(withFields ? fields.by : 0, '$7')} AS g, ${field(withFields ? fields.cluster : 0, '$8')} AS cl
    FROM results WHERE run_id = ${run} AND provider_id = ${provider} AND prompt_id = ${prompt} AND repeat = 0`;
  return `a AS NOT MATERIALIZED (${side('$1', '$2', '$3', true)}), b AS NOT MATERIALIZED (${side('$4', '$5', '$6', false)})`;
}

/**
 * The pass: grouped by category, cluster and state; hashed, never sorted. The flips' case
 * indexes are collected per group, and the first $9 of each direction picked from them. The
 * planner is told not to sort (it takes the computed state for a column of a million values and
 * would sort every pair to group them) nor to hash-join (the sides arrive in case-id order from
 * the index: a merge join needs no memory). Every expression a row needs is computed once: on
 * 2 × 1,000,000 results, collecting the latency/cost sample here too (four filtered aggregates,
 * a hash per row) took a quarter of the pass; it is drawn after it by index probes instead.
 */
const PASS_SQL = (fields: Fields) => `
  WITH ${sides(fields)},
  j AS NOT MATERIALIZED (
    SELECT a.g, a.cl, coalesce(a.s, 0) * 4 + coalesce(b.s, 0) AS code, coalesce(a.ci, b.ci) AS ci
    FROM a FULL JOIN b USING (case_id)),
  agg AS MATERIALIZED (
    SELECT g, cl, code, count(*)::float8 AS n, array_agg(ci) FILTER (WHERE code IN (${PASS_TO_FAIL}, ${FAIL_TO_PASS})) AS flips
    FROM j
    -- (types $7 and $8 when no field is asked: PostgreSQL refuses a parameter it cannot type)
    WHERE $7::text[] IS NULL OR $8::text[] IS NULL OR true
    GROUP BY g, cl, code)
  SELECT g, cl, code, n, NULL::int[] AS first FROM agg
  UNION ALL SELECT NULL, NULL, ${PASS_TO_FAIL}, NULL,
    ARRAY(SELECT f FROM agg, unnest(agg.flips) AS f WHERE code = ${PASS_TO_FAIL} ORDER BY f LIMIT $9)
  UNION ALL SELECT NULL, NULL, ${FAIL_TO_PASS}, NULL,
    ARRAY(SELECT f FROM agg, unnest(agg.flips) AS f WHERE code = ${FAIL_TO_PASS} ORDER BY f LIMIT $9)`;

const PASS_SETTINGS = { enable_sort: 'off', enable_hashjoin: 'off', work_mem: '32MB' } as const;
/**
 * The percentiles' and the sample's inner join: a merge join of the two index ranges, whatever
 * the statistics say (the embedded database has no autoanalyze: with a table last analysed when
 * it was small, the planner took each side for one row and nested a scan of side B in a loop over
 * side A, 9 s for 10,000 cases).
 */
const JOIN_SETTINGS = { enable_nestloop: 'off', enable_hashjoin: 'off' } as const;

/** The flips of one direction among side A's cases at the case indexes $8 ($7: the `by` path or null; $9: A's state, $10: B's; $11: the limit). */
const FLIPS_SQL = `
  SELECT a.case_id, a.case_index::float8 AS ci, a.vars #>> $7::text[] AS g
  FROM results a
  CROSS JOIN LATERAL (SELECT b.error_kind, b.passed FROM results b
    WHERE b.run_id = $4 AND b.case_id = a.case_id AND b.provider_id = $5 AND b.prompt_id = $6 AND b.repeat = 0) AS b
  WHERE a.run_id = $1 AND a.case_index = ANY($8::int[]) AND a.provider_id = $2 AND a.prompt_id = $3 AND a.repeat = 0
    AND ${stateOf('a.')} = $9 AND ${stateOf('b.')} = $10
  ORDER BY a.case_index, a.case_id LIMIT $11`;

/** Paired cases both scored: exact percentiles ($7: their count, under the caller's limit). */
const PERCENTILES_SQL = `
  WITH ${sides(NO_FIELDS)}
  SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a.lat) AS la50, percentile_cont(0.95) WITHIN GROUP (ORDER BY a.lat) AS la95,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY b.lat) AS lb50, percentile_cont(0.95) WITHIN GROUP (ORDER BY b.lat) AS lb95,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY a.cost) AS ca50, percentile_cont(0.95) WITHIN GROUP (ORDER BY a.cost) AS ca95,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY b.cost) AS cb50, percentile_cont(0.95) WITHIN GROUP (ORDER BY b.cost) AS cb95
  FROM a JOIN b USING (case_id) WHERE a.s >= 2 AND b.s >= 2 AND ($7::text[] IS NULL OR $8::text[] IS NULL OR true)`;

/** A sample drawn with the exact paired count ($9: rate out of 2^20, $10: limit): one join of the two sides. */
const SAMPLE_SQL = `
  WITH ${sides(NO_FIELDS)}
  SELECT a.lat AS la, b.lat AS lb, a.cost AS ca, b.cost AS cb FROM a JOIN b USING (case_id)
  WHERE a.s >= 2 AND b.s >= 2 AND (hashtext(case_id)::bigint & 1048575) < $9 AND ($7::text[] IS NULL OR $8::text[] IS NULL OR true)
  LIMIT $10`;

/** The paired cases, both scored, among side A's cases at the case indexes $7: one index probe of each side per index. */
const SAMPLE_AT_SQL = `
  SELECT a.latency_ms AS la, b.latency_ms AS lb, a.cost_usd AS ca, b.cost_usd AS cb
  FROM results a
  CROSS JOIN LATERAL (SELECT b.latency_ms, b.cost_usd, b.error_kind, b.passed FROM results b
    WHERE b.run_id = $4 AND b.case_id = a.case_id AND b.provider_id = $5 AND b.prompt_id = $6 AND b.repeat = 0) AS b
  WHERE a.run_id = $1 AND a.case_index = ANY($7::int[]) AND a.provider_id = $2 AND a.prompt_id = $3 AND a.repeat = 0
    AND ${stateOf('a.')} >= 2 AND ${stateOf('b.')} >= 2`;

/** The first and last case index of run $1's results (one index probe each end). */
const SPAN_SQL = `SELECT (SELECT min(case_index) FROM results WHERE run_id = $1)::float8 AS lo, (SELECT max(case_index) FROM results WHERE run_id = $1)::float8 AS hi`;

/** Most case indexes probed for the sample; past it (case indexes far sparser than the cases) the sample is drawn by a join. */
const MAX_PROBES = 100_000;

/**
 * `count` distinct case indexes in [lo, hi], drawn at random with a fixed seed (the same
 * comparison samples the same cases every time).
 */
export function drawCaseIndexes(lo: number, hi: number, count: number): number[] {
  let state = 0x2545f491;
  const random = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const span = hi - lo + 1;
  if (count >= span) return Array.from({ length: span }, (_, i) => lo + i);
  if (count > span / 2) {
    // Most of the range: keep each index with the chance that gives `count` on average.
    const picked: number[] = [];
    for (let i = lo; i <= hi; i++) if (random() < count / span) picked.push(i);
    return picked;
  }
  const picked = new Set<number>();
  while (picked.size < count) picked.add(lo + Math.floor(random() * span));
  return [...picked];
}

const number = (value: unknown): number => Number(value ?? 0);
const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function emptyTotals(): PairedTotals {
  return { n: 0, sumA: 0, sumB: 0, sum: 0, sumSquares: 0, aOnly: 0, bOnly: 0 };
}

/** Adds `count` pairs in state `code` to `totals` (paired states only). */
function addState(totals: PairedTotals, code: number, count: number): void {
  const a = code >> 2;
  const b = code & 3;
  if (a < 2 || b < 2) return;
  totals.n += count;
  if (a === 3) totals.sumA += count;
  if (b === 3) totals.sumB += count;
  if (code === PASS_TO_FAIL) totals.aOnly += count;
  if (code === FAIL_TO_PASS) totals.bOnly += count;
  totals.sum = totals.sumB - totals.sumA;
  totals.sumSquares = totals.aOnly + totals.bOnly;
}

const sampleRow = (row: Record<string, unknown>) => ({ latencyA: numberOrNull(row.la), latencyB: numberOrNull(row.lb), costA: numberOrNull(row.ca), costB: numberOrNull(row.cb) });

/**
 * The latency/cost sample: about `limit` of the `n` paired cases. Case indexes drawn at random
 * from side A's span are probed on both sides (a quarter more than needed, for the cases that are
 * not paired, then thinned evenly). Each paired case has its own index, so this is a random
 * sample of them unless the indexes are far sparser than the cases; then (or when every paired
 * case is wanted) the sample is drawn by a join of the sides, with a hash of the case id.
 */
async function drawSample(query: SettingsQuery, base: unknown[], n: number, limit: number): Promise<PairedResultsAnswer['sample']> {
  if (n === 0 || limit <= 0) return [];
  const join = async () => (await query(SAMPLE_SQL, [...base, n <= limit ? 1048576 : Math.ceil((1048576 * limit) / n), limit], JOIN_SETTINGS)).map(sampleRow);
  if (n <= limit) return join();
  const [span] = await query(SPAN_SQL, [base[0]]);
  const lo = number(span?.lo);
  const width = number(span?.hi) - lo + 1;
  const probes = Math.ceil((1.25 * limit * width) / n);
  if (!(width > 0) || probes > MAX_PROBES) return join();
  const found = (await query(SAMPLE_AT_SQL, [...base.slice(0, 6), drawCaseIndexes(lo, lo + width - 1, probes)])).map(sampleRow);
  if (found.length < limit / 2) return join();
  if (found.length <= limit) return found;
  const step = found.length / limit;
  return Array.from({ length: limit }, (_, i) => found[Math.floor(i * step)]!);
}

/** Pairs two one-sample pass/fail sides (see the module comment). `pathOf` turns a dotted field into the text[] parameter. */
export async function pairPassFail(
  query: SettingsQuery,
  request: PairedResultsQuery,
  pathOf: (path: string | undefined) => string[] | null,
): Promise<PairedResultsAnswer> {
  const { a, b } = request;
  const flipsLimit = request.flipsLimit ?? 50;
  const sampleLimit = request.sampleLimit ?? 2_000;
  const exactUpTo = request.exactPercentilesUpTo ?? 200_000;
  const byPath = pathOf(request.by);
  const clusterPath = pathOf(request.cluster);
  const fields: Fields = { by: byPath?.length ?? 0, cluster: clusterPath?.length ?? 0 };
  const base = [a.runId, a.providerId, a.promptId, b.runId, b.providerId, b.promptId, byPath, clusterPath];
  const rows = await query(PASS_SQL(fields), [...base, Math.max(0, flipsLimit)], PASS_SETTINGS);

  const overall = emptyTotals();
  const groups = new Map<string | null, PairedTotals>();
  const clusters = new Map<string, { n: number; sum: number }>();
  const perState = new Array<number>(16).fill(0);
  const firstFlips = new Map<number, number[]>();
  for (const row of rows) {
    const code = number(row.code);
    if (row.first !== null && row.first !== undefined) {
      firstFlips.set(code, (row.first as unknown[]).map(Number));
      continue;
    }
    const count = number(row.n);
    perState[code] = (perState[code] ?? 0) + count;
    addState(overall, code, count);
    if (fields.by > 0) {
      const key = (row.g as string | null) ?? null;
      const totals = groups.get(key) ?? emptyTotals();
      groups.set(key, totals);
      addState(totals, code, count);
    }
    if (fields.cluster > 0 && code >> 2 >= 2 && (code & 3) >= 2) {
      const key = (row.cl as string | null) ?? '(none)';
      const totals = clusters.get(key) ?? { n: 0, sum: 0 };
      clusters.set(key, totals);
      totals.n += count;
      totals.sum += count * (((code & 3) === 3 ? 1 : 0) - (code >> 2 === 3 ? 1 : 0));
    }
  }
  const stateCount = (side: 'a' | 'b', state: number) => perState.reduce((sum, count, code) => sum + ((side === 'a' ? code >> 2 : code & 3) === state ? count : 0), 0);

  const answer: PairedResultsAnswer = {
    overall,
    casesA: stateCount('a', 2) + stateCount('a', 3),
    casesB: stateCount('b', 2) + stateCount('b', 3),
    samplesA: stateCount('a', 2) + stateCount('a', 3) > 0 ? 1 : 0,
    samplesB: stateCount('b', 2) + stateCount('b', 3) > 0 ? 1 : 0,
    histogram: [],
    groups: [...groups.entries()].filter(([, totals]) => totals.n > 0).map(([group, totals]) => ({ group, ...totals })),
    clusters: [...clusters.entries()].filter(([, totals]) => totals.n > 0).map(([cluster, totals]) => ({ cluster, ...totals })),
    flips: { passToFail: [], failToPass: [] },
    percentilesExact: false,
    percentiles: { latencyA: { p50: null, p95: null }, latencyB: { p50: null, p95: null }, costA: { p50: null, p95: null }, costB: { p50: null, p95: null } },
    sample: [],
    repeatCounts: { a: [], b: [] },
    sideTotals: {
      a: { results: stateCount('a', 1) + stateCount('a', 2) + stateCount('a', 3), scored: stateCount('a', 2) + stateCount('a', 3), passed: stateCount('a', 3) },
      b: { results: stateCount('b', 1) + stateCount('b', 2) + stateCount('b', 3), scored: stateCount('b', 2) + stateCount('b', 3), passed: stateCount('b', 3) },
    },
  };
  const { n, aOnly, bOnly } = overall;
  for (const [value, count] of [[-1, aOnly], [0, n - aOnly - bOnly], [1, bOnly]] as const) if (count > 0) answer.histogram.push({ value, count });
  for (const [side, state, passed] of [['a', 2, 0], ['a', 3, 1], ['b', 2, 0], ['b', 3, 1]] as const) {
    const count = stateCount(side, state);
    if (count > 0) answer.repeatCounts[side].push({ samples: 1, passed, count });
  }

  // The flips: those at the first case indexes the pass found, with their case ids and categories.
  for (const [code, target] of [[PASS_TO_FAIL, answer.flips.passToFail], [FAIL_TO_PASS, answer.flips.failToPass]] as const) {
    const indexes = firstFlips.get(code) ?? [];
    if (indexes.length === 0) continue;
    const flips = await query(FLIPS_SQL, [...base.slice(0, 7), indexes, code >> 2, code & 3, flipsLimit]);
    target.push(...flips.map((row): FlippedCase => ({ caseId: String(row.case_id), caseIndex: number(row.ci), group: (row.g as string | null) ?? null })));
  }

  answer.sample = await drawSample(query, base, n, sampleLimit);

  if (n <= exactUpTo) {
    answer.percentilesExact = true;
    const [row] = n > 0 ? await query(PERCENTILES_SQL, base, JOIN_SETTINGS) : [];
    if (row) {
      const percentile = (p50: unknown, p95: unknown) => ({ p50: numberOrNull(p50), p95: numberOrNull(p95) });
      answer.percentiles = { latencyA: percentile(row.la50, row.la95), latencyB: percentile(row.lb50, row.lb95), costA: percentile(row.ca50, row.ca95), costB: percentile(row.cb50, row.cb95) };
    }
  }
  answer.groups.sort((x, y) => (x.group ?? '\uffff').localeCompare(y.group ?? '\uffff'));
  return answer;
}
