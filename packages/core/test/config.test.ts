import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { closestName, ConfigError, editDistance, isLLMLabError, loadConfig, loadProviderEntries, loadServingConfig, mockProviderConfigSchema, parseConfig, parseProviderConfig, sanitise } from '../src/index.js';

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
    expect(sanitise('key sk-entry-secret-1234567890')).not.toContain('sk-entry-secret-1234567890');
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

describe('loadServingConfig', () => {
  it("reads a gateway's keys (providers, plugins, defaults, cache, singleFlight) and leaves a run's unread", async () => {
    const file = await writeTemp(
      'gateway.yaml',
      `providers:\n  - id: mock:echo\n    label: echo\n    retry: { maxAttempts: 2 }\ndefaults: { maxTokens: 64 }\ncache: { kind: memory }\ndataset: { unused: '\${NOT_SET_ANYWHERE}' }\n`,
    );
    const loaded = await loadServingConfig(file);
    expect(loaded).toEqual({
      providers: [{ id: 'mock:echo', label: 'echo', config: {}, retry: { maxAttempts: 2 } }],
      plugins: [],
      defaults: { maxTokens: 64 },
      cache: { kind: 'memory' },
      file,
      baseDir: join(file, '..'),
    });
  });

  it('checks what it reads, naming the file and the path', async () => {
    const file = await writeTemp('bad-gateway.yaml', 'providers:\n  - mock:echo\ndefaults: { temperature: 9 }\n');
    const error = (await loadServingConfig(file).catch((caught: unknown) => caught)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.file).toBe(file);
    expect(error.message).toContain('defaults.temperature');
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

  it('refuses a YAML alias bomb as bad input naming the file, instead of expanding it', async () => {
    // Each level repeats the one before nine times: 9^9 strings if expanded.
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 9; level += 1) {
      const name = String.fromCharCode(97 + level);
      const previous = String.fromCharCode(96 + level);
      levels.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(', ')}]`);
    }
    const file = await writeTemp('bomb.yaml', `${levels.join('\n')}\n`);
    const error = await loadConfig(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(file);
    expect((error as Error).message).toMatch(/bomb\.yaml: too many YAML aliases: .*write the repeated values out/);
  });

  it('still reads a config that uses a few anchors and aliases', async () => {
    const file = await writeTemp(
      'anchors.yaml',
      'defaults: &d { temperature: 0 }\nproviders:\n  - { id: "mock:a", settings: *d }\n  - { id: "mock:b", settings: *d }\ndataset: { rows: [{ prompt: hi }] }\n',
    );
    const { config } = await loadConfig(file);
    expect(config.defaults).toEqual({ temperature: 0 });
    expect(config.providers).toEqual([expect.objectContaining({ settings: { temperature: 0 } }), expect.objectContaining({ settings: { temperature: 0 } })]);
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

  it('suggests the allowed key nearest to an unknown one, at any depth', () => {
    const base = { providers: ['mock:a'], dataset: { rows: [] } };
    expect(() => parseConfig({ ...base, prompt: ['{{q}}'] })).toThrow(/prompt.*did you mean "prompts"\?/);
    expect(() => parseConfig({ ...base, run: { concurency: 2 } })).toThrow(/run: .*"concurency".*did you mean "concurrency"\?/);
    expect(() => parseConfig({ ...base, providers: [{ id: 'mock:a', lable: 'x' }] })).toThrow(/providers\[0\]: .*"lable".*did you mean "label"\?/);
    // Nothing close: the allowed keys are listed instead of a guess.
    expect(() => parseConfig({ ...base, thresholds: { zzzzzz: 1 } })).toThrow(/thresholds: .*"zzzzzz".*allowed: minAccuracy/);
  });

  it('suggests the nearest key of a provider config block', () => {
    expect(() => parseProviderConfig(mockProviderConfigSchema, { acuracy: 0.5 }, 'mock:a')).toThrow(/config: .*"acuracy".*did you mean "accuracy"\?.*\(provider mock:a\)/);
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
    expect(sanitise('failed with plainvalue-not-key-shaped-123 in it')).toBe('failed with [REDACTED] in it');
  });

  it('fails naming the variable and where it is used', () => {
    expect(() =>
      parseConfig({ providers: [{ id: 'x:y', config: { apiKey: '${NOT_SET_ANYWHERE}' } }], dataset: { rows: [] } }, { env: {} }),
    ).toThrow(/providers\[0\]\.config\.apiKey: environment variable NOT_SET_ANYWHERE is not set/);
  });
});

describe('key suggestions', () => {
  it('counts insertions, deletions, substitutions and swapped neighbours as one edit each', () => {
    expect([editDistance('prompt', 'prompts'), editDistance('concurency', 'concurrency'), editDistance('lable', 'label'), editDistance('seed', 'sed')]).toEqual([1, 1, 1, 1]);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestName('Temprature', ['temperature', 'topP'])).toBe('temperature');
    expect(closestName('colour', ['id', 'label'])).toBeUndefined();
  });
});
