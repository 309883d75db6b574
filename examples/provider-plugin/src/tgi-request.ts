import { ProviderError, z, type GenerateRequest, type ProviderWarning } from '@llm-lab/core';
import { formatPrompt } from './format-prompt.js';
import type { ResolvedTgiSettings } from './tgi-options.js';
import type { TgiGenerateRequest, TgiParameters } from './tgi-wire.js';

/**
 * The `providerOptions` a TGI request accepts, sent as the TGI parameter noted. Anything else is
 * refused with a bad-request naming it.
 */
export const tgiRequestOptionsSchema = z
  .object({
    /** `repetition_penalty` (1.0 means none). */
    repetitionPenalty: z.number().positive().optional(),
    /** `truncate`: keep only the last N prompt tokens. */
    truncate: z.number().int().positive().optional(),
    /** `do_sample`: force sampling on or off (default: on when temperature, topP or topK is set). */
    doSample: z.boolean().optional(),
    /** `typical_p`, in (0, 1]. */
    typicalP: z.number().gt(0).max(1).optional(),
  })
  .strict();

export type TgiRequestOptions = z.output<typeof tgiRequestOptionsSchema>;

/** A built TGI request: the body to send and the warnings for settings TGI cannot honour. */
export interface BuiltTgiRequest {
  body: TgiGenerateRequest;
  warnings: ProviderWarning[];
}

/**
 * Maps a contract request to TGI's `{ inputs, parameters }`. The messages are flattened into
 * `inputs` with the configured prompt format. `temperature: 0` means greedy decoding (TGI refuses
 * a temperature of 0, so it is sent as `do_sample: false`); `topP: 1` is left out (TGI accepts
 * only values below 1). `presencePenalty` does not exist in TGI and becomes a warning.
 * Throws a bad-request ProviderError for values TGI would refuse.
 */
export function buildTgiRequest(request: GenerateRequest, settings: ResolvedTgiSettings, providerId: string, warnings: ProviderWarning[]): BuiltTgiRequest {
  const refuse = (setting: string, message: string): never => {
    throw new ProviderError({ kind: 'bad-request', providerId, message: `Invalid request setting '${setting}' for ${providerId}: ${message}` });
  };
  const options = tgiRequestOptionsSchema.safeParse(request.providerOptions ?? {});
  if (!options.success) {
    const issue = options.error.issues[0];
    const where = issue?.path.length ? `providerOptions.${issue.path.join('.')}` : 'providerOptions';
    refuse(where, `${issue?.message ?? 'invalid'}. Accepted: repetitionPenalty, truncate, doSample, typicalP.`);
  }
  const extra = options.success ? options.data : {};
  const parameters: TgiParameters = { details: true, return_full_text: false };
  if (request.maxTokens !== undefined) parameters.max_new_tokens = request.maxTokens;
  if (request.temperature !== undefined) {
    if (request.temperature === 0) parameters.do_sample = false;
    else parameters.temperature = request.temperature;
  }
  if (request.topP !== undefined) {
    if (request.topP <= 0) refuse('topP', 'TGI needs a value above 0 (use temperature: 0 for greedy decoding).');
    if (request.topP < 1) parameters.top_p = request.topP;
  }
  if (request.topK !== undefined) parameters.top_k = request.topK;
  if (request.frequencyPenalty !== undefined) parameters.frequency_penalty = request.frequencyPenalty;
  if (request.stop !== undefined && request.stop.length > 0) parameters.stop = [...request.stop];
  if (request.seed !== undefined) {
    if (request.seed < 0) refuse('seed', `TGI needs a seed of 0 or more, got ${request.seed}.`);
    parameters.seed = request.seed;
  }
  if (request.responseFormat?.type === 'json') {
    parameters.grammar = { type: 'json', value: request.responseFormat.schema ?? { type: 'object' } };
  }
  if (extra.repetitionPenalty !== undefined) parameters.repetition_penalty = extra.repetitionPenalty;
  if (extra.truncate !== undefined) parameters.truncate = extra.truncate;
  if (extra.typicalP !== undefined) parameters.typical_p = extra.typicalP;
  if (extra.doSample !== undefined) parameters.do_sample = extra.doSample;
  return { body: { inputs: formatPrompt(request.messages, settings.promptFormat), parameters }, warnings };
}
