import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MockProvider, mockProvider, ProviderRegistry, type EvaluatorEntry } from '@llm-lab/core';
import { openaiProvider } from '@llm-lab/provider-openai';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { assertionFromExpected, compileTemplate, cosineSimilarity, javascriptFunctionBody, mapPromptfooAssertion, runEvaluation, type EmbeddingFactory } from '../src/index.js';
import { build, caseOf, score } from './evaluators-helpers.js';
import { makeConfig, MemoryStore, tempDir, writeTempFile } from './helpers.js';

/** A provider that answers each case with its row's `reply` field. */
const replier = () => ({ label: 'mock:replier', provider: new MockProvider('replier', { mode: 'field', field: 'reply' }), settings: {} });

async function runRows(rows: Array<Record<string, unknown>>, evaluators: EvaluatorEntry[] = [], extra: { createEmbeddingProvider?: EmbeddingFactory; csv?: string } = {}) {
  const dir = extra.csv !== undefined ? (await writeTempFile('tests.csv', extra.csv)).dir : await tempDir();
  const dataset = extra.csv !== undefined ? { path: 'tests.csv' } : { rows };
  const store = new MemoryStore();
  await runEvaluation({
    runId: 'r',
    config: makeConfig({ prompts: ['{{question}}'], dataset: { ...dataset, idField: 'id' }, evaluators }),
    baseDir: dir,
    providers: [replier()],
    store,
    ...(extra.createEmbeddingProvider ? { createEmbeddingProvider: extra.createEmbeddingProvider } : {}),
  });
  return new Map(store.results('r').map((result) => [result.caseId, result]));
}

describe('javascript checks', () => {
  it('reads expressions, bodies and declarations as promptfoo does', () => {
    expect(javascriptFunctionBody("output.includes('a')")).toBe("return output.includes('a')");
    expect(javascriptFunctionBody("const s = output.split(';'); s.length > 1;")).toBe("const s = output.split(';'); return s.length > 1");
    expect(javascriptFunctionBody('if (output) {\n  return 1;\n}\nreturn 0;\n')).toBe('if (output) {\n  return 1;\n}\nreturn 0;');
  });

  it('passes on true, on a number above 0 (or at its threshold) and on { pass, score, reason }', async () => {
    expect((await score({ type: 'javascript', value: 'output.length < 6' }, 'Paris')).passed).toBe(true);
    expect((await score({ type: 'javascript', value: 'output.length < 6' }, 'Paris, France')).passed).toBe(false);
    expect((await score({ type: 'javascript', value: 'context.vars.n * 0.1' }, 'x', { n: 3 })).score).toBeCloseTo(0.3);
    expect((await score({ type: 'javascript', value: 'context.vars.n * 0.1', threshold: 0.5 }, 'x', { n: 3 })).passed).toBe(false);
    const record = await score({ type: 'javascript', value: "const ok = output === 'ok';\nreturn { pass: ok, score: 0.4, reason: 'looked at it' };" }, 'ok');
    expect(record).toMatchObject({ passed: true, score: 0.4, reason: 'looked at it' });
    // A promise is awaited, as promptfoo awaits it.
    expect((await score({ type: 'javascript', value: 'Promise.resolve(output === "a")' }, 'a')).passed).toBe(true);
  });

  it('fails an endless loop, of statements or of promise callbacks, and a promise that never settles on its time limit', async () => {
    const reason = 'the check did not finish within 50 ms (an endless loop, or a promise that never settles?); raise timeoutMs if it needs longer';
    expect(await score({ type: 'javascript', value: 'while (true) {}\nreturn true;', timeoutMs: 50 }, 'x')).toMatchObject({ passed: false, reason });
    expect(await score({ type: 'javascript', value: 'const spin = () => Promise.resolve().then(spin);\nspin();\nreturn true;', timeoutMs: 50 }, 'x')).toMatchObject({ passed: false, reason });
    expect(await score({ type: 'javascript', value: 'new Promise(() => {})', timeoutMs: 50 }, 'x')).toMatchObject({ passed: false, reason });
    // The checks after them run as usual.
    expect((await score({ type: 'javascript', value: 'output === "x"', timeoutMs: 50 }, 'x')).passed).toBe(true);
  });

  it('sees no require, process or host objects', async () => {
    expect((await score({ type: 'javascript', value: 'typeof require === "undefined" && typeof process === "undefined"' }, 'x')).passed).toBe(true);
    // The row reaches the check as plain data of the check's own realm: no way back to the host's Function.
    const escape = await score({ type: 'javascript', value: "context.vars.constructor.constructor('return process')()" }, 'x', { a: 1 });
    expect(escape.passed).toBe(false);
    expect(escape.reason).toMatch(/^the check threw: Code generation from strings disallowed/);
    const thrown = await score({ type: 'javascript', value: 'JSON.parse(output).a === 1' }, 'not json');
    expect(thrown).toMatchObject({ passed: false });
    expect(thrown.reason).toMatch(/^the check threw: Unexpected token/);
  });

  it('refuses code that does not parse before any case runs, naming the field', () => {
    expect(() => build({ type: 'javascript', value: 'output ===' })).toThrow(/evaluators\[0\]\.value: is not valid JavaScript/);
  });
});

