/**
 * Gemini API (generativelanguage v1beta) wire shapes, as documented in Google's API reference
 * and as read and written by the official `@google/genai` SDK: the `generateContent` request
 * the fake server reads, and the `GenerateContentResponse`, model and error bodies it writes.
 */
import { countWords } from '../openai/openai-wire.js';

/** The part of a `generateContent` request body the fake reads. Other fields are recorded, not interpreted. */
export interface GenerateContentRequestBody {
  contents?: unknown;
  systemInstruction?: unknown;
  generationConfig?: Record<string, unknown> | null;
  safetySettings?: unknown;
  [field: string]: unknown;
}

/** Why a Gemini candidate stopped. */
export type GeminiFinishReason =
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY';

/** Why Gemini refused a prompt outright (`promptFeedback.blockReason`). */
export type GeminiBlockReason = 'SAFETY' | 'OTHER' | 'BLOCKLIST' | 'PROHIBITED_CONTENT' | 'IMAGE_SAFETY';

/** The harm categories Gemini rates. */
export type GeminiHarmCategory =
  | 'HARM_CATEGORY_HARASSMENT'
  | 'HARM_CATEGORY_HATE_SPEECH'
  | 'HARM_CATEGORY_SEXUALLY_EXPLICIT'
  | 'HARM_CATEGORY_DANGEROUS_CONTENT'
  | 'HARM_CATEGORY_CIVIC_INTEGRITY';

/** One safety rating, as in `candidates[].safetyRatings` and `promptFeedback.safetyRatings`. */
export interface GeminiSafetyRating {
  category: GeminiHarmCategory;
  probability: 'NEGLIGIBLE' | 'LOW' | 'MEDIUM' | 'HIGH';
  blocked?: boolean;
}

/** Token counts in the fake's reply; missing counts are computed as whitespace-separated words. */
export interface FakeGeminiUsage {
  promptTokens?: number;
  candidatesTokens?: number;
  cachedContentTokens?: number;
  thoughtsTokens?: number;
}

/** What a Gemini responder answers. */
export interface FakeGeminiReply {
  text: string;
  /** Default `STOP`. A content-filter reason (e.g. `SAFETY`) adds a blocking safety rating. */
  finishReason?: GeminiFinishReason;
  /** Sent first as a `thought: true` part, as Gemini 2.5 does with `includeThoughts`. */
  thoughts?: string;
  usage?: FakeGeminiUsage;
  /** When set, the prompt is refused: no candidates, `promptFeedback.blockReason` instead. */
  blockReason?: GeminiBlockReason;
  /** Replaces the safety ratings the fake adds. */
  safetyRatings?: GeminiSafetyRating[];
  /**
   * `functionCall` parts after the text, whole (Gemini does not stream arguments); an `id` only
   * when given (the Gemini API usually sends none). `signature` is the part's `thoughtSignature`
   * (thinking models sign the first call of a turn; the client must send it back with the call).
   */
  toolCalls?: Array<{ id?: string; name: string; arguments: string; signature?: string }>;
  /** Texts of candidates 2, 3, … when the request asks for `candidateCount` > 1 (default: `text` again). */
  alternatives?: string[];
}

/** Google's error body: `{ error: { code, message, status, details? } }`. */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: Array<Record<string, unknown>> };
}

/** A content part as the fake reads it. */
interface PartLike {
  text?: unknown;
  thought?: unknown;
}

/** The canonical gRPC status Google sends with each HTTP status. */
export function googleStatusFor(httpStatus: number): string {
  const known: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ABORTED',
    412: 'FAILED_PRECONDITION',
    429: 'RESOURCE_EXHAUSTED',
    499: 'CANCELLED',
    500: 'INTERNAL',
    501: 'NOT_IMPLEMENTED',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  return known[httpStatus] ?? (httpStatus >= 500 ? 'UNKNOWN' : 'FAILED_PRECONDITION');
}

/** A Google error body. */
export function googleErrorWire(code: number, message: string, details?: Array<Record<string, unknown>>): GoogleErrorBody {
  return { error: { code, message, status: googleStatusFor(code), ...(details && details.length > 0 ? { details } : {}) } };
}

