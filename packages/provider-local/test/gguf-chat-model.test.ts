import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { collectStream, providerErrorOf } from '@llm-lab/provider-testkit';
import { isProviderError, ProviderRegistry, type ConfigError } from '@llm-lab/core';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGguf, flattenMessagesToPrompt, ggufProvider, loadedModelCount, readGgufMetadata, type GgufChatModel } from '../src/index.js';
import { nodeLlamaCppAvailable, skipNotice, STORIES_MODEL } from './helpers.js';
import { writeGgufFixture } from './support/gguf-file.js';

describe('GGUF helpers (no inference)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lab-gguf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads architecture, name and context length from a GGUF header, skipping arrays', () => {
    const path = join(dir, 'fixture.gguf');
    writeGgufFixture(path, [['general.architecture', 'llama'], ['general.name', 'fixture'], ['llama.context_length', 1536]]);
    expect(readGgufMetadata(path)).toEqual({ version: 3, architecture: 'llama', name: 'fixture', contextLength: 1536, hasChatTemplate: false });
  });

  it('refuses a file that is not GGUF, and a missing model, with ConfigErrors that say what to do', () => {
    const bogus = join(dir, 'bogus.gguf');
    writeFileSync(bogus, 'not a model at all');
    const gguf = createGguf({ modelsDir: dir });
    expect(() => gguf.chat(bogus)).toThrow(/cannot be read as a GGUF model: .*not a GGUF file/);
    let error: ConfigError | undefined;
    try {
      gguf.chat('no-such-model');
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error?.message).toContain(join(dir, 'no-such-model.gguf'));
    expect(error?.message).toContain('llm-lab models pull');
    expect(error?.message).toContain('bogus.gguf'); // lists what the folder has
    // A name is looked up in one folder: say how to point at another.
    expect(error?.message).toContain('`--models-dir <folder>` (llm-lab chat, llm-lab bench), `config: { modelsDir: <folder> }` on the provider entry, or LLM_LAB_MODELS_DIR=<folder>');
    // A path is not looked up in the models folder, so that advice would mislead.
    expect(() => gguf.chat(join(dir, 'missing.gguf'))).toThrow(/^(?!.*--models-dir).*No GGUF model/);
  });

  it('finds a model by name in the models folder (LLM_LAB_MODELS_DIR) and reports its context length', () => {
    writeGgufFixture(join(dir, 'named.gguf'), [['general.architecture', 'llama'], ['llama.context_length', 777]]);
    const model = createGguf({}, { env: { LLM_LAB_MODELS_DIR: dir } }).chat('named');
    expect(model.path).toBe(join(dir, 'named.gguf'));
    expect(model.getModelInfo()).toMatchObject({ id: 'gguf:named', contextWindow: 777, capabilities: { streaming: true, jsonMode: true } });
    expect(model.getModelInfo().pricing).toBeUndefined();
    expect(createGguf({ modelsDir: dir, contextSize: 256 }).chat('named.gguf').getModelInfo().contextWindow).toBe(256);
  });

  it('rejects invalid config with the field named', () => {
    expect(() => createGguf({ threads: 0 })).toThrow(/config\.threads/);
    expect(() => new ProviderRegistry().register(ggufProvider).create('gguf:x', { gpu: 'cuda' })).toThrow(/config\.gpu/);
  });

  it('flattens a single user turn to its text, and a conversation to a labelled transcript', () => {
    expect(flattenMessagesToPrompt([{ role: 'user', content: 'Once upon a time' }])).toEqual({ prompt: 'Once upon a time', stop: [] });
    expect(flattenMessagesToPrompt([{ role: 'system', content: 'Tell stories.' }, { role: 'user', content: 'Once' }])).toEqual({ prompt: 'Tell stories.\n\nOnce', stop: [] });
    expect(
      flattenMessagesToPrompt([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Name a colour' },
      ]),
    ).toEqual({ prompt: 'Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: Name a colour\nAssistant:', stop: ['\nUser:'] });
  });
});

