import { CALLER_SIGNAL, TIMEOUT_MS } from '@llm-lab/provider-utils';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';

/**
 * A chat-completions endpoint posted to without the SDK: the transport's `fetch` (the node:http
 * one of provider-utils), the full URL and every header the SDK would send that the server reads
 * (authorization, organization, project, the config's `headers`). Given by a provider whose
 * client has no retries of its own and plain bearer authentication (`createOpenAI` with the
 * default node transport); the SDK then still serves streams, the Batch API and everything else.
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
  let response: Response;
  try {
    response = await post.fetch(post.url, { method: 'POST', headers: post.headers, body, [CALLER_SIGNAL]: signal, [TIMEOUT_MS]: timeoutMs } as RequestInit);
  } catch (error) {
    // As the SDK decides: an abort or a message that says so is a timeout, anything else a connection failure.
    const text = String(error) + (error instanceof Error && 'cause' in error ? String(error.cause) : '');
    if ((error as { name?: unknown }).name === 'AbortError' || /timed? ?out/i.test(text)) throw new APIConnectionTimeoutError();
    throw new APIConnectionError({ message: 'Connection error.', cause: error as Error });
  }
  const text = await response.text();
  if (!response.ok) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    throw APIError.generate(response.status, json as object | undefined, json === undefined ? text : undefined, response.headers);
  }
  return JSON.parse(text);
}