/** Google writes error bodies pretty-printed with two-space indents. */
export function formatGoogleJson(body: unknown): string {
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** `google.rpc.ErrorInfo` for the Gemini API service. */
export function errorInfo(reason: string): Record<string, unknown> {
  return {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason,
    domain: 'googleapis.com',
    metadata: { service: 'generativelanguage.googleapis.com' },
  };
}

/** `google.rpc.RetryInfo` with Google's duration format (`7s`, `1.500s`). */
export function retryInfo(delayMs: number): Record<string, unknown> {
  const seconds = Math.max(0, delayMs) / 1000;
  const text = Number.isInteger(seconds) ? `${seconds}s` : `${seconds.toFixed(3).replace(/0+$/, '')}s`;
  return { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: text };
}

/** The body of a wrong API key: Google answers 400 `INVALID_ARGUMENT` with reason `API_KEY_INVALID`. */
export function apiKeyInvalidWire(): GoogleErrorBody {
  const message = 'API key not valid. Please pass a valid API key.';
  return googleErrorWire(400, message, [
    errorInfo('API_KEY_INVALID'),
    { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
  ]);
}

/** The error body Google sends for a status (and optional ErrorInfo reason) when a fault gives none. */
export function defaultGoogleErrorFor(options: {
  status: number;
  reason?: string | null;
  message?: string;
  model?: string;
  retryAfterMs?: number;
}): GoogleErrorBody {
  const { status, reason } = options;
  if (status === 400 && reason === 'API_KEY_INVALID' && options.message === undefined) return apiKeyInvalidWire();
  const model = options.model ?? 'gemini-2.5-flash';
  const preset = ((): string => {
    switch (status) {
      case 400:
        return 'Request contains an invalid argument.';
      case 401:
        return 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.';
      case 403:
        return 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.';
      case 404:
        return `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`;
      case 429:
        return 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.';
      case 500:
        return 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting';
      case 503:
        return 'The model is overloaded. Please try again later.';
      case 504:
        return 'The request timed out. Please try again.';
      default:
        return `Request failed with status ${status}.`;
    }
  })();
  const details: Array<Record<string, unknown>> = [];
  // Reasons Google puts in ErrorInfo are upper snake case; OpenAI-style codes from neutral faults are not.
  if (reason && /^[A-Z][A-Z0-9_]+$/.test(reason)) details.push(errorInfo(reason));
  if (status === 429) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
          quotaId: reason === 'PER_DAY' ? 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' : 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          quotaDimensions: { location: 'global', model },
          quotaValue: reason === 'PER_DAY' ? '250' : '10',
        },
      ],
    });
    details.push({
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
    });
  }
  if (options.retryAfterMs !== undefined) details.push(retryInfo(options.retryAfterMs));
  return googleErrorWire(status, options.message ?? preset, details);
}

/** The text of a `Content`'s parts (thought parts left out). */
export function textOfParts(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  return parts
    .filter((part: unknown): part is PartLike => typeof part === 'object' && part !== null)
    .filter((part) => part.thought !== true && typeof part.text === 'string')
    .map((part) => part.text as string)
    .join('');
}

/** The `contents` of a request as `{ role, text }`, ignoring malformed entries. */
export function contentsOf(body: GenerateContentRequestBody): Array<{ role: string; text: string }> {
  if (!Array.isArray(body.contents)) return [];
  return body.contents
    .filter((content: unknown): content is Record<string, unknown> => typeof content === 'object' && content !== null)
    .map((content) => ({ role: String(content.role ?? 'user'), text: textOfParts(content.parts) }));
}

/** The text of `systemInstruction`, or '' when there is none. */
export function systemTextOf(body: GenerateContentRequestBody): string {
  const instruction = body.systemInstruction;
  if (typeof instruction !== 'object' || instruction === null) return '';
  return textOfParts((instruction as { parts?: unknown }).parts);
}

/** Prompt tokens of a request in the fake's counting (words of the system instruction and every content, at least 1). */
export function geminiPromptTokensOf(body: GenerateContentRequestBody): number {
  const words = contentsOf(body).reduce((sum, content) => sum + countWords(content.text), countWords(systemTextOf(body)));
  return Math.max(1, words);
}

/** The default Gemini responder: the text of the last user content. */
export function echoLastUserContent(body: GenerateContentRequestBody): string {
  const users = contentsOf(body).filter((content) => content.role === 'user');
  return users[users.length - 1]?.text ?? '';
}

