/**
 * The publishable provider packages the packaging test installs and calls, one row each. To add a
 * package, add a row: where it lives, the provider family its plugin registers, a model id, the
 * testkit fake (by its exported name) and the `config:` block that points the provider at it.
 */
export interface PublishedProvider {
  /** Short key, used by `LLM_LAB_PACK_ONLY=openai,tgi`. */
  key: string;
  /** The package folder, relative to the repository root. */
  dir: string;
  /** The provider family its plugin registers (the part before the colon in ids). */
  provider: string;
  /** The model part of the id. */
  model: string;
  /** The name of the `@llm-lab/provider-testkit` export that starts its fake vendor server (unused with `localFake`). */
  fake?: string;
  /** Options for that fake. */
  fakeOptions?: Record<string, unknown>;
  /** Use the plugin example's own fake TGI server. */
  localFake?: 'tgi';
  /** The provider's `config:` block, given the fake's URL. */
  config: (url: string) => Record<string, unknown>;
  /** What the provider answers for `prompt` on the fake. Default: the prompt (the fakes echo it). */
  expectedText?: (prompt: string) => string;
  /** True for a third-party plugin (unscoped, not an `@llm-lab/` package). */
  plugin?: boolean;
  /** Other LLM Lab packages it depends on (folders), packed and installed with it. */
  dependsOn?: string[];
}

const KEY = 'sk-pack-test-key-0123456789abcdef';

export const PUBLISHED_PROVIDERS: PublishedProvider[] = [
  {
    key: 'openai',
    dir: 'packages/provider-openai',
    provider: 'openai',
    model: 'gpt-4o-mini',
    fake: 'startFakeOpenAIServer',
    fakeOptions: { apiKey: KEY },
    config: (url) => ({ baseURL: url, apiKey: KEY }),
    // The OpenAI wire format and the shared provider parts are packages of their own.
    dependsOn: ['packages/openai-compatible', 'packages/provider-utils'],
  },
  {
    key: 'anthropic',
    dir: 'packages/provider-anthropic',
    provider: 'anthropic',
    model: 'claude-3-5-haiku-latest',
    fake: 'startFakeAnthropicServer',
    fakeOptions: { apiKey: KEY },
    config: (url) => ({ baseURL: url, apiKey: KEY }),
    dependsOn: ['packages/provider-utils'],
  },
  {
    key: 'google',
    dir: 'packages/provider-google',
    provider: 'google',
    model: 'gemini-2.5-flash',
    fake: 'startFakeGeminiServer',
    fakeOptions: { apiKey: KEY },
    config: (url) => ({ baseURL: url, apiKey: KEY }),
    dependsOn: ['packages/provider-utils'],
  },
  {
    key: 'azure',
    dir: 'packages/provider-azure',
    provider: 'azure',
    model: 'gpt-4o-mini',
    fake: 'startFakeAzureOpenAIServer',
    fakeOptions: { apiKey: KEY },
    config: (url) => ({ endpoint: url, apiKey: KEY }),
    // It builds on the OpenAI wire format package (not on provider-openai), installed with it.
    dependsOn: ['packages/openai-compatible', 'packages/provider-utils'],
  },
  {
    key: 'local',
    dir: 'packages/provider-local',
    provider: 'ollama',
    model: 'llama3.2',
    fake: 'startFakeOllamaServer',
    config: (url) => ({ baseURL: url }),
    // Its OpenAI-compatible family is @llm-lab/openai-compatible's chat model (a dependency).
    dependsOn: ['packages/openai-compatible', 'packages/provider-utils'],
  },
  {
    key: 'tgi',
    dir: 'examples/provider-plugin',
    provider: 'tgi',
    model: 'zephyr',
    localFake: 'tgi',
    config: (url) => ({ baseURL: url, promptFormat: 'raw' }),
    plugin: true,
  },
];

/** Keys of packed packages that are not provider rows: `cli` is the `llm-lab` command (packed-cli.test.ts). */
export const OTHER_PACKED = ['cli', 'plugin', 'release'] as const;

/** The keys named in `LLM_LAB_PACK_ONLY` (comma-separated), or undefined for all. */
function onlyKeys(only: string | undefined): string[] | undefined {
  if (!only?.trim()) return undefined;
  const keys = only.split(',').map((key) => key.trim()).filter(Boolean);
  const known = [...PUBLISHED_PROVIDERS.map((row) => row.key), ...OTHER_PACKED];
  const unknown = keys.filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new Error(`LLM_LAB_PACK_ONLY names unknown packages: ${unknown.join(', ')}. Known: ${known.join(', ')}.`);
  return keys;
}

/** The rows to run: all, or those named in `LLM_LAB_PACK_ONLY` (comma-separated keys). */
export function selectedProviders(only: string | undefined = process.env.LLM_LAB_PACK_ONLY): PublishedProvider[] {
  const keys = onlyKeys(only);
  return keys ? PUBLISHED_PROVIDERS.filter((row) => keys.includes(row.key)) : PUBLISHED_PROVIDERS;
}

/** Whether `key` (one of {@link OTHER_PACKED}) is selected by `LLM_LAB_PACK_ONLY`. */
export function packSelected(key: (typeof OTHER_PACKED)[number], only: string | undefined = process.env.LLM_LAB_PACK_ONLY): boolean {
  return onlyKeys(only)?.includes(key) ?? true;
}
