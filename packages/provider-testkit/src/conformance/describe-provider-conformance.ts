import {
  isProviderError,
  type GenerateRequest,
  type LanguageModelProvider,
  type ProviderError,
  type ProviderErrorKind,
  type StreamPart,
} from '@llm-lab/core';
import type * as JestGlobalsModule from '@jest/globals';
import type { FakeServerControl } from '../fake-server-control.js';
import { faults } from '../faults.js';
import { describeCapabilityConformance } from './describe-capability-conformance.js';

/** Which groups of checks to leave out, for a provider that cannot offer them. */
export interface ConformanceSkips {
  /** Leaves out the `streamGenerate` checks. */
  streaming?: boolean;
  /** Leaves out the error-classification checks that need injected faults. */
  faults?: boolean;
}

/** Options of {@link describeProviderConformance}. */
export interface ProviderConformanceOptions<Server extends FakeServerControl> {
  /** Shown in the `describe` title, e.g. `openai`. */
  name: string;
  /** Starts the provider's fake vendor server; it is closed after the suite. */
  startServer: () => Promise<Server>;
  /**
   * Makes the provider under test, pointed at the server, once for the whole suite. It must not
   * retry by itself (retries belong to LLM Lab's provider manager): set its retries to 0.
   */
  createProvider: (server: Server) => LanguageModelProvider;
  /** The text the provider returns for a prompt on the fake server's default responder. Default: the prompt (an echo). */
  expectedText?: (prompt: string) => string;
  skip?: ConformanceSkips;
}

type JestGlobals = typeof JestGlobalsModule;

const request = (prompt: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  messages: [{ role: 'user', content: prompt }],
  ...extra,
});

