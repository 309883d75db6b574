import type { ModelCapabilities, ModelPricing } from '@llm-lab/core';

/** What LLM Lab knows about one OpenAI model. */
export interface OpenAIModelFacts {
  /** Context window in tokens (input + output). */
  contextWindow: number;
  /** Most tokens the model generates in one call, when known. */
  maxOutputTokens?: number;
  capabilities: ModelCapabilities;
  /** Absent when the price is unknown, so cost is undefined rather than wrong. */
  pricing?: ModelPricing;
  /**
   * A reasoning model (o-series, GPT-5): it accepts only the default sampling settings, so
   * temperature, top_p and the penalties are left out with a warning instead of being refused.
   */
  reasoning: boolean;
}

/**
 * What a GPT-4o / GPT-4.1 model does on the chat-completions API: tools (with parallel calls and
 * streamed argument deltas), JSON mode and strict JSON-schema output, `n` alternatives,
 * log-probabilities, images (vision models). No reasoning text: OpenAI's chat API does not return it.
 */
const chatCapabilities = (vision: boolean): ModelCapabilities => ({
  streaming: true,
  batch: true,
  embeddings: false,
  logprobs: true,
  tools: true,
  parallelToolCalls: true,
  jsonMode: true,
  jsonSchema: true,
  vision,
  reasoning: false,
  multipleChoices: true,
});

/**
 * Reasoning models (o-series, GPT-5) on the chat-completions API: tools, structured output and
 * images (except o3-mini) as the chat models, but no log-probabilities and only one alternative
 * (`n` stays 1); their reasoning stays hidden (counted in `usage.reasoningTokens`, its text is not
 * returned by the chat API).
 */
const reasoningCapabilities = (vision: boolean): ModelCapabilities => ({ ...chatCapabilities(vision), logprobs: false, multipleChoices: false });

/**
 * Prices are US dollars per million tokens (input / cached input / output), standard tier, as
 * listed on OpenAI's pricing page (https://openai.com/api/pricing) in August 2025. They change:
 * check them before relying on cost figures, and override them with `pricing:` in the config.
 */
export const OPENAI_MODELS: Readonly<Record<string, OpenAIModelFacts>> = {
  'gpt-4o': {
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: chatCapabilities(true),
    pricing: { inputPerMillion: 2.5, cachedInputPerMillion: 1.25, outputPerMillion: 10 },
    reasoning: false,
  },
  'gpt-4o-mini': {
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: chatCapabilities(true),
    pricing: { inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 0.6 },
    reasoning: false,
  },
  'gpt-4.1': {
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    capabilities: chatCapabilities(true),
    pricing: { inputPerMillion: 2, cachedInputPerMillion: 0.5, outputPerMillion: 8 },
    reasoning: false,
  },
  'gpt-4.1-mini': {
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    capabilities: chatCapabilities(true),
    pricing: { inputPerMillion: 0.4, cachedInputPerMillion: 0.1, outputPerMillion: 1.6 },
    reasoning: false,
  },
  'gpt-4.1-nano': {
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    capabilities: chatCapabilities(true),
    pricing: { inputPerMillion: 0.1, cachedInputPerMillion: 0.025, outputPerMillion: 0.4 },
    reasoning: false,
  },
  o3: {
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    capabilities: reasoningCapabilities(true),
    pricing: { inputPerMillion: 2, cachedInputPerMillion: 0.5, outputPerMillion: 8 },
    reasoning: true,
  },
  'o3-mini': {
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    capabilities: reasoningCapabilities(false),
    pricing: { inputPerMillion: 1.1, cachedInputPerMillion: 0.55, outputPerMillion: 4.4 },
    reasoning: true,
  },
  'o4-mini': {
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    capabilities: reasoningCapabilities(true),
    pricing: { inputPerMillion: 1.1, cachedInputPerMillion: 0.275, outputPerMillion: 4.4 },
    reasoning: true,
  },
  'gpt-5': {
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    capabilities: reasoningCapabilities(true),
    pricing: { inputPerMillion: 1.25, cachedInputPerMillion: 0.125, outputPerMillion: 10 },
    reasoning: true,
  },
  'gpt-5-mini': {
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    capabilities: reasoningCapabilities(true),
    pricing: { inputPerMillion: 0.25, cachedInputPerMillion: 0.025, outputPerMillion: 2 },
    reasoning: true,
  },
  'gpt-5-nano': {
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    capabilities: reasoningCapabilities(true),
    pricing: { inputPerMillion: 0.05, cachedInputPerMillion: 0.005, outputPerMillion: 0.4 },
    reasoning: true,
  },
};

/** Facts for a model LLM Lab does not know (e.g. on an OpenAI-compatible server): no pricing, so cost is undefined rather than wrong. */
export const UNKNOWN_OPENAI_MODEL: OpenAIModelFacts = {
  contextWindow: 128_000,
  capabilities: {
    streaming: true,
    batch: true,
    embeddings: false,
    logprobs: false,
    tools: false,
    parallelToolCalls: false,
    jsonMode: false,
    jsonSchema: false,
    vision: false,
    reasoning: false,
    multipleChoices: false,
  },
  reasoning: false,
};

const DATED_SNAPSHOT = /^(.+)-\d{4}-\d{2}-\d{2}$/;

/**
 * Looks a model up by name, accepting dated snapshots (`gpt-4o-2024-08-06` → `gpt-4o`,
 * `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`). Returns undefined for an unknown model.
 */
export function findOpenAIModel(model: string): OpenAIModelFacts | undefined {
  const exact = OPENAI_MODELS[model];
  if (exact) return exact;
  const base = DATED_SNAPSHOT.exec(model)?.[1];
  return base !== undefined ? OPENAI_MODELS[base] : undefined;
}

/** What LLM Lab knows about one OpenAI embedding model. */
export interface OpenAIEmbeddingModelFacts {
  /** Length of the vectors it returns by default. */
  dimensions: number;
  /** Whether the `dimensions` option may shorten its vectors. */
  shortenable: boolean;
  /** Most tokens one input may have. */
  maxInputTokens: number;
  /** US dollars per million input tokens (embeddings have no output tokens). */
  pricing?: ModelPricing;
}

/**
 * OpenAI's embedding models, with list prices in US dollars per million tokens as listed on
 * https://openai.com/api/pricing in August 2025 (the Batch API halves them). Check before relying on them.
 */
export const OPENAI_EMBEDDING_MODELS: Readonly<Record<string, OpenAIEmbeddingModelFacts>> = {
  'text-embedding-3-small': { dimensions: 1536, shortenable: true, maxInputTokens: 8191, pricing: { inputPerMillion: 0.02, outputPerMillion: 0 } },
  'text-embedding-3-large': { dimensions: 3072, shortenable: true, maxInputTokens: 8191, pricing: { inputPerMillion: 0.13, outputPerMillion: 0 } },
  'text-embedding-ada-002': { dimensions: 1536, shortenable: false, maxInputTokens: 8191, pricing: { inputPerMillion: 0.1, outputPerMillion: 0 } },
};
