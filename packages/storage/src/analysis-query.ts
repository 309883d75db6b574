/**
 * Read-only aggregate queries for comparing results (the analysis package's `compareRuns` and
 * leaderboard): the pairing of two sides' results by case id and every aggregate a paired test
 * needs are computed in SQL, in one statement, so comparing two runs of a million results never
 * loads them into JavaScript. What comes back is small: sums, a histogram of per-case
 * differences, per-category and per-cluster totals, the first flips, and a bounded sample of
 * paired latencies and costs for bootstrap intervals of their percentiles.
 */
import { pairPassFail } from './paired-pass-fail.js';

/** One side of a comparison: a provider (label) and a prompt in a run. */
export interface ResultSide {
  runId: string;
  providerId: string;
  promptId: string;
}

/** A side's results summed up (`describeResultSides`). */
export interface ResultSideSummary extends ResultSide {
  /** The provider's id (`openai:gpt-4o-mini`) and the model the vendor reported, when stored. */
  provider: string | null;
  model: string | null;
  results: number;
  /** Distinct cases (those with a first sample, repeat 0). */
  cases: number;
  /** Samples per case (the largest repeat + 1). */
  repeats: number;
  /** Results scored (not errored) and passed. */
  scored: number;
  passed: number;
  errors: number;
  /** Mean evaluator score over results that have one. */
  meanScore: number | null;
  costUsd: number;
  latencyP50Ms: number | null;
  meanLatencyMs: number | null;
}

/** A side as `listResultSides` finds it: no totals, only what says which results it holds. */
export interface ResultSideListing extends ResultSide {
  /** The provider's id and the model the vendor reported, from the side's first result that has them. */
  provider: string | null;
  model: string | null;
  /** Samples per case (the largest repeat + 1). */
  repeats: number;
}

/** What `pairResults` compares: per case, the mean over repeats of pass (0/1) or of the score. */
export interface PairedResultsQuery {
  a: ResultSide;
  b: ResultSide;
  /** Default `passed`. */
  metric?: 'passed' | 'score';
  /** A field of each case's vars (dotted path) to break the comparison down by. */
  by?: string;
  /** A field of each case's vars (dotted path) naming its cluster, for clustered errors. */
  cluster?: string;
  /** Flips listed per direction. Default 50. */
  flipsLimit?: number;
  /** Paired latency/cost rows sampled for bootstrap intervals. Default 2,000. */
  sampleLimit?: number;
  /**
   * Both sides hold one sample per case (no repeats; `describeResultSides`' `repeats` is 1):
   * each case is read as its one row, without the per-case GROUP BY. Wrong when a side has
   * repeats (only repeat 0 would be read). Default false.
   */
  oneSample?: boolean;
  /** Up to this many paired cases percentiles are exact (SQL); above, they come from the sample. Default 200,000. */
  exactPercentilesUpTo?: number;
}

/** Totals of the paired per-case values (d = B − A). */
export interface PairedTotals {
  n: number;
  sumA: number;
  sumB: number;
  sum: number;
  sumSquares: number;
  /** Cases A passed every sample of and B none (pass → fail), and the reverse. */
  aOnly: number;
  bOnly: number;
}

export interface FlippedCase {
  caseId: string;
  caseIndex: number;
  group: string | null;
}

export interface PairedResultsAnswer {
  overall: PairedTotals;
  /** Scored cases on each side, paired or not (a case errored on one side is not paired). */
  casesA: number;
  casesB: number;
  /** The largest number of scored samples of one case on each side (1 without repeats). */
  samplesA: number;
  samplesB: number;
  /** Per-case differences (rounded to 1e-4, so at most 20,001 values) and how many cases had each: the bootstrap resamples it. */
  histogram: Array<{ value: number; count: number }>;
  /** Per value of `by` (null key: no value). */
  groups: Array<PairedTotals & { group: string | null }>;
  /** Per cluster (only when `cluster` is asked). */
  clusters: Array<{ cluster: string; n: number; sum: number }>;
  flips: { passToFail: FlippedCase[]; failToPass: FlippedCase[] };
  /**
   * Percentiles of the per-case mean latency (ms) and cost (USD) of each side over the paired
   * cases: exact up to `exactPercentilesUpTo` paired cases, else null (take them from `sample`).
   */
  percentilesExact: boolean;
  percentiles: {
    latencyA: { p50: number | null; p95: number | null };
    latencyB: { p50: number | null; p95: number | null };
    costA: { p50: number | null; p95: number | null };
    costB: { p50: number | null; p95: number | null };
  };
  /** A deterministic sample of paired per-case latency and cost (seeded random case indexes, or a case-id hash), at most `sampleLimit` rows. */
  sample: Array<{ latencyA: number | null; latencyB: number | null; costA: number | null; costB: number | null }>;
  /** (samples, passed) → cases, per side, for pass@k. */
  repeatCounts: { a: Array<{ samples: number; passed: number; count: number }>; b: Array<{ samples: number; passed: number; count: number }> };
  /**
   * Each side's own totals over all its results, paired or not (as `describeResultSides` counts
   * them), when the pairing saw every result (one sample per case, pass/fail): a comparison then
   * needs no separate pass to describe the sides.
   */
  sideTotals?: { a: SideTotals; b: SideTotals };
}

