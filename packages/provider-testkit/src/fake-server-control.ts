import type { Fault } from './faults.js';

/** One HTTP request a fake server received, as it arrived. */
export interface RecordedRequest {
  method: string;
  /** The path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** The query parameters, e.g. `{ 'api-version': '2024-10-21' }` (absent on fakes that do not record them). */
  query?: Record<string, string>;
  /** Header names in lowercase. */
  headers: Record<string, string | string[] | undefined>;
  /** The JSON body, parsed; `undefined` when the body was empty or not JSON. */
  body: unknown;
  /** The raw body text. */
  rawBody: string;
  /** `Date.now()` when the request arrived. */
  receivedAt: number;
}

/** Counters for checking a client's behaviour, e.g. how many calls it had in flight at once. */
export interface FakeServerStats {
  /** Requests received since start or the last `reset()`. */
  requests: number;
  /** Requests being answered right now. */
  inFlight: number;
  /** The highest `inFlight` seen since start or the last `reset()`. */
  maxInFlight: number;
  /** TCP connections accepted; far fewer than `requests` when the client reuses connections (keep-alive). */
  connections: number;
  /** Requests refused with 429 by the server's requests-per-minute limit (`rpmLimit`), on servers that have one. */
  rateLimited?: number;
}

/** A reply scripted in vendor-neutral terms; each fake server writes it in its vendor's wire format, whole or streamed. */
export interface ScriptedReply {
  /** The answer text (default: none when there are tool calls, else the echo). */
  text?: string;
  /** Tool calls, in order (two or more: parallel calls). Ids are made up when absent. Streamed as the vendor streams them (argument fragments where it does). */
  toolCalls?: Array<{ id?: string; name: string; arguments: string; signature?: string }>;
  /** Reasoning ("thinking") text, for vendors that return it. */
  reasoning?: string;
}
// A tool call's `signature` is Gemini's `thoughtSignature` on its functionCall part; the other fakes ignore it.

/** What a generation request asked for, read back from the vendor's wire format by the fake server. */
export interface NeutralRequestView {
  /** The system text, when any. */
  system?: string;
  messages: Array<{
    role: 'user' | 'assistant' | 'tool';
    text: string;
    /** Images as sent: a URL, or base64 bytes with their media type. */
    images: Array<{ url?: string; mediaType?: string; data?: string }>;
    toolCalls: Array<{ id: string; name: string; arguments: string }>;
    toolResults: Array<{ toolCallId: string; result: string; isError?: boolean }>;
  }>;
  /** Tool definitions as sent, with their JSON Schema parameters. */
  tools: Array<{ name: string; description?: string; parameters?: Record<string, unknown> }>;
  toolChoice?: 'auto' | 'none' | 'required' | { name: string };
  /** The JSON Schema the answer must match, when structured output was asked for. */
  responseSchema?: Record<string, unknown>;
  /** True when a JSON answer was asked for (with or without a schema). */
  json: boolean;
  /** Alternatives asked for (`n`), when the vendor has it. */
  n?: number;
}

/**
 * The vendor-neutral handle every testkit fake server (OpenAI today; Anthropic, Gemini and Ollama
 * next) offers, so that the conformance suite can drive any of them. A fake server answers by
 * default with the text of the last user message (an echo), and turns the neutral {@link Fault}s
 * into its own vendor's wire format: an `http-error` without a `body` gets that vendor's error
 * body for the status and code.
 */
export interface FakeServerControl {
  /** The base URL a vendor SDK is pointed at (for OpenAI it ends in `/v1`). */
  readonly url: string;
  /** Every request received since start or the last `reset()`, oldest first. */
  readonly requests: readonly RecordedRequest[];
  readonly stats: FakeServerStats;
  /** Makes the next generation request fail with `fault`; queued faults are used in order. */
  enqueueFault(fault: Fault): void;
  /**
   * Makes the next generation request answer with `reply` (tool calls, reasoning, fixed text)
   * instead of the echo; queued replies are used in order. Contract 2.0; servers of vendors
   * without tools may leave it out.
   */
  enqueueReply?(reply: ScriptedReply): void;
  /** Reads a recorded generation request back in neutral terms. Contract 2.0. */
  describeRequest?(request: RecordedRequest): NeutralRequestView;
  /** Forgets recorded requests, counters and queued faults. */
  reset(): void;
  /** Ends every open connection (hanging requests included) and frees the port. */
  close(): Promise<void>;
}
