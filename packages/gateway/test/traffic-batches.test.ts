/**
 * The traffic record's default pace: what it hands to storage at once is bounded (each write is
 * prepared and copied in one piece of the event loop, a stall for calls arriving meanwhile), and a
 * record waits at most 100 ms for its write. Fake timers; the store only counts what it is given.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { NewRequest } from '@llm-lab/storage';
import { TrafficRecorder } from '../src/index.js';
import type { TrafficRecord } from '../src/hooks.js';

function call(index: number): TrafficRecord {
  return { time: Date.UTC(2033, 0, 1) + index, endpoint: 'chat.completions', route: 'fast', provider: 'openai:gpt-4o-mini', status: 200, latencyMs: 20, overheadMs: 0.3, cacheHit: false, stream: false };
}

describe('traffic record pace (defaults)', () => {
  let writes: number[];
  let recorder: TrafficRecorder;
  const store = {
    insertRequests: async (requests: NewRequest[]) => {
      writes.push(requests.length);
      return requests.length;
    },
  };

  beforeEach(() => {
    jest.useFakeTimers();
    writes = [];
  });
  afterEach(async () => {
    jest.useRealTimers();
    await recorder.close();
  });

  it('writes a burst in batches of at most 64, the first at once', async () => {
    recorder = new TrafficRecorder({ store, log: () => undefined });
    for (let index = 0; index < 150; index += 1) recorder.record(call(index));
    // The 64th record started a write; the rest wait for it and the timer.
    await jest.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([64]);
    await recorder.flush();
    expect(writes).toEqual([64, 64, 22]);
    expect(recorder.stats()).toEqual({ stored: 150, buffered: 0, dropped: 0, failedWrites: 0 });
  });

  it('writes a lone record within 100 ms, not later', async () => {
    recorder = new TrafficRecorder({ store, log: () => undefined });
    recorder.record(call(1));
    await jest.advanceTimersByTimeAsync(99);
    expect(writes).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([1]);
    // A steady trickle (one record every 10 ms) goes out ten at a time.
    for (let index = 0; index < 10; index += 1) {
      recorder.record(call(index));
      await jest.advanceTimersByTimeAsync(10);
    }
    expect(writes).toEqual([1, 10]);
  });
});
