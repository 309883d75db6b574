import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { BaseProvider, mapConcurrent, ProviderError, type GenerateRequest, type GenerateResponse, type ModelInfo, type StreamPart } from '@llm-lab/core';
import { RequestWindow } from '@llm-lab/provider-testkit';
import { createProviderManager, type ManagerEvents, type ProviderGroupOptions } from '../src/index.js';
import { ask, closeServers, openaiAt, startServer } from './helpers.js';

afterEach(closeServers);

/**
 * A provider that answers at once, notes the (fake) clock at each call, and refuses calls past
 * `limit` per sliding `windowMs` with a rate-limit error, as a vendor (and the testkit's fake
 * servers, which use the same window) would.
 */
class WindowedProvider extends BaseProvider {
  readonly provider = 'windowed';
  readonly model = 'm';
  readonly calledAt: number[] = [];
  refused = 0;
  private readonly window: RequestWindow;
  private readonly startedAt = performance.now();

  constructor(private readonly options: { limit?: number; windowMs?: number; usedTokens?: number } = {}) {
    super();
    this.window = new RequestWindow(options.limit, options.windowMs);
  }

  generate(request: GenerateRequest): Promise<GenerateResponse> {
    const now = performance.now() - this.startedAt;
    this.calledAt.push(now);
    const wait = this.window.admit(now);
    if (wait !== undefined) {
      this.refused += 1;
      return Promise.reject(new ProviderError({ kind: 'rate-limit', providerId: this.id, statusCode: 429, retryAfterMs: wait, message: 'too many requests' }));
    }
    const text = request.messages.map((message) => message.content).join(' ');
    const totalTokens = this.options.usedTokens ?? 5;
    return Promise.resolve({
      text,
      finishReason: 'stop',
      usage: { inputTokens: totalTokens - 1, outputTokens: 1, totalTokens },
      latencyMs: 0,
      warnings: [],
      providerId: this.id,
      model: this.model,
    });
  }

  async *streamGenerate(): AsyncIterable<StreamPart> {
    throw new Error('not used');
  }

  getModelInfo(): ModelInfo {
    return {
      id: this.id,
      provider: this.provider,
      model: this.model,
      contextWindow: 1000,
      capabilities: { streaming: false, batch: false, embeddings: false, logprobs: false, tools: false, jsonMode: false, vision: false },
    };
  }
}

describe('the rate limiter’s schedule, on a fake clock', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  /** Starts `count` calls at once and lets `ms` of fake time pass; `answers` settles once they all have. */
  async function callsAfter(provider: WindowedProvider, settings: ProviderGroupOptions['providers'][number], count: number, ms: number, request = ask) {
    const manager = createProviderManager({ providers: [settings], cache: false });
    const managed = manager.get(provider.id);
    const calls = Promise.all(Array.from({ length: count }, (_, index) => managed.generate(request(`case ${index}`))));
    await jest.advanceTimersByTimeAsync(ms);
    return { answers: calls };
  }

  it('at the provider’s limit (20 a second): a call every 50 ms from the first, none refused', async () => {
    const provider = new WindowedProvider({ limit: 20, windowMs: 1000 });
    // No retries: a call the provider refused would fail the run.
    const { answers } = await callsAfter(provider, { provider, rateLimit: { rpm: 1200 }, retry: { maxAttempts: 1 } }, 60, 2950);
    // Each call starts as soon as the budget allows, and not earlier: 60 calls take 59 gaps of 50 ms.
    expect(provider.calledAt).toEqual(Array.from({ length: 60 }, (_, index) => index * 50));
    // So no sliding second ever saw more than 20 calls.
    expect(provider.refused).toBe(0);
    const responses = await answers;
    expect(responses.map((response) => response.text)).toEqual(Array.from({ length: 60 }, (_, index) => `case ${index}`));
  });

  it('a tokens-per-minute budget spaces calls out by the tokens they really used', async () => {
    // The estimate before a call is small (a short prompt + maxTokens 10); each answer reports 200
    // tokens, and that correction is what holds the next call back: 60,000 a minute = 200 tokens per 200 ms.
    const provider = new WindowedProvider({ usedTokens: 200 });
    const { answers } = await callsAfter(provider, { provider, rateLimit: { tpm: 60_000 } }, 4, 600, (text) => ask(text, { maxTokens: 10 }));
    expect(provider.calledAt).toEqual([0, 200, 400, 600]);
    expect((await answers).every((response) => response.usage.totalTokens === 200)).toBe(true);
  });
});

