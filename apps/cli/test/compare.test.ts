/**
 * `llm-lab compare` end to end, as the done-when test: two offline mock models with known
 * accuracies answer 200 GSM8K-format problems through `llm-lab bench gsm8k` (the suite's prompt
 * and its numeric "#### <n>" scoring), stored on PostgreSQL; the comparison's verdict and interval
 * are checked against a hand computation from the stored results, and `--fail-on-regression`
 * exits 1 for a real regression and 0 for noise. Every command is a child process.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { cleanEnv, dropSchema, runCli } from './helpers.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `cli_compare_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const env = cleanEnv({ DATABASE_URL, LLM_LAB_DB_SCHEMA: schema });

/** 200 problems in GSM8K's own format: a question, and a worked answer ending "#### <n>". */
function gsm8kRows(): string {
  const rows: string[] = [];
  for (let i = 0; i < 200; i++) {
    const a = 2 + ((i * 37) % 89);
    const b = 3 + ((i * 53) % 71);
    rows.push(
      JSON.stringify({
        question: `Natalia sold clips to ${a} of her friends in April, and then she sold ${b} more in May. How many clips did Natalia sell altogether?`,
        answer: `Natalia sold ${a} + ${b} = <<${a}+${b}=${a + b}>>${a + b} clips.\n#### ${a + b}`,
      }),
    );
  }
  return `${rows.join('\n')}\n`;
}

/**
 * A config holding one mock model under the label `model`: right on `accuracy` of the cases. Each
 * run keeps its response cache apart (its own LLM_LAB_HOME, no Redis): the cache is keyed by the
 * provider's label and the request, so one run's answers would otherwise be replayed to the next.
 */
const providerConfig = (accuracy: number, seed: number) => `providers:
  - id: mock:gsm
    label: model
    config: { mode: field, field: answer, accuracy: ${accuracy}, seed: ${seed} }
  - id: mock:weak
    config: { mode: field, field: answer, accuracy: 0.6, seed: ${seed} }
`;

let folder: string;
const runIds: Record<string, string> = {};

async function bench(name: string, providers: string[]): Promise<string> {
  const result = await runCli(['bench', 'gsm8k', '--data', join(folder, 'gsm8k.jsonl'), '--config', join(folder, `${name}.yaml`), ...providers.flatMap((provider) => ['-p', provider]), '--json', '--no-progress'], {
    cwd: folder,
    env: cleanEnv({ DATABASE_URL, LLM_LAB_DB_SCHEMA: schema, LLM_LAB_HOME: join(folder, `home-${name}`), REDIS_URL: undefined }),
  });
  expect(result.stderr).not.toMatch(/error/);
  return (JSON.parse(result.stdout) as { runId: string }).runId;
}

/** Each case's pass/fail per provider label, read straight from the database. */
async function outcomes(runId: string): Promise<Map<string, Map<string, boolean>>> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ case_id: string; provider_id: string; passed: boolean }>(`SELECT case_id, provider_id, passed FROM "${schema}".results WHERE run_id = $1 AND error_kind IS NULL`, [runId]);
    const byProvider = new Map<string, Map<string, boolean>>();
    for (const row of rows) {
      if (!byProvider.has(row.provider_id)) byProvider.set(row.provider_id, new Map());
      byProvider.get(row.provider_id)?.set(row.case_id, row.passed);
    }
    return byProvider;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'llm-lab-compare-'));
  await writeFile(join(folder, 'gsm8k.jsonl'), gsm8kRows());
  await writeFile(join(folder, 'baseline.yaml'), providerConfig(0.8, 1));
  await writeFile(join(folder, 'regressed.yaml'), providerConfig(0.6, 2));
  await writeFile(join(folder, 'noise.yaml'), providerConfig(0.8, 3));
  runIds.baseline = await bench('baseline', ['model', 'mock:weak']);
  runIds.regressed = await bench('regressed', ['model']);
  runIds.noise = await bench('noise', ['model']);
}, 300_000);

afterAll(async () => {
  await dropSchema(DATABASE_URL, schema);
  if (folder) await rm(folder, { recursive: true, force: true });
}, 60_000);

