import type { ServerResponse } from 'node:http';
import type { GenerateRequest, GenerateResponse, StreamPart } from '@llm-lab/core';
import type { Call} from './call.js';
import { JSON_HEADERS, readJson, type CallServices } from './call.js';
import { errorBody, toGatewayError } from './openai-errors.js';
import { parseChatRequest, parseEmbeddingsRequest, type ParsedChatRequest } from './openai-request.js';
import { ChunkWriter, DONE_FRAME, chatCompletionBody, completionId, embeddingsBody, finishReasonOf } from './openai-response.js';
import { RouteTable, clientClosedError, type Route } from './routes.js';

/** Sent instead of a Response when the handler wrote the answer itself (a stream). */
export type AlreadySent = typeof ALREADY_SENT;
export const ALREADY_SENT = Symbol('already sent');

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
  trailer: 'x-llm-lab-provider, x-llm-lab-answered-by, x-llm-lab-fallback, x-llm-lab-overhead-ms',
};

/** A request with the route's default settings where the client set none. */
function withDefaults(request: GenerateRequest, route: Route): GenerateRequest {
  const defaults = route.defaults;
  if (!defaults) return request;
  const merged = { ...request } as Record<string, unknown>;
  for (const key in defaults) if (merged[key] === undefined) merged[key] = (defaults as Record<string, unknown>)[key];
  return merged as unknown as GenerateRequest;
}

/** Milliseconds the upstream call itself took, as the provider measured it (waits for a slot or a limiter included). */
function upstreamMsOf(response: GenerateResponse): number {
  return response.cached ? 0 : response.latencyMs + (response.queueMs ?? 0);
}

/** Aborts a call when its client goes away before the answer is complete. */
function abortOnClose(outgoing: ServerResponse, route: Route): AbortController {
  const controller = new AbortController();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) controller.abort(clientClosedError(route));
  });
  return controller;
}

/** The `source` of the manager's events for this call: the route's, with the virtual key's name when the call used one (`gateway:<route>?key=<name>`). */
function sourceOf(route: Route, call: Call): string {
  return call.keyName === undefined ? route.source : `${route.source}?key=${encodeURIComponent(call.keyName)}`;
}

/** `POST /v1/chat/completions`: whole or streamed, through the route's managed provider. */
export async function chatCompletions(services: CallServices, routes: RouteTable, call: Call): Promise<Response | AlreadySent> {
  let parsed: ParsedChatRequest;
  let route: Route;
  try {
    const json = await readJson(call.incoming, services.maxBodyBytes);
    parsed = parseChatRequest(json);
    const refused = await call.authenticate(parsed.model);
    if (refused) return refused;
    route = routes.get(parsed.model);
    call.keepBodies(route.name, json);
  } catch (error) {
    return call.fail(error);
  }
  call.startSpan(route.id);
  const request = withDefaults(parsed.request, route);
  if (parsed.stream) return streamCompletion(call, route, request, parsed);
  const controller = abortOnClose(call.outgoing, route);
  let response: GenerateResponse;
  try {
    response = await route.provider.generate(request, { signal: controller.signal, source: sourceOf(route, call) } as never);
  } catch (error) {
    return call.fail(error, route.id);
  }
  const body = chatCompletionBody(response, Math.floor(call.time / 1000));
  const upstreamMs = upstreamMsOf(response);
  const answeredBy = response.answeredBy ?? route.name;
  const fallback = RouteTable.fallbackOf(route, response.answeredBy);
  const headers: Record<string, string | number> = {
    ...JSON_HEADERS,
    'content-length': Buffer.byteLength(body),
    'x-llm-lab-route': route.name,
    'x-llm-lab-provider': response.providerId,
    'x-llm-lab-answered-by': answeredBy,
    'x-llm-lab-cache': response.cached ? 'hit' : 'miss',
    'x-llm-lab-attempts': String(response.attempts ?? 1),
    'x-llm-lab-overhead-ms': Math.max(0, call.elapsedMs() - upstreamMs).toFixed(3),
  };
  if (fallback !== undefined) headers['x-llm-lab-fallback'] = fallback;
  // Written to the socket here, then recorded: the metrics, the span and the record's fields are
  // made after the client has its answer, not before (Hono's Response would be written later).
  const outgoing = call.outgoing;
  if (!outgoing.destroyed) {
    outgoing.writeHead(200, headers);
    outgoing.end(body);
  }
  call.end(
    {
      ...answeredRecord(response, answeredBy),
      ...(call.keepsBodies ? { responseBody: JSON.parse(body) as unknown } : {}),
    },
    upstreamMs,
  );
  return ALREADY_SENT;
}

