import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, jest } from '@jest/globals';
import { faults } from '@llm-lab/provider-testkit';
import { createProviderManager, type ManagerCacheInput, type ManagerEvents, type ResponseCache } from '../src/index.js';
import { ask, chatRequests, closeServers, collect, FAST_RETRY, freezeDate, openaiAt, providerErrorOf, startServer } from './helpers.js';

afterEach(closeServers);
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A cache whose every operation fails, as a full disk would. */
function failingCache(): ResponseCache {
  const fail = () => Promise.reject(new Error('disk full'));
  return { name: 'failing', get: fail, set: fail, delete: fail, clear: fail, close: async () => undefined };
}

const kinds: Array<[string, () => Promise<ManagerCacheInput>]> = [
  ['memory', async () => ({ kind: 'memory' })],
  [
    'disk',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'llm-lab-manager-cache-'));
      dirs.push(dir);
      return { kind: 'disk', dir };
    },
  ],
  ['redis', async () => ({ kind: 'redis', url: REDIS_URL, keyPrefix: `llm-lab-test:${randomBytes(6).toString('hex')}:` })],
];

describe.each(kinds)('the manager with a %s cache', (_kind, settings) => {
  it('answers a repeated request from the cache, marked cached, without calling the server', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [openaiAt(server)], cache: await settings() });
    const hits: Array<ManagerEvents['cache-hit']> = [];
    manager.on('cache-hit', (event) => hits.push(event));
    const provider = manager.get('openai:gpt-4o-mini');
    try {
      const first = await provider.generate(ask('cache me', { temperature: 0 }));
      expect(first).toMatchObject({ text: 'cache me', cached: false, attempts: 1, answeredBy: 'openai:gpt-4o-mini' });
      const second = await provider.generate(ask('cache me', { temperature: 0, context: { caseId: 'another case', runId: 'run 2' } }));
      expect(second).toMatchObject({ text: 'cache me', cached: true, attempts: 0, answeredBy: 'openai:gpt-4o-mini', usage: first.usage });
      expect(chatRequests(server)).toBe(1);
      expect(hits).toHaveLength(1);

      // Another repeat index is another sample; another setting is another request.
      await provider.generate(ask('cache me', { temperature: 0, context: { repeat: 1 } }));
      await provider.generate(ask('cache me', { temperature: 1 }));
      expect(chatRequests(server)).toBe(3);
      expect((await provider.generate(ask('cache me', { temperature: 0, context: { repeat: 1 } }))).cached).toBe(true);

      // A streamed call is replayed from the cache as text parts.
      const parts = await collect(provider.streamGenerate(ask('cache me', { temperature: 0 })));
      expect(parts.filter((part) => part.type === 'text-delta').map((part) => (part.type === 'text-delta' ? part.text : '')).join('')).toBe('cache me');
      expect(parts.at(-1)).toMatchObject({ type: 'finish', response: { cached: true, text: 'cache me' } });
      expect(chatRequests(server)).toBe(3);

      // bypass neither reads nor writes; refresh calls again and stores.
      expect((await provider.generate(ask('cache me', { temperature: 0 }), { cache: 'bypass' })).cached).toBe(false);
      expect((await provider.generate(ask('cache me', { temperature: 0 }), { cache: 'refresh' })).cached).toBe(false);
      expect(chatRequests(server)).toBe(5);
    } finally {
      await manager.cache?.clear();
      await manager.close();
    }
  });

  it('replays a cached answer with tool calls as a live stream of it would have: deltas, then each call complete', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [openaiAt(server)], cache: { kind: 'memory' } });
    const provider = manager.get('openai:gpt-4o-mini');
    const tools = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    const calls = [
      { id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { id: 'call_b', name: 'get_weather', arguments: '{"city":"Lima"}' },
    ];
    try {
      server.enqueueReply({ toolCalls: calls });
      expect((await provider.generate(ask('weather?', { tools }))).toolCalls).toEqual(calls);
      const parts = await collect(provider.streamGenerate(ask('weather?', { tools })));
      expect(chatRequests(server)).toBe(1);
      expect(parts.filter((part) => part.type === 'tool-call-delta').map((part) => (part.type === 'tool-call-delta' ? [part.index, part.id, part.argumentsDelta] : []))).toEqual([
        [0, 'call_a', '{"city":"Oslo"}'],
        [1, 'call_b', '{"city":"Lima"}'],
      ]);
      expect(parts.filter((part) => part.type === 'tool-call').map((part) => (part.type === 'tool-call' ? part.toolCall : undefined))).toEqual(calls);
      expect(parts.at(-1)).toMatchObject({ type: 'finish', response: { cached: true, toolCalls: calls, finishReason: 'tool-calls' } });
    } finally {
      await manager.close();
    }
  });

  it('never caches an error', async () => {
    const server = await startServer();
    const manager = createProviderManager({
      providers: [{ provider: openaiAt(server), retry: { ...FAST_RETRY, maxAttempts: 1 } }],
      cache: await settings(),
    });
    const provider = manager.get('openai:gpt-4o-mini');
    try {
      server.enqueueFault(faults.serverError());
      await providerErrorOf(() => provider.generate(ask('fails once')));
      const response = await provider.generate(ask('fails once'));
      expect(response).toMatchObject({ text: 'fails once', cached: false });
      expect(chatRequests(server)).toBe(2);
    } finally {
      await manager.cache?.clear();
      await manager.close();
    }
  });
});