describe('llm-lab compare', () => {
  it('two providers on 200 GSM8K cases: the verdict and interval match a hand computation', async () => {
    const result = await runCli(['compare', runIds.baseline as string, '--json'], { cwd: folder, env });
    expect(result.code).toBe(0);
    const comparison = JSON.parse(result.stdout) as {
      pairs: Array<{ n: number; difference: { estimate: number; lower: number; upper: number }; test: { pValue: number; aOnly: number; bOnly: number }; verdict: { outcome: string; text: string } }>;
    };
    const [pair] = comparison.pairs;

    // By hand: the discordant pairs, McNemar's exact binomial tail (mid-p from 25 discordant
    // pairs), and the Agresti–Min interval (½ added to each cell, then Wald).
    const stored = await outcomes(runIds.baseline as string);
    const strong = stored.get('model') as Map<string, boolean>;
    const weak = stored.get('mock:weak') as Map<string, boolean>;
    let aOnly = 0;
    let bOnly = 0;
    let n = 0;
    for (const [caseId, passedA] of strong) {
      const passedB = weak.get(caseId);
      if (passedB === undefined) continue;
      n++;
      if (passedA && !passedB) aOnly++;
      if (!passedA && passedB) bOnly++;
    }
    expect(n).toBe(200);
    const discordant = aOnly + bOnly;
    let choose = 1;
    let tail = 0;
    let last = 0;
    for (let k = 0; k <= Math.min(aOnly, bOnly); k++) {
      if (k > 0) choose = (choose * (discordant - k + 1)) / k;
      last = choose / 2 ** discordant;
      tail += last;
    }
    const pValue = Math.min(1, 2 * (discordant >= 25 ? tail - last / 2 : tail));
    const cellA = aOnly + 0.5;
    const cellB = bOnly + 0.5;
    const centre = (cellB - cellA) / (n + 2);
    const se = Math.sqrt(cellA + cellB - (cellB - cellA) ** 2 / (n + 2)) / (n + 2);
    const [lower, upper] = [centre - 1.959964 * se, centre + 1.959964 * se];

    expect(pair?.n).toBe(n);
    expect(pair?.test).toMatchObject({ aOnly, bOnly });
    expect(pair?.test.pValue).toBeCloseTo(pValue, 10);
    expect(pair?.difference.estimate).toBeCloseTo((bOnly - aOnly) / n, 12);
    expect(pair?.difference.lower).toBeCloseTo(lower, 5);
    expect(pair?.difference.upper).toBeCloseTo(upper, 5);
    const points = (value: number) => (value * 100).toFixed(1);
    const pText = pValue < 0.001 ? 'p < 0.001' : pValue >= 0.1 ? `p = ${pValue.toFixed(2)}` : `p = ${pValue.toFixed(3)}`;
    // 80% against 60% on 200 cases: a difference McNemar finds.
    expect(pValue).toBeLessThan(0.05);
    expect(pair?.verdict).toEqual({
      outcome: 'b-worse',
      text: `mock:weak is worse than model by ${points((aOnly - bOnly) / n)} points [${points(-upper)}, ${points(-lower)}], ${pText} (McNemar, 200 paired cases)`,
    });
  });

  it('--fail-on-regression exits 1 for a real regression, naming it', async () => {
    const result = await runCli(['compare', runIds.baseline as string, runIds.regressed as string, '--fail-on-regression', '--min-effect', '0.02'], { cwd: folder, env });
    expect(result.stderr).toMatch(/^regression: model \(B run .+\) is worse than model \(A run .+\) by \d+\.\d points/m);
    expect(result.code).toBe(1);
  });

  it('--fail-on-regression exits 0 for noise (same accuracy, other draws), saying so', async () => {
    const result = await runCli(['compare', runIds.baseline as string, runIds.noise as string, '--fail-on-regression', '--format', 'md'], { cwd: folder, env });
    expect(result.stderr).toMatch(/no regression: no comparison finds B significantly worse than A/);
    expect(result.stdout).toMatch(/^## Comparison: run .+ \(A\) against run .+ \(B\)/);
    expect(result.stdout).toContain('no detectable difference');
    expect(result.code).toBe(0);
  });

  it('refuses bad input with exit 2 and advice', async () => {
    const missing = await runCli(['compare', 'no-such-run'], { cwd: folder, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('run "no-such-run" not found; list stored runs with: llm-lab runs list');
    const flags = await runCli(['compare', runIds.baseline as string, '--min-effect', '0.02'], { cwd: folder, env });
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('--min-effect goes with --fail-on-regression');
  });
});

describe('llm-lab leaderboard', () => {
  it('ranks the models of the GSM8K runs with intervals; the newest run of each model stands for it', async () => {
    const result = await runCli(['leaderboard', '--suite', 'gsm8k', '--json'], { cwd: folder, env });
    expect(result.code).toBe(0);
    const board = JSON.parse(result.stdout) as { suites: Array<{ suite: string; entries: Array<{ model: string; runId: string; scored: number; lower: number; upper: number; accuracy: number }> }> };
    expect(board.suites.map((suite) => suite.suite)).toEqual(['GSM8K (grade-school math)']);
    const entries = board.suites[0]?.entries ?? [];
    expect(entries.map((entry) => [entry.model, entry.runId, entry.scored])).toEqual([
      ['gsm', runIds.noise, 200],
      ['weak', runIds.baseline, 200],
    ]);
    for (const entry of entries) expect(entry.lower).toBeLessThan(entry.accuracy);
    const text = await runCli(['leaderboard', '--suite', 'gsm8k'], { cwd: folder, env });
    expect(text.stdout).toMatch(/Mean win rate across suites \(HELM\)/);
  });
});

describe('llm-lab plan', () => {
  it('says how many cases a 3-point difference over a 70% baseline needs', async () => {
    const result = await runCli(['plan', '--baseline', '0.7', '--mde', '0.03', '--json'], { env });
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { pairedCases: number; discordance: number };
    expect(plan.discordance).toBeCloseTo(0.408, 10);
    expect(plan.pairedCases).toBe(Math.ceil((1.959964 * Math.sqrt(0.408) + 0.841621 * Math.sqrt(0.408 - 0.0009)) ** 2 / 0.0009));
    const text = await runCli(['plan', '--baseline', '0.7', '--mde', '0.03', '--discordance', '0.15'], { env });
    expect(text.stdout).toMatch(/paired \(both models on the same cases, McNemar\): [\d,]+ cases/);
    const bad = await runCli(['plan', '--baseline', '70', '--mde', '0.03'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--baseline must be a number between 0 and 1');
  });
});