/** Writes, waiting for the client to take it when the socket's buffer is full. */
function write(outgoing: ServerResponse, frame: string): Promise<void> | undefined {
  if (outgoing.write(frame) || outgoing.destroyed) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      outgoing.off('drain', done);
      outgoing.off('close', done);
      resolve();
    };
    outgoing.on('drain', done);
    outgoing.on('close', done);
  });
}

/**
 * Streams an answer as OpenAI's SSE: `data: {chunk}` frames, a finish frame, the usage frame when
 * `stream_options.include_usage` asked for it, then `data: [DONE]`. A failure before the first
 * part is an ordinary error response (its status and body); after it, an in-band
 * `data: {"error":{...}}` frame ends the stream without `[DONE]`, which OpenAI's SDKs raise as an
 * error. Who answered and the gateway's overhead are sent as HTTP trailers.
 */
async function streamCompletion(call: Call, route: Route, request: GenerateRequest, parsed: ParsedChatRequest): Promise<Response | AlreadySent> {
  const outgoing = call.outgoing;
  const controller = abortOnClose(outgoing, route);
  const iterator = route.provider.streamGenerate(request, { signal: controller.signal, source: sourceOf(route, call) } as never)[Symbol.asyncIterator]();
  let next: IteratorResult<StreamPart>;
  try {
    next = await iterator.next();
    if (!next.done && next.value.type === 'error') throw next.value.error;
  } catch (error) {
    void iterator.return?.();
    return call.fail(error, route.id);
  }
  outgoing.writeHead(200, { ...STREAM_HEADERS, 'x-llm-lab-route': route.name });
  const writer = new ChunkWriter(completionId(), Math.floor(call.time / 1000), route.id.slice(route.id.indexOf(':') + 1), parsed.includeUsage);
  let response: GenerateResponse | undefined;
  let streamedCalls: Set<number> | undefined;
  let pending = write(outgoing, writer.role());
  try {
    while (!next.done) {
      if (pending) await pending;
      const part = next.value;
      switch (part.type) {
        case 'text-delta':
          call.ttftMs ??= call.elapsedMs();
          pending = write(outgoing, writer.text(part.text));
          break;
        case 'reasoning-delta':
          call.ttftMs ??= call.elapsedMs();
          pending = write(outgoing, writer.delta({ reasoning_content: part.text }));
          break;
        case 'tool-call-delta': {
          call.ttftMs ??= call.elapsedMs();
          (streamedCalls ??= new Set()).add(part.index);
          const fn: Record<string, string> = { arguments: part.argumentsDelta };
          if (part.name !== undefined) fn.name = part.name;
          const delta = part.id !== undefined ? { index: part.index, id: part.id, type: 'function', function: fn } : { index: part.index, function: fn };
          pending = write(outgoing, writer.delta({ tool_calls: [delta] }));
          break;
        }
        case 'tool-call':
          // A call no delta announced (a provider that only reports whole calls) is sent whole.
          if (!streamedCalls?.has(part.index)) {
            const { id, name, arguments: args } = part.toolCall;
            pending = write(outgoing, writer.delta({ tool_calls: [{ index: part.index, id, type: 'function', function: { name, arguments: args } }] }));
          }
          break;
        case 'error':
          throw part.error;
        case 'finish':
          response = part.response;
          outgoing.write(writer.delta({}, finishReasonOf(response.finishReason)));
          if (parsed.includeUsage) outgoing.write(writer.usage(response.usage));
          pending = write(outgoing, DONE_FRAME);
          break;
        default:
          break;
      }
      next = await iterator.next();
    }
    if (pending) await pending;
  } catch (error) {
    void iterator.return?.();
    const mapped = toGatewayError(error);
    const closed = controller.signal.aborted;
    if (!outgoing.destroyed) {
      outgoing.write(`data: ${errorBody(mapped)}\n\n`);
      outgoing.end();
    }
    call.end({
      status: closed ? 499 : 200,
      stream: true,
      provider: route.id,
      errorClass: closed ? 'client-closed' : mapped.errorClass,
      errorMessage: mapped.error.message,
    });
    return ALREADY_SENT;
  }
  if (!response) {
    // The provider's stream ended without its finish part: say so rather than end silently.
    const mapped = toGatewayError(new Error(`${route.id} ended its stream without finishing the answer.`));
    outgoing.write(`data: ${errorBody(mapped)}\n\n`);
    outgoing.end();
    call.end({ status: 200, stream: true, provider: route.id, errorClass: 'invalid-response', errorMessage: mapped.error.message });
    return ALREADY_SENT;
  }
  const upstreamMs = upstreamMsOf(response);
  const answeredBy = response.answeredBy ?? route.name;
  outgoing.addTrailers({
    'x-llm-lab-provider': response.providerId,
    'x-llm-lab-answered-by': answeredBy,
    'x-llm-lab-fallback': RouteTable.fallbackOf(route, response.answeredBy) ?? '-',
    'x-llm-lab-overhead-ms': Math.max(0, call.elapsedMs() - upstreamMs).toFixed(3),
  });
  outgoing.end();
  call.end(
    {
      ...answeredRecord(response, answeredBy),
      stream: true,
      // The stream's answer as one chat.completion, built only for a route that keeps bodies.
      ...(call.keepsBodies ? { responseBody: JSON.parse(chatCompletionBody(response, Math.floor(call.time / 1000))) as unknown } : {}),
    },
    upstreamMs,
  );
  return ALREADY_SENT;
}