describe("promptfoo's __expected forms", () => {
  it('reads each prefix into an assertion', () => {
    expect(assertionFromExpected('Paris')).toEqual({ type: 'equals', value: 'Paris' });
    expect(assertionFromExpected('icontains:paris')).toEqual({ type: 'icontains', value: 'paris' });
    expect(assertionFromExpected('not-contains:Berlin')).toEqual({ type: 'not-contains', value: 'Berlin' });
    expect(assertionFromExpected('contains-any: a, b ,c')).toEqual({ type: 'contains-any', value: ['a', 'b', 'c'] });
    expect(assertionFromExpected('fn:output.length > 2')).toEqual({ type: 'javascript', value: 'output.length > 2' });
    expect(assertionFromExpected('grade:is polite')).toEqual({ type: 'llm-rubric', value: 'is polite' });
    expect(assertionFromExpected('similar(0.9):hello')).toEqual({ type: 'similar', value: 'hello', threshold: 0.9 });
    expect(assertionFromExpected('similar:hello')).toEqual({ type: 'similar', value: 'hello', threshold: 0.8 });
    expect(assertionFromExpected('regex:^\\d+$')).toEqual({ type: 'regex', value: '^\\d+$' });
  });

  it('says why an assertion cannot be mapped', () => {
    expect(mapPromptfooAssertion({ type: 'python', value: 'x' })).toEqual({ field: 'type', problem: expect.stringMatching(/^assertion type 'python' is not supported/) });
    expect(mapPromptfooAssertion({ type: 'latency' })).toEqual({ field: 'threshold', problem: 'latency needs threshold: the most milliseconds a call may take' });
    expect(mapPromptfooAssertion({ type: 'llm-rubric', value: 'polite' })).toMatchObject({ field: 'provider' });
  });
});

describe('row checks in a run', () => {
  it("runs a CSV's __expected columns per row, merged with the config's evaluators", async () => {
    const csv = [
      'id,question,reply,__expected,__expected2',
      'eq,Capital?,Paris,Paris,',
      'eq-miss,Capital?,Paris.,Paris,',
      'ic,Capital?,PARIS is it,icontains:paris,not-contains:Berlin',
      'not,Capital?,Berlin,icontains:berlin,not-contains:Berlin',
      'any,Colour?,green,"contains-any:red,green",',
      'all,Colour?,green,"contains-all:red,green",',
      'js,Count?,12345,javascript:output.length === 5,',
      'rx,Digits?,abc,regex:^\\d+$,',
      'none,Nothing?,whatever,,',
    ].join('\n');
    const results = await runRows([], [{ type: 'contains', value: '', name: 'always' }], { csv });
    const verdicts = Object.fromEntries([...results].map(([id, result]) => [id, result.passed]));
    expect(verdicts).toEqual({ eq: true, 'eq-miss': false, ic: true, not: false, any: true, all: false, js: true, rx: false, none: true });
    // The config's evaluator scores every row; the row's own follow it.
    expect(results.get('ic')?.scores.map((s) => [s.name, s.type, s.passed])).toEqual([
      ['always', 'contains', true],
      ['contains', 'contains', true],
      ['contains-2', 'contains', true],
    ]);
    expect(results.get('not')?.scores[2]?.reason).toBe("not: output contains 'Berlin'");
  });

  it('reads an assert field of evaluator entries, weights and a __threshold', async () => {
    const checks = [
      { type: 'contains', value: 'Paris', weight: 3 },
      { type: 'contains', value: 'France', weight: 1 },
    ];
    const results = await runRows([
      { id: 'both', question: 'q', reply: 'Paris, France', assert: checks },
      { id: 'heavy-only', question: 'q', reply: 'Paris', assert: JSON.stringify(checks) },
      { id: 'heavy-only-threshold', question: 'q', reply: 'Paris', assert: checks, __threshold: 0.7 },
      { id: 'light-only-threshold', question: 'q', reply: 'France', assert: checks, __threshold: 0.7 },
      { id: 'bad', question: 'q', reply: 'x', assert: [{ type: 'contians', value: 'x' }] },
      { id: 'weightless', question: 'q', reply: 'Paris', assert: [checks[0], { ...checks[1], weight: 0 }] },
    ]);
    // A weight-0 check is recorded, failed, and does not fail the case.
    expect(results.get('weightless')).toMatchObject({ passed: true, scores: [{ passed: true }, { passed: false }] });
    expect(results.get('both')?.passed).toBe(true);
    // Without a threshold every check must pass; with one, the weighted score decides (3/4 ≥ 0.7, 1/4 < 0.7).
    expect(results.get('heavy-only')?.passed).toBe(false);
    expect(results.get('heavy-only-threshold')?.passed).toBe(true);
    expect(results.get('light-only-threshold')?.passed).toBe(false);
    expect(results.get('bad')).toMatchObject({ passed: null, errorKind: 'evaluator' });
    expect(results.get('bad')?.errorMessage).toMatch(/^case bad: checks\[0\]\.type: unknown evaluator type 'contians' \(did you mean 'contains'\?\)/);
  });
});

