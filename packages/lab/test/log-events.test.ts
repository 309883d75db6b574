import { afterAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@llm-lab/core';
import { createOpenAI } from '@llm-lab/provider-openai';
import { createProviderManager } from '@llm-lab/provider-manager';
import { faults, startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { logManagerEvents } from '../src/log-events.js';

// A provider that is down (the real OpenAI SDK against the testkit's fake server answering 503),
// with retries, a breaker and a fallback: what a night of trouble looks like in the log.
const KEY = 'sk-proj-LogEventsKey0123456789abcdef';
const servers: FakeOpenAIServer[] = [];
afterAll(async () => Promise.all(servers.map((server) => server.close())));

async function managerWithTrouble() {
  const down = await startFakeOpenAIServer({ faultRate: 1, fault: faults.unavailable() });
  const backup = await startFakeOpenAIServer();
  servers.push(down, backup);
  const openai = (server: FakeOpenAIServer, model: string) => createOpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0, timeoutMs: 10_000 }).chat(model);
  return createProviderManager({
    providers: [
      {
        provider: openai(down, 'gpt-4o-mini'),
        retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 40, maxTotalMs: 20_000 },
        breaker: { failureThreshold: 3, cooldownMs: 60_000 },
        fallbacks: ['openai:gpt-4o'],
      },
      openai(backup, 'gpt-4o'),
    ],
    cache: false,
  });
}

function logged(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { lines, logger };
}

describe('the provider manager in the log', () => {
  it('at debug: every call with its provider, model and latency; retries, fallbacks and the breaker opening', async () => {
    const manager = await managerWithTrouble();
    const { lines, logger } = logged('debug');
    const stop = logManagerEvents(manager, logger);
    for (let index = 0; index < 3; index++) await manager.get('openai:gpt-4o-mini').generate({ messages: [{ role: 'user', content: `case ${index}` }] });
    stop();
    await manager.close();

    const byMessage = (msg: string) => lines.filter((line) => line.msg === msg);
    expect(byMessage('provider call')).toHaveLength(3);
    expect(byMessage('provider call')[0]).toMatchObject({ providerId: 'openai:gpt-4o-mini', provider: 'openai', latencyMs: expect.any(Number), attempts: 3 });
    // Cases 0 and 1: the primary fails, is retried once and fails again; the third failure opened the breaker.
    expect(byMessage('retrying a provider call')).toHaveLength(2);
    expect(byMessage('retrying a provider call')[0]).toMatchObject({ member: 'openai:gpt-4o-mini', attempt: 1, errorKind: 'server', statusCode: 503 });
    expect(byMessage('falling back to another provider')).toHaveLength(3);
    expect(byMessage('falling back to another provider')[0]).toMatchObject({ from: 'openai:gpt-4o-mini', to: 'openai:gpt-4o', errorKind: 'server' });
    expect(byMessage('circuit breaker closed → open')).toEqual([expect.objectContaining({ member: 'openai:gpt-4o-mini', consecutiveFailures: 3 })]);
    expect(JSON.stringify(lines)).not.toContain(KEY);
  });

  it('at info: a failed call once, successful calls not at all; retries and the rest as at debug', async () => {
    const down = await startFakeOpenAIServer({ faultRate: 1, fault: faults.unavailable() });
    const up = await startFakeOpenAIServer();
    servers.push(down, up);
    const openai = (server: FakeOpenAIServer, model: string) => createOpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0, timeoutMs: 10_000 }).chat(model);
    const manager = createProviderManager({
      providers: [{ provider: openai(down, 'gpt-4o-mini'), retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 40, maxTotalMs: 20_000 } }, openai(up, 'gpt-4o')],
      cache: false,
    });
    const { lines, logger } = logged('info');
    const stop = logManagerEvents(manager, logger);
    await manager.get('openai:gpt-4o').generate({ messages: [{ role: 'user', content: 'fine' }] });
    await expect(manager.get('openai:gpt-4o-mini').generate({ messages: [{ role: 'user', content: 'down' }] })).rejects.toMatchObject({ kind: 'server' });
    stop();
    await manager.close();
    expect(lines.map((line) => line.msg)).toEqual(['retrying a provider call', 'provider call failed']);
    expect(lines[1]).toMatchObject({ level: 30, providerId: 'openai:gpt-4o-mini', attempts: 2, errorKind: 'server', statusCode: 503, requestId: expect.any(String), latencyMs: expect.any(Number) });
  });

  it('at warn: the trouble only', async () => {
    const manager = await managerWithTrouble();
    const { lines, logger } = logged('warn');
    const stop = logManagerEvents(manager, logger);
    await manager.get('openai:gpt-4o-mini').generate({ messages: [{ role: 'user', content: 'one' }] });
    stop();
    await manager.close();
    expect(lines.map((line) => line.msg)).toEqual(['falling back to another provider']);
  });
});
