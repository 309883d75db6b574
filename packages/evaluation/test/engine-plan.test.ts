import { describe, expect, it } from '@jest/globals';
import { MockProvider, type CallOptions, type GenerateRequest } from '@llm-lab/core';
import {
  CallSlots,
  COMPLETED_KEYS_WINDOW,
  executePlan,
  planRun,
  slicePlan,
  workItemCount,
  type EngineProvider,
  type NewResult,
} from '../src/index.js';
import { makeConfig, MemoryStore, writeQuestions } from './helpers.js';

// A run as plan → execute → record: the plan is plain JSON, and its slices together do exactly
// what executing it whole does.

const providers = (): EngineProvider[] => [
  { label: 'mock:student', provider: new MockProvider('student', { mode: 'field', field: 'answer', accuracy: 0.7, seed: 42 }), settings: {} },
  { label: 'mock:echo', provider: new MockProvider('echo', {}), settings: {} },
];

const config = makeConfig({
  dataset: { path: 'cases.jsonl' },
  prompts: ['Answer briefly: {{question}}', 'Q: {{question}}'],
  evaluators: [{ type: 'equals', value: '{{answer}}' }],
});

const comparable = ({ latencyMs: _latency, queueMs: _queue, timeToFirstTokenMs: _ttft, ...rest }: NewResult) => rest;
const sorted = (rows: NewResult[]) =>
  rows.map(comparable).sort((a, b) => a.caseIndex - b.caseIndex || a.providerId.localeCompare(b.providerId) || a.promptId.localeCompare(b.promptId) || a.repeat - b.repeat);

describe('planRun', () => {
  it('describes the work without holding it: a small JSON object that survives a round trip', async () => {
    const { dir } = await writeQuestions(250);
    const plan = await planRun({ runId: 'run-p', config, baseDir: dir, providers: ['mock:student', 'mock:echo'], repeat: 2, limit: 200 });
    expect(plan).toEqual({
      version: 1,
      runId: 'run-p',
      providers: ['mock:student', 'mock:echo'],
      prompts: ['prompt-1', 'prompt-2'],
      repeat: 2,
      limit: 200,
      cases: 200,
      stream: false,
      preparation: null,
    });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    expect(workItemCount(plan)).toBe(200 * 2 * 2 * 2);
    expect(slicePlan(plan, 3)).toEqual([
      { fromCase: 0, toCase: 67 },
      { fromCase: 67, toCase: 134 },
      { fromCase: 134, toCase: null },
    ]);
  });

  it('refuses providers with the same label and a repeat that is not a positive integer', async () => {
    const { dir } = await writeQuestions(3);
    await expect(planRun({ runId: 'r', config, baseDir: dir, providers: ['a', 'a'], repeat: 1 })).rejects.toThrow(/two providers are labelled 'a'/);
    await expect(planRun({ runId: 'r', config, baseDir: dir, providers: ['a'], repeat: 0 })).rejects.toThrow(/run.repeat: expected a positive integer, got 0/);
  });
});

describe('executePlan', () => {
  it('stores the same results from three slices as from the whole plan', async () => {
    const { dir } = await writeQuestions(90);
    const plan = await planRun({ runId: 'run-s', config, baseDir: dir, providers: ['mock:student', 'mock:echo'], repeat: 2 });
    const whole = new MemoryStore();
    const wholeOutcome = await executePlan({ plan, config, baseDir: dir, providers: providers(), store: whole, concurrency: 4 });
    expect(wholeOutcome).toMatchObject({ status: 'completed', cases: 90, executed: 720, written: 720 });

    const sliced = new MemoryStore();
    const outcomes = [];
    for (const slice of slicePlan(plan, 3)) {
      outcomes.push(await executePlan({ plan, slice, config, baseDir: dir, providers: providers(), store: sliced, concurrency: 3 }));
    }
    expect(outcomes.map((outcome) => outcome.cases)).toEqual([30, 30, 30]);
    expect(outcomes.map((outcome) => outcome.executed)).toEqual([240, 240, 240]);
    expect(sorted(sliced.results('run-s'))).toEqual(sorted(whole.results('run-s')));
  });

  it('on resume reads stored keys one window of cases at a time, and skips them', async () => {
    const cases = COMPLETED_KEYS_WINDOW * 2 + 10;
    const { dir } = await writeQuestions(cases);
    const plan = await planRun({ runId: 'run-w', config: makeConfig({ dataset: { path: 'cases.jsonl' } }), baseDir: dir, providers: ['mock:echo'], repeat: 1 });
    const store = new MemoryStore();
    const [firstHalf] = slicePlan(plan, 2);
    const only = [providers()[1] as EngineProvider];
    const planConfig = makeConfig({ dataset: { path: 'cases.jsonl' } });
    await executePlan({ plan, slice: firstHalf, config: planConfig, baseDir: dir, providers: only, store, concurrency: 8 });
    const ranges: Array<{ fromCase: number; toCase: number } | undefined> = [];
    const completedKeys = store.completedKeys.bind(store);
    store.completedKeys = async (runId, range) => {
      ranges.push(range);
      return completedKeys(runId, range);
    };
    const resumed = await executePlan({ plan, config: planConfig, baseDir: dir, providers: only, store, concurrency: 8, resume: true });
    const stored = firstHalf?.toCase as number;
    expect(stored).toBe(5_005);
    expect(resumed).toMatchObject({ cases, skipped: stored, executed: cases - stored });
    expect(ranges).toEqual([
      { fromCase: 0, toCase: COMPLETED_KEYS_WINDOW },
      { fromCase: COMPLETED_KEYS_WINDOW, toCase: 2 * COMPLETED_KEYS_WINDOW },
      { fromCase: 2 * COMPLETED_KEYS_WINDOW, toCase: 3 * COMPLETED_KEYS_WINDOW },
    ]);
    expect(store.results('run-w')).toHaveLength(cases);
  }, 120_000);

  it('refuses a plan whose case preparation it was not given, and a provider the plan needs', async () => {
    const { dir } = await writeQuestions(3);
    const plan = await planRun({ runId: 'run-x', config, baseDir: dir, providers: ['mock:student', 'mock:echo'], repeat: 1, preparation: 'suite:mmlu' });
    await expect(executePlan({ plan, config, baseDir: dir, providers: providers(), store: new MemoryStore(), concurrency: 1 })).rejects.toThrow(
      /prepares its cases with 'suite:mmlu'; give the same preparation/,
    );
    const unprepared = { ...plan, preparation: null };
    await expect(executePlan({ plan: unprepared, config, baseDir: dir, providers: providers().slice(0, 1), store: new MemoryStore(), concurrency: 1 })).rejects.toThrow(
      /needs provider 'mock:echo', which this process was not given/,
    );
  });
});