/** One side's results, scored (not errored) results and passed results. */
export interface SideTotals {
  results: number;
  scored: number;
  passed: number;
}

/** Read-only aggregates for comparisons; a part of `Storage`. */
export interface AnalysisStore {
  /**
   * Per run, provider and prompt: counts, accuracy, cost, latency. Every run when `runIds` is
   * empty. `latencyP50: false` leaves `latencyP50Ms` null and skips its sort of every result
   * (a comparison does not show it).
   */
  describeResultSides(runIds: readonly string[], options?: { latencyP50?: boolean }): Promise<ResultSideSummary[]>;
  /**
   * The sides of the runs (provider, prompt), with each side's reported model and number of
   * samples per case, found by probing `results_side_case_idx` (a few index lookups per side,
   * however many results), in run, provider and prompt order.
   */
  listResultSides(runIds: readonly string[]): Promise<ResultSideListing[]>;
  /** Pairs two sides' results by case id and aggregates them (see {@link PairedResultsAnswer}). */
  pairResults(query: PairedResultsQuery): Promise<PairedResultsAnswer>;
}

/**
 * A read-only statement; `settings` are planner settings for it alone (`SET LOCAL` in a
 * transaction of its own), given by a statement that needs a particular plan.
 */
type Query = (text: string, params: unknown[], settings?: Readonly<Record<string, string>>) => Promise<Array<Record<string, unknown>>>;

/** `; SET LOCAL name = 'value'` for each planner setting (names are checked: they come from this package's statements). */
export function setLocal(settings: Readonly<Record<string, string>> = {}): string {
  return Object.entries(settings)
    .map(([name, value]) => {
      if (!/^[a-z_]+$/.test(name) || !/^[\w.]+$/.test(value)) throw new RangeError(`not a planner setting: ${name} = ${value}`);
      return `; SET LOCAL ${name} = '${value}'`;
    })
    .join('');
}

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const number = (value: unknown): number => Number(value ?? 0);

/** A vars path as a PostgreSQL text[] literal parameter: `subject` → {subject}, `meta.tag` → {meta,tag}. */
function pathParameter(path: string | undefined): string[] | null {
  if (path === undefined) return null;
  const parts = path.split('.');
  if (parts.some((part) => part === '')) throw new RangeError(`a field path must be names separated by dots (subject, meta.tag); got "${path}".`);
  return parts;
}

/**
 * A loose index scan of `results_side_case_idx`: each next side is the first index entry past
 * the last side found; its largest repeat is the last entry of its range; its provider and
 * model come from its first result that names them (usually its first).
 */
export async function listResultSides(query: Query, runIds: readonly string[]): Promise<ResultSideListing[]> {
  const found: ResultSideListing[] = [];
  for (const runId of [...new Set(runIds)].sort()) {
    const rows = await query(
      `WITH RECURSIVE s AS (
         (SELECT provider_id, prompt_id FROM results WHERE run_id = $1 ORDER BY provider_id, prompt_id LIMIT 1)
         UNION ALL
         SELECT n.provider_id, n.prompt_id FROM s, LATERAL (
           SELECT provider_id, prompt_id FROM results r
           WHERE r.run_id = $1 AND (r.provider_id, r.prompt_id) > (s.provider_id, s.prompt_id)
           ORDER BY provider_id, prompt_id LIMIT 1) AS n)
       SELECT s.provider_id, s.prompt_id, f.provider, f.model,
         (SELECT r.repeat + 1 FROM results r WHERE r.run_id = $1 AND r.provider_id = s.provider_id AND r.prompt_id = s.prompt_id
           ORDER BY r.repeat DESC LIMIT 1)::float8 AS repeats
       FROM s LEFT JOIN LATERAL (SELECT provider, model FROM results r
         WHERE r.run_id = $1 AND r.provider_id = s.provider_id AND r.prompt_id = s.prompt_id AND r.provider IS NOT NULL
         ORDER BY r.repeat, r.case_id LIMIT 1) AS f ON true
       ORDER BY s.provider_id, s.prompt_id`,
      [runId],
    );
    for (const row of rows) {
      found.push({
        runId,
        providerId: String(row.provider_id),
        promptId: String(row.prompt_id),
        provider: (row.provider as string | null) ?? null,
        model: (row.model as string | null) ?? null,
        repeats: number(row.repeats),
      });
    }
  }
  return found;
}

