import { CALLER_SIGNAL, readSse, StreamedResponse, TIMEOUT_MS } from '@llm-lab/provider-utils';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';

/**
 * A chat-completions endpoint posted to without the SDK: the transport's `fetch` (the node:http
 * one of provider-utils), the full URL and every header the SDK would send that the server reads
 * (authorization, organization, project, the config's `headers`). Given by a provider whose
 * client has no retries of its own and plain bearer authentication (`createOpenAI` with the
 * default node transport); the SDK then still serves the Batch API and everything else.
 */
export interface DirectPost {
  fetch: typeof fetch;
  url: string;
  headers: Record<string, string>;
}

/**
 * Posts a whole (not streamed) chat completion and returns its parsed body. Failures are the
 * SDK's own error classes made the way the SDK makes them (`APIError.generate` from the status,
 * the parsed error body and the headers; `APIConnectionError`, `APIConnectionTimeoutError`), so
 * `mapOpenAIError` classifies them exactly as before. Per call this skips the SDK's request
 * building (a WHATWG `Headers`, its request-log formatting, the timeout controller), which was
 * the largest share of a short call's CPU after the sockets themselves.
 */
export async function postChatCompletion(post: DirectPost, body: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<unknown> {
  const response = await send(post, { method: 'POST', headers: post.headers, body, [CALLER_SIGNAL]: signal, [TIMEOUT_MS]: timeoutMs } as RequestInit);
  return JSON.parse(await response.text());
}

/**
 * Posts a streamed chat completion (`body` asks for `stream: true`) and resolves, once the
 * answer's headers arrive, with its chunks as the SDK's `Stream` would give them: `data: [DONE]`
 * is skipped (the body is still read to its end, so the connection is kept), every other event's
 * data is parsed as JSON (a `SyntaxError` when it is not), and a chunk carrying `error` throws
 * the SDK's `APIError` as the SDK does. The events are read from node:http's own stream (see
 * {@link StreamedResponse}), not through WHATWG streams and the SDK's decoder, which cost more
 * CPU than the rest of a streamed call. `signal` (the call's deadline and the caller's signal)
 * ends the call at any point: before the answer the promise rejects, after it the chunks do.
 * Failures before the answer are made as {@link postChatCompletion}'s are.
 */
export async function postChatCompletionStream(post: DirectPost, body: string, signal: AbortSignal): Promise<AsyncIterable<unknown>> {
  const response = await send(post, { method: 'POST', headers: post.headers, body, [CALLER_SIGNAL]: signal } as RequestInit);
  return chunksOf(response);
}

async function* chunksOf(response: Response): AsyncGenerator<unknown> {
  // An answer that is not an event stream arrives whole; it is read as SSE all the same, as the SDK does.
  const source: AsyncIterable<Uint8Array> | Uint8Array[] = response instanceof StreamedResponse ? response.nodeBody : [new Uint8Array(await response.arrayBuffer())];
  let done = false;
  for await (const event of readSse(source)) {
    if (done) continue;
    if (event.data.startsWith('[DONE]')) {
      done = true;
      continue;
    }
    const data = JSON.parse(event.data) as { error?: unknown; message?: string } | null;
    if (event.event === undefined || !event.event.startsWith('thread.')) {
      if (data?.error) throw new APIError(undefined, data.error as object, undefined, response.headers);
      yield data;
    } else {
      // Assistants events: never sent on chat completions, kept as the SDK yields them.
      if (event.event === 'error') throw new APIError(undefined, data?.error as object, data?.message, undefined);
      yield { event: event.event, data };
    }
  }
}

/** Sends one request; a non-2xx answer is the SDK's `APIError` for its status, a failed connection its connection error. */
async function send(post: DirectPost, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await post.fetch(post.url, init);
  } catch (error) {
    // As the SDK decides: an abort or a message that says so is a timeout, anything else a connection failure.
    const text = String(error) + (error instanceof Error && 'cause' in error ? String(error.cause) : '');
    if ((error as { name?: unknown }).name === 'AbortError' || /timed? ?out/i.test(text)) throw new APIConnectionTimeoutError();
    throw new APIConnectionError({ message: 'Connection error.', cause: error as Error });
  }
  if (response.ok) return response;
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  throw APIError.generate(response.status, json as object | undefined, json === undefined ? text : undefined, response.headers);
}
