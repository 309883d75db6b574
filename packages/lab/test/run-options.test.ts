import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '@llm-lab/core';
import type { RunRecord } from '@llm-lab/storage';
import { resolveRunOptions } from '../src/index.js';

// The precedence table of docs/config.md ("Run options: where each value comes from").

const config = parseConfig({
  providers: ['mock:echo'],
  prompts: ['{{q}}'],
  dataset: { rows: [{ q: 'x' }] },
  run: { concurrency: 12, repeat: 3, limit: 50, timeoutMs: 20_000 },
}).config;

const stopped = (runOptions: unknown) => ({ id: 'run-1', resolvedConfig: { runOptions } }) as unknown as RunRecord;

describe('resolveRunOptions', () => {
  it("takes the config's run: block when nothing else is given", () => {
    expect(resolveRunOptions(config, {})).toEqual({ concurrency: 12, timeoutMs: 20_000, repeat: 3, limit: 50, stream: false, noCache: false, batch: false, batchSize: 1_000 });
  });

  it('lets flags win over the config', () => {
    expect(resolveRunOptions(config, { concurrency: 2, timeoutMs: 1_000, repeat: 1, limit: 5, stream: true, noCache: true })).toEqual({
      concurrency: 2,
      timeoutMs: 1_000,
      repeat: 1,
      limit: 5,
      stream: true,
      noCache: true,
      batch: false,
      batchSize: 1_000,
    });
  });

  it('takes batch from the flag, else run.batch; a resumed run keeps its own unless a flag says otherwise; a streaming batch run is refused', () => {
    const batched = { ...config, run: { ...config.run, batch: true, batchSize: 250 } };
    expect(resolveRunOptions(batched, {})).toMatchObject({ batch: true, batchSize: 250 });
    expect(resolveRunOptions(batched, { batch: false })).toMatchObject({ batch: false });
    expect(resolveRunOptions(config, { batch: true })).toMatchObject({ batch: true, batchSize: 1_000 });
    const previous = stopped({ repeat: 1, limit: null, stream: false, noCache: false, batch: true });
    expect(resolveRunOptions(config, {}, previous)).toMatchObject({ batch: true });
    expect(resolveRunOptions(config, { batch: false }, previous)).toMatchObject({ batch: false });
    // A run recorded before batch runs existed made ordinary calls.
    expect(resolveRunOptions(config, {}, stopped({ repeat: 1, limit: null, stream: false, noCache: false }))).toMatchObject({ batch: false });
    expect(() => resolveRunOptions(batched, { stream: true })).toThrow(/batch run cannot stream/);
  });

  it("on resume takes what the run recorded over the config, and the pace from the flags or the config", () => {
    const previous = stopped({ repeat: 2, limit: null, stream: true, noCache: false });
    expect(resolveRunOptions(config, { concurrency: 4 }, previous)).toEqual({ concurrency: 4, timeoutMs: 20_000, repeat: 2, limit: null, stream: true, noCache: false, batch: false, batchSize: 1_000 });
    expect(() => resolveRunOptions(config, { repeat: 5 }, previous)).toThrow(/--repeat 5 \(the run has --repeat 2\)/);
  });

  it('refuses a concurrency that is not a positive integer, naming where it came from', () => {
    expect(() => resolveRunOptions(config, { concurrency: 0 })).toThrow(/concurrency: expected a positive integer, got 0/);
  });
});