/**
 * One pass over the sides' results; read from `results_side_case_idx` alone (it covers every
 * column summed here), with the provider id and reported model taken from each side's first
 * result that has them (one row each).
 */
export async function describeResultSides(query: Query, runIds: readonly string[], options: { latencyP50?: boolean } = {}): Promise<ResultSideSummary[]> {
  const rows = await query(
    `SELECT s.*, f.provider, f.model FROM (SELECT run_id, provider_id, prompt_id,
       count(*)::float8 AS results,
       (count(*) FILTER (WHERE repeat = 0))::float8 AS cases,
       (max(repeat) + 1)::float8 AS repeats,
       (count(*) FILTER (WHERE error_kind IS NULL AND passed IS NOT NULL))::float8 AS scored,
       (count(*) FILTER (WHERE error_kind IS NULL AND passed))::float8 AS passed,
       (count(*) FILTER (WHERE passed IS NULL OR error_kind IS NOT NULL))::float8 AS errors,
       avg(score) AS mean_score,
       coalesce(sum(cost_usd), 0)::float8 AS cost_usd,
       ${options.latencyP50 === false ? 'NULL::float8' : 'percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)'} AS latency_p50,
       avg(latency_ms) AS mean_latency
     FROM results
     ${runIds.length > 0 ? 'WHERE run_id = ANY($1::text[])' : ''}
     GROUP BY run_id, provider_id, prompt_id) AS s
     LEFT JOIN LATERAL (SELECT provider, model FROM results r
       WHERE r.run_id = s.run_id AND r.provider_id = s.provider_id AND r.prompt_id = s.prompt_id AND r.provider IS NOT NULL
       ORDER BY r.case_id, r.repeat LIMIT 1) AS f ON true
     ORDER BY s.run_id, s.provider_id, s.prompt_id`,
    runIds.length > 0 ? [runIds] : [],
  );
  return rows.map((row) => ({
    runId: String(row.run_id),
    providerId: String(row.provider_id),
    promptId: String(row.prompt_id),
    provider: (row.provider as string | null) ?? null,
    model: (row.model as string | null) ?? null,
    results: number(row.results),
    cases: number(row.cases),
    repeats: number(row.repeats),
    scored: number(row.scored),
    passed: number(row.passed),
    errors: number(row.errors),
    meanScore: numberOrNull(row.mean_score),
    costUsd: number(row.cost_usd),
    latencyP50Ms: numberOrNull(row.latency_p50),
    meanLatencyMs: numberOrNull(row.mean_latency),
  }));
}

/**
 * The general pairing (scores, or repeated samples; one sample and pass/fail is
 * paired-pass-fail.ts's). One statement: each side's results averaged per case (a CTE each), paired by case id (a full
 * join, materialised once into narrow float8 rows), then the aggregates as rows of one UNION ALL,
 * told apart by `kind`. Every sum, the histogram, the per-category, per-cluster and repeat
 * counts come from ONE pass over the pairs (GROUPING SETS, hashed together); the flips and the
 * sample take one pass each. Parameters: $1–$3 side A, $4–$6 side B, $7 the `by` path, $8 the
 * cluster path, $9 the flips limit, $10 the sample size, $11 the exact-percentile limit.
 *
 * Each side is read from `results_side_case_idx` (run, provider, prompt, repeat, case id,
 * covering pass/score/latency/cost): one sample per case is one range in case-id order, so the
 * two sides merge-join without a hash table; only side A's rows are read from the table too, and only when a `by` or cluster
 * field is asked (the field lives in the case's vars, a JSON column the index cannot hold). A
 * case's category is taken from side A: only paired cases are broken down.
 */
/** `NULL, NULL, …`: the columns a UNION ALL branch leaves empty. */
const NULLS = (count: number): string => Array.from({ length: count }, () => 'NULL').join(', ');