describe('cache policy', () => {
  it('expires entries after the provider’s ttlMs', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), cache: { ttlMs: 100 } }] });
    const provider = manager.get('openai:gpt-4o-mini');
    // The clock moves only when told to, so the entry cannot expire early on a busy machine.
    freezeDate();
    try {
      await provider.generate(ask('short-lived'));
      jest.setSystemTime(Date.now() + 50);
      expect((await provider.generate(ask('short-lived'))).cached).toBe(true);
      jest.setSystemTime(Date.now() + 100);
      expect((await provider.generate(ask('short-lived'))).cached).toBe(false);
    } finally {
      jest.useRealTimers();
    }
    expect(chatRequests(server)).toBe(2);
  });

  it('a disk cache persists between managers (runs)', async () => {
    const server = await startServer();
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-manager-disk-'));
    dirs.push(dir);
    const first = createProviderManager({ providers: [openaiAt(server)], cache: { kind: 'disk', dir } });
    await first.get('openai:gpt-4o-mini').generate(ask('remember me'));
    await first.close();
    const second = createProviderManager({ providers: [openaiAt(server)], cache: { kind: 'disk', dir } });
    expect((await second.get('openai:gpt-4o-mini').generate(ask('remember me'))).cached).toBe(true);
    await second.close();
    expect(chatRequests(server)).toBe(1);
  });

  it('a cache that fails is a miss and an event, never a failed call', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [openaiAt(server)], cache: failingCache() });
    const errors: Array<ManagerEvents['cache-error']> = [];
    manager.on('cache-error', (event) => errors.push(event));
    const response = await manager.get('openai:gpt-4o-mini').generate(ask('still answered'));
    expect(response.text).toBe('still answered');
    await new Promise((done) => setImmediate(done));
    expect(errors.map((event) => event.operation).sort()).toEqual(['get', 'set']);
    expect(errors[0]?.error).toEqual(new Error('disk full'));
  });

  it('a provider with cache disabled is never cached', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), cache: { enabled: false } }], singleFlight: false });
    const provider = manager.get('openai:gpt-4o-mini');
    await provider.generate(ask('fresh'));
    expect((await provider.generate(ask('fresh'))).cached).toBe(false);
    expect(chatRequests(server)).toBe(2);
  });
});

describe('the persistent cache and the server behind a provider id', () => {
  it('does not serve an answer of one server to the same id pointed at another server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-manager-cache-'));
    dirs.push(dir);
    const first = await startServer();
    const second = await startServer();
    const ask0 = ask('which server?', { temperature: 0 });
    const before = createProviderManager({ providers: [openaiAt(first)], cache: { kind: 'disk', dir } });
    try {
      expect((await before.get('openai:gpt-4o-mini').generate(ask0)).cached).toBe(false);
      expect((await before.get('openai:gpt-4o-mini').generate(ask0)).cached).toBe(true);
    } finally {
      await before.close();
    }
    // Same label, same request, another baseURL (a config edited between runs): the new server answers.
    const after = createProviderManager({ providers: [openaiAt(second)], cache: { kind: 'disk', dir } });
    try {
      expect((await after.get('openai:gpt-4o-mini').generate(ask0)).cached).toBe(false);
      expect(chatRequests(second)).toBe(1);
      // A G-Eval judge asking for log-probabilities is not given the answer cached without them.
      expect((await after.get('openai:gpt-4o-mini').generate({ ...ask0, logprobs: 0 })).cached).toBe(false);
      expect(chatRequests(second)).toBe(2);
    } finally {
      await after.close();
    }
  });
});
