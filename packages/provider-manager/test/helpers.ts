import { jest } from '@jest/globals';
import { isProviderError, type GenerateRequest, type ProviderError, type StreamPart } from '@llm-lab/core';
import { createOpenAI, type OpenAIChatModel } from '@llm-lab/provider-openai';
import { startFakeOpenAIServer, type FakeOpenAIServer, type FakeOpenAIServerOptions } from '@llm-lab/provider-testkit';

/** Servers started by a test file, closed by {@link closeServers}. */
const servers: FakeOpenAIServer[] = [];

/** Starts a fake OpenAI server on 127.0.0.1 and remembers it for {@link closeServers}. */
export async function startServer(options: FakeOpenAIServerOptions = {}): Promise<FakeOpenAIServer> {
  const server = await startFakeOpenAIServer(options);
  servers.push(server);
  return server;
}

export async function closeServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((server) => server.close()));
}

/** A real OpenAI provider (the official SDK, no SDK retries) pointed at `server`. */
export function openaiAt(server: FakeOpenAIServer, model = 'gpt-4o-mini', name = 'openai'): OpenAIChatModel {
  return createOpenAI({ baseURL: server.url, apiKey: 'sk-test-manager', maxRetries: 0, timeoutMs: 10_000 }, { name }).chat(model);
}

/** A user message request with a distinct text. */
export function ask(text: string, extra: Partial<GenerateRequest> = {}): GenerateRequest {
  return { messages: [{ role: 'user', content: text }], ...extra };
}

/** Chat requests the server received (excluding other endpoints). */
export function chatRequests(server: FakeOpenAIServer): number {
  return server.requests.filter((request) => request.path.endsWith('/chat/completions')).length;
}

/** The ProviderError `action` rejects with; throws when it resolves or rejects with something else. */
export async function providerErrorOf(action: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await action();
  } catch (error) {
    if (isProviderError(error)) return error;
    throw new Error(`expected a ProviderError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail');
}

export async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

/** Fast retries for tests: tiny backoff, many attempts. */
export const FAST_RETRY = { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 40, maxTotalMs: 20_000 } as const;

/**
 * Fakes only `Date`, which then stands still until `jest.setSystemTime` moves it; timers and I/O
 * stay real. Undo with `jest.useRealTimers()`.
 */
export function freezeDate(): void {
  jest.useFakeTimers({
    doNotFake: [
      'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback',
      'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout',
    ],
  });
}
