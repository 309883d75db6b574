import type { ModelCapabilities, ModelPricing } from '@llm-lab/core';

/** Prices in US dollars per million tokens, with Anthropic's prompt-cache write price. */
export interface AnthropicModelPricing extends ModelPricing {
  /** Cache hits and refreshes. */
  cachedInputPerMillion?: number;
  /** Writes to the 5-minute prompt cache (1.25 × the input price). */
  cacheWriteInputPerMillion?: number;
}

/** What LLM Lab knows about one Claude model. */
export interface AnthropicModelFacts {
  /** Context window in tokens (input + output). */
  contextWindow: number;
  /** Most tokens the model generates in one call. */
  maxOutputTokens: number;
  capabilities: ModelCapabilities;
  /** Absent when the price is unknown, so cost is undefined rather than wrong. */
  pricing?: AnthropicModelPricing;
  /** Accepts `output_config.format` (structured outputs: JSON constrained to a schema). */
  structuredOutputs: boolean;
}

/**
 * Every Claude model here has tool use (parallel calls included) and image input. None has a
 * schema-less JSON mode (a JSON answer without a schema is asked for in the system prompt, not
 * enforced), so `jsonMode` is false; `jsonSchema` is structured outputs (`output_config.format`).
 * `reasoning`: extended thinking (Claude 3.7 Sonnet and the Claude 4 family). Anthropic has no
 * `n`, so `multipleChoices` is false.
 */
const capabilities = (structuredOutputs: boolean, thinking: boolean): ModelCapabilities => ({
  streaming: true,
  batch: true,
  embeddings: false,
  logprobs: false,
  tools: true,
  parallelToolCalls: true,
  jsonMode: false,
  jsonSchema: structuredOutputs,
  vision: true,
  reasoning: thinking,
  multipleChoices: false,
});

/** Input, output, cache write and cache read prices, per million tokens. */
const price = (input: number, output: number): AnthropicModelPricing => ({
  inputPerMillion: input,
  outputPerMillion: output,
  cacheWriteInputPerMillion: Math.round(input * 1.25 * 1000) / 1000,
  cachedInputPerMillion: Math.round(input * 0.1 * 1000) / 1000,
});

const model = (contextWindow: number, maxOutputTokens: number, pricing: AnthropicModelPricing, structuredOutputs: boolean, thinking = true): AnthropicModelFacts => ({
  contextWindow,
  maxOutputTokens,
  capabilities: capabilities(structuredOutputs, thinking),
  pricing,
  structuredOutputs,
});

/**
 * Claude models by API alias. Prices are US dollars per million tokens at the standard tier, as
 * listed on Anthropic's pricing page (https://platform.claude.com/docs/en/about-claude/pricing)
 * in February 2026: base input, output, 5-minute cache writes (1.25 × input) and cache hits
 * (0.1 × input). Message Batches cost half of these (applied by `batchGenerate`). Prompts above
 * 200K tokens on the 1M-context models are billed at a long-context rate that is not modelled
 * here. Prices change: check them before relying on cost figures, and override them with
 * `pricing:` in the config.
 */
export const ANTHROPIC_MODELS: Readonly<Record<string, AnthropicModelFacts>> = {
  'claude-opus-4-6': model(1_000_000, 128_000, price(5, 25), true),
  'claude-sonnet-4-6': model(1_000_000, 64_000, price(3, 15), true),
  'claude-opus-4-5': model(200_000, 64_000, price(5, 25), true),
  'claude-sonnet-4-5': model(200_000, 64_000, price(3, 15), true),
  'claude-haiku-4-5': model(200_000, 64_000, price(1, 5), true),
  'claude-opus-4-1': model(200_000, 32_000, price(15, 75), false),
  'claude-opus-4-0': model(200_000, 32_000, price(15, 75), false),
  'claude-sonnet-4-0': model(200_000, 64_000, price(3, 15), false),
  'claude-3-7-sonnet': model(200_000, 64_000, price(3, 15), false),
  'claude-3-5-haiku': model(200_000, 8_192, { inputPerMillion: 0.8, outputPerMillion: 4, cacheWriteInputPerMillion: 1, cachedInputPerMillion: 0.08 }, false, false),
  'claude-3-haiku': model(200_000, 4_096, { inputPerMillion: 0.25, outputPerMillion: 1.25, cacheWriteInputPerMillion: 0.3, cachedInputPerMillion: 0.03 }, false, false),
};

/** Other names of the same models: dated snapshots that do not follow `<alias>-<date>`. */
const ALIASES: Readonly<Record<string, string>> = {
  'claude-opus-4': 'claude-opus-4-0',
  'claude-opus-4-20250514': 'claude-opus-4-0',
  'claude-sonnet-4': 'claude-sonnet-4-0',
  'claude-sonnet-4-20250514': 'claude-sonnet-4-0',
};

/**
 * Facts for a model LLM Lab does not know: no pricing, so cost is undefined rather than wrong, and no
 * capability claimed beyond streaming and batches (tools, images and thinking are still sent when a
 * request has them; the API refuses what the model lacks).
 */
export const UNKNOWN_ANTHROPIC_MODEL: AnthropicModelFacts = {
  contextWindow: 200_000,
  maxOutputTokens: 4_096,
  capabilities: { streaming: true, batch: true, embeddings: false, logprobs: false, tools: false, parallelToolCalls: false, jsonMode: false, jsonSchema: false, vision: false, reasoning: false, multipleChoices: false },
  structuredOutputs: false,
};

const SNAPSHOT = /^(.+?)-(?:\d{8}|latest)$/;

/**
 * Looks a model up by its alias or a dated snapshot (`claude-haiku-4-5-20251001` →
 * `claude-haiku-4-5`, `claude-3-7-sonnet-latest` → `claude-3-7-sonnet`). Returns undefined for an
 * unknown model.
 */
export function findAnthropicModel(model: string): AnthropicModelFacts | undefined {
  const name = ALIASES[model] ?? model;
  const exact = ANTHROPIC_MODELS[name];
  if (exact) return exact;
  const base = SNAPSHOT.exec(name)?.[1];
  if (base === undefined) return undefined;
  return ANTHROPIC_MODELS[ALIASES[base] ?? base];
}
