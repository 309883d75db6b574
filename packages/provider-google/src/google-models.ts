import type { ModelCapabilities, ModelPricing } from '@llm-lab/core';

/** A price tier that applies when a request's prompt is longer than `aboveInputTokens`. */
export interface GoogleLongContextPricing {
  /** Prompts with more input tokens than this are billed at `pricing` (Gemini 2.5 Pro: 200,000). */
  aboveInputTokens: number;
  pricing: ModelPricing;
}

/** What LLM Lab knows about a Gemini model. */
export interface GoogleModelFacts {
  /** Context window in tokens (the model's input token limit). */
  contextWindow: number;
  /** Most tokens the model generates in one call (thinking included). */
  maxOutputTokens: number;
  capabilities: ModelCapabilities;
  /** Standard-tier prices for prompts up to the long-context threshold (or all prompts). */
  pricing: ModelPricing;
  /** The higher tier for long prompts, for models priced by prompt length. */
  longContextPricing?: GoogleLongContextPricing;
  /** A thinking model: its hidden reasoning is billed as output and reported as `thoughtsTokenCount`. */
  thinking: boolean;
}

/**
 * Every Gemini model here has function calling (several calls in one turn included), image input,
 * JSON mode and response schemas, and `candidateCount` (`n`). `reasoning` (thought parts) is for
 * the thinking models (Gemini 2.5).
 */
const capabilitiesOf = (thinking: boolean): ModelCapabilities => ({
  streaming: true,
  // Batch Mode (`ai.batches`, google-batch.ts) takes every Gemini API model.
  batch: true,
  embeddings: false,
  logprobs: false,
  tools: true,
  parallelToolCalls: true,
  jsonMode: true,
  jsonSchema: true,
  vision: true,
  reasoning: thinking,
  multipleChoices: true,
});

/**
 * Prices are US dollars per million tokens for text, image and video input, paid tier, as listed on
 * Google's Gemini API pricing page (https://ai.google.dev/gemini-api/docs/pricing) in August 2025.
 * Output prices include thinking tokens. Audio input costs more and is not modelled; Gemini 2.5
 * Pro charges a higher tier for prompts over 200,000 tokens (applied by `estimateCost`). Prices
 * change: check them before relying on cost figures, and override them with `pricing:` in the config.
 */
export const GOOGLE_MODELS: Readonly<Record<string, GoogleModelFacts>> = {
  'gemini-2.5-pro': {
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    capabilities: capabilitiesOf(true),
    pricing: { inputPerMillion: 1.25, cachedInputPerMillion: 0.31, outputPerMillion: 10 },
    longContextPricing: { aboveInputTokens: 200_000, pricing: { inputPerMillion: 2.5, cachedInputPerMillion: 0.625, outputPerMillion: 15 } },
    thinking: true,
  },
  'gemini-2.5-flash': {
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    capabilities: capabilitiesOf(true),
    pricing: { inputPerMillion: 0.3, cachedInputPerMillion: 0.075, outputPerMillion: 2.5 },
    thinking: true,
  },
  'gemini-2.5-flash-lite': {
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    capabilities: capabilitiesOf(true),
    pricing: { inputPerMillion: 0.1, cachedInputPerMillion: 0.025, outputPerMillion: 0.4 },
    thinking: true,
  },
  'gemini-2.0-flash': {
    contextWindow: 1_048_576,
    maxOutputTokens: 8_192,
    capabilities: capabilitiesOf(false),
    pricing: { inputPerMillion: 0.1, cachedInputPerMillion: 0.025, outputPerMillion: 0.4 },
    thinking: false,
  },
  'gemini-2.0-flash-lite': {
    contextWindow: 1_048_576,
    maxOutputTokens: 8_192,
    capabilities: capabilitiesOf(false),
    pricing: { inputPerMillion: 0.075, outputPerMillion: 0.3 },
    thinking: false,
  },
};

/** Facts for a model LLM Lab does not know: no pricing, so cost is undefined rather than wrong. */
export interface UnknownGoogleModelFacts extends Omit<GoogleModelFacts, 'pricing' | 'maxOutputTokens'> {
  pricing?: undefined;
  maxOutputTokens?: undefined;
}

/**
 * A model LLM Lab does not know (a Gemma, a preview) claims nothing beyond streaming: tools,
 * images, JSON and `n` are still sent when a request has them, and the API refuses what the model lacks.
 */
export const UNKNOWN_GOOGLE_MODEL: UnknownGoogleModelFacts = {
  contextWindow: 1_048_576,
  capabilities: {
    streaming: true,
    batch: false,
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
  thinking: false,
};

const VERSION_SUFFIX = /^(.+)-\d{3}$/;

/**
 * Looks a model up by name, accepting the `models/` prefix and stable version suffixes
 * (`gemini-2.0-flash-001` → `gemini-2.0-flash`). Previews and experimental models are not
 * matched (their prices differ). Returns undefined for an unknown model.
 */
export function findGoogleModel(model: string): GoogleModelFacts | undefined {
  const name = model.startsWith('models/') ? model.slice('models/'.length) : model;
  const exact = GOOGLE_MODELS[name];
  if (exact) return exact;
  const base = VERSION_SUFFIX.exec(name)?.[1];
  return base !== undefined ? GOOGLE_MODELS[base] : undefined;
}
