/**
 * Read-only aggregate queries for comparing results (the analysis package's `compareRuns` and
 * leaderboard): the pairing of two sides' results by case id and every aggregate a paired test
 * needs are computed in SQL, in one statement, so comparing two runs of a million results never
 * loads them into JavaScript. What comes back is small: sums, a histogram of per-case
 * differences, per-category and per-cluster totals, the first flips, and a bounded sample of
 * paired latencies and costs for bootstrap intervals of their percentiles.
 */

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
  /** A deterministic sample (by case-id hash) of paired per-case latency and cost, at most `sampleLimit` rows. */
  sample: Array<{ latencyA: number | null; latencyB: number | null; costA: number | null; costB: number | null }>;
  /** (samples, passed) → cases, per side, for pass@k. */
  repeatCounts: { a: Array<{ samples: number; passed: number; count: number }>; b: Array<{ samples: number; passed: number; count: number }> };
}

/** Read-only aggregates for comparisons; a part of `Storage`. */
export interface AnalysisStore {
  /** Per run, provider and prompt: counts, accuracy, cost, latency. Every run when `runIds` is empty. */
  describeResultSides(runIds: readonly string[]): Promise<ResultSideSummary[]>;
  /** Pairs two sides' results by case id and aggregates them (see {@link PairedResultsAnswer}). */
  pairResults(query: PairedResultsQuery): Promise<PairedResultsAnswer>;
}

