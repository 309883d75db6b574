/**
 * The seam between the gateway's HTTP server and what decides who may call and what gets recorded
 * (virtual keys, budgets, per-key limits, the traffic record). The server knows nothing about keys
 * or storage: it calls these hooks when they are given and works without them.
 *
 * - `authenticate` runs before routing, once per request, with the `Authorization` header and the
 *   requested model. A refusal is answered at once with its status in OpenAI's error shape.
 * - `onCallEnd` runs after every call to a model endpoint (chat completions and embeddings,
 *   answered, failed or refused), after the response has been sent or the stream ended. It must
 *   not block: the server does not await it and ignores what it returns; an exception it throws is
 *   caught and counted, never surfaced to the client.
 * - `close` runs once on shutdown, after in-flight requests finished (or the deadline passed):
 *   flush buffers there. The server awaits it.
 */

/** The endpoint a call went to. */
export type GatewayEndpoint = 'chat.completions' | 'embeddings';

/**
 * Why a call failed, one word: the contract's `ProviderError` kind (`rate-limit`, `server`,
 * `timeout`, `auth`, ...), or the gateway's own `invalid-request`, `unknown-model`, `unauthorized`,
 * `forbidden`, `limited` (a refusal by `authenticate`), `client-closed`, `internal`.
 */
export type GatewayErrorClass = string;

/**
 * One call through the gateway, as the traffic record stores it. Bodies are included only for a
 * route whose `keepBodies` hook says so.
 */
export interface TrafficRecord {
  /** When the request arrived, epoch milliseconds. */
  time: number;
  /** The virtual key that made the call; absent when no `authenticate` hook is configured, keys are off, or it refused before identifying a key. */
  keyId?: string;
  /** The key's name, for grouping (never the key itself). */
  keyName?: string;
  endpoint: GatewayEndpoint;
  /** The `model` field as the client sent it: a route (provider entry id) of the gateway's config. */
  route: string;
  /** `<provider>:<model>` that answered; absent when no provider answered. */
  provider?: string;
  /** The model the vendor reported having used (may be a dated snapshot). */
  model?: string;
  /** The provider entry / load-balanced member / fallback that answered (`answeredBy`). */
  answeredBy?: string;
  /** HTTP status sent to the client (200 for a stream that later failed in band: see `errorClass`). */
  status: number;
  /** Set when the call failed, including a stream that failed after it started. */
  errorClass?: GatewayErrorClass;
  /** The error message (never a body or a key). */
  errorMessage?: string;
  /** From arrival to the last byte sent, milliseconds. */
  latencyMs: number;
  /** Milliseconds spent by the gateway itself (outside the upstream call). */
  overheadMs: number;
  /** From arrival to the first content chunk sent (streams only). */
  ttftMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** US dollars; absent when the model has no known price. */
  costUsd?: number;
  /** True when the provider manager's response cache answered. */
  cacheHit: boolean;
  /** Upstream calls made (1 = no retry, 0 = served from cache). */
  attempts?: number;
  stream: boolean;
  /** The request's JSON body, only when `keepBodies(route)` is true. */
  requestBody?: unknown;
  /** The response's JSON body (for a stream: the assembled completion), only when `keepBodies(route)` is true. */
  responseBody?: unknown;
}

/** What `authenticate` is given. */
export interface AuthenticateRequest {
  /** The raw `Authorization` header (e.g. `Bearer sk-...`), absent when the client sent none. */
  authorization?: string;
  /** The `model` field of the request (a route of the gateway's config). */
  model: string;
  endpoint: GatewayEndpoint;
}

/** A call that may go ahead, and the key it is charged to (none when keys are off: see `createAccessHooks`' `requireKeys`). */
export interface AuthenticateOk {
  ok: true;
  keyId?: string;
  keyName?: string;
}

/** A refused call: answered with `status` and `{error:{message,type,code}}`. */
export interface AuthenticateRefused {
  ok: false;
  status: 401 | 403 | 429;
  message: string;
  /** OpenAI-style error code, e.g. `invalid_api_key`, `model_not_allowed`, `budget_exceeded`, `rate_limit_exceeded`. */
  code: string;
  /** Set when the refusal still identified a key (403, 429). */
  keyId?: string;
  keyName?: string;
  /** Seconds after which a 429 may be retried; sent as `Retry-After`. */
  retryAfterSeconds?: number;
}

export type AuthenticateResult = AuthenticateOk | AuthenticateRefused;

/**
 * What `listModels` answers for `GET /v1/models`: the names the caller may use (`null`: every
 * route), or the refusal to send (a missing, unknown or revoked key when keys are required).
 */
export type ModelListing = { ok: true; models: readonly string[] | null; keyName?: string } | AuthenticateRefused;

/** Optional hooks the gateway calls; see the module comment for when. */
export interface GatewayHooks {
  authenticate?(request: AuthenticateRequest): Promise<AuthenticateResult>;
  /**
   * Who may see which models: `GET /v1/models` (and `/v1/models/{model}`) ask it with the
   * `Authorization` header. Without it every route is listed to anyone.
   */
  listModels?(authorization: string | undefined): Promise<ModelListing>;
  onCallEnd?(record: TrafficRecord): void;
  /**
   * Whether the traffic record keeps the bodies of this route's calls (default: no). Asked once
   * per call, with the route's name (as `/v1/models` lists it), after `authenticate` let it through;
   * when false the server keeps no reference to either body.
   */
  keepBodies?(route: string): boolean;
  close?(): Promise<void>;
}
