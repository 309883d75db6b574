import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { faults, startFakeAnthropicServer, type FakeAnthropicServer } from '@llm-lab/provider-testkit';
import { isProviderError, type ProviderError } from '@llm-lab/core';
import { createAnthropic, type AnthropicChatModel } from '../src/index.js';

const API_KEY = 'sk-ant-batch-test-0123456789abcdefgh';
const ask = (content: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user' as const, content }], ...extra });

describe('batchGenerate on Message Batches', () => {
  let server: FakeAnthropicServer;
  let model: AnthropicChatModel;

  beforeAll(async () => {
    // Results appear 150 ms after creation, so the client must poll more than once.
    server = await startFakeAnthropicServer({ apiKey: API_KEY, batchProcessingMs: 150 });
    model = createAnthropic({ baseURL: server.url, apiKey: API_KEY, batch: { mode: 'api', pollIntervalMs: 20, maxPollIntervalMs: 50 } }).chat('claude-haiku-4-5');
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('creates one batch with a custom_id per request, polls until it ends, and maps reversed results back to request order', async () => {
    const results = await model.batchGenerate([ask('first one'), ask('second'), ask('third', { maxTokens: 12 })]);
    const create = server.requests.find((request) => request.method === 'POST');
    expect(create?.path).toBe('/v1/messages/batches');
    expect(create?.body).toEqual({
      requests: [
        { custom_id: 'request-0', params: { model: 'claude-haiku-4-5', max_tokens: 4096, messages: [{ role: 'user', content: 'first one' }] } },
        { custom_id: 'request-1', params: { model: 'claude-haiku-4-5', max_tokens: 4096, messages: [{ role: 'user', content: 'second' }] } },
        { custom_id: 'request-2', params: { model: 'claude-haiku-4-5', max_tokens: 12, messages: [{ role: 'user', content: 'third' }] } },
      ],
    });
    const polls = server.requests.filter((request) => request.method === 'GET' && /^\/v1\/messages\/batches\/msgbatch_[^/]+$/.test(request.path));
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(server.requests.some((request) => request.path.endsWith('/results'))).toBe(true);
    expect(results.map((result) => result.ok && result.response.text)).toEqual(['first one', 'second', 'third']);
    const [first] = results;
    if (!first?.ok) throw new Error('expected success');
    expect(first.response.rawId).toMatch(/^msg_/);
    // Message Batches cost half: 2 input and 2 output tokens at $1 / $5 per million, halved.
    expect(first.response.cost?.inputUsd).toBeCloseTo((2 * 1 * 0.5) / 1e6, 12);
    expect(first.response.cost?.outputUsd).toBeCloseTo((2 * 5 * 0.5) / 1e6, 12);
    expect(first.response.cost?.totalUsd).toBeCloseTo(model.estimateCost(first.response.usage)!.totalUsd / 2, 12);
  });

  it('reports requests refused before sending and errored items in their places', async () => {
    server.enqueueFault(faults.serverError());
    const results = await model.batchGenerate([
      ask('errored by the fault'),
      ask('invalid here', { temperature: 9 }),
      ask('fine'),
      ask('refused before sending', { providerOptions: { cacheSystemPrompt: 'yes' } }),
    ]);
    expect(results.map((result) => result.ok)).toEqual([false, false, true, false]);
    const kinds = results.map((result) => (!result.ok && isProviderError(result.error) ? (result.error as ProviderError).kind : undefined));
    expect(kinds).toEqual(['server', 'bad-request', undefined, 'bad-request']);
    const errored = results[0];
    if (errored && !errored.ok) {
      expect((errored.error as ProviderError).isRetryable).toBe(true);
      expect(errored.error.message).toContain('request-0');
    }
    // Only the two requests that built are in the batch.
    const create = server.requests.find((request) => request.method === 'POST');
    expect((create?.body as { requests: unknown[] }).requests).toHaveLength(2);
  });

  it('a failure of the batch call itself is reported for every submitted item', async () => {
    const wrong = createAnthropic({ baseURL: server.url, apiKey: 'sk-ant-wrong-0123456789abcdefgh', batch: { mode: 'api', pollIntervalMs: 20 } }).chat('claude-haiku-4-5');
    const results = await wrong.batchGenerate([ask('a'), ask('b')]);
    expect(results.every((result) => !result.ok && (result.error as ProviderError).kind === 'authentication')).toBe(true);
  });

  it('cancels the batch when the caller aborts, and when it outlives maxWaitMs', async () => {
    const slow = await startFakeAnthropicServer({ apiKey: API_KEY, batchProcessingMs: 60_000 });
    try {
      const batch = { mode: 'api' as const, pollIntervalMs: 20, maxPollIntervalMs: 40 };
      // A patient client for the abort, so a slow start on a busy machine cannot run into maxWaitMs first.
      const patient = createAnthropic({ baseURL: slow.url, apiKey: API_KEY, batch: { ...batch, maxWaitMs: 600_000 } }).chat('claude-haiku-4-5');
      const client = createAnthropic({ baseURL: slow.url, apiKey: API_KEY, batch: { ...batch, maxWaitMs: 200 } }).chat('claude-haiku-4-5');
      const controller = new AbortController();
      // Abort once the batch exists at Anthropic (a fixed delay can fire before it is created on a busy machine).
      const watcher = setInterval(() => {
        if (slow.batches.length > 0) {
          clearInterval(watcher);
          controller.abort();
        }
      }, 5);
      const aborted = await patient.batchGenerate([ask('a')], { signal: controller.signal });
      clearInterval(watcher);
      expect(aborted[0]?.ok).toBe(false);
      if (aborted[0] && !aborted[0].ok) expect((aborted[0].error as ProviderError).kind).toBe('cancelled');
      expect(slow.requests.filter((request) => request.path.endsWith('/cancel'))).toHaveLength(1);

      const timedOut = await client.batchGenerate([ask('b')]);
      if (timedOut[0] && !timedOut[0].ok) {
        expect((timedOut[0].error as ProviderError).kind).toBe('timeout');
        expect(timedOut[0].error.message).toContain('batch.maxWaitMs');
      } else throw new Error('expected a timeout');
      expect(slow.requests.filter((request) => request.path.endsWith('/cancel'))).toHaveLength(2);
      expect(slow.batches.every((batch) => batch.results?.every(({ result }) => result.type === 'canceled'))).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('records a created batch, leaves it running when stopped (keepOnAbort), and attaches to it by id without a second batch', async () => {
    server.setBatchProcessingMs(60_000);
    try {
      const controller = new AbortController();
      const recorded: Array<{ batchId: string; itemIds: string[] }> = [];
      const stopped = await model.batchGenerate([ask('one'), ask('two')], {
        itemIds: ['case-1', 'case-2'],
        keepOnAbort: true,
        signal: controller.signal,
        onSubmitted: (batchId, itemIds) => {
          recorded.push({ batchId, itemIds });
          controller.abort();
        },
      });
      expect(stopped.every((result) => !result.ok && isProviderError(result.error) && result.error.kind === 'cancelled')).toBe(true);
      expect(recorded).toEqual([{ batchId: server.batches[0]?.id, itemIds: ['case-1', 'case-2'] }]);
      expect(server.batches[0]?.requests.map((request) => request.custom_id)).toEqual(['case-1', 'case-2']);
      expect(server.batches[0]?.cancelInitiatedAt).toBeUndefined();

      server.setBatchProcessingMs(0);
      const attached = await model.batchGenerate([ask('two'), ask('three')], { batchId: recorded[0]!.batchId, itemIds: ['case-2', 'case-3'] });
      expect(attached[0]?.ok && attached[0].response.text).toBe('two');
      const missing = attached[1];
      expect(!missing?.ok && missing?.error.message).toContain('holds no request case-3');
      expect(server.batches).toHaveLength(1);
    } finally {
      server.setBatchProcessingMs(150);
    }
  });

  it('cancels the batch and fails every item when recording it fails', async () => {
    server.setBatchProcessingMs(60_000);
    try {
      const results = await model.batchGenerate([ask('a')], {
        onSubmitted: () => {
          throw new Error('the database is down');
        },
      });
      expect(!results[0]?.ok && results[0]?.error.message).toContain('the database is down');
      expect(server.batches[0]?.cancelInitiatedAt).toBeDefined();
    } finally {
      server.setBatchProcessingMs(150);
    }
  });

  it('by default sends ordinary Messages calls, as OpenAI does; a Message Batch only when asked', async () => {
    const concurrent = createAnthropic({ baseURL: server.url, apiKey: API_KEY }).chat('claude-haiku-4-5');
    const results = await concurrent.batchGenerate([ask('x'), ask('y'), ask('z')], { concurrency: 2 });
    expect(results.map((result) => result.ok && result.response.text)).toEqual(['x', 'y', 'z']);
    expect(server.requests.every((request) => request.path === '/v1/messages')).toBe(true);
    const [first] = results;
    if (first?.ok) expect(first.response.cost).toEqual(concurrent.estimateCost(first.response.usage));
    // The same model asked for the batch API per call, and `message-batches` in a config, submit a batch.
    server.reset();
    const asked = await concurrent.batchGenerate([ask('w')], { mode: 'api' });
    expect(asked.map((result) => result.ok && result.response.text)).toEqual(['w']);
    expect(server.requests.some((request) => request.path === '/v1/messages/batches')).toBe(true);
    const legacy = createAnthropic({ baseURL: server.url, apiKey: API_KEY, batch: { mode: 'message-batches', pollIntervalMs: 20 } }).chat('claude-haiku-4-5');
    server.reset();
    await legacy.batchGenerate([ask('v')]);
    expect(server.requests.some((request) => request.path === '/v1/messages/batches')).toBe(true);
  });
});