const available = STORIES_MODEL !== undefined && (await nodeLlamaCppAvailable());
if (!available) skipNotice(STORIES_MODEL === undefined ? 'the shared model ../shared/models/stories260K.gguf (relative to the repository root) is missing' : 'node-llama-cpp is not installed');
const describeReal = available ? describe : describe.skip;

describeReal('GgufChatModel on the real stories260K.gguf (../shared/models)', () => {
  let model: GgufChatModel;
  const once = { messages: [{ role: 'user' as const, content: 'Once upon a time' }] };

  beforeAll(() => {
    model = createGguf({ threads: 1 }).chat(STORIES_MODEL as string);
  });
  afterAll(async () => {
    await model?.close();
  });

  it('reads the model facts from the GGUF metadata before loading it', () => {
    expect(model.getModelInfo()).toMatchObject({ provider: 'gguf', contextWindow: 2048 });
    expect(loadedModelCount()).toBe(0); // nothing loaded until the first call
  });

  it('generates a deterministic completion, bounded by maxTokens, with token usage', async () => {
    const first = await model.generate({ ...once, maxTokens: 24, temperature: 0.8, seed: 42 });
    const second = await model.generate({ ...once, maxTokens: 24, temperature: 0.8, seed: 42 });
    expect(first.text.length).toBeGreaterThan(0);
    expect(second.text).toBe(first.text);
    expect(first.finishReason).toBe('length');
    expect(first.usage.outputTokens).toBe(24);
    expect(first.usage.inputTokens).toBeGreaterThan(0);
    expect(first.usage.totalTokens).toBe(first.usage.inputTokens + 24);
    expect(first.cost).toBeUndefined();
    expect(first.providerId).toBe(model.id);
    expect(loadedModelCount()).toBe(1);
    const greedy = await model.generate({ ...once, maxTokens: 12 });
    expect(greedy.text).toMatch(/^, there was a little girl/);
  });

  it('stops at a stop sequence with finish reason stop, and streams deltas that add up to the text', async () => {
    const parts = await collectStream(model.streamGenerate({ ...once, stop: ['.'], maxTokens: 64 }));
    const deltas = parts.filter((part) => part.type === 'text-delta').map((part) => part.text);
    const finish = parts[parts.length - 1];
    if (finish?.type !== 'finish') throw new Error('no finish part');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(finish.response.text);
    expect(finish.response.text).toBe(', there was a little girl named Lily');
    expect(finish.response.finishReason).toBe('stop');
    expect(parts[parts.length - 2]).toEqual({ type: 'usage', usage: finish.response.usage });
    expect(finish.response.timeToFirstTokenMs).toBeLessThanOrEqual(finish.response.latencyMs);
  });

  it('shares one loaded model between providers of the same file, and disposes it with the last close', async () => {
    const sibling = createGguf({ threads: 1 }).chat(STORIES_MODEL as string);
    await sibling.generate({ ...once, maxTokens: 4 });
    expect(loadedModelCount()).toBe(1);
    await sibling.close();
    expect(loadedModelCount()).toBe(1); // `model` still holds it
    const closedError = await providerErrorOf(() => sibling.generate(once));
    expect(closedError.message).toContain('was closed');
  });

  it('runs concurrent calls one at a time by default, with the same results as sequential ones', async () => {
    const prompts = ['Once upon a time', 'The cat', 'Tom had a ball'];
    const sequential = [];
    for (const content of prompts) sequential.push((await model.generate({ messages: [{ role: 'user', content }], maxTokens: 16 })).text);
    const concurrent = await Promise.all(prompts.map((content) => model.generate({ messages: [{ role: 'user', content }], maxTokens: 16 })));
    expect(concurrent.map((response) => response.text)).toEqual(sequential);
  });

  it('with 8 calls at once and one context, each latency is its own generation and the turn it waited is queueMs', async () => {
    await model.generate({ ...once, maxTokens: 2 }); // the model is loaded
    const startedAt = performance.now();
    const responses = await Promise.all(Array.from({ length: 8 }, () => model.generate({ ...once, maxTokens: 48 })));
    const elapsedMs = performance.now() - startedAt;
    // The calls ran one at a time: their own times add up to about what the batch took (the
    // edges of each call's clock overlap its neighbours' by a little), while with each wait for
    // the context counted in they add up to about 4.5 times it. The bound sits between the two.
    expect(responses.reduce((sum, response) => sum + response.latencyMs, 0)).toBeLessThan(elapsedMs * 1.5);
    const queued = responses.map((response) => response.queueMs ?? -1);
    expect(queued.filter((queueMs) => queueMs > 0).length).toBeGreaterThanOrEqual(7);
    for (const response of responses) expect((response.queueMs as number) + response.latencyMs).toBeLessThanOrEqual(elapsedMs + 5);
  });

  it('constrains output to JSON with a grammar when asked for JSON', async () => {
    const response = await model.generate({ ...once, responseFormat: { type: 'json' }, maxTokens: 24 });
    expect(response.text.trimStart().startsWith('{')).toBe(true);
  });

  it('cancels through the signal (mid-stream and while waiting for a context) and times out', async () => {
    const controller = new AbortController();
    const error = await providerErrorOf(async () => {
      for await (const part of model.streamGenerate({ ...once, maxTokens: 400 }, { signal: controller.signal })) {
        if (part.type === 'text-delta') controller.abort();
      }
    });
    expect(error).toMatchObject({ kind: 'cancelled', isRetryable: false });
    // With one context, a second call waits; cancelling it while it waits leaves the first untouched.
    const first = model.generate({ ...once, maxTokens: 300 });
    const waiting = new AbortController();
    const second = providerErrorOf(() => model.generate(once, { signal: waiting.signal }));
    setTimeout(() => waiting.abort(), 5);
    expect((await second).kind).toBe('cancelled');
    expect((await first).usage.outputTokens).toBeGreaterThan(0);
    const timedOut = await providerErrorOf(() => model.generate({ ...once, maxTokens: 1500 }, { timeoutMs: 1 }));
    expect(timedOut.kind).toBe('timeout');
    // the model still works afterwards
    expect((await model.generate({ ...once, maxTokens: 3 })).usage.outputTokens).toBe(3);
  });

  it('refuses a prompt longer than the context, and invalid settings, as bad-request', async () => {
    const small = createGguf({ threads: 1, contextSize: 32 }).chat(STORIES_MODEL as string);
    try {
      const error = await providerErrorOf(() => small.generate({ messages: [{ role: 'user', content: 'the cat sat on the mat and '.repeat(20) }] }));
      expect(error.kind).toBe('bad-request');
      expect(error.message).toContain('config.contextSize');
    } finally {
      await small.close();
    }
    const invalid = await providerErrorOf(() => model.generate({ ...once, providerOptions: { mirostat: 2 } }));
    expect(invalid.kind).toBe('bad-request');
    expect(invalid.message).toContain('mirostat');
    expect(isProviderError(invalid)).toBe(true);
  });
});

describe('gguf model by name via a symlink in the models folder', () => {
  it('resolves gguf:<name> to <modelsDir>/<name>.gguf', () => {
    if (!STORIES_MODEL) return;
    const dir = mkdtempSync(join(tmpdir(), 'llm-lab-models-'));
    try {
      symlinkSync(STORIES_MODEL, join(dir, 'stories.gguf'));
      const model = new ProviderRegistry().register(ggufProvider).create('gguf:stories', { modelsDir: dir });
      expect(model.getModelInfo()).toMatchObject({ id: 'gguf:stories', contextWindow: 2048 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
