import { describe, expect, it } from '@jest/globals';
import { pollWithBackoff, sleepUnlessAborted } from '../src/index.js';

/** A fake clock: `sleep` moves it forward and records each wait. */
function fakeClock() {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
  };
}

describe('pollWithBackoff', () => {
  it('waits longer each poll, up to the longest wait, until the job is done', async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    const outcome = await pollWithBackoff({
      initial: 0,
      isDone: (polls) => polls >= 6,
      poll: async (polls) => polls + 1,
      onPoll: (polls) => seen.push(polls),
      pollIntervalMs: 100,
      maxPollIntervalMs: 300,
      maxWaitMs: 60_000,
      now: clock.now,
      sleep: clock.sleep,
    });
    expect(outcome).toEqual({ outcome: 'done', state: 6, waitedMs: 100 + 150 + 225 + 300 + 300 + 300 });
    expect(clock.waits).toEqual([100, 150, 225, 300, 300, 300]);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('gives up at maxWaitMs without waiting past it, and says so with the last state', async () => {
    const clock = fakeClock();
    const outcome = await pollWithBackoff({
      initial: 'in_progress',
      isDone: (status) => status === 'ended',
      poll: async () => 'in_progress',
      pollIntervalMs: 400,
      maxPollIntervalMs: 400,
      maxWaitMs: 1000,
      now: clock.now,
      sleep: clock.sleep,
    });
    expect(outcome).toEqual({ outcome: 'timed-out', state: 'in_progress', waitedMs: 1000 });
    expect(clock.waits).toEqual([400, 400, 200]);
  });

  it('stops at once when the signal aborts, without another poll', async () => {
    const controller = new AbortController();
    let polls = 0;
    const pending = pollWithBackoff({
      initial: 'running',
      isDone: () => false,
      poll: async (state) => {
        polls += 1;
        return state;
      },
      pollIntervalMs: 3_600_000,
      maxPollIntervalMs: 3_600_000,
      maxWaitMs: 86_400_000,
      signal: controller.signal,
    });
    controller.abort();
    const outcome = await pending;
    expect(outcome.outcome).toBe('aborted');
    expect(polls).toBe(0);
  });

  it('passes a failed poll through', async () => {
    const clock = fakeClock();
    await expect(
      pollWithBackoff({
        initial: 0,
        isDone: () => false,
        poll: async () => {
          throw new Error('HTTP 500 from the batch endpoint');
        },
        pollIntervalMs: 10,
        maxPollIntervalMs: 10,
        maxWaitMs: 100,
        now: clock.now,
        sleep: clock.sleep,
      }),
    ).rejects.toThrow('HTTP 500 from the batch endpoint');
  });

  it('sleepUnlessAborted resolves early on abort and never rejects', async () => {
    const controller = new AbortController();
    const waiting = sleepUnlessAborted(3_600_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
    await expect(sleepUnlessAborted(3_600_000, controller.signal)).resolves.toBeUndefined();
  });
});
