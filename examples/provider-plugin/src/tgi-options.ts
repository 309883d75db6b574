import { parseProviderConfig, providerConfigFields, registerSecret, z } from '@llm-lab/core';
import { PROMPT_FORMATS, type PromptFormat } from './format-prompt.js';

const turnTemplatesSchema = z
  .object({
    /** A system turn; `{content}` is replaced by the message text. */
    system: z.string(),
    /** A user turn (tool results are formatted as user turns). */
    user: z.string(),
    /** A past assistant turn. */
    assistant: z.string(),
    /** Appended after the last turn: where the model starts its answer. */
    generation: z.string().default(''),
    /** Written once before the first turn, e.g. a BOS token. */
    prefix: z.string().default(''),
  })
  .strict();

/**
 * The `config:` block of a `tgi:<model>` provider (and the settings of `createTgi`). Only
 * `baseURL` is required.
 */
export const tgiConfigSchema = z
  .object({
    /** The TGI server, e.g. `http://localhost:8080` (without `/generate`). */
    baseURL: z.url({ message: "baseURL must be the TGI server's URL, e.g. http://localhost:8080" }),
    /**
     * `apiKey`: sent as `Authorization: Bearer <apiKey>` (TGI's `--api-key`, or a Hugging Face
     * Inference Endpoint token); `timeoutMs`: per call, to the last byte of a streamed answer
     * (default 600,000: 10 minutes). Both are core's common provider fields.
     */
    ...providerConfigFields('apiKey', 'timeoutMs'),
    /**
     * How chat messages become TGI's single `inputs` string: a preset (`plain`, `chatml`,
     * `llama3`, `mistral`, `raw`) or your own turn templates. Default `plain`.
     */
    promptFormat: z.union([z.enum(Object.keys(PROMPT_FORMATS) as [keyof typeof PROMPT_FORMATS]), turnTemplatesSchema]).default('plain'),
    /** Remove a stop sequence that ends the answer (TGI includes it in `generated_text`). Default true. */
    trimStopSequence: z.boolean().default(true),
    /**
     * `contextWindow`: in tokens (TGI's `max_total_tokens`), until `fetchInfo()` reads it from the
     * server (default 4096); `pricing`: absent means cost is unknown (the usual case for a
     * self-hosted server); `headers`: sent with every request.
     */
    ...providerConfigFields('contextWindow', 'pricing', 'headers'),
  })
  .strict();

/** The settings as written (before defaults). */
export type TgiProviderSettings = z.input<typeof tgiConfigSchema>;

/** Settings after validation and defaults. */
export interface ResolvedTgiSettings extends Omit<z.output<typeof tgiConfigSchema>, 'promptFormat'> {
  promptFormat: PromptFormat;
}

/**
 * Validates a `config:` block and fills in defaults. Throws a ConfigError naming the field (e.g.
 * `config.baseURL`) and the provider. The API key is registered as a secret, so it is redacted
 * from every log line and error message.
 */
export function resolveTgiSettings(settings: unknown, providerId = 'tgi'): ResolvedTgiSettings {
  const parsed = parseProviderConfig(tgiConfigSchema, settings, providerId);
  registerSecret(parsed.apiKey);
  const promptFormat = typeof parsed.promptFormat === 'string' ? PROMPT_FORMATS[parsed.promptFormat] : parsed.promptFormat;
  return { ...parsed, baseURL: parsed.baseURL.replace(/\/+$/, ''), promptFormat };
}
