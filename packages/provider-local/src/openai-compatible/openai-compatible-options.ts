import { ConfigError, parseProviderConfig, providerConfigFields, registerSecret, z, type ModelCapabilities } from '@llm-lab/core';

/** Sent as the key when none is configured (vLLM, llama.cpp server and LM Studio ignore it unless started with a key). */
export const NO_API_KEY = 'llm-lab-no-key';

/** Context window reported when none is configured. */
export const OPENAI_COMPATIBLE_DEFAULT_CONTEXT_WINDOW = 8192;

/**
 * What a model on an OpenAI-compatible server is taken to do unless `capabilities:` in the config
 * says otherwise: what the wire format carries and LLM Lab sends and reads (tools with parallel
 * and streamed calls, JSON and JSON-schema output, `n` alternatives). Whether the served model
 * sees images, or the server returns reasoning text (`reasoning_content`, vLLM's and DeepSeek's
 * field), depends on the model, so those are off until configured; so are log-probabilities.
 * No batch API: `batchGenerate` makes concurrent calls.
 */
export const OPENAI_COMPATIBLE_DEFAULT_CAPABILITIES: ModelCapabilities = Object.freeze({
  streaming: true,
  batch: false,
  embeddings: false,
  logprobs: false,
  tools: true,
  parallelToolCalls: true,
  jsonMode: true,
  jsonSchema: true,
  vision: false,
  reasoning: false,
  multipleChoices: true,
});

/** The `config:` block of an `openai-compatible:<model>` provider (and the settings of `createOpenAICompatible`). `baseURL` is required. */
export const openaiCompatibleConfigSchema = z
  .object({
    /** The server's OpenAI-compatible API root, usually ending in `/v1` (e.g. `http://127.0.0.1:8000/v1` for vLLM). Required. */
    baseURL: z.url().optional(),
    /**
     * `apiKey`: sent as `Authorization: Bearer …` when the server was started with a key (optional);
     * `timeoutMs` (default 600,000), `maxRetries` (default 0) and `headers` as for every provider.
     */
    ...providerConfigFields('apiKey', 'timeoutMs', 'maxRetries', 'headers'),
    /**
     * How requests travel: `node` (default) through Node's http/https with keep-alive agents, a
     * fraction of the CPU per call of `fetch` (Node's built-in fetch, or a global one you installed).
     */
    httpClient: z.enum(['node', 'fetch']).default('node'),
    /** Ask for usage in streamed answers (`stream_options.include_usage`). Default true; turn off for servers that refuse it. */
    streamUsage: z.boolean().default(true),
    /**
     * The server returns prompt log-probabilities on `/completions` with `echo` and `logprobs`
     * (vLLM does; llama.cpp server and LM Studio do not). When true the model implements
     * `scoreCompletions`, used by log-likelihood scoring (`bench --scoring loglikelihood`, TruthfulQA MC). Default false.
     */
    promptLogprobs: z.boolean().default(false),
    /**
     * What the served model and server do, where it differs from {@link OPENAI_COMPATIBLE_DEFAULT_CAPABILITIES}:
     * e.g. `{ vision: true }` for a vision model, `{ reasoning: true }` for a server that returns
     * `reasoning_content`, `{ tools: false }` for a server started without tool calling.
     */
    capabilities: z
      .object({
        tools: z.boolean(),
        parallelToolCalls: z.boolean(),
        jsonMode: z.boolean(),
        jsonSchema: z.boolean(),
        vision: z.boolean(),
        reasoning: z.boolean(),
        multipleChoices: z.boolean(),
        logprobs: z.boolean(),
      })
      .partial()
      .strict()
      .optional(),
    /** `pricing`: default none (cost is undefined); `contextWindow`: reported for the model, default 8192. */
    ...providerConfigFields('pricing', 'contextWindow'),
  })
  .strict();

export type OpenAICompatibleProviderSettings = z.input<typeof openaiCompatibleConfigSchema>;

/** Settings after validation. */
export interface ResolvedOpenAICompatibleSettings extends Omit<z.output<typeof openaiCompatibleConfigSchema>, 'baseURL' | 'apiKey'> {
  baseURL: string;
  apiKey: string;
}

/**
 * Validates the settings. Throws a ConfigError at `config.baseURL` when it is missing (there is
 * no sensible default for "some OpenAI-compatible server"). The key, when given, is registered as
 * a secret so it is redacted from logs and errors.
 */
export function resolveOpenAICompatibleSettings(settings: unknown, options: { providerId?: string } = {}): ResolvedOpenAICompatibleSettings {
  const providerId = options.providerId ?? 'openai-compatible';
  const parsed = parseProviderConfig(openaiCompatibleConfigSchema, settings, providerId);
  if (parsed.baseURL === undefined) {
    throw new ConfigError({
      path: 'config.baseURL',
      message:
        `Provider ${providerId} needs 'baseURL': the OpenAI-compatible server's API root, e.g. ` +
        `http://127.0.0.1:8000/v1 (vLLM), http://127.0.0.1:8080/v1 (llama.cpp server) or http://127.0.0.1:1234/v1 (LM Studio). Set it in the provider's config block.`,
    });
  }
  registerSecret(parsed.apiKey);
  return { ...parsed, baseURL: parsed.baseURL.replace(/\/+$/, ''), apiKey: parsed.apiKey ?? NO_API_KEY };
}