const PAIR_SQL = (metric: 'passed' | 'score', oneSample: boolean, fields: { by: boolean; cluster: boolean }) => {
  const value = metric === 'passed' ? `CASE WHEN passed THEN 1::float8 ELSE 0::float8 END` : `score`;
  const scored = `error_kind IS NULL AND ${metric === 'passed' ? 'passed IS NOT NULL' : 'score IS NOT NULL'}`;
  const field = (wanted: boolean, path: string, aggregate: boolean) => (wanted ? (aggregate ? `min(vars #>> ${path}::text[])` : `vars #>> ${path}::text[]`) : 'NULL::text');
  // One sample per case on both sides: each case is its one row (repeat 0), no per-case GROUP BY.
  const side = (run: string, provider: string, prompt: string, withFields: boolean) =>
    oneSample
      ? `
    SELECT case_id, case_index AS ci,
      CASE WHEN error_kind IS NULL AND passed IS NOT NULL THEN 1 ELSE 0 END AS k,
      CASE WHEN error_kind IS NULL AND passed THEN 1 ELSE 0 END AS c,
      CASE WHEN ${scored} THEN ${value} END AS v,
      latency_ms AS lat, cost_usd AS cost, ${field(withFields && fields.by, '$7', false)} AS g, ${field(withFields && fields.cluster, '$8', false)} AS cl
    FROM results WHERE run_id = ${run} AND provider_id = ${provider} AND prompt_id = ${prompt} AND repeat = 0`
      : `
    SELECT case_id, min(case_index) AS ci,
      count(*) FILTER (WHERE error_kind IS NULL AND passed IS NOT NULL) AS k,
      count(*) FILTER (WHERE error_kind IS NULL AND passed) AS c,
      avg(${value}) FILTER (WHERE ${scored}) AS v,
      avg(latency_ms) AS lat, avg(cost_usd) AS cost,
      ${field(withFields && fields.by, '$7', true)} AS g, ${field(withFields && fields.cluster, '$8', true)} AS cl
    FROM results WHERE run_id = ${run} AND provider_id = ${provider} AND prompt_id = ${prompt}
    GROUP BY case_id`;
  const paired = 'va IS NOT NULL AND vb IS NOT NULL';
  // (Grouped columns are renamed, g… : an output name equal to an input column's is ambiguous in GROUPING().)
  // With one sample per case, each case's repeat count is (1, 0) or (1, 1): the repeat counts
  // follow from the overall sums (see pairResults), and the pass does not group by them (fewer
  // hash tables). (One sample and pass/fail on both sides is paired-pass-fail.ts's.)
  const grouped = [
    { set: 'round(d * 10000)', test: 'round(d * 10000)', kind: 'hist', columns: 'round(d * 10000) / 10000 AS h' },
    ...(oneSample ? [] : [{ set: '(ka, pa)', test: 'ka, pa', kind: 'repeat-a', columns: 'ka::float8 AS gka, pa::float8 AS gpa' }]),
    ...(oneSample ? [] : [{ set: '(kb, pb)', test: 'kb, pb', kind: 'repeat-b', columns: 'kb::float8 AS gkb, pb::float8 AS gpb' }]),
    ...(fields.by ? [{ set: 'g', test: 'g', kind: 'group', columns: 'g' }] : []),
    ...(fields.cluster ? [{ set: 'cl', test: 'cl', kind: 'cluster', columns: 'cl' }] : []),
  ];
  const has = (column: string) => grouped.some((entry) => entry.columns.split(', ').some((named) => named === column || named.endsWith(` AS ${column}`)));
  const kind = grouped.length === 0 ? `'overall'` : `CASE ${grouped.map((entry) => `WHEN GROUPING(${entry.test}) = 0 THEN '${entry.kind}'`).join(' ')} ELSE 'overall' END`;
  const columns = [
    ...grouped.map((entry) => entry.columns),
    ...['g', 'cl'].filter((column) => !has(column)).map((column) => `NULL::text AS ${column}`),
    ...['h', 'gka', 'gpa', 'gkb', 'gpb'].filter((column) => !has(column)).map((column) => `NULL::float8 AS ${column}`),
  ].join(', ');
  return `
  WITH a AS NOT MATERIALIZED (${side('$1', '$2', '$3', true)}),
  b AS NOT MATERIALIZED (${side('$4', '$5', '$6', false)}),
  j AS MATERIALIZED (
    SELECT case_id, coalesce(a.ci, b.ci) AS ci, a.g, a.cl, a.v AS va, b.v AS vb, b.v - a.v AS d,
      a.k AS ka, a.c AS pa, b.k AS kb, b.c AS pb, a.lat AS la, b.lat AS lb, a.cost AS ca, b.cost AS cb
    FROM a FULL JOIN b USING (case_id)),
  -- The one pass; which grouping set a row belongs to is told by GROUPING() (0: grouped by it).
  agg AS MATERIALIZED (
    SELECT ${kind} AS kind, ${columns},
      (count(*) FILTER (WHERE ${paired}))::float8 AS n, sum(va) FILTER (WHERE ${paired}) AS s1, sum(vb) FILTER (WHERE ${paired}) AS s2,
      sum(d) AS s3, sum(d * d) AS s4,
      (count(*) FILTER (WHERE va = 1 AND vb = 0))::float8 AS s5, (count(*) FILTER (WHERE va = 0 AND vb = 1))::float8 AS s6,
      (count(*) FILTER (WHERE va IS NOT NULL))::float8 AS na, (count(*) FILTER (WHERE vb IS NOT NULL))::float8 AS nb,
      max(ka)::float8 AS mka, max(kb)::float8 AS mkb, count(*)::float8 AS rows,
      (count(*) FILTER (WHERE ka = 1 AND pa = 1))::float8 AS ra1, (count(*) FILTER (WHERE ka = 1 AND pa = 0))::float8 AS ra0,
      (count(*) FILTER (WHERE kb = 1 AND pb = 1))::float8 AS rb1, (count(*) FILTER (WHERE kb = 1 AND pb = 0))::float8 AS rb0
    FROM j GROUP BY GROUPING SETS (${['()', ...grouped.map((entry) => entry.set)].join(', ')})),
  total AS (SELECT n FROM agg WHERE kind = 'overall')
  SELECT kind, coalesce(g, cl) AS key, NULL::text AS label, h AS v1, gka AS v2, gpa AS v3, gkb AS v4, gpb AS v5, NULL::float8 AS v6, NULL::float8 AS v7, NULL::float8 AS v8,
    n, s1, s2, s3, s4, s5, s6, na, nb, mka, mkb, rows, ra1, ra0, rb1, rb0 FROM agg
    -- (types $7 and $8 when no field is asked: PostgreSQL refuses a parameter it cannot type)
    WHERE $7::text[] IS NULL OR $8::text[] IS NULL OR true
  UNION ALL (SELECT 'pass-to-fail', case_id, g, ci::float8, ${NULLS(23)} FROM j WHERE va = 1 AND vb = 0 ORDER BY ci, case_id LIMIT $9)
  UNION ALL (SELECT 'fail-to-pass', case_id, g, ci::float8, ${NULLS(23)} FROM j WHERE va = 0 AND vb = 1 ORDER BY ci, case_id LIMIT $9)
  -- Exact percentiles cost four sorts of every paired case: done up to $11 cases; above, the
  -- caller takes them from the sample (see PairedResultsAnswer.percentiles).
  UNION ALL SELECT 'percentiles', NULL, NULL,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY la), percentile_cont(0.95) WITHIN GROUP (ORDER BY la),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY lb), percentile_cont(0.95) WITHIN GROUP (ORDER BY lb),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY ca), percentile_cont(0.95) WITHIN GROUP (ORDER BY ca),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY cb), percentile_cont(0.95) WITHIN GROUP (ORDER BY cb), ${NULLS(16)}
    FROM j WHERE ${paired} AND (SELECT n FROM total) <= $11
  UNION ALL (SELECT 'sample', NULL, NULL, la, lb, ca, cb, ${NULLS(20)} FROM j, total
    WHERE ${paired} AND (total.n <= $10 OR (hashtext(case_id)::bigint & 1048575) < 1048576 * $10 / total.n) LIMIT $10)`;
};

