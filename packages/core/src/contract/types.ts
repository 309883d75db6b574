/**
 * The provider contract: plain, serialisable request and response objects shared by every
 * provider, the engine, the CLI and (later) monitoring. Units are in the names or the docs.
 */

/** Who said a message. `system` sets behaviour; `tool` carries tool results. */
export type MessageRole = 'system' | 'user' | 'assistant' | 'tool';

/** Plain text inside a message. */
export interface TextPart {
  type: 'text';
  text: string;
}

/**
 * An image inside a user message: a URL (`https:` or a `data:` URL), or base64 bytes with their
 * media type. Vendors that only take one form get it converted by the provider.
 */
export interface ImagePart {
  type: 'image';
  source: { type: 'url'; url: string } | { type: 'base64'; mediaType: string; data: string };
  /** Resolution hint where the vendor has one (OpenAI `detail`). */
  detail?: 'auto' | 'low' | 'high';
}

/** A call of a tool, made by the assistant. */
export interface ToolCall {
  /** The vendor's id for the call; a tool result answers it by this id. */
  id: string;
  /** The tool's name, as in its {@link ToolDefinition}. */
  name: string;
  /** The arguments as JSON text, exactly as the model wrote them (it may be invalid JSON). */
  arguments: string;
  /**
   * The vendor's opaque signature of the thinking that led to this call (Gemini's
   * `thoughtSignature`), sent back with the call when the conversation is replayed: Gemini
   * refuses, or thinks without its earlier context, a multi-turn tool conversation without it.
   */
  signature?: string;
}

/** A tool call inside an assistant message (a conversation replayed to the model). */
export interface ToolCallPart extends ToolCall {
  type: 'tool-call';
}

/** The result of one tool call, inside a `tool` message. */
export interface ToolResultPart {
  type: 'tool-result';
  /** The {@link ToolCall.id} this answers. */
  toolCallId: string;
  /** The tool's name (some vendors need it: Google). */
  name: string;
  /** The result as text; JSON text for structured results. */
  result: string;
  /** True when the tool failed and `result` is its error message. */
  isError?: boolean;
}

/**
 * Reasoning ("thinking") text the model produced, in an assistant message replayed to the model.
 * `signature` is the vendor's opaque proof that must travel back with it (Anthropic).
 */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  signature?: string;
  /**
   * Reasoning the vendor returned encrypted (Anthropic's `redacted_thinking` block: its `data`),
   * with `text` empty: passed back unchanged when the turn is replayed, never shown.
   */
  redactedData?: string;
}

/**
 * One block of a response's reasoning: its text and signature, or (`redactedData`, text empty) a
 * block the vendor encrypted (Anthropic's `redacted_thinking`), replayed as it came.
 */
export interface ReasoningBlock {
  text: string;
  signature?: string;
  redactedData?: string;
}

export type UserContentPart = TextPart | ImagePart;
export type AssistantContentPart = TextPart | ToolCallPart | ReasoningPart;

/**
 * One chat message. A plain string is the common case; parts carry images (user), tool calls and
 * reasoning (assistant) and tool results (tool). Contract 2.0.
 */
export type ChatMessage =
  | { role: 'system'; content: string; name?: string }
  | { role: 'user'; content: string | UserContentPart[]; name?: string }
  | { role: 'assistant'; content: string | AssistantContentPart[]; name?: string }
  | { role: 'tool'; content: ToolResultPart[] };

/** A tool the model may call. */
export interface ToolDefinition {
  /** `^[a-zA-Z0-9_-]{1,64}$` (the strictest vendor's rule). */
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. Default: an object with no properties. */
  parameters?: Record<string, unknown>;
  /** Ask the vendor to guarantee arguments that match `parameters` exactly (OpenAI `strict`). */
  strict?: boolean;
}

/** Whether and which tool the model must call. Default `auto` when tools are given. */
export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'tool'; name: string };

/**
 * How the model should shape its answer. `json` asks for a JSON object; with `schema`, one that
 * matches that JSON Schema (`strict`: the vendor guarantees it where it can, OpenAI and Azure).
 */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json'; schema?: Record<string, unknown>; name?: string; description?: string; strict?: boolean };

