import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@llm-lab/core';
import { startFakeOpenAIServer, textOfContent, type ChatCompletionRequestBody, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { stringify } from 'yaml';
import { dropSchema, storedResults } from './helpers.js';
import { createLab, isPromptfooConfigFile, loadPromptfooConfig, type Lab } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/promptfoo/', import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lab_promptfoo_${process.pid}_${Date.now().toString(36)}`;

/** What the fake model says about each city, whichever prompt asked. */
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

/** Pass/fail per test as the fixture's assertions define them under promptfoo's rules. */
const EXPECTED: Record<string, boolean> = {
  'test-1': true, // CSV: equals Paris
  'test-2': false, // CSV: icontains berlin passes, the javascript word count fails
  'test-3': true, // icontains rome, not-contains Paris
  'test-4': false, // contains-any is case-sensitive: 'oslo' is not in 'Oslo'
  'test-5': true, // threshold 0.5: equals (weight 3) passes, starts-with fails: 3/4
  'test-6': true, // is-json with a schema
  'test-7': true, // llm-rubric, graded by the fake
  'test-8': true, // similar: the same text embeds to the same vector
};

/** Pass/fail per test of the edge fixture (one prompt), under promptfoo's rules. */
const EDGE_EXPECTED: Record<string, boolean> = {
  'test-1': true, // CSV (tests/*.csv): plain value = equals
  'test-2': true, // contains-all, not-contains
  'test-3': true, // starts-with, not-starts-with (case-sensitive)
  'test-4': true, // is-json
  'test-5': true, // JSONL: contains-any, not-equals
  'test-6': false, // contains-any from comma-separated text is case-sensitive
  'test-7': true, // var arrays: one test per value
  'test-8': true,
  'test-9': true, // a failing weight-0 assertion never fails the test
  'test-10': true, // threshold 0.6: 2/3
  'test-11': false, // equals is exact
  'test-12': false, // javascript 0 without a threshold
  'test-13': true, // javascript { pass, score, reason }
  'test-14': true, // contains-json with a schema, not-icontains, regex
  'test-15': false, // is-json needs the whole output
};

function responder(body: ChatCompletionRequestBody): string {
  const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
  const last = textOfContent(messages.at(-1)?.content);
  // The edge fixture's prompts end with the answer to give.
  if (last.includes('REPLY:')) return last.slice(last.indexOf('REPLY:') + 'REPLY:'.length);
  // LLM Lab's rubric prompt writes <rubric>…<output>, promptfoo's <Output>…<Rubric>.
  if (/<rubric>/i.test(last)) return /<output>\s*Tokyo/i.test(last) ? '{"reason":"names Tokyo","pass":true,"score":1}' : '{"reason":"no","pass":false,"score":0}';
  const city = Object.keys(REPLIES).find((name) => last.toLowerCase().includes(name));
  return city ? (REPLIES[city] as string) : 'unknown';
}

let server: FakeOpenAIServer;
let lab: Lab;
const savedEnv = { url: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY };

beforeAll(async () => {
  server = await startFakeOpenAIServer({ responder });
  // promptfoo and LLM Lab both read these, so the fixture needs no URL of its own.
  process.env.OPENAI_BASE_URL = server.url;
  process.env.OPENAI_API_KEY = 'sk-test-promptfoo-000000000000000';
  lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-promptfoo-')), databaseUrl: DATABASE_URL, databaseSchema: schema });
});

afterAll(async () => {
  await lab.close();
  await server.close();
  await dropSchema(DATABASE_URL, schema);
  if (savedEnv.url === undefined) delete process.env.OPENAI_BASE_URL;
  else process.env.OPENAI_BASE_URL = savedEnv.url;
  if (savedEnv.key === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = savedEnv.key;
});

/** Pass/fail of each (test, prompt) of a run. */
async function verdicts(runId: string): Promise<Map<string, boolean | null>> {
  const results = await storedResults(lab, runId);
  return new Map(results.map((result) => [`${result.caseId}|${result.promptId}`, result.passed]));
}

const PROMPTS = ['prompt-1', 'prompt-2', 'prompt-3'];

describe('promptfoo configs', () => {
  it('detects a promptfoo config by its name or shape', () => {
    expect(isPromptfooConfigFile(join(FIXTURES, 'promptfooconfig.yaml'))).toBe(true);
    expect(isPromptfooConfigFile(join(FIXTURES, 'unmappable.yaml'))).toBe(true);
  });

  it('maps prompts, providers, tests and defaultTest onto an LLM Lab config', () => {
    const { loaded, issues } = loadPromptfooConfig(join(FIXTURES, 'promptfooconfig.yaml'));
    expect(issues).toEqual([]);
    const { config } = loaded;
    expect(config.providers).toEqual([{ id: 'openai:gpt-4o-mini', label: 'mini', config: {}, settings: { temperature: 0, maxTokens: 64 } }]);
    // Two prompts from the ---separated file, one chat prompt from the JSON file.
    expect(config.prompts).toEqual([
      'Answer {{ style }}: what is the capital city named {{ city | upper }}?',
      'Name the city {{ city | trim }} and nothing else.',
      { messages: [{ role: 'system', content: 'You answer with one word.' }, { role: 'user', content: 'City: {{ city }}' }] },
    ]);
    expect(config.evaluators).toEqual([{ type: 'javascript', value: 'output.length < 200' }]);
    const rows = config.dataset.rows ?? [];
    expect(rows).toHaveLength(8);
    expect(rows[0]).toMatchObject({ __id: 'test-1', city: 'Paris', style: 'briefly', assert: [{ type: 'equals', value: 'Paris', trim: false }] });
    expect(rows[2]).toMatchObject({ city: 'Rome', country: 'Italy\n', __description: 'inline, with its own asserts' });
    expect(rows[4]).toMatchObject({ __threshold: 0.5, assert: [{ type: 'equals', weight: 3 }, { type: 'starts-with', value: 'Capital' }] });
    expect(rows[6]?.['assert']).toEqual([{ type: 'llm-rubric', rubric: 'The answer names Tokyo', judge: 'openai:gpt-4o-mini' }]);
    expect(rows[7]?.['assert']).toEqual([{ type: 'similar', value: 'Cairo', threshold: 0.9, provider: 'openai:text-embedding-3-small' }]);
  });

  it('runs unchanged against the fake OpenAI server with the pass/fail each test defines', async () => {
    const { loaded } = loadPromptfooConfig(join(FIXTURES, 'promptfooconfig.yaml'));
    const report = await lab.run(loaded);
    expect(report.status).toBe('completed');
    const got = await verdicts(report.runId);
    for (const [test, passed] of Object.entries(EXPECTED)) {
      for (const prompt of PROMPTS) expect([`${test}|${prompt}`, got.get(`${test}|${prompt}`)]).toEqual([`${test}|${prompt}`, passed]);
    }
    // Nunjucks filters rendered in the prompt the model saw.
    const chats = server.requests.filter((request) => request.path === '/v1/chat/completions').map((request) => JSON.stringify((request.body as { messages: unknown }).messages));
    expect(chats.some((text) => text.includes('Answer briefly: what is the capital city named PARIS?'))).toBe(true);
    expect(server.requests.some((request) => request.path === '/v1/embeddings')).toBe(true);
    const lima = (await storedResults(lab, report.runId)).find((result) => result.caseId === 'test-5' && result.promptId === 'prompt-1');
    expect(lima?.scores.map((score) => [score.type, score.passed])).toEqual([
      ['javascript', true],
      ['equals', true],
      ['starts-with', false],
    ]);
  }, 120_000);

  it('converts to an llm-lab.yaml that runs with the same results', async () => {
    const { config } = loadPromptfooConfig(join(FIXTURES, 'promptfooconfig.yaml'));
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-converted-'));
    const file = join(dir, 'llm-lab.yaml');
    await writeFile(file, stringify(config));
    const report = await lab.run(await loadConfig(file));
    const got = await verdicts(report.runId);
    for (const [test, passed] of Object.entries(EXPECTED)) for (const prompt of PROMPTS) expect(got.get(`${test}|${prompt}`)).toBe(passed);
  }, 120_000);

  it('keeps promptfoo\'s finer rules: case, weights, thresholds, exact equals, var arrays, globs, JSONL', async () => {
    const { loaded, issues } = loadPromptfooConfig(join(FIXTURES, 'edge/promptfooconfig.yaml'));
    expect(issues).toEqual([]);
    const report = await lab.run(loaded);
    const got = await verdicts(report.runId);
    expect(Object.fromEntries([...got].map(([key, passed]) => [key.replace('|default', ''), passed]))).toEqual(EDGE_EXPECTED);
    const chats = server.requests.map((request) => JSON.stringify((request.body as { messages?: unknown }).messages ?? ''));
    expect(chats.some((text) => text.includes('Topic: CATS\\nFacts: {\\"source\\":\\"fixture\\"}'))).toBe(true);
  }, 120_000);

  it('lists everything that cannot be mapped, once, with its path, before anything runs', () => {
    const requestsBefore = server.requests.length;
    expect(() => loadPromptfooConfig(join(FIXTURES, 'unmappable.yaml'))).toThrow(
      [
        "this promptfoo config has 3 parts LLM Lab cannot run as promptfoo would; nothing was run:",
        'warning outputPath: ignored: use llm-lab run --output instead',
        "error   providers[1]: provider 'bedrock:anthropic.claude-3-haiku' has no LLM Lab equivalent (mapped: openai:chat:…, openai:…, anthropic:messages:…, google:…, vertex:…, ollama:chat:…, echo)",
        "error   tests[0].assert[1].type: assertion type 'python' is not supported by LLM Lab (supported: equals, contains, icontains, contains-any/all, icontains-any/all, starts-with, regex, is-json, contains-json, javascript, similar, llm-rubric, g-eval, latency, cost and their not- forms)",
        "error   tests[1].options.transform: test option 'transform' has no LLM Lab equivalent",
      ].join('\n'),
    );
    expect(server.requests.length).toBe(requestsBefore);
  });
});

/**
 * The same fixture through real promptfoo, when the peer benchmark of ../shared has installed it
 * (`../shared/bench/promptfoo.sh` installs promptfoo and the Node 22 it needs into
 * ~/.cache/llm-lab-bench): both tools must give each (test, prompt) the same verdict.
 */
const SHARED_SCRIPT = fileURLToPath(new URL('../../../../shared/bench/promptfoo.sh', import.meta.url));
const BENCH_CACHE = process.env.BENCH_CACHE ?? join(homedir(), '.cache/llm-lab-bench');
const PROMPTFOO_VERSION = process.env.PROMPTFOO_VERSION ?? '0.121.20';
const PROMPTFOO = join(BENCH_CACHE, `promptfoo-${PROMPTFOO_VERSION}/node_modules/promptfoo/dist/src/entrypoint.js`);
const NODE_22 = Number(process.versions.node.split('.')[0]) >= 22 ? process.execPath : join(BENCH_CACHE, 'node22/node_modules/.bin/node');
const peerMissing = !existsSync(SHARED_SCRIPT)
  ? `${SHARED_SCRIPT} is absent`
  : !existsSync(PROMPTFOO) || !existsSync(NODE_22)
    ? `promptfoo ${PROMPTFOO_VERSION} is not installed in ${BENCH_CACHE} (run ../shared/bench/promptfoo.sh once)`
    : undefined;
if (peerMissing) console.warn(`skipping the comparison with real promptfoo: ${peerMissing}`);

(peerMissing ? describe.skip : describe)('the fixture under real promptfoo', () => {
  async function promptfoo(config: string): Promise<Array<[string, string, boolean]>> {
    const work = await mkdtemp(join(tmpdir(), 'llm-lab-promptfoo-peer-'));
    const out = join(work, 'out.json');
    const env = {
      ...process.env,
      OPENAI_BASE_URL: server.url,
      OPENAI_API_KEY: 'sk-test-promptfoo-000000000000000',
      NO_COLOR: '1',
      PROMPTFOO_DISABLE_TELEMETRY: '1',
      PROMPTFOO_DISABLE_UPDATE: '1',
      PROMPTFOO_DISABLE_SHARING: '1',
      PROMPTFOO_DISABLE_REMOTE_GENERATION: '1',
      PROMPTFOO_SELF_HOSTED: '1',
      PROMPTFOO_CONFIG_DIR: join(work, 'state'),
      PROMPTFOO_CACHE_PATH: join(work, 'state/cache'),
    };
    await promisify(execFile)(NODE_22, [PROMPTFOO, 'eval', '-c', config, '-o', out, '--no-cache', '--no-table', '--no-progress-bar'], { env, cwd: work }).catch(
      // promptfoo exits non-zero when a test fails; the fixture has failing tests on purpose.
      (error: { code?: number }) => {
        if (!existsSync(out)) throw error;
      },
    );
    const written = JSON.parse(await readFile(out, 'utf8')) as { results: { results: Array<{ testIdx: number; promptIdx: number; success: boolean }> } };
    return written.results.results.map((result) => [`test-${result.testIdx + 1}`, `prompt-${result.promptIdx + 1}`, result.success]);
  }

  it('gives every (test, prompt) of the main fixture the verdict LLM Lab gives', async () => {
    const theirs = await promptfoo(join(FIXTURES, 'promptfooconfig.yaml'));
    expect(theirs).toHaveLength(24);
    for (const [test, prompt, success] of theirs) expect([test, prompt, success]).toEqual([test, prompt, EXPECTED[test]]);
  }, 300_000);

  it('gives every test of the edge fixture the verdict LLM Lab gives', async () => {
    const theirs = await promptfoo(join(FIXTURES, 'edge/promptfooconfig.yaml'));
    expect(Object.fromEntries(theirs.map(([test, , success]) => [test, success]))).toEqual(EDGE_EXPECTED);
  }, 300_000);
});