type Query = (text: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const number = (value: unknown): number => Number(value ?? 0);

/** A vars path as a PostgreSQL text[] literal parameter: `subject` → {subject}, `meta.tag` → {meta,tag}. */
function pathParameter(path: string | undefined): string[] | null {
  if (path === undefined) return null;
  const parts = path.split('.');
  if (parts.some((part) => part === '')) throw new RangeError(`a field path must be names separated by dots (subject, meta.tag); got "${path}".`);
  return parts;
}

export async function describeResultSides(query: Query, runIds: readonly string[]): Promise<ResultSideSummary[]> {
  const rows = await query(
    `SELECT run_id, provider_id, prompt_id, min(provider) AS provider, min(model) AS model,
       count(*)::float8 AS results,
       (count(*) FILTER (WHERE repeat = 0))::float8 AS cases,
       (max(repeat) + 1)::float8 AS repeats,
       (count(*) FILTER (WHERE error_kind IS NULL AND passed IS NOT NULL))::float8 AS scored,
       (count(*) FILTER (WHERE error_kind IS NULL AND passed))::float8 AS passed,
       (count(*) FILTER (WHERE passed IS NULL OR error_kind IS NOT NULL))::float8 AS errors,
       avg(score) AS mean_score,
       coalesce(sum(cost_usd), 0)::float8 AS cost_usd,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS latency_p50,
       avg(latency_ms) AS mean_latency
     FROM results
     ${runIds.length > 0 ? 'WHERE run_id = ANY($1::text[])' : ''}
     GROUP BY run_id, provider_id, prompt_id
     ORDER BY run_id, provider_id, prompt_id`,
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
 * One statement: each side's results averaged per case (a CTE each), paired by case id (an inner
 * join, materialised once), then every aggregate as rows of one UNION ALL, told apart by `kind`.
 * Parameters: $1–$3 side A, $4–$6 side B, $7 the `by` path, $8 the cluster path, $9 the flips
 * limit, $10 the sample size.
 */
const PAIR_SQL = (metric: 'passed' | 'score', oneSample: boolean) => {
  const value = metric === 'passed' ? `CASE WHEN passed THEN 1.0 ELSE 0.0 END` : `score`;
  const scored = `error_kind IS NULL AND ${metric === 'passed' ? 'passed IS NOT NULL' : 'score IS NOT NULL'}`;
  // One sample per case on both sides: each case is its one row (repeat 0), no per-case GROUP BY.
  const side = (run: string, provider: string, prompt: string) =>
    oneSample
      ? `
    SELECT case_id, case_index AS ci,
      CASE WHEN error_kind IS NULL AND passed IS NOT NULL THEN 1 ELSE 0 END AS k,
      CASE WHEN error_kind IS NULL AND passed THEN 1 ELSE 0 END AS c,
      CASE WHEN ${scored} THEN ${value} END AS v,
      latency_ms AS lat, cost_usd AS cost, vars #>> $7::text[] AS g, vars #>> $8::text[] AS cl
    FROM results WHERE run_id = ${run} AND provider_id = ${provider} AND prompt_id = ${prompt} AND repeat = 0`
      : `
    SELECT case_id, min(case_index) AS ci,
      count(*) FILTER (WHERE error_kind IS NULL AND passed IS NOT NULL) AS k,
      count(*) FILTER (WHERE error_kind IS NULL AND passed) AS c,
      avg(${value}) FILTER (WHERE ${scored}) AS v,
      avg(latency_ms) AS lat, avg(cost_usd) AS cost,
      min(vars #>> $7::text[]) AS g, min(vars #>> $8::text[]) AS cl
    FROM results WHERE run_id = ${run} AND provider_id = ${provider} AND prompt_id = ${prompt}
    GROUP BY case_id`;
  // Named here because the column names of a UNION come from its first SELECT (overall's).
  const totals = `count(*)::float8 AS n, sum(va)::float8 AS s1, sum(vb)::float8 AS s2, sum(d)::float8 AS s3, sum(d * d)::float8 AS s4,
      (count(*) FILTER (WHERE va = 1 AND vb = 0))::float8 AS s5, (count(*) FILTER (WHERE va = 0 AND vb = 1))::float8 AS s6`;
  return `
  WITH a AS NOT MATERIALIZED (${side('$1', '$2', '$3')}),
  b AS NOT MATERIALIZED (${side('$4', '$5', '$6')}),
  -- One pass over both sides (a full join by case id, hashed or merged as the planner sees fit);
  -- everything below reads this one materialised result.
  j AS MATERIALIZED (
    SELECT case_id, coalesce(a.ci, b.ci) AS ci, coalesce(a.g, b.g) AS g, coalesce(a.cl, b.cl) AS cl, a.v AS va, b.v AS vb, b.v - a.v AS d,
      a.k AS ka, a.c AS pa, b.k AS kb, b.c AS pb, a.lat AS la, b.lat AS lb, a.cost AS ca, b.cost AS cb
    FROM a FULL JOIN b USING (case_id)),
  p AS (SELECT * FROM j WHERE va IS NOT NULL AND vb IS NOT NULL),
  total AS MATERIALIZED (SELECT count(*)::float8 AS n FROM p)
  SELECT 'overall' AS kind, NULL::text AS key, NULL::text AS label, ${totals} FROM p
  UNION ALL SELECT 'coverage', NULL, NULL, (count(*) FILTER (WHERE va IS NOT NULL))::float8, (count(*) FILTER (WHERE vb IS NOT NULL))::float8,
    max(ka)::float8, max(kb)::float8, NULL, NULL, NULL FROM j
  UNION ALL SELECT 'hist', NULL, NULL, count(*)::float8, round(d * 10000) / 10000, NULL, NULL, NULL, NULL, NULL FROM p GROUP BY round(d * 10000)
  UNION ALL SELECT 'group', g, NULL, ${totals} FROM p WHERE $7::text[] IS NOT NULL GROUP BY g
  UNION ALL SELECT 'cluster', cl, NULL, count(*)::float8, sum(d)::float8, NULL, NULL, NULL, NULL, NULL FROM p WHERE $8::text[] IS NOT NULL GROUP BY cl
  UNION ALL (SELECT 'pass-to-fail', case_id, g, ci::float8, NULL, NULL, NULL, NULL, NULL, NULL FROM p WHERE va = 1 AND vb = 0 ORDER BY ci, case_id LIMIT $9)
  UNION ALL (SELECT 'fail-to-pass', case_id, g, ci::float8, NULL, NULL, NULL, NULL, NULL, NULL FROM p WHERE va = 0 AND vb = 1 ORDER BY ci, case_id LIMIT $9)
  -- Exact percentiles cost four sorts of every paired case: done up to $11 cases; above, the
  -- caller takes them from the sample (see PairedResultsAnswer.percentiles).
  UNION ALL SELECT 'latency', NULL, NULL,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY la), percentile_cont(0.95) WITHIN GROUP (ORDER BY la),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY lb), percentile_cont(0.95) WITHIN GROUP (ORDER BY lb), NULL, NULL, NULL FROM p WHERE (SELECT n FROM total) <= $11
  UNION ALL SELECT 'cost', NULL, NULL,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY ca), percentile_cont(0.95) WITHIN GROUP (ORDER BY ca),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY cb), percentile_cont(0.95) WITHIN GROUP (ORDER BY cb), NULL, NULL, NULL FROM p WHERE (SELECT n FROM total) <= $11
  UNION ALL (SELECT 'sample', NULL, NULL, la, lb, ca, cb, NULL, NULL, NULL FROM p, total
    WHERE total.n <= $10 OR (hashtext(case_id)::bigint & 1048575) < 1048576 * $10 / total.n LIMIT $10)
  UNION ALL SELECT 'repeat-a', NULL, NULL, count(*)::float8, ka::float8, pa::float8, NULL, NULL, NULL, NULL FROM j WHERE ka > 0 GROUP BY ka, pa
  UNION ALL SELECT 'repeat-b', NULL, NULL, count(*)::float8, kb::float8, pb::float8, NULL, NULL, NULL, NULL FROM j WHERE kb > 0 GROUP BY kb, pb`;
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
  const sql = PAIR_SQL(metric, request.oneSample === true);
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
  for (const row of rows) {
    switch (row.kind) {
      case 'overall':
        answer.overall = totalsOf(row);
        break;
      case 'coverage':
        answer.casesA = number(row.n);
        answer.casesB = number(row.s1);
        answer.samplesA = number(row.s2);
        answer.samplesB = number(row.s3);
        break;
      case 'hist':
        answer.histogram.push({ value: number(row.s1), count: number(row.n) });
        break;
      case 'group':
        answer.groups.push({ group: (row.key as string | null) ?? null, ...totalsOf(row) });
        break;
      case 'cluster':
        answer.clusters.push({ cluster: (row.key as string | null) ?? '(none)', n: number(row.n), sum: number(row.s1) });
        break;
      case 'pass-to-fail':
      case 'fail-to-pass':
        (row.kind === 'pass-to-fail' ? answer.flips.passToFail : answer.flips.failToPass).push({ caseId: String(row.key), caseIndex: number(row.n), group: (row.label as string | null) ?? null });
        break;
      case 'latency':
      case 'cost': {
        answer.percentilesExact = true;
        const [first, second] = row.kind === 'latency' ? (['latencyA', 'latencyB'] as const) : (['costA', 'costB'] as const);
        answer.percentiles[first] = { p50: numberOrNull(row.n), p95: numberOrNull(row.s1) };
        answer.percentiles[second] = { p50: numberOrNull(row.s2), p95: numberOrNull(row.s3) };
        break;
      }
      case 'sample':
        answer.sample.push({ latencyA: numberOrNull(row.n), latencyB: numberOrNull(row.s1), costA: numberOrNull(row.s2), costB: numberOrNull(row.s3) });
        break;
      case 'repeat-a':
      case 'repeat-b':
        answer.repeatCounts[row.kind === 'repeat-a' ? 'a' : 'b'].push({ samples: number(row.s1), passed: number(row.s2), count: number(row.n) });
        break;
    }
  }
  answer.histogram.sort((x, y) => x.value - y.value);
  answer.groups.sort((x, y) => (x.group ?? '\uffff').localeCompare(y.group ?? '\uffff'));
  answer.flips.passToFail.sort((x, y) => x.caseIndex - y.caseIndex);
  answer.flips.failToPass.sort((x, y) => x.caseIndex - y.caseIndex);
  return answer;
}