/** Sampling settings. Every field is optional; a provider omits what is not set. */
export interface SamplingSettings {
  /** 0–2. Default: the vendor's (usually 1). */
  temperature?: number;
  /** Nucleus sampling, 0–1. Default: the vendor's. */
  topP?: number;
  /** Top-k sampling, a positive integer. Not every vendor supports it (a warning when not). */
  topK?: number;
  /** Upper bound on generated tokens. Default: the vendor's. */
  maxTokens?: number;
  /** -2–2. */
  presencePenalty?: number;
  /** -2–2. */
  frequencyPenalty?: number;
  /** Up to 4 strings at which generation stops. */
  stop?: string[];
  /** Seed for reproducible sampling where the vendor supports it. */
  seed?: number;
  /**
   * Ask for the log-probabilities of the generated tokens, with this many likeliest alternatives
   * per position (0–20; 0 = the chosen tokens only). They arrive in `GenerateResponse.logprobs`;
   * a provider that cannot return them adds a warning instead.
   */
  logprobs?: number;
}

/**
 * Where a request comes from. Carried through the provider layer so that caches, observers and
 * the offline `mock` provider can see the case it belongs to. Never sent to a vendor.
 */
export interface RequestContext {
  /** Stable id of the dataset case. */
  caseId?: string;
  /** The case's row fields (template variables). */
  vars?: Record<string, unknown>;
  /** Repeat index, 0-based (`--repeat 5` makes 0..4). */
  repeat?: number;
  /** The run this call belongs to. */
  runId?: string;
}

/** A request to a language model. */
export interface GenerateRequest extends SamplingSettings {
  /** The conversation, oldest first. At least one message. */
  messages: ChatMessage[];
  /** Default `{ type: 'text' }`. */
  responseFormat?: ResponseFormat;
  /** Tools the model may call (capability `tools`). Contract 2.0. */
  tools?: ToolDefinition[];
  /** Default `auto` when `tools` are given. */
  toolChoice?: ToolChoice;
  /** Allow several tool calls in one turn (vendors that can switch it: OpenAI, Anthropic). Default: the vendor's (allowed). */
  parallelToolCalls?: boolean;
  /**
   * Alternatives to generate for the same conversation (capability `multipleChoices`); 1 by
   * default. The first is the response itself; all of them are in `GenerateResponse.choices`.
   */
  n?: number;
  /** Vendor-specific options, passed through untouched (validated by the provider). */
  providerOptions?: Record<string, unknown>;
  /** See {@link RequestContext}. */
  context?: RequestContext;
}

/** Per-call options that are not part of the request itself. */
export interface CallOptions {
  /** Cancels the call; the provider passes it through to its HTTP client. */
  signal?: AbortSignal;
  /** Per-request timeout in milliseconds. Default: the provider's configured timeout. */
  timeoutMs?: number;
}

/** Why generation stopped. */
export type FinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';

/** Token counts for one call. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Input tokens served from the vendor's prompt cache, when reported. */
  cachedInputTokens?: number;
  /** Tokens spent on hidden reasoning, when reported. */
  reasoningTokens?: number;
}

/** Cost of one call in US dollars. */
export interface CostBreakdown {
  inputUsd: number;
  outputUsd: number;
  totalUsd: number;
}

/** Something the provider could not honour, reported instead of failing. */
export interface ProviderWarning {
  type: 'unsupported-setting' | 'other';
  /** The request field concerned, e.g. `topK`. */
  setting?: string;
  message: string;
}

/** One generated alternative when a request asked for `n` > 1. */
export interface GeneratedChoice {
  text: string;
  toolCalls?: ToolCall[];
  reasoning?: string;
  finishReason: FinishReason;
}