describe('rate limits against a fake server that enforces an RPM limit', () => {
  // Pacing (no call past the limit, none later than the budget allows) is checked on a fake clock
  // above. Over real HTTP on a busy machine a request can reach the server late and be refused;
  // what must hold is that the run still answers every case.
  it('a run at the provider’s limit finishes with every case answered', async () => {
    // The fake admits 20 requests per sliding 1-second window (1,200 per minute) and answers 429 + retry-after past it.
    const limit = 20;
    const windowMs = 1000;
    const server = await startServer({ rpmLimit: limit, rpmWindowMs: windowMs });
    const manager = createProviderManager({
      providers: [
        {
          provider: openaiAt(server),
          rateLimit: { rpm: (limit * 60_000) / windowMs },
          retry: { maxAttempts: 10, baseDelayMs: 20, maxDelayMs: 500, maxTotalMs: 30_000 },
        },
      ],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    const cases = 60;
    const results = await mapConcurrent(Array.from({ length: cases }, (_, index) => index), 64, async (index) => {
      try {
        return { ok: true as const, text: (await provider.generate(ask(`case ${index}`))).text };
      } catch (error) {
        return { ok: false as const, error };
      }
    });
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(results.map((result) => result.ok && result.text)).toEqual(Array.from({ length: cases }, (_, index) => `case ${index}`));
  });

  it('adaptive concurrency halves on 429 and the run still completes without failures', async () => {
    const server = await startServer({ rpmLimit: 10, rpmWindowMs: 500, latencyMs: 20 });
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), concurrency: { max: 32, adaptive: true }, retry: { maxAttempts: 20, baseDelayMs: 10, maxDelayMs: 200, maxTotalMs: 30_000 } }],
      cache: false,
    });
    const changes: Array<ManagerEvents['concurrency-change']> = [];
    manager.on('concurrency-change', (event) => changes.push(event));
    const provider = manager.get('openai:gpt-4o-mini');
    const responses = await mapConcurrent(Array.from({ length: 40 }, (_, index) => index), 32, (index) => provider.generate(ask(`n${index}`)));
    expect(responses.map((response) => response.text)).toEqual(Array.from({ length: 40 }, (_, index) => `n${index}`));
    expect(changes.length).toBeGreaterThan(0);
    expect(changes[0]?.limit).toBeLessThanOrEqual(16);
  });
});

describe('time waiting for a slot is queueMs, apart from the call’s latency', () => {
  it('8 calls at once through a concurrency of 1: each latency is its own call, and 7 of them queued', async () => {
    const server = await startServer({ latencyMs: 25 });
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), concurrency: { max: 1, adaptive: false } }], cache: false });
    const provider = manager.get('openai:gpt-4o-mini');
    const startedAt = performance.now();
    const responses = await Promise.all(Array.from({ length: 8 }, (_, index) => provider.generate(ask(`q${index}`))));
    const elapsedMs = performance.now() - startedAt;
    expect(server.stats.maxInFlight).toBe(1);
    // The calls ran one after another, so their latencies cannot add up to more than the whole
    // batch took; with the wait for the slot counted in, they would add up to about 4.5 times it.
    const latencies = responses.map((response) => response.latencyMs);
    expect(latencies.reduce((sum, latency) => sum + latency, 0)).toBeLessThanOrEqual(elapsedMs);
    const queued = responses.map((response) => response.queueMs ?? -1).sort((a, b) => a - b);
    expect(queued[0]).toBe(0);
    expect(queued.slice(1).every((queueMs) => queueMs > 0)).toBe(true);
    // The last call waited for the seven before it.
    expect(queued[7]).toBeGreaterThanOrEqual(latencies.sort((a, b) => a - b).slice(0, 7).reduce((sum, latency) => sum + latency, 0) * 0.9);
  });

  it('a wait for the requests-per-minute budget is queueMs too', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), rateLimit: { rpm: 600 } }], cache: false });
    const provider = manager.get('openai:gpt-4o-mini');
    const responses = await Promise.all(Array.from({ length: 3 }, (_, index) => provider.generate(ask(`r${index}`))));
    const queued = responses.map((response) => response.queueMs ?? -1).sort((a, b) => a - b);
    expect(queued[0]).toBe(0);
    // 600 per minute: one every 100 ms.
    expect(queued[2]).toBeGreaterThan(queued[1] as number);
    expect(queued[1]).toBeGreaterThan(0);
  });
});
