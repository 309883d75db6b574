import { availableParallelism } from 'node:os';
import { parseProviderConfig, providerConfigFields, z } from '@llm-lab/core';
import { defaultModelsDir, expandHome } from './gguf-model-path.js';
import { GGUF_PROMPT_FORMATS } from './gguf-prompt-format.js';
import { resolve } from 'node:path';

/** The `config:` block of a `gguf:<path-or-name>` provider (and the settings of `createGguf`). Every field is optional. */
export const ggufConfigSchema = z
  .object({
    /** Where model names are looked up. Default: `LLM_LAB_MODELS_DIR`, else `~/.cache/llm-lab/models`. */
    modelsDir: z.string().min(1).optional(),
    /** CPU threads per context. Default: 2, or 1 on a one-core machine (more threads than cores makes generation collapse). */
    threads: z.number().int().positive().optional(),
    /** Context size in tokens. Default: the model's training context (from the GGUF metadata), at most 4096. */
    contextSize: z.number().int().positive().optional(),
    /** Calls run at once, each in its own context (memory grows with it). Default 1: further calls wait their turn. */
    parallelism: z.number().int().min(1).max(16).default(1),
    /** Use a GPU: `false` (CPU only, the default) or `auto` to let node-llama-cpp pick CUDA, Vulkan or Metal when its binaries are installed. */
    gpu: z.union([z.literal(false), z.literal('auto')]).default(false),
    /** Tokens generated when a request sets no `maxTokens`. Default 256 (completion models otherwise write until the context is full). */
    maxTokens: z.number().int().positive().default(256),
    /**
     * How the conversation becomes the model's prompt: `auto` (default) formats it with the model's
     * own chat template (`tokenizer.chat_template` in the GGUF metadata) when it has one, else as
     * plain completion; `chat-template` requires the template; `completion` sends the conversation
     * flattened to plain text, no template (base models). Scoring (`scoreCompletions`) uses the same format.
     */
    promptFormat: z.enum(GGUF_PROMPT_FORMATS).default('auto'),
    /** Stop sequences used when a request sets no `stop`. Default none. */
    stop: z.array(z.string().min(1)).optional(),
    /** `timeoutMs`: per call, model loading included (default 600,000); `pricing`: when you want local calls costed (default none). */
    ...providerConfigFields('timeoutMs', 'pricing'),
  })
  .strict();

export type GgufProviderSettings = z.input<typeof ggufConfigSchema>;

/** Settings after defaults. */
export interface ResolvedGgufSettings extends Omit<z.output<typeof ggufConfigSchema>, 'modelsDir' | 'threads'> {
  modelsDir: string;
  threads: number;
}

/** Validates the settings and fills in defaults. Throws a ConfigError naming the bad field. */
export function resolveGgufSettings(settings: unknown, options: { providerId?: string; env?: NodeJS.ProcessEnv } = {}): ResolvedGgufSettings {
  const parsed = parseProviderConfig(ggufConfigSchema, settings, options.providerId ?? 'gguf');
  return {
    ...parsed,
    modelsDir: parsed.modelsDir !== undefined ? resolve(expandHome(parsed.modelsDir)) : defaultModelsDir(options.env),
    threads: parsed.threads ?? Math.max(1, Math.min(2, availableParallelism())),
  };
}

/** The `providerOptions` a gguf request accepts. */
export const ggufRequestOptionsSchema = z
  .object({
    /** Min-p sampling (0–1), used with a temperature above 0. */
    minP: z.number().min(0).max(1).optional(),
    /** llama.cpp's repeat penalty (1 disables it). */
    repeatPenalty: z.number().min(0).optional(),
  })
  .strict();