/** The answer to a {@link GenerateRequest}. */
export interface GenerateResponse {
  /** The generated text (all text parts joined; empty when the model only called tools). */
  text: string;
  /** The tool calls the model made, in order; absent when it made none. `finishReason` is then `tool-calls`. Contract 2.0. */
  toolCalls?: ToolCall[];
  /** Reasoning ("thinking") text, where the vendor returns it. Contract 2.0. */
  reasoning?: string;
  /**
   * Vendor signatures of the reasoning blocks, in order (Anthropic), to send back with the
   * reasoning in a replayed conversation.
   */
  reasoningSignatures?: string[];
  /**
   * The reasoning as the vendor's separate blocks, in order, each with its signature (Anthropic
   * returns one `thinking` block per step of interleaved thinking): what a replayed conversation
   * sends back, every block with its own signature. `reasoning` is their text joined.
   */
  reasoningParts?: ReasoningBlock[];
  /** Every alternative, when the request asked for `n` > 1 (the first is this response's own). */
  choices?: GeneratedChoice[];
  finishReason: FinishReason;
  usage: TokenUsage;
  /**
   * Wall time of the call itself, from sending the request to the last byte, in milliseconds.
   * Time spent waiting before the call could start (a concurrency slot, a rate limiter, a
   * provider's own one-at-a-time model) is not included: that is {@link queueMs}.
   */
  latencyMs: number;
  /**
   * Milliseconds this answer waited before its call could start: for a slot under a concurrency
   * limit or a rate limiter, for a circuit breaker's probe, or for a provider's own internal lock
   * (a local model that runs one call at a time). Absent when the provider and the layers above it
   * do not measure it. Added in contract 1.1.
   */
  queueMs?: number;
  /** Wall time to the first text delta, in milliseconds (streamed calls only). */
  timeToFirstTokenMs?: number;
  /** Cost from the model's prices; absent when the model has no known price. */
  cost?: CostBreakdown;
  warnings: ProviderWarning[];
  /** `<provider>:<model>` of the provider that answered. */
  providerId: string;
  /** The model the vendor reports having used (may be a dated snapshot). */
  model: string;
  /** The vendor's id for this response (e.g. `chatcmpl-…`). */
  rawId?: string;
  /**
   * Log-probabilities of the generated tokens, in order, when the provider returns them (and was
   * asked to). Absent otherwise; consumers must not assume it is present.
   */
  logprobs?: TokenLogprob[];
  /**
   * Set by a caching layer (the provider manager): true when this answer was served from a
   * response cache instead of calling the vendor. Absent means a live call.
   */
  cached?: boolean;
  /**
   * Set by a retrying layer (the provider manager): calls made to produce this answer (1 = no
   * retry; 0 = served from a cache). Absent means one call.
   */
  attempts?: number;
  /**
   * Set by a routing layer (the provider manager): the name of the provider or load-balanced
   * member that produced the answer; differs from the requested provider after a fallback.
   */
  answeredBy?: string;
}

/** The natural-log probability of one generated token, with the likeliest alternatives at that position when known. */
export interface TokenLogprob {
  token: string;
  /** Natural log of the token's probability (≤ 0). */
  logprob: number;
  /** The most likely tokens at this position (the generated one included), most likely first. */
  topLogprobs?: Array<{ token: string; logprob: number }>;
}

/** Asks a model how likely each of several given completions of one conversation is. */
export interface ScoreCompletionsRequest {
  /** The conversation the completions continue (the assistant's turn comes next). */
  messages: ChatMessage[];
  /** The candidate texts of the assistant's turn. At least one. */
  completions: string[];
  context?: RequestContext;
}

/** The log-probability a model gives one completion. */
export interface CompletionScore {
  completion: string;
  /** Natural-log probability of the whole completion given the conversation (the sum over its tokens). */
  logprob: number;
  /** Tokens the completion was scored as. */
  tokens: number;
}