/** `POST /v1/embeddings`, for routes whose provider has embedding models. */
export async function embeddings(services: CallServices, routes: RouteTable, call: Call): Promise<Response> {
  let route: Route | undefined;
  try {
    const json = await readJson(call.incoming, services.maxBodyBytes);
    const parsed = parseEmbeddingsRequest(json);
    const refused = await call.authenticate(parsed.model);
    if (refused) return refused;
    route = routes.get(parsed.model);
    call.keepBodies(route.name, json);
    call.startSpan(route.id);
    const embedder = routes.embedder(route);
    const controller = abortOnClose(call.outgoing, route);
    const result = await embedder.embed(parsed.input, { signal: controller.signal, source: route.source, ...(parsed.dimensions !== undefined ? { dimensions: parsed.dimensions } : {}) } as never);
    const body = embeddingsBody(result, parsed.encoding);
    const answeredBy = result.answeredBy ?? route.name;
    const upstreamMs = result.cached ? 0 : result.latencyMs + (result.queueMs ?? 0);
    const headers: Record<string, string> = {
      ...JSON_HEADERS,
      'x-llm-lab-route': route.name,
      'x-llm-lab-provider': route.id,
      'x-llm-lab-answered-by': answeredBy,
      'x-llm-lab-cache': result.cached ? 'hit' : 'miss',
      'x-llm-lab-attempts': String(result.attempts ?? 1),
      'x-llm-lab-overhead-ms': Math.max(0, call.elapsedMs() - upstreamMs).toFixed(3),
    };
    const fallback = RouteTable.fallbackOf(route, result.answeredBy);
    if (fallback !== undefined) headers['x-llm-lab-fallback'] = fallback;
    call.end(
      {
        status: 200,
        provider: route.id,
        model: result.model,
        answeredBy,
        inputTokens: result.usage.inputTokens,
        cacheHit: result.cached === true,
        attempts: result.attempts ?? 1,
        ...(result.cost ? { costUsd: result.cost.totalUsd } : {}),
        ...(call.keepsBodies ? { responseBody: JSON.parse(body) as unknown } : {}),
      },
      upstreamMs,
    );
    return new Response(body, { status: 200, headers });
  } catch (error) {
    return call.fail(error, route?.id);
  }
}

/** What the traffic record says of an answered call, whole or streamed. */
function answeredRecord(response: GenerateResponse, answeredBy: string) {
  return {
    status: 200,
    provider: response.providerId,
    model: response.model,
    answeredBy,
    inputTokens: response.usage.inputTokens,
    outputTokens: response.usage.outputTokens,
    ...(response.cost ? { costUsd: response.cost.totalUsd } : {}),
    cacheHit: response.cached === true,
    attempts: response.attempts ?? 1,
  };
}