/** Runs `action` and returns the ProviderError it rejects with; fails when it resolves or throws something else. */
async function failureOf(action: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await action();
  } catch (error) {
    if (isProviderError(error)) return error;
    throw new Error(`Expected a ProviderError, but the call threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, {
      cause: error,
    });
  }
  throw new Error('Expected the call to fail with a ProviderError, but it succeeded.');
}

/**
 * Aborts `controller` once `server` has received a request, and so has taken the fault queued for
 * it. Aborting after a fixed delay could beat the request there on a busy machine, which would
 * then arrive later and take the fault queued for the next check.
 */
function abortOnceReceived(server: FakeServerControl, controller: AbortController): () => void {
  const watcher = setInterval(() => {
    if (server.requests.length > 0) {
      clearInterval(watcher);
      controller.abort();
    }
  }, 5);
  return () => clearInterval(watcher);
}

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

/**
 * Registers the LLM Lab provider conformance suite as jest tests (jest is imported here, lazily,
 * so the rest of the testkit works without it). Call it with top-level `await` in a test file:
 *
 * ```ts
 * await describeProviderConformance({
 *   name: 'openai',
 *   startServer: () => startFakeOpenAIServer(),
 *   createProvider: (server) => createOpenAI({ baseURL: server.url, apiKey: 'sk-test' }).chat('gpt-4o-mini'),
 * });
 * ```
 *
 * It checks generate, streamGenerate, batchGenerate, getModelInfo and estimateCost, and that
 * failures injected through the server's {@link FakeServerControl} are classified as the
 * contract says: 401 → authentication, 429 → rate-limit with retryAfterMs, 500 → server,
 * invalid JSON → invalid-response, a broken stream → invalid-response or network, an abort →
 * cancelled, a timeout → timeout, and an invalid setting → bad-request naming it.
 */
export async function describeProviderConformance<Server extends FakeServerControl>(
  options: ProviderConformanceOptions<Server>,
): Promise<void> {
  const jest: JestGlobals = await import('@jest/globals');
  const { describe, it, expect, beforeAll, afterAll, beforeEach } = jest;
  const expected = options.expectedText ?? ((prompt: string) => prompt);
  let server: Server;
  let provider: LanguageModelProvider;

  describe(`provider conformance: ${options.name}`, () => {
    beforeAll(async () => {
      server = await options.startServer();
      provider = options.createProvider(server);
    });
    afterAll(async () => {
      await provider?.close?.();
      await server?.close();
    });
    beforeEach(() => server.reset());

    describeCapabilityConformance(jest, { server: () => server, provider: () => provider });

    const expectKind = (error: ProviderError, kinds: ProviderErrorKind[]) => {
      expect(kinds).toContain(error.kind);
      expect(error.providerId).toBe(provider.id);
    };

    describe('generate', () => {
      it('returns the text, usage, latency, finish reason and provider id', async () => {
        const response = await provider.generate(request('the quick brown fox'));
        expect(response.text).toBe(expected('the quick brown fox'));
        expect(response.finishReason).toBe('stop');
        expect(response.providerId).toBe(provider.id);
        expect(typeof response.model).toBe('string');
        expect(response.model.length).toBeGreaterThan(0);
        expect(response.usage.inputTokens).toBeGreaterThan(0);
        expect(response.usage.outputTokens).toBeGreaterThan(0);
        expect(response.usage.totalTokens).toBe(response.usage.inputTokens + response.usage.outputTokens);
        expect(response.latencyMs).toBeGreaterThan(0);
        expect(Array.isArray(response.warnings)).toBe(true);
        expect(server.requests.length).toBe(1);
      });

      it('reports cost consistent with estimateCost (and none when the price is unknown)', async () => {
        const response = await provider.generate(request('price check'));
        expect(response.cost).toEqual(provider.estimateCost(response.usage));
      });

      it('throws bad-request naming an invalid setting, without calling the server', async () => {
        const error = await failureOf(() => provider.generate(request('hello', { temperature: 5 })));
        expect(error.kind).toBe('bad-request');
        expect(error.isRetryable).toBe(false);
        expect(error.message).toContain('temperature');
        expect(server.requests.length).toBe(0);
      });
    });

    if (!options.skip?.streaming) {
      describe('streamGenerate', () => {
        it('yields text deltas that add up to the final text, and ends with finish carrying usage and time to first token', async () => {
          const parts = await collect(provider.streamGenerate(request('one two three four five')));
          const deltas = parts.filter((part) => part.type === 'text-delta');
          expect(deltas.length).toBeGreaterThan(0);
          const last = parts[parts.length - 1];
          expect(last?.type).toBe('finish');
          if (last?.type !== 'finish') return;
          expect(deltas.map((part) => part.text).join('')).toBe(last.response.text);
          expect(last.response.text).toBe(expected('one two three four five'));
          expect(last.response.finishReason).toBe('stop');
          expect(last.response.usage.inputTokens).toBeGreaterThan(0);
          expect(last.response.usage.outputTokens).toBeGreaterThan(0);
          expect(last.response.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
          expect(last.response.timeToFirstTokenMs).toBeLessThanOrEqual(last.response.latencyMs);
          expect(last.response.providerId).toBe(provider.id);
          expect(parts.filter((part) => part.type === 'finish')).toHaveLength(1);
        });
      });
    }

    describe('batchGenerate', () => {
      it('keeps request order and reports a failed item without failing the batch', async () => {
        const prompts = ['first', 'second', 'third', 'fourth'];
        const results = await provider.batchGenerate(
          prompts.map((prompt, index) => request(prompt, index === 2 ? { temperature: 5 } : {})),
          { concurrency: 2 },
        );
        expect(results).toHaveLength(4);
        for (const index of [0, 1, 3]) {
          const result = results[index];
          expect(result?.ok).toBe(true);
          if (result?.ok) expect(result.response.text).toBe(expected(prompts[index] as string));
        }
        const failed = results[2];
        expect(failed?.ok).toBe(false);
        if (failed && !failed.ok) {
          expect(isProviderError(failed.error)).toBe(true);
          expect((failed.error as ProviderError).kind).toBe('bad-request');
        }
      });

      if (!options.skip?.faults) {
        it('reports a server-side failure of one item in its place', async () => {
          server.enqueueFault(faults.badRequest());
          const results = await provider.batchGenerate([request('alpha'), request('beta'), request('gamma')], { concurrency: 1 });
          expect(results.map((result) => result.ok)).toEqual([false, true, true]);
          const [first, second, third] = results;
          if (first && !first.ok) expect((first.error as ProviderError).kind).toBe('bad-request');
          if (second?.ok) expect(second.response.text).toBe(expected('beta'));
          if (third?.ok) expect(third.response.text).toBe(expected('gamma'));
        });
      }
    });

    describe('getModelInfo and estimateCost', () => {
      it('describes the model', () => {
        const info = provider.getModelInfo();
        expect(info.id).toBe(provider.id);
        expect(info.provider).toBe(provider.provider);
        expect(info.model).toBe(provider.model);
        expect(provider.id).toBe(`${provider.provider}:${provider.model}`);
        expect(Number.isInteger(info.contextWindow)).toBe(true);
        expect(info.contextWindow).toBeGreaterThan(0);
        for (const capability of ['streaming', 'batch', 'embeddings', 'logprobs', 'tools', 'jsonMode', 'vision'] as const) {
          expect(typeof info.capabilities[capability]).toBe('boolean');
        }
        if (info.pricing) {
          expect(info.pricing.inputPerMillion).toBeGreaterThanOrEqual(0);
          expect(info.pricing.outputPerMillion).toBeGreaterThanOrEqual(0);
        }
      });

      it('prices usage at the model prices', () => {
        const pricing = provider.getModelInfo().pricing;
        const cost = provider.estimateCost({ inputTokens: 1_000_000, outputTokens: 2_000_000, totalTokens: 3_000_000 });
        if (!pricing) {
          expect(cost).toBeUndefined();
          return;
        }
        expect(cost?.inputUsd).toBeCloseTo(pricing.inputPerMillion, 9);
        expect(cost?.outputUsd).toBeCloseTo(2 * pricing.outputPerMillion, 9);
        expect(cost?.totalUsd).toBeCloseTo(pricing.inputPerMillion + 2 * pricing.outputPerMillion, 9);
      });
    });

    if (!options.skip?.faults) {
      describe('error classification', () => {
        it('401 is authentication and not retryable', async () => {
          server.enqueueFault(faults.unauthorized());
          const error = await failureOf(() => provider.generate(request('hello')));
          expectKind(error, ['authentication']);
          expect(error.isRetryable).toBe(false);
          expect(error.statusCode).toBe(401);
        });

        it('429 is rate-limit, retryable, with the wait the server asked for', async () => {
          server.enqueueFault(faults.rateLimited({ retryAfterSeconds: 2 }));
          const error = await failureOf(() => provider.generate(request('hello')));
          expectKind(error, ['rate-limit']);
          expect(error.isRetryable).toBe(true);
          expect(error.statusCode).toBe(429);
          expect(error.retryAfterMs).toBe(2000);
        });

        it('500 is server and retryable', async () => {
          server.enqueueFault(faults.serverError());
          const error = await failureOf(() => provider.generate(request('hello')));
          expectKind(error, ['server']);
          expect(error.isRetryable).toBe(true);
          expect(error.statusCode).toBe(500);
        });

        it('a 200 with a body that is not JSON is invalid-response', async () => {
          server.enqueueFault(faults.invalidJson());
          const error = await failureOf(() => provider.generate(request('hello')));
          expectKind(error, ['invalid-response']);
        });

        if (!options.skip?.streaming) {
          it('a stream cut off before its end is an error, not a short answer', async () => {
            server.enqueueFault(faults.truncateStream(2));
            const error = await failureOf(() => collect(provider.streamGenerate(request('one two three four five six'))));
            expectKind(error, ['invalid-response', 'network']);
            expect(error.isRetryable).toBe(true);
          });

          it('aborting a stream is cancelled', async () => {
            server.enqueueFault(faults.hang());
            const controller = new AbortController();
            const stopWatching = abortOnceReceived(server, controller);
            const error = await failureOf(() => collect(provider.streamGenerate(request('hello'), { signal: controller.signal }))).finally(stopWatching);
            expectKind(error, ['cancelled']);
          });
        }

        it('aborting a call through its signal is cancelled and not retryable', async () => {
          server.enqueueFault(faults.hang());
          const controller = new AbortController();
          const stopWatching = abortOnceReceived(server, controller);
          const error = await failureOf(() => provider.generate(request('hello'), { signal: controller.signal })).finally(stopWatching);
          expectKind(error, ['cancelled']);
          expect(error.isRetryable).toBe(false);
        });

        it('a call that outlives timeoutMs is timeout and retryable', async () => {
          server.enqueueFault(faults.hang());
          const error = await failureOf(() => provider.generate(request('hello'), { timeoutMs: 150 }));
          expectKind(error, ['timeout']);
          expect(error.isRetryable).toBe(true);
        });
      });
    }
  });
}
