/**
 * Virtual keys, limits, budgets and the traffic record in front of the real gateway, called
 * through the official OpenAI SDK, with keys and traffic in PostgreSQL and limits in Redis.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import pg from 'pg';
import { openStorage, type Storage } from '@llm-lab/storage';
import { createAccessHooks, generateVirtualKey, type AccessHooks } from '../src/index.js';
import { startHarness, type Harness } from './helpers.js';
import { POSTGRES_URL, REDIS_URL, redisPrefix, STORAGE_TIMEOUT_MS } from './storage-helpers.js';

const schema = `llm_lab_gw_e2e_${randomBytes(4).toString('hex')}`;
const hi = [{ role: 'user' as const, content: 'hello' }];

describe('access hooks in front of the gateway', () => {
  let storage: Storage;
  let hooks: AccessHooks;
  let h: Harness;

  beforeAll(async () => {
    storage = await openStorage({ url: POSTGRES_URL, schema });
    hooks = createAccessHooks({ storage, redis: REDIS_URL, redisPrefix: redisPrefix('e2e'), keyMissRefreshMs: 0, spendFlushMs: 0, traffic: { flushMs: 0 }, log: () => undefined });
    h = await startHarness({ hooks });
  }, STORAGE_TIMEOUT_MS);
  afterAll(async () => {
    await h?.close();
    await storage?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  }, STORAGE_TIMEOUT_MS);

  async function newKey(name: string, limits: { budgetUsd?: number; rpm?: number; models?: string[] } = {}) {
    const made = generateVirtualKey();
    const key = await storage.createKey({ name, keyHash: made.hash, prefix: made.prefix, ...limits });
    return { ...key, client: new OpenAI({ baseURL: `${h.gateway.url}/v1`, apiKey: made.key, maxRetries: 0 }) };
  }
  /** Waits (by turns of the event loop, not by time) until the gateway has handed `count` calls to the traffic record. */
  async function recorded(count: number): Promise<void> {
    const seen = () => hooks.stats().traffic.stored + hooks.stats().traffic.buffered;
    for (let turn = 0; turn < 10_000 && seen() < count; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(seen()).toBeGreaterThanOrEqual(count);
  }

  it('answers a bad key 401 and a model the key may not use 403, as the OpenAI SDK expects', async () => {
    const stranger = new OpenAI({ baseURL: `${h.gateway.url}/v1`, apiKey: 'sk-not-a-gateway-key', maxRetries: 0 });
    const unauthorised = await stranger.chat.completions.create({ model: 'gpt', messages: hi }).catch((error: unknown) => error);
    expect(unauthorised).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((unauthorised as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');

    const narrow = await newKey('narrow', { models: ['gpt'] });
    expect((await narrow.client.chat.completions.create({ model: 'gpt', messages: hi })).choices[0]?.message.content).toBe('hello');
    const forbidden = await narrow.client.chat.completions.create({ model: 'claude', messages: hi }).catch((error: unknown) => error);
    expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((forbidden as Error).message).toContain('The key "narrow" may not use model "claude"; it may use: gpt.');

    await storage.revokeKey(narrow.id);
    // keyMissRefreshMs 0 does not make a known key stale: a revocation waits for the TTL (5 s), so read again now.
    const revokedHooks = createAccessHooks({ storage, keyTtlMs: 0, spendFlushMs: 0, traffic: { flushMs: 0 }, log: () => undefined });
    try {
      expect(await revokedHooks.authenticate({ authorization: `Bearer ${narrow.client.apiKey}`, model: 'gpt', endpoint: 'chat.completions' })).toMatchObject({ status: 401 });
    } finally {
      await revokedHooks.close();
    }
  });

  it("names the route and the key in the source of the manager's events (whole and streamed calls)", async () => {
    const team = await newKey('team a/b');
    const sources: Array<string | undefined> = [];
    const stop = h.lab.observe({ 'request-end': (event) => void sources.push(event.source) });
    try {
      await team.client.chat.completions.create({ model: 'gpt', messages: hi });
      for await (const chunk of await team.client.chat.completions.create({ model: 'gpt', messages: hi, stream: true })) void chunk;
    } finally {
      stop();
    }
    expect(sources).toEqual(['gateway:gpt?key=team%20a%2Fb', 'gateway:gpt?key=team%20a%2Fb']);
  });

  it('lists to each key only the models it may use, and refuses GET /v1/models without a valid key', async () => {
    const stranger = new OpenAI({ baseURL: `${h.gateway.url}/v1`, apiKey: 'sk-not-a-gateway-key', maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const anonymous = await fetch(`${h.gateway.url}/v1/models`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');

    // A key's models may name a route by its label or its provider id.
    const lister = await newKey('lister', { models: ['claude', 'google:gemini-2.5-flash'] });
    expect((await lister.client.models.list()).data.map((model) => model.id)).toEqual(['claude', 'gemini']);
    expect((await lister.client.models.retrieve('claude')).id).toBe('claude');
    const hidden = await lister.client.models.retrieve('gpt').catch((error: unknown) => error);
    expect(hidden).toBeInstanceOf(OpenAI.NotFoundError);
    expect((hidden as Error).message).toContain("The model 'gpt' does not exist on this gateway. Use one of: claude, gemini");

    const everything = await newKey('everything');
    expect((await everything.client.models.list()).data.map((model) => model.id)).toEqual(h.gateway.routes.routes.map((route) => route.name));
    // Listing is not a call: it spends none of the key's requests per minute.
    const counted = await newKey('counted', { rpm: 1 });
    await counted.client.models.list();
    await counted.client.models.list();
    expect((await counted.client.chat.completions.create({ model: 'gpt', messages: hi })).choices[0]?.message.content).toBe('hello');
  });

  it('answers 429 with Retry-After past the key rate limit', async () => {
    const limited = await newKey('limited', { rpm: 2 });
    await limited.client.chat.completions.create({ model: 'gpt', messages: hi });
    await limited.client.chat.completions.create({ model: 'gpt', messages: hi });
    const refused = await limited.client.chat.completions.create({ model: 'gpt', messages: hi }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
    expect(Number((refused as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after'))).toBeGreaterThan(0);
  });

  it('finishes the stream that crosses the budget and refuses the next call with 429 budget_exceeded', async () => {
    const spender = await newKey('spender', { budgetUsd: 0.000_000_5 });
    const before = hooks.stats().traffic.stored + hooks.stats().traffic.buffered;
    const stream = await spender.client.chat.completions.create({ model: 'gpt', messages: hi, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage ??= chunk.usage ?? undefined;
    }
    expect(text).toBe('hello');
    expect(usage).toBeDefined();
    await recorded(before + 1);
    const refused = await spender.client.chat.completions.create({ model: 'gpt', messages: hi }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('budget_exceeded');
    expect((refused as Error).message).toMatch(/Budget exceeded for key "spender": it has spent \$0\.0\d+ of its \$0\.0000005 budget\. Ask/);
  });

  it('records every call, refusals included, with its key, and writes the spend back to storage', async () => {
    await hooks.flush();
    const stored = (await storage.listRequests({ source: 'gateway', limit: 100 })).requests;
    const keys = await storage.listKeys({ includeRevoked: true });
    const idOf = (name: string) => keys.find((key) => key.name === name)?.id;
    const spenderCalls = stored.filter((request) => request.keyId === idOf('spender'));
    expect(spenderCalls.map((request) => [request.httpStatus, request.status, request.errorClass])).toEqual(
      expect.arrayContaining([
        [200, 'ok', null],
        [429, 'error', 'limited'],
      ]),
    );
    const answered = spenderCalls.find((request) => request.httpStatus === 200);
    expect(answered).toMatchObject({ route: 'gpt', provider: 'openai:gpt-4o-mini', attempts: 1, cacheHit: false });
    expect(answered?.costUsd).toBeGreaterThan(0);
    expect(stored.some((request) => request.keyId === null && request.httpStatus === 401)).toBe(true);
    expect(stored.filter((request) => request.keyId === idOf('limited')).map((request) => request.httpStatus).sort()).toEqual([200, 200, 429]);
    expect(keys.find((key) => key.name === 'spender')?.spendUsd).toBeCloseTo(answered?.costUsd as number, 9);

    const summary = await storage.summariseRequests({ source: 'gateway' });
    expect(summary.find((row) => row.keyName === 'limited' && row.provider !== null)).toMatchObject({ route: 'gpt', requests: 2, errors: 0 });
  });
});
