import { describe, expect, it } from '@jest/globals';
import { abortOutcomeOf, startCallDeadline } from '../src/index.js';

const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

describe('startCallDeadline', () => {
  it('aborts the call signal and the deadline when the timeout passes, and reports a timeout', async () => {
    const call = startCallDeadline({}, 20);
    await aborted(call.signal);
    expect(call.deadline.aborted).toBe(true);
    expect(call.abortState()).toEqual({ signal: undefined, timedOut: true, timeoutMs: 20 });
    call.dispose();
  });

  it('takes the per-call timeout over the default', () => {
    const call = startCallDeadline({ timeoutMs: 1234 }, 600_000);
    expect(call.timeoutMs).toBe(1234);
    call.dispose();
  });

  it("aborts with the caller's reason when the caller cancels, without firing the deadline", async () => {
    const caller = new AbortController();
    const call = startCallDeadline({ signal: caller.signal }, 60_000);
    caller.abort(new Error('user pressed stop'));
    await aborted(call.signal);
    expect((call.signal.reason as Error).message).toBe('user pressed stop');
    expect(call.deadline.aborted).toBe(false);
    expect(call.abortState()).toMatchObject({ signal: caller.signal, timedOut: false });
    call.dispose();
  });

  it('starts aborted when the caller has already cancelled', () => {
    const caller = new AbortController();
    caller.abort();
    const call = startCallDeadline({ signal: caller.signal }, 60_000);
    expect(call.signal.aborted).toBe(true);
    call.dispose();
  });

  it("fires on the deadline while the caller's signal stays untouched", async () => {
    const caller = new AbortController();
    const call = startCallDeadline({ signal: caller.signal, timeoutMs: 20 }, 60_000);
    await aborted(call.signal);
    expect(call.deadline.aborted).toBe(true);
    expect(caller.signal.aborted).toBe(false);
    call.dispose();
  });

  it("after dispose, neither a late cancel nor the old deadline aborts the call", async () => {
    const caller = new AbortController();
    const call = startCallDeadline({ signal: caller.signal, timeoutMs: 20 }, 60_000);
    call.dispose();
    caller.abort();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(call.signal.aborted).toBe(false);
    expect(call.deadline.aborted).toBe(false);
    call.dispose();
  });
});

describe('abortOutcomeOf', () => {
  it('says cancelled when the caller aborted, even if the deadline fired too', () => {
    const caller = new AbortController();
    caller.abort();
    expect(abortOutcomeOf({ signal: caller.signal, timedOut: true, timeoutMs: 5 }, 'the server')).toEqual({
      kind: 'cancelled',
      what: 'the call was cancelled before it finished.',
    });
  });

  it('says timeout, naming the server and the limit, when only the deadline fired', () => {
    expect(abortOutcomeOf({ timedOut: true, timeoutMs: 5000 }, 'Ollama at http://127.0.0.1:11434')).toEqual({
      kind: 'timeout',
      what: 'Ollama at http://127.0.0.1:11434 did not finish answering within 5000 ms.',
    });
    expect(abortOutcomeOf({ timedOut: true }, 'the OpenAI API')?.what).toBe('the OpenAI API did not finish answering.');
  });

  it('is undefined for a call that was not stopped', () => {
    expect(abortOutcomeOf({ signal: new AbortController().signal, timedOut: false }, 'x')).toBeUndefined();
  });
});
