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
    expect(resolveRunOptions(config, {})).toEqual({ concurrency: 12, timeoutMs: 20_000, repeat: 3, limit: 50, stream: false, noCache: false });
  });

  it('lets flags win over the config', () => {
    expect(resolveRunOptions(config, { concurrency: 2, timeoutMs: 1_000, repeat: 1, limit: 5, stream: true, noCache: true })).toEqual({
      concurrency: 2,
      timeoutMs: 1_000,
      repeat: 1,
      limit: 5,
      stream: true,
      noCache: true,
    });
  });

  it("on resume takes what the run recorded over the config, and the pace from the flags or the config", () => {
    const previous = stopped({ repeat: 2, limit: null, stream: true, noCache: false });
    expect(resolveRunOptions(config, { concurrency: 4 }, previous)).toEqual({ concurrency: 4, timeoutMs: 20_000, repeat: 2, limit: null, stream: true, noCache: false });
    expect(() => resolveRunOptions(config, { repeat: 5 }, previous)).toThrow(/--repeat 5 \(the run has --repeat 2\)/);
  });

  it('refuses a concurrency that is not a positive integer, naming where it came from', () => {
    expect(() => resolveRunOptions(config, { concurrency: 0 })).toThrow(/concurrency: expected a positive integer, got 0/);
  });
});