/**
 * One part of a streamed response. Consumers switch on `type` and ignore types they do not know.
 *
 * - `text-delta`, `reasoning-delta`: text as it arrives.
 * - `tool-call-delta`: a fragment of the tool call at `index` (0-based, in call order): the
 *   first fragment of a call carries its `id` and `name`, later ones more `argumentsDelta`.
 * - `tool-call`: a call is complete (its arguments whole), before `finish`.
 * - `warning`: something the provider could not honour, as soon as it is known.
 * - `error`: the call failed after parts were streamed. The iterable then throws the same error
 *   (so no consumer mistakes a cut-off stream for a whole one); a consumer that shows the
 *   stream (the gateway) can report it in band first.
 * - `usage`, then `finish` with the whole response: the stream ended normally.
 */
export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'tool-call'; index: number; toolCall: ToolCall }
  | { type: 'warning'; warning: ProviderWarning }
  | { type: 'error'; error: Error }
  | { type: 'usage'; usage: TokenUsage }
  | { type: 'finish'; response: GenerateResponse };

/** What a model can do. A flag added in 2.0 may be left out, which means false. */
export interface ModelCapabilities {
  streaming: boolean;
  /** A vendor batch API behind `batchGenerate` (not merely concurrent calls). */
  batch: boolean;
  embeddings: boolean;
  logprobs: boolean;
  /** Tool definitions, tool calls in responses (and streamed as `tool-call-delta`), tool results in messages. */
  tools: boolean;
  /** Several tool calls in one turn. Contract 2.0. */
  parallelToolCalls?: boolean;
  /** `responseFormat: { type: 'json' }` (a JSON object). */
  jsonMode: boolean;
  /** `responseFormat: { type: 'json', schema }` honoured by the vendor (structured output). Contract 2.0. */
  jsonSchema?: boolean;
  /** Image parts in user messages. */
  vision: boolean;
  /** Returns reasoning text (`reasoning`, `reasoning-delta`). Contract 2.0. */
  reasoning?: boolean;
  /** `n` > 1 alternatives in one call. Contract 2.0. */
  multipleChoices?: boolean;
}

/** Prices in US dollars per million tokens. */
export interface ModelPricing {
  inputPerMillion: number;
  outputPerMillion: number;
  /** Price of cached input tokens, when the vendor discounts them. */
  cachedInputPerMillion?: number;
}

/** Static facts about a model. */
export interface ModelInfo {
  /** `<provider>:<model>`. */
  id: string;
  provider: string;
  model: string;
  /** Context window in tokens (input + output). */
  contextWindow: number;
  /** Most tokens the model will generate in one call. */
  maxOutputTokens?: number;
  capabilities: ModelCapabilities;
  /** Absent for models with no known price (local models, unknown ids). */
  pricing?: ModelPricing;
}

/** One item of a {@link LanguageModelProvider.batchGenerate} result, in request order. */
export type BatchItemResult =
  | { ok: true; response: GenerateResponse }
  | { ok: false; error: Error };

/** Options for a batch of requests. */
export interface BatchOptions extends CallOptions {
  /** Most requests in flight at once when the batch is run as concurrent calls. Default 8. */
  concurrency?: number;
  /**
   * `api`: through the vendor's batch API, where the model has one (`capabilities.batch`);
   * `concurrent`: one call per request. Default: the provider's configured mode.
   */
  mode?: 'api' | 'concurrent';
  /**
   * The caller's id of each request (same order as the requests), sent as the vendor's custom
   * id: 1–64 characters of `[A-Za-z0-9_-]`, unique in the batch. Needed to attach to a batch
   * later ({@link BatchOptions.batchId}). Default: ids made from the requests' positions.
   */
  itemIds?: string[];
  /**
   * Attach to this vendor batch, submitted earlier with the same `itemIds`, instead of submitting
   * a new one: its results are read for the given requests (matched by item id), so a stopped
   * run that picks its batch up again does not pay twice. A request whose id the batch does not
   * hold fails in its place.
   */
  batchId?: string;
  /**
   * Called with the vendor's batch id and the item ids it holds (in order; requests that failed
   * validation are not among them) as soon as the vendor holds the batch, before waiting for it
   * (awaited). When it throws, the batch is cancelled and every item fails with its error:
   * a batch nobody can find again is not left running.
   */
  onSubmitted?: (batchId: string, itemIds: string[]) => void | Promise<void>;
  /**
   * When `signal` aborts, leave the vendor batch running (the caller recorded it through
   * `onSubmitted` and will attach to it again) instead of cancelling it. Default false.
   */
  keepOnAbort?: boolean;
  /** Called with a vendor batch as submitted (or attached to) and after each status poll. */
  onBatchStatus?: (status: BatchStatus) => void;
}

