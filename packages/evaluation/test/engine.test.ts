import { getMaxListeners } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { MockProvider, type CallOptions, type GenerateRequest, type MockProviderConfig } from '@llm-lab/core';
import { DatasetError, runEvaluation, type EngineProvider, type EvaluationProgress, type RunEvaluationOptions } from '../src/index.js';
import { makeConfig, MemoryStore, ObservedProvider, writeQuestions, writeTempFile } from './helpers.js';

const mock = (model: string, config: MockProviderConfig, label = `mock:${model}`): EngineProvider & { provider: ObservedProvider } => ({
  label,
  provider: new ObservedProvider(new MockProvider(model, config)),
  settings: {},
});

const student = (accuracy: number, extra: MockProviderConfig = {}) =>
  mock('student', { mode: 'field', field: 'answer', accuracy, seed: 42, ...extra });

const questionConfig = (overrides: Parameters<typeof makeConfig>[0] = { dataset: { path: 'cases.jsonl' } }) =>
  makeConfig({
    prompts: ['Answer briefly: {{question}}'],
    evaluators: [{ type: 'equals', value: '{{answer}}' }],
    ...overrides,
  });

async function run(options: Partial<RunEvaluationOptions> & Pick<RunEvaluationOptions, 'baseDir' | 'providers'>) {
  const store = (options.store as MemoryStore | undefined) ?? new MemoryStore();
  const outcome = await runEvaluation({ runId: 'run-1', config: questionConfig(), store, ...options });
  return { outcome, store };
}

