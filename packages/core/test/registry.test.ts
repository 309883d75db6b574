import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { CONTRACT_VERSION, ProviderRegistry, mockProvider, parseProviderId } from '../src/index.js';

/** Writes a plugin package into <dir>/node_modules/<name> exporting the given module source. */
async function writePlugin(dir: string, name: string, source: string, exports: unknown = './index.js'): Promise<void> {
  const packageDir = join(dir, 'node_modules', ...name.split('/'));
  await mkdir(packageDir, { recursive: true });
  await writeFile(join(packageDir, 'package.json'), JSON.stringify({ name, type: 'module', exports }));
  await writeFile(join(packageDir, 'index.js'), source);
}

const pluginSource = (version: string) => `
export default {
  name: 'echoplug',
  contractVersion: '${version}',
  description: 'echoes',
  capabilities: { streaming: false },
  create: ({ model }) => ({
    contractVersion: '${version}', id: 'echoplug:' + model, provider: 'echoplug', model,
    async generate(request) { return { text: request.messages.at(-1).content, finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, latencyMs: 0, warnings: [], providerId: 'echoplug:' + model, model }; },
    async *streamGenerate() {}, async batchGenerate() { return []; },
    getModelInfo() { return { id: 'echoplug:' + model, provider: 'echoplug', model, contextWindow: 10, capabilities: {} }; },
    estimateCost() { return undefined; },
  }),
};`;

describe('parseProviderId', () => {
  it('splits at the first colon so models may contain colons', () => {
    expect(parseProviderId('openai:gpt-4o-mini')).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(parseProviderId('ollama:llama3.2:1b')).toEqual({ provider: 'ollama', model: 'llama3.2:1b' });
    expect(() => parseProviderId('openai')).toThrow(/<provider>:<model>/);
  });
});

describe('ProviderRegistry', () => {
  it('creates providers by id and lists them', async () => {
    const registry = new ProviderRegistry().register(mockProvider);
    const provider = registry.create('mock:echo');
    expect(provider.id).toBe('mock:echo');
    const response = await provider.generate({ messages: [{ role: 'user', content: 'hi there' }] });
    expect(response.text).toBe('hi there');
    expect(registry.list()).toEqual([expect.objectContaining({ name: 'mock', source: 'built-in', contractVersion: CONTRACT_VERSION })]);
  });

  it('names the known providers when one is unknown', () => {
    const registry = new ProviderRegistry().register(mockProvider);
    expect(() => registry.create('nope:model')).toThrow(/Unknown provider 'nope' in id 'nope:model'\. Known providers: mock/);
  });

  it('refuses a provider built for another contract major version, naming both', () => {
    const registry = new ProviderRegistry();
    expect(() => registry.register({ ...mockProvider, name: 'old', contractVersion: '0.3.0' })).toThrow(
      new RegExp(`built for provider contract 0\\.3\\.0, but this @llm-lab/core implements contract ${CONTRACT_VERSION.replace(/\./g, '\\.')}`),
    );
  });
});

describe('lazily loaded families', () => {
  it('imports a family only when asked, then creates from it', async () => {
    let imports = 0;
    const registry = new ProviderRegistry().registerLoader(['lazy', 'lazier'], async () => {
      imports++;
      return [
        { ...mockProvider, name: 'lazy' },
        { ...mockProvider, name: 'lazier' },
      ];
    });
    expect(registry.has('lazy')).toBe(true);
    expect(() => registry.create('lazy:x')).toThrow(/known but not loaded yet: await registry\.load/);
    expect(() => registry.create('nope:x')).toThrow(/Known providers: lazier, lazy/);
    await registry.load(['mock:ignored', 'lazy:model']);
    await registry.load(['lazier:model']);
    expect(imports).toBe(1);
    expect(registry.create('lazy:x').id).toBe('mock:x');
    expect(registry.list().map((entry) => entry.name)).toEqual(['lazier', 'lazy']);
  });
});

describe('plugin loading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-plugins-'));
    await writeFile(join(dir, 'package.json'), '{"name":"host","private":true}');
    await writePlugin(dir, 'llm-lab-provider-echoplug', pluginSource(CONTRACT_VERSION));
    await writePlugin(dir, '@acme/llm-lab-provider-future', pluginSource('3.0.0'));
    await writePlugin(dir, 'llm-lab-provider-old', pluginSource('1.1.0').replace("'echoplug'", "'old'"));
    await writePlugin(dir, 'llm-lab-provider-empty', 'export const nothing = 1;');
    await writePlugin(dir, 'llm-lab-provider-esmonly', pluginSource(CONTRACT_VERSION).replace("'echoplug'", "'esmonly'"), {
      '.': { types: './index.d.ts', import: './index.js' },
    });
  });

  it('loads a plugin whose exports have only an import condition', async () => {
    const registry = new ProviderRegistry();
    await registry.loadPlugin('llm-lab-provider-esmonly', { cwd: dir });
    expect(registry.has('esmonly')).toBe(true);
  });

  it('loads a plugin package by name and registers its provider', async () => {
    const registry = new ProviderRegistry();
    await registry.loadPlugin('llm-lab-provider-echoplug', { cwd: dir });
    const provider = registry.create('echoplug:any');
    expect((await provider.generate({ messages: [{ role: 'user', content: 'ping' }] })).text).toBe('ping');
    expect(registry.list()[0]).toMatchObject({ name: 'echoplug', source: 'llm-lab-provider-echoplug' });
  });

  it('says how to install a missing plugin', async () => {
    await expect(new ProviderRegistry().loadPlugin('llm-lab-provider-missing', { cwd: dir })).rejects.toThrow(
      /Plugin package 'llm-lab-provider-missing' is not installed .*pnpm add llm-lab-provider-missing/,
    );
  });

  it('says when a package exports no provider', async () => {
    await expect(new ProviderRegistry().loadPlugin('llm-lab-provider-empty', { cwd: dir })).rejects.toThrow(
      /does not export an LLM Lab provider/,
    );
  });

  it('refuses a plugin for another contract version', async () => {
    await expect(new ProviderRegistry().loadPlugin('@acme/llm-lab-provider-future', { cwd: dir })).rejects.toThrow(
      /from '@acme\/llm-lab-provider-future' was built for provider contract 3\.0\.0, but this @llm-lab\/core implements contract 2\.0\.0/,
    );
  });

  it('tells the author of a 1.x plugin what changed in contract 2.0', async () => {
    await expect(new ProviderRegistry().loadPlugin('llm-lab-provider-old', { cwd: dir })).rejects.toThrow(
      /built for provider contract 1\.1\.0, but this @llm-lab\/core implements contract 2\.0\.0.*docs\/plugins\.md/s,
    );
  });

  it('refuses names that are not plugin names', async () => {
    await expect(new ProviderRegistry().loadPlugin('lodash', { cwd: dir })).rejects.toThrow(/llm-lab-provider-<name>/);
  });
});