/** A vendor batch's state, as the last poll saw it. */
export interface BatchStatus {
  batchId: string;
  /** The vendor's own status word (`in_progress`, `ended`, ...). */
  status: string;
  total: number;
  /** Items that have an outcome, succeeded or failed. */
  completed: number;
  failed: number;
}

/**
 * The provider contract. Implement it by extending {@link BaseProvider}, which supplies
 * `batchGenerate`, `estimateCost` and request validation.
 */
export interface LanguageModelProvider {
  /** The contract version this provider was built for (see `CONTRACT_VERSION`). */
  readonly contractVersion: string;
  /** `<provider>:<model>`, e.g. `openai:gpt-4o-mini`. */
  readonly id: string;
  /** The provider name, e.g. `openai`. */
  readonly provider: string;
  /** The model name, e.g. `gpt-4o-mini`. */
  readonly model: string;
  /** One call, answered whole. Rejects with a `ProviderError`. */
  generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResponse>;
  /** One call, streamed as parts; the last part is `finish` with the whole response. */
  streamGenerate(request: GenerateRequest, options?: CallOptions): AsyncIterable<StreamPart>;
  /** Many calls. One failure does not fail the batch: each item says how it went. */
  batchGenerate(requests: GenerateRequest[], options?: BatchOptions): Promise<BatchItemResult[]>;
  /** Static facts about the model. */
  getModelInfo(): ModelInfo;
  /** Cost of the given usage at the model's prices; `undefined` when the price is unknown. */
  estimateCost(usage: TokenUsage): CostBreakdown | undefined;
  /**
   * Optional capability: the log-probability of each given completion (teacher-forced, not
   * sampled), in request order. Used by multiple-choice scoring such as TruthfulQA MC1/MC2.
   * Providers that cannot compute it leave it undefined.
   */
  scoreCompletions?(request: ScoreCompletionsRequest, options?: CallOptions): Promise<CompletionScore[]>;
  /**
   * Optional capability (contract 1.2): what tells this provider's answers apart from those of
   * another provider with the same id — the server and the model file that answer: base URL,
   * endpoint, deployment, API version, a local model file's fingerprint. Response caches put it
   * in their key, so the same id pointed at another server is never served the first server's
   * answers. Plain JSON, no secrets. Providers without it are keyed by their id alone.
   */
  cacheIdentity?(): Record<string, unknown>;
  /** Releases connections or loaded models. Optional. */
  close?(): Promise<void>;
}

/** Options of one {@link EmbeddingProvider.embed} call. */
export interface EmbedOptions extends CallOptions {
  /** Shortens the vectors to this many dimensions, where the model supports it. */
  dimensions?: number;
}

/** The answer to an {@link EmbeddingProvider.embed} call. */
export interface EmbedResult {
  /** One vector per input text, in input order. */
  embeddings: number[][];
  /** Tokens read (embeddings have no output tokens). */
  usage: { inputTokens: number; totalTokens: number };
  /** The model the vendor reports having used. */
  model: string;
  /** Cost in US dollars; absent when the model has no known price. */
  cost?: CostBreakdown;
  /** Wall time of the whole call (all requests it needed), in milliseconds. */
  latencyMs: number;
}

/**
 * Optional capability, separate from {@link LanguageModelProvider}: turns texts into vectors.
 * Providers that offer embeddings implement it on a dedicated embedding model object.
 */
export interface EmbeddingProvider {
  /** `<provider>:<model>`, e.g. `openai:text-embedding-3-small`. */
  readonly id: string;
  /** Embeds `texts` (at least one), keeping their order. Rejects with a `ProviderError`. */
  embed(texts: string[], options?: EmbedOptions): Promise<EmbedResult>;
}