describe('runEvaluation', () => {
  it("measures the mock's configured accuracy, deterministically, and stores every result", async () => {
    const { dir } = await writeQuestions(300);
    const first = await run({ baseDir: dir, providers: [student(0.7)], concurrency: 4 });
    const second = await run({ baseDir: dir, providers: [student(0.7)], concurrency: 7, runId: 'run-2' });

    const { outcome, store } = first;
    expect(outcome.status).toBe('completed');
    expect(outcome.totals).toMatchObject({ cases: 300, results: 300, errors: 0, invalidRows: 0 });
    expect(outcome.written).toBe(300);
    const rows = store.results('run-1');
    expect(rows).toHaveLength(300);
    // Accuracy is what the stored outputs say, independently of the engine's counters.
    const right = rows.filter((row) => row.output === (row.vars as { answer: string }).answer).length;
    const [summary] = outcome.providers;
    expect(summary?.accuracy).toBe(right / 300);
    expect(summary?.accuracy).toBeGreaterThan(0.62);
    expect(summary?.accuracy).toBeLessThan(0.78);
    expect(summary?.accuracyInterval?.lower).toBeLessThan(0.7);
    expect(summary?.accuracyInterval?.upper).toBeGreaterThan(0.7);
    expect(summary?.sampleSizeNote).toBeUndefined();
    // Same seed, same cases, different concurrency: the same cases pass.
    const passedIds = (store: MemoryStore, runId: string) => store.results(runId).filter((row) => row.passed).map((row) => row.caseId).sort();
    expect(passedIds(second.store, 'run-2')).toEqual(passedIds(store, 'run-1'));

    const wrong = rows.find((row) => row.passed === false);
    expect(wrong?.output).toBe("I don't know.");
    expect(wrong?.scores).toEqual([
      { name: 'equals', type: 'equals', passed: false, score: 0, reason: `expected '${(wrong?.vars as { answer: string }).answer}', got 'I don't know.'` },
    ]);
  });

  it('sends rendered messages, defaults merged with provider settings, and the case context', async () => {
    const { dir } = await writeQuestions(3);
    const provider = { ...student(1), settings: { maxTokens: 20, temperature: 0.7 } };
    const config = questionConfig({ dataset: { path: 'cases.jsonl', idField: 'id' }, defaults: { temperature: 0, seed: 5 } });
    const { store } = await run({ baseDir: dir, providers: [provider], config, runId: 'ctx', concurrency: 1 });
    expect(provider.provider.requests[0]).toEqual({
      temperature: 0.7,
      seed: 5,
      maxTokens: 20,
      messages: [{ role: 'user', content: 'Answer briefly: What is item 0?' }],
      context: { caseId: 'q0', vars: { id: 'q0', question: 'What is item 0?', answer: 'A0' }, repeat: 0, runId: 'ctx' },
    });
    const row = store.results('ctx').find((result) => result.caseId === 'q0');
    expect(row).toMatchObject({ caseIndex: 0, promptId: 'default', providerId: 'mock:student', passed: true, attempts: 1, prompt: provider.provider.requests[0]?.messages });
  });

  it('runs cases × prompts × providers × repeats, each key once', async () => {
    const { dir } = await writeQuestions(10);
    const config = questionConfig({ dataset: { path: 'cases.jsonl' }, prompts: [{ id: 'plain', template: '{{question}}' }, { id: 'terse', template: 'Short: {{question}}' }] });
    const progress: EvaluationProgress[] = [];
    const { outcome, store } = await run({
      baseDir: dir,
      config,
      providers: [student(0.5), mock('other', { mode: 'fixed', text: 'A1' })],
      repeat: 3,
      onProgress: (update) => progress.push(update),
    });
    expect(store.results('run-1')).toHaveLength(10 * 2 * 2 * 3);
    expect(outcome.providers.map((summary) => `${summary.providerId}/${summary.promptId}:${summary.results}`)).toEqual([
      'mock:student/plain:30',
      'mock:other/plain:30',
      'mock:student/terse:30',
      'mock:other/terse:30',
    ]);
    // The first report comes before any call, so a display shows 0/120 at once.
    expect(progress[0]).toMatchObject({ done: 0, total: 120 });
    expect(progress.at(-1)).toMatchObject({ done: 120, total: 120 });
    expect(progress.every((update) => update.total === 120)).toBe(true);
  });

  it('records provider and template errors per case and carries on', async () => {
    const { dir } = await writeTempFile(
      'cases.jsonl',
      [...Array.from({ length: 40 }, (_, i) => JSON.stringify({ question: `q${i}`, answer: `a${i}` })), '{"answer":"no question"}'].join('\n'),
    );
    const provider = student(1, { errorRate: 0.3, errorKind: 'rate-limit' });
    const { outcome, store } = await run({ baseDir: dir, providers: [provider] });
    const rows = store.results('run-1');
    expect(rows).toHaveLength(41);
    const template = rows.filter((row) => row.errorKind === 'template');
    expect(template).toHaveLength(1);
    expect(template[0]).toMatchObject({ passed: null, output: null, attempts: 0, prompt: null });
    expect(template[0]?.errorMessage).toBe("template variable 'question' is not in this row (fields: answer). Fix the template or the dataset");
    const failed = rows.filter((row) => row.errorKind === 'rate-limit');
    expect(failed.length).toBeGreaterThan(4);
    expect(failed.every((row) => row.passed === null && row.output === null && /injected rate-limit failure/.test(row.errorMessage ?? ''))).toBe(true);
    // The run, not the provider, knows which of its settings slows it down.
    expect(failed.every((row) => row.errorMessage?.endsWith('lower run.concurrency (or --concurrency), or set a rateLimit or concurrency limit on the provider entry.'))).toBe(true);
    const [summary] = outcome.providers;
    expect(summary).toMatchObject({ errors: failed.length + 1, errorKinds: { 'rate-limit': failed.length, template: 1 }, passed: 40 - failed.length, failed: 0, accuracy: 1 });
    expect(summary?.errorRate).toBeCloseTo((failed.length + 1) / 41, 10);
    expect(outcome.totals.errors).toBe(failed.length + 1);
  });

  it('resume skips keys already stored and never calls the provider for them', async () => {
    const { dir } = await writeQuestions(12);
    const store = new MemoryStore();
    await run({ baseDir: dir, providers: [student(0.5)], store, limit: 5 });
    expect(store.results('run-1')).toHaveLength(5);

    const provider = student(0.5);
    const { outcome } = await run({ baseDir: dir, providers: [provider], store, resume: true });
    expect(outcome.skipped).toBe(5);
    expect(outcome.totals.results).toBe(7);
    expect(provider.provider.requests).toHaveLength(7);
    expect(store.results('run-1')).toHaveLength(12);
  });

  it('makes no call before startAfter settles (the run row is stored), and none at all when it fails', async () => {
    const { dir } = await writeQuestions(3);
    const provider = student(1);
    let callsWhenOpened: number | undefined;
    const startAfter = new Promise<void>((resolve) =>
      setTimeout(() => {
        callsWhenOpened = provider.provider.requests.length;
        resolve();
      }, 50),
    );
    const { outcome } = await run({ baseDir: dir, providers: [provider], startAfter });
    expect(callsWhenOpened).toBe(0);
    expect(outcome.totals.results).toBe(3);

    const untouched = student(1);
    const store = new MemoryStore();
    const progress: EvaluationProgress[] = [];
    const notStored = Promise.reject(new Error('the run row could not be stored'));
    notStored.catch(() => undefined); // the engine awaits it once it has prepared
    const failing = run({ baseDir: dir, providers: [untouched], store, startAfter: notStored, onProgress: (state) => progress.push(state) });
    await expect(failing).rejects.toThrow('the run row could not be stored');
    expect(untouched.provider.requests).toHaveLength(0);
    expect(progress).toEqual([]);
    expect(store.results('run-1')).toHaveLength(0);
  });

  it('stops on abort, keeps every finished result, and a resume completes the run', async () => {
    const { dir } = await writeQuestions(40);
    const store = new MemoryStore();
    const controller = new AbortController();
    const { outcome } = await run({
      baseDir: dir,
      store,
      providers: [student(0.6, { latencyMs: 15 })],
      concurrency: 3,
      writeIntervalMs: 10_000,
      signal: controller.signal,
      onProgress: (update) => {
        if (update.done === 6) controller.abort();
      },
    });
    expect(outcome.status).toBe('cancelled');
    const stored = store.results('run-1');
    expect(stored.length).toBe(outcome.totals.results);
    expect(stored.length).toBeGreaterThanOrEqual(6);
    expect(stored.length).toBeLessThan(40);
    expect(stored.some((row) => row.errorKind !== null)).toBe(false);
    // Work is pulled lazily: only cases that were started were ever read from the file.
    expect(outcome.totals.cases).toBeLessThanOrEqual(stored.length + 3);

    const { outcome: resumed } = await run({ baseDir: dir, store, providers: [student(0.6)], resume: true });
    expect(resumed.status).toBe('completed');
    expect(resumed.skipped).toBe(stored.length);
    expect(store.results('run-1')).toHaveLength(40);
  });

  it("shares the run's signal with every call in flight without Node's listener-leak warning", async () => {
    const { dir } = await writeQuestions(64);
    const controller = new AbortController();
    const inner = student(1, { latencyMs: 5 });
    // Like a real transport: each call listens to the signal while it is in flight.
    const listening: EngineProvider = {
      ...inner,
      provider: Object.assign(Object.create(inner.provider) as ObservedProvider, {
        generate: async (request: GenerateRequest, options?: CallOptions) => {
          const onAbort = () => undefined;
          options?.signal?.addEventListener('abort', onAbort);
          try {
            return await inner.provider.generate(request, options);
          } finally {
            options?.signal?.removeEventListener('abort', onAbort);
          }
        },
      }),
    };
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const { outcome } = await run({ baseDir: dir, providers: [listening], concurrency: 32, signal: controller.signal });
      expect(outcome.totals.results).toBe(64);
      expect(inner.provider.maxInFlight).toBeGreaterThan(10);
      // Node warns once a signal has more listeners than its limit (10 by default).
      expect(getMaxListeners(controller.signal)).toBeGreaterThanOrEqual(inner.provider.maxInFlight);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('never has more than `concurrency` calls in flight, and writes in batches', async () => {
    const { dir } = await writeQuestions(30);
    const first = student(1, { latencyMs: { min: 1, max: 6 } });
    const second = mock('other', { mode: 'echo', latencyMs: { min: 1, max: 6 } });
    const store = new MemoryStore();
    store.writeDelayMs = 5;
    await run({ baseDir: dir, store, providers: [first, second], concurrency: 3, writeBatchSize: 7 });
    const inFlightAcrossBoth = first.provider.maxInFlight + second.provider.maxInFlight;
    expect(first.provider.maxInFlight).toBeGreaterThanOrEqual(1);
    expect(Math.max(first.provider.maxInFlight, second.provider.maxInFlight)).toBeLessThanOrEqual(3);
    expect(inFlightAcrossBoth).toBeGreaterThanOrEqual(3);
    expect(store.results('run-1')).toHaveLength(60);
    expect(Math.max(...store.batches)).toBeLessThanOrEqual(7);
  });

  it('keeps the total in flight across providers at the limit', async () => {
    const { dir } = await writeQuestions(24);
    const shared = new ObservedProvider(new MockProvider('shared', { mode: 'echo', latencyMs: 3 }));
    const providers: EngineProvider[] = [
      { label: 'a', provider: shared, settings: {} },
      { label: 'b', provider: shared, settings: {} },
    ];
    await run({ baseDir: dir, providers, concurrency: 4 });
    expect(shared.maxInFlight).toBe(4);
    expect(shared.requests).toHaveLength(48);
  });

  it('records time to first token in streaming mode only', async () => {
    const { dir } = await writeQuestions(5);
    const streamed = await run({ baseDir: dir, providers: [student(1, { latencyMs: 4 })], stream: true });
    const rows = streamed.store.results('run-1');
    expect(rows.every((row) => row.timeToFirstTokenMs !== null && row.timeToFirstTokenMs >= 3 && row.timeToFirstTokenMs <= (row.latencyMs ?? 0))).toBe(true);
    expect(rows.every((row) => row.passed === true)).toBe(true);
    expect(streamed.outcome.providers[0]?.timeToFirstTokenMs?.p50).toBeGreaterThanOrEqual(3);

    const whole = await run({ baseDir: dir, providers: [student(1)] });
    expect(whole.store.results('run-1').every((row) => row.timeToFirstTokenMs === null)).toBe(true);
  });

  it('counts a successful call as passed when there are no evaluators', async () => {
    const config = makeConfig({ dataset: { rows: [{ prompt: 'hi' }, { prompt: 'there' }] } });
    const { outcome, store } = await run({ baseDir: '.', config, providers: [mock('echo', {})] });
    expect(store.results('run-1').map((row) => [row.output, row.passed, row.scores])).toEqual([
      ['hi', true, []],
      ['there', true, []],
    ]);
    expect(outcome.providers[0]?.accuracy).toBe(1);
  });

  it('reports skipped invalid rows, and with onInvalidRow fail writes what it finished, then rejects', async () => {
    const lines = [...Array.from({ length: 5 }, (_, i) => JSON.stringify({ question: `q${i}`, answer: `a${i}` })), 'not json', JSON.stringify({ question: 'q', answer: 'a' })];
    const { dir } = await writeTempFile('cases.jsonl', lines.join('\n'));
    const seen: number[] = [];
    const skipped = await run({ baseDir: dir, providers: [student(1)], onInvalidRow: (row) => seen.push(row.line) });
    expect(seen).toEqual([6]);
    expect(skipped.outcome.totals).toMatchObject({ cases: 6, results: 6, invalidRows: 1 });

    const store = new MemoryStore();
    const failing = questionConfig({ dataset: { path: 'cases.jsonl', onInvalidRow: 'fail' } });
    await expect(run({ baseDir: dir, store, config: failing, providers: [student(1)], concurrency: 1 })).rejects.toThrow(DatasetError);
    expect(store.results('run-1')).toHaveLength(5);
  });

  it('rejects duplicate provider labels and a bad concurrency before doing any work', async () => {
    const { dir } = await writeQuestions(2);
    await expect(run({ baseDir: dir, providers: [student(1), student(1)] })).rejects.toThrow("two providers are labelled 'mock:student'");
    await expect(run({ baseDir: dir, providers: [student(1)], concurrency: 0 })).rejects.toThrow('run.concurrency: expected a positive integer, got 0.');
  });
});
