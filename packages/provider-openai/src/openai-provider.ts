import { CONTRACT_VERSION, defineProvider, type EmbedOptions, type EmbedResult, type ProviderPlugin } from '@llm-lab/core';
import OpenAI from 'openai';
import type { DirectPost } from '@llm-lab/openai-compatible';
import { createNodeHttpFetch } from '@llm-lab/provider-utils';
import { VERSION } from 'openai/version';
import { OpenAIChatModel } from './openai-chat-model.js';
import { OpenAIEmbeddingModel } from './openai-embedding-model.js';
import { resolveOpenAISettings, type OpenAIProviderSettings, type ResolvedOpenAISettings } from './openai-options.js';

/** Makes OpenAI chat models that share one SDK client (one connection pool, kept alive between calls). */
export interface OpenAIProvider {
  /** Same as {@link OpenAIProvider.chat}. */
  (model: string): OpenAIChatModel;
  /** A chat model, e.g. `chat('gpt-4o-mini')`. */
  chat(model: string): OpenAIChatModel;
  /** An embedding model, e.g. `embedding('text-embedding-3-small')`. */
  embedding(model: string): OpenAIEmbeddingModel;
  /**
   * Embeds `texts` with `options.model` (default `text-embedding-3-small`): one vector per text,
   * in order, with usage, the model and the cost. See {@link OpenAIEmbeddingModel.embed}.
   */
  embed(texts: string[], options?: EmbedOptions & { model?: string }): Promise<EmbedResult>;
  /** The SDK client shared by this provider's models. */
  readonly client: OpenAI;
  /** The settings in force, without the API key. */
  readonly settings: Readonly<Omit<ResolvedOpenAISettings, 'apiKey'>>;
}

/** The embedding model `embed()` uses when none is named. */
export const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';

/** Options of {@link createOpenAI} that are not part of the `config:` block. */
export interface CreateOpenAIOptions {
  /** The provider name in ids (`<name>:<model>`). Default `openai`. */
  name?: string;
  /** Named in configuration errors. Default the name. */
  providerId?: string;
  /** Where `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID` are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Creates an OpenAI provider from settings (the same fields as the `config:` block: apiKey,
 * baseURL, organization, project, timeoutMs, maxRetries, headers, ...). Throws a ConfigError when
 * the settings are invalid or no API key is found for OpenAI's API. The SDK client is made once
 * here and shared by every model made from the result.
 *
 * ```ts
 * const openai = createOpenAI({ apiKey: process.env.OPENAI_API_KEY });
 * const response = await openai('gpt-4o-mini').generate({ messages: [{ role: 'user', content: 'Hi' }] });
 * ```
 */
export function createOpenAI(settings: OpenAIProviderSettings = {}, options: CreateOpenAIOptions = {}): OpenAIProvider {
  const name = options.name ?? 'openai';
  const env = options.env ?? process.env;
  const resolved = resolveOpenAISettings(settings, { providerId: options.providerId ?? name, env });
  const organization = resolved.organization ?? (resolved.isOpenAIHost ? env.OPENAI_ORG_ID : undefined) ?? null;
  const project = resolved.project ?? (resolved.isOpenAIHost ? env.OPENAI_PROJECT_ID : undefined) ?? null;
  const nodeFetch = resolved.httpClient === 'node' ? createNodeHttpFetch() : undefined;
  const client = new OpenAI({
    apiKey: resolved.apiKey,
    baseURL: resolved.baseURL,
    organization,
    project,
    timeout: resolved.timeoutMs,
    maxRetries: resolved.maxRetries,
    ...(resolved.headers ? { defaultHeaders: resolved.headers } : {}),
    // Failures are reported as ProviderErrors; the SDK's own console logging would repeat them.
    logLevel: 'off',
    ...(nodeFetch ? { fetch: nodeFetch } : {}),
  });
  const { apiKey: _apiKey, ...visibleSettings } = resolved;
  // Whole chat completions are posted without the SDK on the node transport when the SDK would not retry (see DirectPost).
  const directPost: DirectPost | undefined =
    nodeFetch && resolved.maxRetries === 0
      ? { fetch: nodeFetch, url: `${resolved.baseURL.replace(/\/+$/, '')}/chat/completions`, headers: sdkHeaders(resolved.apiKey, organization, project, resolved.headers) }
      : undefined;
  const chatSettings = { ...resolved, bufferedTransport: resolved.httpClient === 'node', ...(directPost ? { directPost } : {}) };
  const chat = (model: string) => new OpenAIChatModel(model, { client, settings: chatSettings, provider: name });
  const embedding = (model: string) => new OpenAIEmbeddingModel(model, { client, settings: resolved, provider: name });
  const embed = (texts: string[], { model = DEFAULT_EMBEDDING_MODEL, ...embedOptions }: EmbedOptions & { model?: string } = {}) =>
    embedding(model).embed(texts, embedOptions);
  return Object.assign((model: string) => chat(model), { chat, embedding, embed, client, settings: Object.freeze(visibleSettings) });
}

/**
 * The `openai` provider family for LLM Lab's registry: `openai:<model>` ids, configured by the
 * provider's `config:` block. Each provider made gets its own SDK client.
 */
export const openaiProvider: ProviderPlugin = defineProvider({
  name: 'openai',
  contractVersion: CONTRACT_VERSION,
  description: 'OpenAI chat models (gpt-4o, gpt-4.1, o3, o4-mini, gpt-5, ...) and any OpenAI-compatible server via baseURL.',
  // What the GPT-4o / GPT-4.1 models do; each model's own flags are in openai-models.ts.
  capabilities: { streaming: true, batch: true, jsonMode: true, jsonSchema: true, tools: true, parallelToolCalls: true, vision: true, logprobs: true, multipleChoices: true, reasoning: false, embeddings: true },
  paceConfigKeys: ['httpClient'],
  create: ({ model, config }) => createOpenAI(config, { providerId: `openai:${model}` }).chat(model),
  // promptfoo writes embedding ids as openai:embedding:<model>; both forms name the same model.
  createEmbedding: ({ model, config }) => createOpenAI(config, { providerId: `openai:${model}` }).embedding(model.replace(/^embeddings?:/, '')),
});

/**
 * The headers the SDK sends on a chat completion that a server reads, by lower-case name: JSON
 * in and out, its user agent, the bearer key, organization and project, then the config's
 * `headers` (which win, as the SDK's `defaultHeaders` do).
 */
function sdkHeaders(apiKey: string, organization: string | null, project: string | null, extra: Record<string, string> | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/json',
    'user-agent': `OpenAI/JS ${VERSION}`,
    authorization: `Bearer ${apiKey}`,
  };
  if (organization) headers['openai-organization'] = organization;
  if (project) headers['openai-project'] = project;
  for (const [name, value] of Object.entries(extra ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}
