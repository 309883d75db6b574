import { describe, expect, it } from '@jest/globals';
import { CONTRACT_VERSION, ConfigError, ProviderRegistry, formatConfigPath, isLLMLabError } from '@llm-lab/core';
import plugin, { PROMPT_FORMATS, createTgi, formatPrompt } from '../src/index.js';
import { startFakeTgiServer } from './fake-tgi-server.js';

describe('the plugin as LLM Lab loads it', () => {
  it('is a provider named tgi for this contract version, accepted by the registry', async () => {
    expect(plugin.name).toBe('tgi');
    expect(plugin.contractVersion).toBe(CONTRACT_VERSION);
    const registry = new ProviderRegistry().register(plugin, 'llm-lab-provider-tgi');
    expect(registry.list()).toEqual([expect.objectContaining({ name: 'tgi', source: 'llm-lab-provider-tgi' })]);
    const server = await startFakeTgiServer();
    try {
      const provider = registry.create('tgi:zephyr', { baseURL: server.url, promptFormat: 'raw' });
      expect(provider.id).toBe('tgi:zephyr');
      expect((await provider.generate({ messages: [{ role: 'user', content: 'echo me' }] })).text).toBe('echo me');
    } finally {
      await server.close();
    }
  });

  it('refuses a config without baseURL, or with an unknown field, naming the field', () => {
    const registry = new ProviderRegistry().register(plugin);
    const missing = (() => {
      try {
        registry.create('tgi:zephyr', {});
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).path).toBe(formatConfigPath(['config', 'baseURL']));
    expect((missing as ConfigError).message).toContain('tgi:zephyr');
    expect(() => registry.create('tgi:zephyr', { baseURL: 'http://localhost:8080', baseUrl: 'x' })).toThrow(/baseUrl/);
    expect(() => registry.create('tgi:zephyr', { baseURL: 'not a url' })).toThrow(/baseURL/);
  });

  it('keeps the API key out of its visible settings', () => {
    const tgi = createTgi({ baseURL: 'http://localhost:8080', apiKey: 'hf_secret_value_0123456789' });
    expect(JSON.stringify(tgi.settings)).not.toContain('hf_secret_value_0123456789');
    expect(tgi.settings.baseURL).toBe('http://localhost:8080');
  });

  it('a plugin built for another contract major version is refused, naming both versions', () => {
    const registry = new ProviderRegistry();
    let refused: unknown;
    try {
      registry.register({ ...plugin, contractVersion: '3.0.0' }, 'llm-lab-provider-tgi');
    } catch (error) {
      refused = error;
    }
    expect(isLLMLabError(refused)).toBe(true);
    expect((refused as Error).message).toContain('3.0.0');
    expect((refused as Error).message).toContain(CONTRACT_VERSION);
  });
});

describe('formatPrompt', () => {
  const conversation = [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: 'Hi' },
  ];

  it('writes ChatML and Llama 3 the way those models were trained', () => {
    expect(formatPrompt(conversation, 'chatml')).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(formatPrompt(conversation, 'llama3')).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('sends a single message as written with raw, and joins several with blank lines', () => {
    expect(formatPrompt([{ role: 'user', content: 'Once upon a time' }], 'raw')).toBe('Once upon a time');
    expect(formatPrompt(conversation, PROMPT_FORMATS.raw)).toBe('Be brief.\n\nHi');
  });

  it('uses custom turn templates from the config', async () => {
    const server = await startFakeTgiServer();
    try {
      const model = createTgi({
        baseURL: server.url,
        promptFormat: { prefix: '<s>', system: '<<SYS>>{content}<</SYS>>', user: '[INST]{content}[/INST]', assistant: '{content}</s>', generation: '' },
      })('custom');
      await model.generate({ messages: conversation });
      expect((server.requests[0]?.body as { inputs: string }).inputs).toBe('<s><<SYS>>Be brief.<</SYS>>[INST]Hi[/INST]');
    } finally {
      await server.close();
    }
  });
});
