/**
 * The provider contract: plain, serialisable request and response objects shared by every
 * provider, the engine, the CLI and (later) monitoring. Units are in the names or the docs.
 */

/** Who said a message. `system` sets behaviour; `tool` carries a tool result. */
export type MessageRole = 'system' | 'user' | 'assistant' | 'tool';

/** One chat message. Content is plain text. */
export interface ChatMessage {
  role: MessageRole;
  content: string;
  /** Optional author name, passed through where the vendor supports it. */
  name?: string;
}

/** How the model should shape its answer. `json` asks for a JSON object, optionally matching `schema`. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json'; schema?: Record<string, unknown>; name?: string };

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

/** The answer to a {@link GenerateRequest}. */
export interface GenerateResponse {
  /** The generated text. */
  text: string;
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

/** One part of a streamed response. Consumers switch on `type`. */
export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'usage'; usage: TokenUsage }
  | { type: 'finish'; response: GenerateResponse };

/** What a model can do. */
export interface ModelCapabilities {
  streaming: boolean;
  batch: boolean;
  embeddings: boolean;
  logprobs: boolean;
  tools: boolean;
  jsonMode: boolean;
  vision: boolean;
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
