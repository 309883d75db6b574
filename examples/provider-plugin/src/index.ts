/**
 * llm-lab-provider-tgi: an LLM Lab provider plugin for Hugging Face Text Generation Inference.
 * The default export is the plugin LLM Lab loads from a config's `plugins:` list.
 */
import { tgiProvider } from './tgi-provider.js';

export default tgiProvider;
export { tgiProvider, createTgi, type TgiProvider } from './tgi-provider.js';
export { TgiModel, DEFAULT_TGI_CONTEXT_WINDOW, type TgiModelOptions } from './tgi-model.js';
export { tgiConfigSchema, resolveTgiSettings, type TgiProviderSettings, type ResolvedTgiSettings } from './tgi-options.js';
export { buildTgiRequest, tgiRequestOptionsSchema, type BuiltTgiRequest, type TgiRequestOptions } from './tgi-request.js';
export { formatPrompt, PROMPT_FORMATS, type PromptFormat, type PromptFormatName } from './format-prompt.js';
export { mapTgiFinishReason } from './map-tgi-finish-reason.js';
export { mapTgiHttpError, mapTgiStreamError, mapTgiTransportError, parseTgiErrorBody, type TgiErrorContext } from './tgi-error.js';
export { readSseData } from './read-sse.js';
export type * from './tgi-wire.js';
