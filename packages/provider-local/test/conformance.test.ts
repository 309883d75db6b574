import type { FakeServerControl, RecordedRequest } from '@llm-lab/provider-testkit';
import { describeProviderConformance, startFakeOllamaServer, startFakeOpenAIServer } from '@llm-lab/provider-testkit';
import type { GenerateRequest, LanguageModelProvider, StreamPart } from '@llm-lab/core';
import { createGguf, createOllama, createOpenAICompatible } from '../src/index.js';
import { nodeLlamaCppAvailable, STORIES_MODEL } from './helpers.js';

await describeProviderConformance({
  name: 'ollama:llama3.2',
  startServer: () => startFakeOllamaServer(),
  createProvider: (server) => createOllama({ baseURL: server.url }).chat('llama3.2'),
});

// A model configured as having tools, images and thinking: every contract 2.0 check applies.
await describeProviderConformance({
  name: 'ollama:qwen2.5 (tools, vision, reasoning)',
  startServer: () => startFakeOllamaServer({ models: ['qwen2.5:0.5b'] }),
  createProvider: (server) => createOllama({ baseURL: server.url, capabilities: { tools: true, vision: true, reasoning: true } }).chat('qwen2.5:0.5b'),
});

await describeProviderConformance({
  name: 'openai-compatible:qwen2.5-0.5b-instruct',
  startServer: () => startFakeOpenAIServer({ apiKey: 'local-server-key-0123456789' }),
  createProvider: (server) => createOpenAICompatible({ baseURL: server.url, apiKey: 'local-server-key-0123456789' }).chat('qwen2.5-0.5b-instruct'),
});

/**
 * gguf runs in-process, so there is no server: this control stands in for one and records one
 * "request" per inference that produced an answer (what the suite counts), and has no faults to
 * inject (the suite's fault checks are skipped).
 */
function inProcessControl(): FakeServerControl & { record(): void } {
  const requests: RecordedRequest[] = [];
  const stats = { requests: 0, inFlight: 0, maxInFlight: 0, connections: 0 };
  return {
    url: 'in-process',
    requests,
    stats,
    record() {
      requests.push({ method: 'INFER', path: '/', headers: {}, body: undefined, rawBody: '', receivedAt: Date.now() });
      stats.requests += 1;
    },
    enqueueFault() {
      throw new Error('gguf runs in-process: there is no server to inject faults into');
    },
    reset() {
      requests.length = 0;
      stats.requests = 0;
    },
    async close() {},
  };
}

/** Wraps a provider so that each answered generate or stream is recorded on `control`. */
function recorded(provider: LanguageModelProvider, control: { record(): void }): LanguageModelProvider {
  return new Proxy(provider, {
    get(target, property, receiver) {
      if (property === 'generate') {
        return async (request: GenerateRequest, options?: Parameters<LanguageModelProvider['generate']>[1]) => {
          const response = await target.generate(request, options);
          control.record();
          return response;
        };
      }
      if (property === 'streamGenerate') {
        return async function* (request: GenerateRequest, options?: Parameters<LanguageModelProvider['generate']>[1]): AsyncIterable<StreamPart> {
          yield* target.streamGenerate(request, options);
          control.record();
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(receiver) : value;
    },
  });
}

if (STORIES_MODEL && (await nodeLlamaCppAvailable())) {
  // Real inference on ../shared/models/stories260K.gguf (relative to the repository root). The
  // model writes stories, not echoes: the expected texts are its greedy answers, computed first by
  // a separate provider instance, so the suite checks that generate, stream and batch agree.
  // Stopping at the first newline makes every answer end with finish reason `stop`.
  const settings = { threads: 1, stop: ['\n'], maxTokens: 200 };
  const prompts = ['the quick brown fox', 'price check', 'one two three four five', 'first', 'second', 'fourth'];
  const reference = createGguf(settings).chat(STORIES_MODEL);
  const expected = new Map<string, string>();
  for (const prompt of prompts) expected.set(prompt, (await reference.generate({ messages: [{ role: 'user', content: prompt }] })).text);
  await reference.close();
  await describeProviderConformance({
    name: 'gguf:stories260K.gguf (real inference)',
    startServer: async () => inProcessControl(),
    createProvider: (control) => recorded(createGguf(settings).chat(STORIES_MODEL as string), control),
    expectedText: (prompt) => {
      const text = expected.get(prompt);
      if (text === undefined) throw new Error(`no reference answer for '${prompt}'`);
      return text;
    },
    skip: { faults: true },
  });
}