describe('similar through the OpenAI SDK and the fake server', () => {
  let server: FakeOpenAIServer;
  let createEmbeddingProvider: EmbeddingFactory;
  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: 'sk-test-embed' });
    const registry = new ProviderRegistry().register(openaiProvider);
    createEmbeddingProvider = (id, config) => registry.createEmbedding(id, config);
  });
  afterAll(async () => {
    await server.close();
  });

  it('passes outputs whose embedding is close to the reference and fails the others', async () => {
    const provider = { id: 'openai:text-embedding-3-small', config: { apiKey: 'sk-test-embed', baseURL: server.url } };
    const results = await runRows(
      [
        { id: 'same', question: 'q', reply: 'The capital is Paris.', expected: 'The capital is Paris.' },
        { id: 'other', question: 'q', reply: 'Bananas are yellow.', expected: 'The capital is Paris.' },
      ],
      [{ type: 'similar', value: '{{expected}}', threshold: 0.8, provider }],
      { createEmbeddingProvider },
    );
    expect(results.get('same')).toMatchObject({ passed: true, scores: [{ type: 'similar', score: expect.closeTo(1, 5) }] });
    expect(results.get('other')?.passed).toBe(false);
    expect(results.get('other')?.scores[0]?.reason).toMatch(/^cosine similarity -?0\.\d+ to 'The capital is Paris\.' < threshold 0\.8 \(openai:text-embedding-3-small\)$/);
    const embedCalls = server.requests.filter((request) => request.path === '/v1/embeddings');
    expect(embedCalls).toHaveLength(2);
    expect(embedCalls[0]?.body).toMatchObject({ model: 'text-embedding-3-small', input: [expect.any(String), 'The capital is Paris.'] });
  });

  it('measures cosine similarity and passes at the threshold inclusive', async () => {
    expect(cosineSimilarity([1, 0], [1, 0])).toBe(1);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([3, 4], [4, 3])).toBeCloseTo(0.96, 10);
    expect(cosineSimilarity([1, 1], [0, 0])).toBe(0);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow('cannot compare vectors of 1 and 2 dimensions');
    // An embedding model whose vectors are known: 'a' · 'b' = 0.96.
    const vectors: Record<string, number[]> = { a: [3, 4], b: [4, 3] };
    const embed: EmbeddingFactory = (id) => ({ id, embed: async (texts) => ({ embeddings: texts.map((text) => vectors[text] ?? [0, 1]), usage: { inputTokens: 0, totalTokens: 0 }, model: 'm', latencyMs: 0 }) });
    const at = (threshold: number) => build({ type: 'similar', value: 'b', threshold, provider: 'test:m' }, { createEmbeddingProvider: embed }).evaluate({ output: 'a', vars: {}, case: caseOf({}) });
    expect((await at(0.96)).passed).toBe(true);
    expect((await at(0.97)).passed).toBe(false);
    expect(await at(0.5)).toMatchObject({ score: 0.96, reason: "cosine similarity 0.96 to 'b' ≥ threshold 0.5 (test:m)" });
  });

  it('refuses a family without embeddings, naming those that have them', () => {
    const registry = new ProviderRegistry().register(openaiProvider).register(mockProvider);
    expect(() => registry.createEmbedding('mock:x', {})).toThrow("Provider 'mock' offers no embeddings (needed for 'mock:x'). Families with embeddings: openai, e.g. openai:text-embedding-3-small.");
    expect(() => registry.createEmbedding('nope:x', {})).toThrow(/Unknown provider 'nope'/);
  });
});

describe('Nunjucks templates', () => {
  it('renders filters and tags, and keeps plain placeholders on the strict engine', () => {
    expect(compileTemplate('{{ name | upper }}: {{ tags | dump }} [{{ note | trim }}]').render({ name: 'ada', tags: ['a', 1], note: '  hi ' })).toBe('ADA: ["a",1] [hi]');
    expect(compileTemplate('{% for q in items %}- {{ q }}\n{% endfor %}').render({ items: ['x', 'y'] })).toBe('- x\n- y\n');
    expect(() => compileTemplate('{{ name | }}')).toThrow(/template is not valid Nunjucks/);
    expect(() => compileTemplate('{% if x %}yes{% endif %} {{ missing }}').render({ x: true })).toThrow(/template could not be rendered/);
    expect(() => compileTemplate('{{ missing }}').render({})).toThrow("template variable 'missing' is not in this row");
  });

  it('reads the rows of a case in evaluators too', async () => {
    expect((await score({ type: 'equals', value: '{{ city | upper }}' }, 'PARIS', { city: 'Paris' })).passed).toBe(true);
    expect(build({ type: 'contains', value: '{{ a }}' }).evaluate({ output: 'x', vars: { a: 'x' }, case: caseOf({ a: 'x' }) })).toMatchObject({ passed: true });
  });
});