describe('slices executed at once in one process', () => {
  /** A provider answering after 5 ms that counts its calls in flight, and the most at once. */
  class CountingProvider extends MockProvider {
    inFlight = 0;
    most = 0;
    constructor() {
      super('counting', { latencyMs: 5 });
      const answer = this.generate.bind(this);
      this.generate = async (request: GenerateRequest, options?: CallOptions) => {
        this.inFlight++;
        this.most = Math.max(this.most, this.inFlight);
        try {
          return await answer(request, options);
        } finally {
          this.inFlight--;
        }
      };
    }
  }

  it('share their call slots: together no more calls in flight than the slots, and each says once when it has nothing left to start', async () => {
    const { dir } = await writeQuestions(60);
    const one = makeConfig({ dataset: { path: 'cases.jsonl' }, prompts: ['{{question}}'] });
    const plan = await planRun({ runId: 'run-slots', config: one, baseDir: dir, providers: ['mock:counting'], repeat: 1 });
    const counting = new CountingProvider();
    const store = new MemoryStore();
    const slots = new CallSlots(3);
    const drains: string[] = [];
    const [first, second] = slicePlan(plan, 2);
    const execute = (slice: typeof first, name: string) =>
      executePlan({ plan, slice, config: one, baseDir: dir, providers: [{ label: 'mock:counting', provider: counting, settings: {} }], store, concurrency: 3, slots, onDrain: () => drains.push(name) });
    const outcomes = await Promise.all([execute(first, 'first'), execute(second, 'second')]);
    expect(outcomes.map((outcome) => outcome.executed)).toEqual([30, 30]);
    expect(store.results('run-slots').every((result) => result.errorKind === null)).toBe(true);
    // Each slice alone would have had 3 in flight: 6 together without shared slots.
    expect(counting.most).toBe(3);
    expect(slots.taken).toBe(0);
    expect(drains.sort()).toEqual(['first', 'second']);
    expect(store.results('run-slots')).toHaveLength(60);
  });

  it('a resumed slice reads the stored keys of its own cases only', async () => {
    const { dir } = await writeQuestions(50);
    const one = makeConfig({ dataset: { path: 'cases.jsonl' } });
    const plan = await planRun({ runId: 'run-own', config: one, baseDir: dir, providers: ['mock:echo'], repeat: 1 });
    const store = new MemoryStore();
    const ranges: Array<{ fromCase: number; toCase: number } | undefined> = [];
    const completedKeys = store.completedKeys.bind(store);
    store.completedKeys = async (runId, range) => {
      ranges.push(range);
      return completedKeys(runId, range);
    };
    const echo = [providers()[1] as EngineProvider];
    const outcome = await executePlan({ plan, slice: { fromCase: 10, toCase: 20 }, config: one, baseDir: dir, providers: echo, store, concurrency: 2, resume: true });
    expect(outcome).toMatchObject({ cases: 10, executed: 10 });
    expect(ranges).toEqual([{ fromCase: 10, toCase: 20 }]);
  });
});
