import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, isLLMLabError, loadConfig, parseConfig, redactSecrets } from '../src/index.js';

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

  it('defaults thresholds.maxErrorRate to 0.1, and refuses a value that is not a share from 0 to 1', () => {
    expect(parseConfig({ providers: ['mock:a'], dataset: { rows: [] } }).config.thresholds).toEqual({ maxErrorRate: 0.1 });
    expect(parseConfig({ providers: ['mock:a'], dataset: { rows: [] }, thresholds: { minAccuracy: 0.5 } }).config.thresholds).toEqual({
      minAccuracy: 0.5,
      maxErrorRate: 0.1,
    });
    for (const maxErrorRate of [1.5, -0.1, 'ten']) {
      expect(() => parseConfig({ providers: ['mock:a'], dataset: { rows: [] }, thresholds: { maxErrorRate } })).toThrow(
        /thresholds\.maxErrorRate: expected a number from 0 to 1 \(the largest share of a provider's results that may be errors\), e\.g\. 0\.1 for 10%/,
      );
    }
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
