import { afterEach, describe, expect, it } from '@jest/globals';
import { BaseProvider, type GenerateResponse, type ModelInfo, type StreamPart } from '@llm-lab/core';
import { faults } from '@llm-lab/provider-testkit';
import { createProviderManager } from '../src/index.js';
import { ask, chatRequests, closeServers, collect, FAST_RETRY, openaiAt, providerErrorOf, startServer } from './helpers.js';

afterEach(closeServers);

describe('broken answers are classified errors, within the timeout', () => {
  it.each([
    // One frame (the role, no text yet): nothing was delivered, so the stream can be retried.
    ['a truncated SSE stream', faults.truncateStream(1), 'network', true],
    ['a body that is not JSON', faults.invalidJson(), 'invalid-response', false],
  ])('%s → %s, retried to success when it is transient', async (_name, fault, kind, stream) => {
    const server = await startServer({ streamChunkDelayMs: 0 });
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: { ...FAST_RETRY, maxAttempts: 1 } }],
      cache: false,
    });
    const provider = manager.get('openai:gpt-4o-mini');
    server.enqueueFault(fault);
    const error = await providerErrorOf(async () =>
      stream ? collect(provider.streamGenerate(ask('one two three four five six seven eight'))) : provider.generate(ask('x')),
    );
    expect(error.kind).toBe(kind);
    expect(error.isRetryable).toBe(true);

    const retrying = createProviderManager({ providers: [{ provider: openaiAt(server), retry: FAST_RETRY }], cache: false });
    server.enqueueFault(fault);
    const retried = retrying.get('openai:gpt-4o-mini');
    const response = stream
      ? (await collect(retried.streamGenerate(ask('second time lucky')))).flatMap((part) => (part.type === 'finish' ? [part.response] : []))[0]
      : await retried.generate(ask('second time lucky'));
    expect(response?.text).toBe('second time lucky');
    expect(response?.attempts).toBe(2);
  });

  it('a hanging server → a timeout error at the configured timeoutMs, not later', async () => {
    const server = await startServer();
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), timeoutMs: 300, retry: { ...FAST_RETRY, maxAttempts: 1 } }],
      cache: false,
    });
    server.enqueueFault(faults.hang());
    const startedAt = performance.now();
    const error = await providerErrorOf(() => manager.get('openai:gpt-4o-mini').generate(ask('hello?')));
    expect(error.kind).toBe('timeout');
    // The policy's 300 ms fired, not the SDK's own 10 s (a busy machine may only notice it later).
    expect(error.message).toContain('300 ms');
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);
  });

  it('a hang is retried and the next attempt answers; the per-call timeoutMs wins over the policy', async () => {
    const server = await startServer();
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), timeoutMs: 60_000, retry: FAST_RETRY }],
      cache: false,
    });
    server.enqueueFault(faults.hang());
    const response = await manager.get('openai:gpt-4o-mini').generate(ask('eventually'), { timeoutMs: 250 });
    expect(response.text).toBe('eventually');
    expect(response.attempts).toBe(2);
    expect(chatRequests(server)).toBe(2);
  });

  it('passes the caller’s AbortSignal to the provider: aborting ends a hanging call as cancelled, without retries', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), retry: FAST_RETRY }], cache: false });
    server.enqueueFault(faults.hang());
    const controller = new AbortController();
    // Abort once the server holds the call (a fixed delay could fire before it arrives on a busy machine).
    const watcher = setInterval(() => {
      if (server.stats.inFlight > 0) {
        clearInterval(watcher);
        controller.abort();
      }
    }, 5);
    const error = await providerErrorOf(() => manager.get('openai:gpt-4o-mini').generate(ask('cancel'), { signal: controller.signal }));
    expect(error.kind).toBe('cancelled');
    expect(chatRequests(server)).toBe(1);
  });

  it('gives up on a provider that ignores its timeout (backstop), as a timeout', async () => {
    /** A provider that never settles and ignores timeoutMs and the signal. */
    class StuckProvider extends BaseProvider {
      readonly provider = 'stuck';
      readonly model = 'forever';
      generate(): Promise<GenerateResponse> {
        return new Promise(() => undefined);
      }
      async *streamGenerate(): AsyncIterable<StreamPart> {
        await new Promise(() => undefined);
      }
      getModelInfo(): ModelInfo {
        return {
          id: this.id,
          provider: this.provider,
          model: this.model,
          contextWindow: 1000,
          capabilities: { streaming: true, batch: false, embeddings: false, logprobs: false, tools: false, jsonMode: false, vision: false },
        };
      }
    }
    const manager = createProviderManager({ providers: [{ provider: new StuckProvider(), timeoutMs: 100, retry: { maxAttempts: 1 } }], cache: false });
    const error = await providerErrorOf(() => manager.get('stuck:forever').generate(ask('anyone?')));
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/did not answer within 100 ms and ignored its timeout/);
  });
});
