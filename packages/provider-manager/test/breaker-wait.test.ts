import { afterEach, describe, expect, it } from '@jest/globals';
import type { GenerateResponse, ProviderError } from '@llm-lab/core';
import type { FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { createProviderManager, type ManagerEvents } from '../src/index.js';
import { ask, chatRequests, closeServers, collect, openaiAt, providerErrorOf, startServer } from './helpers.js';

afterEach(closeServers);

/**
 * A fake OpenAI server whose answers fail (500) while `down` is true, and echo the question
 * otherwise, counting both: a fault burst the test starts and ends when it chooses to.
 */
async function burstServer(): Promise<{ server: FakeOpenAIServer; state: { down: boolean; failed: number; answered: number } }> {
  const server = await startServer();
  const state = { down: false, failed: 0, answered: 0 };
  server.setResponder((body) => {
    if (state.down) {
      state.failed += 1;
      throw new Error('a burst of server errors');
    }
    state.answered += 1;
    const messages = body.messages as Array<{ content: string }>;
    return (messages[messages.length - 1] as { content: string }).content;
  });
  return { server, state };
}

const RETRY = { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 20, maxTotalMs: 30_000 };

/** The breaker's states as events report them, and how many requests reached the server while it was half-open. */
function watchBreaker(manager: ReturnType<typeof createProviderManager>, server: FakeOpenAIServer, onChange: (event: ManagerEvents['breaker-state-change']) => void = () => undefined) {
  const states: string[] = [];
  const halfOpenRequests: number[] = [];
  let requestsAtHalfOpen = 0;
  manager.on('breaker-state-change', (event) => {
    states.push(event.to);
    if (event.to === 'half-open') requestsAtHalfOpen = chatRequests(server);
    if (event.from === 'half-open') halfOpenRequests.push(chatRequests(server) - requestsAtHalfOpen);
    onChange(event);
  });
  return { states, halfOpenRequests };
}

const questions = (count: number) => Array.from({ length: count }, (_, index) => ask(`case ${index}`));

/** One answered call, then the burst starts: the provider has worked in this run. */
async function answerOnceThenFail(provider: { generate: (request: ReturnType<typeof ask>) => Promise<GenerateResponse> }, state: { down: boolean }) {
  expect((await provider.generate(ask('warm-up'))).text).toBe('warm-up');
  state.down = true;
}

describe('a call with no fallback waits for the open breaker within its retry budget', () => {
  it('a fault burst opens the breaker; all 300 cases are answered after the cooldown, through one probe', async () => {
    const { server, state } = await burstServer();
    const manager = createProviderManager({
      // A cooldown long enough for requests sent before the breaker opened to have reached the server, even on a busy machine.
      providers: [{ provider: openaiAt(server), retry: RETRY, breaker: { failureThreshold: 5, cooldownMs: 2_000 } }],
      cache: false,
    });
    // The burst ends when the breaker opens: what matters is what the calls do while it is open.
    const { states, halfOpenRequests } = watchBreaker(manager, server, (event) => {
      if (event.to === 'open') state.down = false;
    });
    const provider = manager.get('openai:gpt-4o-mini');
    await answerOnceThenFail(provider, state);

    const items = await provider.batchGenerate(questions(300), { concurrency: 8 });

    const errors = items.filter((item) => !item.ok);
    expect(errors.map((item) => (item.ok ? '' : item.error.message)).slice(0, 3)).toEqual([]);
    items.forEach((item, index) => expect(item.ok && item.response.text).toBe(`case ${index}`));
    expect(states).toEqual(['open', 'half-open', 'closed']);
    // One probe went through while half-open; everyone else waited for its outcome.
    expect(halfOpenRequests).toEqual([1]);
    expect(state.answered).toBe(1 + 300);
    // 5 consecutive failures opened it; at most the other 7 calls in flight then failed too.
    expect(state.failed).toBeGreaterThanOrEqual(5);
    expect(state.failed).toBeLessThanOrEqual(12);
    expect(chatRequests(server)).toBe(state.failed + state.answered);
    // Every request the server saw (but the warm-up) is an attempt of some answer.
    const attempts = items.reduce((sum, item) => sum + (item.ok ? (item.response.attempts ?? 0) : 0), 0);
    expect(attempts).toBe(chatRequests(server) - 1);
  });

  it('a failed probe opens it again: the waiting calls wait for the next probe, which succeeds', async () => {
    const { server, state } = await burstServer();
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: RETRY, breaker: { failureThreshold: 5, cooldownMs: 600 } }],
      cache: false,
    });
    let opened = 0;
    // The first probe still meets the burst; it ends when the breaker opens the second time.
    const { states, halfOpenRequests } = watchBreaker(manager, server, (event) => {
      if (event.to === 'open' && ++opened === 2) state.down = false;
    });
    const provider = manager.get('openai:gpt-4o-mini');
    await answerOnceThenFail(provider, state);

    const items = await provider.batchGenerate(questions(100), { concurrency: 8 });

    expect(items.filter((item) => !item.ok)).toEqual([]);
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    expect(halfOpenRequests).toEqual([1, 1]);
    expect(state.answered).toBe(1 + 100);
  });

  it('a streamed call waits too, then streams the answer', async () => {
    const { server, state } = await burstServer();
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: { ...RETRY, maxAttempts: 1 }, breaker: { failureThreshold: 1, cooldownMs: 100 } }],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    await answerOnceThenFail(provider, state);
    const opening = await providerErrorOf(() => provider.generate(ask('opens it')));
    expect(opening.kind).toBe('server');
    state.down = false;
    const parts = await collect(provider.streamGenerate(ask('streamed after the cooldown')));
    const finish = parts[parts.length - 1] as { type: 'finish'; response: GenerateResponse };
    expect(finish.response.text).toBe('streamed after the cooldown');
    expect(finish.response.attempts).toBe(1);
    expect(finish.response.queueMs).toBeGreaterThan(0);
    expect(chatRequests(server)).toBe(3);
  });

  it('when the cooldown does not fit in the retry budget, calls fail with the circuit-open error without waiting', async () => {
    const { server, state } = await burstServer();
    const manager = createProviderManager({
      // A minute's cooldown, two seconds of budget: waiting cannot help (the test's timeout would catch a wait).
      providers: [{ provider: openaiAt(server), retry: { ...RETRY, maxTotalMs: 2_000 }, breaker: { failureThreshold: 5, cooldownMs: 60_000 } }],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    await answerOnceThenFail(provider, state);
    const items = await provider.batchGenerate(questions(300), { concurrency: 8 });

    expect(items.every((item) => !item.ok)).toBe(true);
    const open = items.flatMap((item) => (!item.ok && (item.error as ProviderError).vendorCode === 'circuit_open' ? [item.error as ProviderError] : []));
    // Each case either met the open breaker at once or retried into it.
    expect(open).toHaveLength(300);
    expect(open[open.length - 1]?.message).toMatch(/^circuit open for openai:gpt-4o-mini after 5 consecutive failures; retrying in (59|60) s\. .*retry\.maxTotalMs/);
    // Calls refused before they made any attempt say so.
    expect(open[open.length - 1]?.attempts).toBe(0);
    expect(chatRequests(server)).toBe(1 + state.failed);
    expect(state.failed).toBeLessThanOrEqual(12);
  }, 20_000);

  it('a provider down for longer than the retry budget: later calls fail at once instead of waiting again', async () => {
    const { server, state } = await burstServer();
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: { ...RETRY, maxTotalMs: 1_500 }, breaker: { failureThreshold: 1, cooldownMs: 1_000 } }],
      cache: false,
    });
    const { states } = watchBreaker(manager, server);
    const provider = manager.get('openai:gpt-4o-mini');
    await answerOnceThenFail(provider, state);
    // Opens the breaker, waits for the probe a second later (it fits in 1.5 s), which fails.
    const first = await providerErrorOf(() => provider.generate(ask('first')));
    expect(first.vendorCode).toBe('circuit_open');
    expect(first.attempts).toBe(2);
    expect(states).toEqual(['open', 'half-open', 'open']);
    // The next probe is another second away: within this call's own budget, but the outage would
    // then have lasted longer than one budget. It fails at once; the breaker stays open.
    const second = await providerErrorOf(() => provider.generate(ask('second')));
    expect(second.vendorCode).toBe('circuit_open');
    expect(second.attempts).toBe(0);
    expect(states).toEqual(['open', 'half-open', 'open']);
    expect(chatRequests(server)).toBe(1 + 2);
  }, 20_000);

  it('a provider that never answered (down, or a wrong URL) does not make calls wait: they fail at once', async () => {
    const { server, state } = await burstServer();
    state.down = true;
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: { ...RETRY, maxTotalMs: 120_000 }, breaker: { failureThreshold: 5, cooldownMs: 60_000 } }],
      cache: false,
    });
    const { states } = watchBreaker(manager, server);
    const items = await manager.get('openai:gpt-4o-mini').batchGenerate(questions(50), { concurrency: 8 });
    expect(items.every((item) => !item.ok && (item.error as ProviderError).vendorCode === 'circuit_open')).toBe(true);
    expect(states).toEqual(['open']);
    expect(chatRequests(server)).toBeLessThanOrEqual(12);
  }, 20_000);

  it('a call waiting for the breaker is cancelled by its signal', async () => {
    const { server, state } = await burstServer();
    const manager = createProviderManager({
      providers: [
        { provider: openaiAt(server), retry: { ...RETRY, maxAttempts: 1, maxTotalMs: 120_000 }, breaker: { failureThreshold: 1, cooldownMs: 60_000 } },
      ],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    await answerOnceThenFail(provider, state);
    await providerErrorOf(() => provider.generate(ask('opens it')));
    const controller = new AbortController();
    const waiting = providerErrorOf(() => provider.generate(ask('waits'), { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('stop')), 20);
    const error = await waiting;
    expect(error.kind).toBe('cancelled');
    expect(error.attempts).toBe(0);
    expect(chatRequests(server)).toBe(2);
  }, 20_000);
});
