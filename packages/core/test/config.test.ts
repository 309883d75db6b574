import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, isLLMLabError, loadConfig, loadProviderEntries, parseConfig, redactSecrets } from '../src/index.js';

async function writeTemp(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-lab-config-'));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const minimal = `
providers:
  - mock:echo
dataset:
  rows:
    - { prompt: hello }
`;

describe('loadProviderEntries', () => {
  it('reads a file with only providers: and plugins:, leaving the other keys unread', async () => {
    const file = await writeTemp(
      'providers.yaml',
      `providers:\n  - id: openai:gpt-4o-mini\n    label: mini\n    config: { apiKey: '\${LLM_LAB_TEST_ENTRY_KEY}' }\ndataset: { unused: '\${NOT_SET_ANYWHERE}' }\n`,
    );
    const loaded = await loadProviderEntries(file, { env: { LLM_LAB_TEST_ENTRY_KEY: 'sk-entry-secret-1234567890' } });
    expect(loaded).toEqual({
      providers: [{ id: 'openai:gpt-4o-mini', label: 'mini', config: { apiKey: 'sk-entry-secret-1234567890' } }],
      plugins: [],
      file,
      baseDir: join(file, '..'),
    });
    expect(redactSecrets('key sk-entry-secret-1234567890')).not.toContain('sk-entry-secret-1234567890');
  });

  it('still checks the providers, naming the file and the path', async () => {
    const file = await writeTemp('bad-providers.yaml', 'providers:\n  - id: openai:gpt-4o-mini\n    config: 5\n');
    const error = (await loadProviderEntries(file).catch((caught: unknown) => caught)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.file).toBe(file);
    expect(error.message).toContain('providers[0].config');
    await expect(loadProviderEntries(await writeTemp('none.yaml', 'plugins: []\n'))).rejects.toThrow(/providers/);
  });
});

describe('loadConfig', () => {
  it('applies defaults to a minimal YAML config', async () => {
    const file = await writeTemp('llm-lab.yaml', minimal);
    const { config, baseDir } = await loadConfig(file);
    expect(baseDir).toBe(join(file, '..'));
    expect(config.providers).toEqual(['mock:echo']);
    expect(config.prompts).toEqual(['{{prompt}}']);
    expect(config.run).toEqual({ concurrency: 8, repeat: 1 });
    expect(config.dataset.onInvalidRow).toBe('skip');
  });

  it('reads JSON configs by extension', async () => {
    const file = await writeTemp('config.json', JSON.stringify({ providers: ['mock:a'], dataset: { path: 'x.jsonl' } }));
    const { config } = await loadConfig(file);
    expect(config.dataset.path).toBe('x.jsonl');
  });

  it('names the file when it is missing', async () => {
    await expect(loadConfig('/nonexistent/llm-lab.yaml')).rejects.toThrow(/\/nonexistent\/llm-lab\.yaml: config file not found/);
  });

  it('reports invalid YAML with its line', async () => {
    const file = await writeTemp('bad.yaml', 'providers:\n  - mock:a\ndataset: { rows: [\n');
    const error = await loadConfig(file).catch((caught: unknown) => caught);
    expect(isLLMLabError(error)).toBe(true);
    expect((error as Error).message).toMatch(/bad\.yaml: invalid YAML at line \d+, column \d+/);
  });

  it('names the file and the path inside it for a schema error', async () => {
    const file = await writeTemp(
      'cfg.yaml',
      `providers:\n  - mock:a\n  - id: openai:gpt-4o-mini\n    config: 5\ndataset: { path: a.jsonl }\n`,
    );
    const error = (await loadConfig(file).catch((caught: unknown) => caught)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.file).toBe(file);
    expect(error.message).toContain('providers[1].config');
    expect(error.message).toMatch(/expected record|expected object/i);
  });

  it('rejects a provider id without a model', () => {
    expect(() => parseConfig({ providers: ['openai'], dataset: { rows: [] } })).toThrow(
      /providers\[0\]: a provider id of the form <provider>:<model>/,
    );
  });

  it('rejects unknown keys instead of ignoring them', () => {
    expect(() => parseConfig({ providers: ['mock:a'], dataset: { rows: [] }, concurency: 3 })).toThrow(/concurency/);
  });

  it('refuses a prompt with both messages and template or system, instead of dropping one', () => {
    const messages = [{ role: 'user', content: '{{question}}' }];
    for (const extra of [{ template: 'Q: {{question}}' }, { system: 'Be brief.' }]) {
      expect(() => parseConfig({ providers: ['mock:a'], dataset: { rows: [] }, prompts: [{ id: 'p', messages, ...extra }] })).toThrow(
        /prompts\[0\]: a prompt takes either messages or template\/system, not both/,
      );
    }
    expect(parseConfig({ providers: ['mock:a'], dataset: { rows: [] }, prompts: [{ id: 'p', system: 'Be brief.', template: '{{question}}' }] }).config.prompts).toHaveLength(1);
  });

  it('needs exactly one of dataset.path and dataset.rows', () => {
    expect(() => parseConfig({ providers: ['mock:a'], dataset: {} })).toThrow(/dataset: a dataset needs exactly one of path or rows/);
  });
});

describe('environment interpolation', () => {
  it('replaces ${VAR} and ${VAR:-default}', () => {
    const { config } = parseConfig(
      {
        providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: '${BASE:-http://localhost:1}/v1', apiKey: '${MY_KEY}' } }],
        dataset: { rows: [] },
      },
      { env: { MY_KEY: 'sk-test-abcdefghijklmnopqrstuvwx' } },
    );
    const [entry] = config.providers;
    expect(typeof entry === 'object' && entry.config).toEqual({
      baseURL: 'http://localhost:1/v1',
      apiKey: 'sk-test-abcdefghijklmnopqrstuvwx',
    });
  });

  it('registers interpolated keys as secrets so they are redacted', () => {
    parseConfig(
      { providers: [{ id: 'x:y', config: { apiKey: '${ODD_KEY}' } }], dataset: { rows: [] } },
      { env: { ODD_KEY: 'plainvalue-not-key-shaped-123' } },
    );
    expect(redactSecrets('failed with plainvalue-not-key-shaped-123 in it')).toBe('failed with [REDACTED] in it');
  });

  it('fails naming the variable and where it is used', () => {
    expect(() =>
      parseConfig({ providers: [{ id: 'x:y', config: { apiKey: '${NOT_SET_ANYWHERE}' } }], dataset: { rows: [] } }, { env: {} }),
    ).toThrow(/providers\[0\]\.config\.apiKey: environment variable NOT_SET_ANYWHERE is not set/);
  });
});
