import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeOpenAIServer, textOfContent, type ChatCompletionRequestBody, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { parse } from 'yaml';
import { cleanEnv, dropSchema, runCli } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('../../../packages/lab/test/fixtures/promptfoo/', import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `cli_promptfoo_${process.pid}_${Date.now().toString(36)}`;

const REPLIES: Record<string, string> = {
  paris: 'Paris',
  berlin: 'The capital is Berlin.',
  rome: 'Rome',
  oslo: 'Oslo',
  lima: 'Lima',
  bern: '{"city":"Bern"}',
  tokyo: 'Tokyo',
  cairo: 'Cairo',
};

function responder(body: ChatCompletionRequestBody): string {
  const last = textOfContent(((body.messages ?? []) as Array<{ content: unknown }>).at(-1)?.content);
  if (last.includes('<rubric>')) return /<output>\s*Tokyo/.test(last) ? '{"reason":"names Tokyo","pass":true,"score":1}' : '{"reason":"no","pass":false,"score":0}';
  const city = Object.keys(REPLIES).find((name) => last.toLowerCase().includes(name));
  return city ? (REPLIES[city] as string) : 'unknown';
}

let server: FakeOpenAIServer;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  server = await startFakeOpenAIServer({ responder });
  env = cleanEnv({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test-promptfoo-000000000000000', DATABASE_URL, LLM_LAB_DB_SCHEMA: schema });
});
afterAll(async () => {
  await server.close();
  await dropSchema(DATABASE_URL, schema);
});

interface Shown {
  results: Array<{ caseId: string; promptId: string; passed: boolean | null }>;
}

/** Passed results out of all, per test id, from `runs show --json`. */
async function perTest(runId: string): Promise<Record<string, string>> {
  const shown = await runCli(['runs', 'show', runId, '--json'], { env });
  expect(shown.code).toBe(0);
  const counts: Record<string, [number, number]> = {};
  for (const result of (JSON.parse(shown.stdout) as Shown).results) {
    const count = (counts[result.caseId] ??= [0, 0]);
    if (result.passed) count[0]++;
    count[1]++;
  }
  return Object.fromEntries(Object.entries(counts).map(([id, [passed, all]]) => [id, `${passed}/${all}`]));
}

/** Each test with three prompts: all pass or all fail, as the fixture's assertions define. */
const EXPECTED = { 'test-1': '3/3', 'test-2': '0/3', 'test-3': '3/3', 'test-4': '0/3', 'test-5': '3/3', 'test-6': '3/3', 'test-7': '3/3', 'test-8': '3/3' };

describe('llm-lab run on a promptfoo config', () => {
  it('detects the config, runs it unchanged and scores each test as its assertions say', async () => {
    const run = await runCli(['run', join(FIXTURES, 'promptfooconfig.yaml')], { env, cwd: await mkdtemp(join(tmpdir(), 'llm-lab-pf-run-')) });
    expect(run.stderr).not.toMatch(/^(error|warning)/m);
    for (const prompt of [1, 2, 3]) expect(run.stdout).toMatch(new RegExp(`mini \\(prompt-${prompt}\\)\\s+8\\s+6\\s+0\\s+75\\.0%`));
    const runId = /Run (run-\S+) completed/.exec(run.stdout)?.[1] as string;
    expect(await perTest(runId)).toEqual(EXPECTED);
  }, 180_000);

  it('refuses what it cannot map, listing each part with its path, and calls no model', async () => {
    const before = server.requests.length;
    const run = await runCli(['run', join(FIXTURES, 'unmappable.yaml'), '--from', 'promptfoo'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("providers[1]: provider 'bedrock:anthropic.claude-3-haiku' has no LLM Lab equivalent");
    expect(run.stderr).toContain("tests[0].assert[1].type: assertion type 'python' is not supported by LLM Lab");
    expect(run.stderr).toContain("tests[1].options.transform: test option 'transform' has no LLM Lab equivalent");
    expect(run.stderr.match(/python/g)).toHaveLength(1);
    expect(server.requests.length).toBe(before);
  }, 60_000);
});

describe('llm-lab convert', () => {
  it('writes an llm-lab.yaml that runs with the same results', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'llm-lab-convert-')), 'llm-lab.yaml');
    const converted = await runCli(['convert', join(FIXTURES, 'promptfooconfig.yaml'), '--out', out], { env });
    expect(converted.code).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=/);
    const config = parse(text) as { providers: unknown[]; dataset: { rows: unknown[] } };
    expect(config.providers).toEqual([{ id: 'openai:gpt-4o-mini', label: 'mini', config: {}, settings: { temperature: 0, maxTokens: 64 } }]);
    expect(config.dataset.rows).toHaveLength(8);
    // An LLM Lab config now: run with --from llm-lab to be sure it is not read as promptfoo's.
    const run = await runCli(['run', out, '--from', 'llm-lab'], { env });
    expect(run.stderr).not.toMatch(/^error/m);
    const runId = /Run (run-\S+) completed/.exec(run.stdout)?.[1] as string;
    expect(await perTest(runId)).toEqual(EXPECTED);
  }, 180_000);
});