const CONTENT_FILTER_REASONS = new Set<GeminiFinishReason>(['SAFETY', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

/** The safety ratings of a blocked answer or prompt: harassment rated HIGH and blocked, the rest negligible. */
export function blockingSafetyRatings(): GeminiSafetyRating[] {
  return [
    { category: 'HARM_CATEGORY_SEXUALLY_EXPLICIT', probability: 'NEGLIGIBLE' },
    { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
    { category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true },
    { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'NEGLIGIBLE' },
  ];
}

/** The `usageMetadata` of a reply; `final: false` gives the running counts of an early stream chunk. */
export function usageMetadataWire(body: GenerateContentRequestBody, reply: FakeGeminiReply, final = true): Record<string, unknown> {
  const prompt = reply.usage?.promptTokens ?? geminiPromptTokensOf(body);
  const candidates = reply.usage?.candidatesTokens ?? countWords(reply.text);
  const thoughts = reply.usage?.thoughtsTokens ?? (reply.thoughts !== undefined ? countWords(reply.thoughts) : 0);
  const cached = reply.usage?.cachedContentTokens ?? 0;
  const promptTokensDetails = [{ modality: 'TEXT', tokenCount: prompt }];
  if (!final || reply.blockReason !== undefined) {
    return { promptTokenCount: prompt, totalTokenCount: prompt, promptTokensDetails };
  }
  return {
    promptTokenCount: prompt,
    ...(candidates > 0 ? { candidatesTokenCount: candidates } : {}),
    totalTokenCount: prompt + candidates + thoughts,
    ...(cached > 0 ? { cachedContentTokenCount: cached, cacheTokensDetails: [{ modality: 'TEXT', tokenCount: cached }] } : {}),
    promptTokensDetails,
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
  };
}

/** Fields every response and chunk of one answer share. */
export interface GeminiResponseIdentity {
  responseId: string;
  modelVersion: string;
}

/** A candidate: its parts (omitted when empty), its finish reason (omitted mid-stream) and safety ratings when blocked. */
export function candidateWire(
  parts: Array<Record<string, unknown>>,
  finishReason: GeminiFinishReason | undefined,
  reply: FakeGeminiReply,
  index = 0,
): Record<string, unknown> {
  const blocked = finishReason !== undefined && CONTENT_FILTER_REASONS.has(finishReason);
  const ratings = reply.safetyRatings ?? (blocked ? blockingSafetyRatings() : undefined);
  return {
    ...(parts.length > 0 ? { content: { parts, role: 'model' } } : blocked ? {} : { content: { role: 'model' } }),
    ...(finishReason !== undefined ? { finishReason } : {}),
    ...(ratings && finishReason !== undefined ? { safetyRatings: ratings } : {}),
    index,
  };
}

/** The number of candidates a request asks for (`generationConfig.candidateCount`, default 1). */
export function candidateCountOf(body: GenerateContentRequestBody): number {
  const count = body.generationConfig?.candidateCount;
  return typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1;
}

/** The `functionCall` parts of a reply (arguments as the `args` object). */
export function functionCallParts(reply: FakeGeminiReply): Array<Record<string, unknown>> {
  return (reply.toolCalls ?? []).map((call) => ({
    functionCall: { ...(call.id !== undefined ? { id: call.id } : {}), name: call.name, args: JSON.parse(call.arguments) as unknown },
    ...(call.signature !== undefined ? { thoughtSignature: call.signature } : {}),
  }));
}

/** The text of candidate `index` of a reply. */
function candidateText(reply: FakeGeminiReply, index: number): string {
  return index === 0 ? reply.text : (reply.alternatives?.[index - 1] ?? reply.text);
}

/** A whole (non-streamed) `GenerateContentResponse`: one candidate per `candidateCount`, each with its thought, text and `functionCall` parts. */
export function generateContentResponseWire(
  identity: GeminiResponseIdentity,
  body: GenerateContentRequestBody,
  reply: FakeGeminiReply,
): Record<string, unknown> {
  if (reply.blockReason !== undefined) return blockedPromptWire(identity, body, reply);
  const finishReason = reply.finishReason ?? 'STOP';
  const blocked = CONTENT_FILTER_REASONS.has(finishReason);
  const candidates = Array.from({ length: candidateCountOf(body) }, (_, index) => {
    const text = candidateText(reply, index);
    const calls = functionCallParts(reply);
    const parts: Array<Record<string, unknown>> = [];
    if (reply.thoughts !== undefined) parts.push({ text: reply.thoughts, thought: true });
    if ((!blocked && calls.length === 0) || text !== '') parts.push({ text });
    parts.push(...calls);
    return candidateWire(parts, finishReason, reply, index);
  });
  return {
    candidates,
    usageMetadata: usageMetadataWire(body, reply),
    modelVersion: identity.modelVersion,
    responseId: identity.responseId,
  };
}

/** The answer to a refused prompt: no candidates, `promptFeedback` with the reason and ratings. */
export function blockedPromptWire(
  identity: GeminiResponseIdentity,
  body: GenerateContentRequestBody,
  reply: FakeGeminiReply,
): Record<string, unknown> {
  return {
    promptFeedback: {
      blockReason: reply.blockReason ?? 'SAFETY',
      safetyRatings: reply.safetyRatings ?? blockingSafetyRatings(),
    },
    usageMetadata: usageMetadataWire(body, reply),
    modelVersion: identity.modelVersion,
    responseId: identity.responseId,
  };
}

/** Splits a reply into the pieces a stream sends: words with their trailing space. */
export function splitIntoPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * The chunks of a streamed answer, as Gemini sends them: a thought chunk when there are thoughts,
 * one chunk per word with the running usage, whole `functionCall` parts and the finish reason and
 * the full usage on the last chunk. With `candidateCount` > 1 each chunk carries the pieces of every
 * candidate still going (by `index`). A refused prompt is one chunk with `promptFeedback`.
 */
export function streamChunksWire(
  identity: GeminiResponseIdentity,
  body: GenerateContentRequestBody,
  reply: FakeGeminiReply,
): Array<Record<string, unknown>> {
  const common = { modelVersion: identity.modelVersion, responseId: identity.responseId };
  if (reply.blockReason !== undefined) return [blockedPromptWire(identity, body, reply)];
  const finishReason = reply.finishReason ?? 'STOP';
  const blocked = CONTENT_FILTER_REASONS.has(finishReason);
  const calls = functionCallParts(reply);
  // Per candidate, the parts of each of its chunks.
  const perCandidate = Array.from({ length: candidateCountOf(body) }, (_, index) => {
    const chunks: Array<Array<Record<string, unknown>>> = [];
    if (reply.thoughts !== undefined) chunks.push([{ text: reply.thoughts, thought: true }]);
    const pieces = splitIntoPieces(candidateText(reply, index));
    for (const piece of pieces) chunks.push([{ text: piece }]);
    if (calls.length > 0) chunks.push([...calls]);
    else if (pieces.length === 0 && !blocked) chunks.push([{ text: '' }]);
    return chunks;
  });
  const length = Math.max(...perCandidate.map((chunks) => chunks.length));
  const chunks: Array<Record<string, unknown>> = [];
  for (let at = 0; at < length; at += 1) {
    const candidates = perCandidate.flatMap((parts, index) => {
      if (at >= parts.length) return [];
      const last = at === parts.length - 1;
      return [candidateWire(parts[at]!, last ? finishReason : undefined, reply, index)];
    });
    chunks.push({ candidates, usageMetadata: usageMetadataWire(body, reply, at === length - 1), ...common });
  }
  if (length === 0) {
    chunks.push({ candidates: [candidateWire([], finishReason, reply)], usageMetadata: usageMetadataWire(body, reply), ...common });
  }
  return chunks;
}

/** Facts the fake lists for a model in `GET /v1beta/models`. */
export function modelWire(id: string): Record<string, unknown> {
  const lite = id.includes('lite');
  const twoFive = id.startsWith('gemini-2.5');
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id
      .split('-')
      .map((word) => (word === 'gemini' ? 'Gemini' : word.charAt(0).toUpperCase() + word.slice(1)))
      .join(' '),
    description: `Fake ${id} served by the LLM Lab testkit.`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: twoFive ? 65_536 : 8_192,
    supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
    temperature: 1,
    topP: 0.95,
    topK: lite && !twoFive ? 40 : 64,
    maxTemperature: 2,
    ...(twoFive ? { thinking: true } : {}),
  };
}