function totalsOf(row: Record<string, unknown>): PairedTotals {
  return { n: number(row.n), sumA: number(row.s1), sumB: number(row.s2), sum: number(row.s3), sumSquares: number(row.s4), aOnly: number(row.s5), bOnly: number(row.s6) };
}

export async function pairResults(query: Query, request: PairedResultsQuery): Promise<PairedResultsAnswer> {
  const metric = request.metric ?? 'passed';
  if (metric !== 'passed' && metric !== 'score') throw new RangeError(`metric must be passed or score, got "${String(metric)}".`);
  const flipsLimit = request.flipsLimit ?? 50;
  const sampleLimit = request.sampleLimit ?? 2_000;
  const { a, b } = request;
  const oneSample = request.oneSample === true;
  if (oneSample && metric === 'passed') return pairPassFail(query, request, pathParameter);
  const sql = PAIR_SQL(metric, oneSample, { by: request.by !== undefined, cluster: request.cluster !== undefined });
  const rows = await query(sql, [a.runId, a.providerId, a.promptId, b.runId, b.providerId, b.promptId, pathParameter(request.by), pathParameter(request.cluster), flipsLimit, sampleLimit, request.exactPercentilesUpTo ?? 200_000]);
  const answer: PairedResultsAnswer = {
    overall: { n: 0, sumA: 0, sumB: 0, sum: 0, sumSquares: 0, aOnly: 0, bOnly: 0 },
    casesA: 0,
    casesB: 0,
    samplesA: 0,
    samplesB: 0,
    histogram: [],
    groups: [],
    clusters: [],
    flips: { passToFail: [], failToPass: [] },
    percentilesExact: false,
    percentiles: { latencyA: { p50: null, p95: null }, latencyB: { p50: null, p95: null }, costA: { p50: null, p95: null }, costB: { p50: null, p95: null } },
    sample: [],
    repeatCounts: { a: [], b: [] },
  };
  const percentile = (p50: unknown, p95: unknown) => ({ p50: numberOrNull(p50), p95: numberOrNull(p95) });
  for (const row of rows) {
    // A grouping set's row over no paired case (unpaired cases only) is no category, cluster or histogram value.
    const pairedRows = number(row.n);
    switch (row.kind) {
      case 'overall':
        answer.overall = totalsOf(row);
        answer.casesA = number(row.na);
        answer.casesB = number(row.nb);
        answer.samplesA = number(row.mka);
        answer.samplesB = number(row.mkb);
        if (oneSample) {
          for (const [side, passed, count] of [['a', 1, row.ra1], ['a', 0, row.ra0], ['b', 1, row.rb1], ['b', 0, row.rb0]] as const) {
            if (number(count) > 0) answer.repeatCounts[side].push({ samples: 1, passed, count: number(count) });
          }
        }
        break;
      case 'hist':
        if (pairedRows > 0) answer.histogram.push({ value: number(row.v1), count: pairedRows });
        break;
      case 'group':
        if (pairedRows > 0) answer.groups.push({ group: (row.key as string | null) ?? null, ...totalsOf(row) });
        break;
      case 'cluster':
        if (pairedRows > 0) answer.clusters.push({ cluster: (row.key as string | null) ?? '(none)', n: pairedRows, sum: number(row.s3) });
        break;
      case 'repeat-a':
      case 'repeat-b': {
        const [samples, passed] = row.kind === 'repeat-a' ? [number(row.v2), number(row.v3)] : [number(row.v4), number(row.v5)];
        if (samples > 0) answer.repeatCounts[row.kind === 'repeat-a' ? 'a' : 'b'].push({ samples, passed, count: number(row.rows) });
        break;
      }
      case 'pass-to-fail':
      case 'fail-to-pass':
        (row.kind === 'pass-to-fail' ? answer.flips.passToFail : answer.flips.failToPass).push({ caseId: String(row.key), caseIndex: number(row.v1), group: (row.label as string | null) ?? null });
        break;
      case 'percentiles':
        answer.percentilesExact = true;
        answer.percentiles = { latencyA: percentile(row.v1, row.v2), latencyB: percentile(row.v3, row.v4), costA: percentile(row.v5, row.v6), costB: percentile(row.v7, row.v8) };
        break;
      case 'sample':
        answer.sample.push({ latencyA: numberOrNull(row.v1), latencyB: numberOrNull(row.v2), costA: numberOrNull(row.v3), costB: numberOrNull(row.v4) });
        break;
    }
  }
  answer.histogram.sort((x, y) => x.value - y.value);
  for (const side of [answer.repeatCounts.a, answer.repeatCounts.b]) side.sort((x, y) => x.samples - y.samples || x.passed - y.passed);
  answer.groups.sort((x, y) => (x.group ?? '\uffff').localeCompare(y.group ?? '\uffff'));
  answer.flips.passToFail.sort((x, y) => x.caseIndex - y.caseIndex);
  answer.flips.failToPass.sort((x, y) => x.caseIndex - y.caseIndex);
  return answer;
}
