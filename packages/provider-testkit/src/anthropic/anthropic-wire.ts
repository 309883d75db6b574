/**
 * Anthropic Messages API wire shapes, as documented in Anthropic's API reference: the request
 * the fake server reads, and the message, SSE event, error and batch bodies it writes.
 */
import { countWords, textOfContent } from '../openai/openai-wire.js';

/** The part of a Messages request body the fake server reads. Other fields are recorded, not interpreted. */
export interface MessagesRequestBody {
  model?: unknown;
  messages?: unknown;
  system?: unknown;
  max_tokens?: unknown;
  stream?: unknown;
  temperature?: unknown;
  top_p?: unknown;
  top_k?: unknown;
  stop_sequences?: unknown;
  [field: string]: unknown;
}

/** Why Claude stopped, as the Messages API reports it. */
export type AnthropicStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

/** Token counts in the fake's reply; missing counts are computed as whitespace-separated words (cache counts default to 0). */
export interface FakeAnthropicUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheCreationInputTokens?: number;
  cacheReadInputTokens?: number;
}

/** What an Anthropic responder answers: the text, and optionally tool calls, thinking, the stop reason and token counts. */
export interface FakeAnthropicReply {
  /** The answer text; with tool calls and no text, no text block is written. */
  text: string;
  /** `tool_use` blocks after the text, in order (ids `toolu_…` made up when absent). Their `arguments` is the JSON text of `input`. */
  toolCalls?: Array<{ id?: string; name: string; arguments: string }>;
  /** A `thinking` block before the text (extended thinking). */
  reasoning?: string;
  /** The thinking block's `signature`. Default: a made-up one. */
  reasoningSignature?: string;
  /**
   * Several thinking blocks before the text, each with its signature (interleaved thinking), or
   * `{ redactedData }` for a `redacted_thinking` block (thinking Anthropic's safety systems
   * flagged, returned encrypted as `data`); written instead of `reasoning`.
   */
  thinkingBlocks?: Array<{ thinking: string; signature: string } | { redactedData: string }>;
  /** Default `end_turn`, or `tool_use` when there are tool calls. */
  stopReason?: AnthropicStopReason;
  /** The stop sequence that ended generation (with `stopReason: 'stop_sequence'`). Default null. */
  stopSequence?: string | null;
  usage?: FakeAnthropicUsage;
}

/** The Messages API `usage` object. */
export interface AnthropicUsageWire {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  service_tier: 'standard' | 'batch';
}

/** Anthropic's error body: `{ type: 'error', error: { type, message }, request_id }`. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string | null;
}

/** The `system` field's text: a string, or the text blocks of an array. */
export function systemTextOf(body: MessagesRequestBody): string {
  return textOfContent(body.system);
}

/** The messages of a request as `{ role, text }`, ignoring malformed entries. */
export function anthropicMessagesOf(body: MessagesRequestBody): Array<{ role: string; text: string }> {
  if (!Array.isArray(body.messages)) return [];
  return body.messages
    .filter((message: unknown): message is Record<string, unknown> => typeof message === 'object' && message !== null)
    .map((message) => ({ role: String(message.role), text: textOfContent(message.content) }));
}

/** Input tokens of a request in the fake's counting: words of `system` and every message, at least 1. */
export function inputTokensOf(body: MessagesRequestBody): number {
  const words = countWords(systemTextOf(body)) + anthropicMessagesOf(body).reduce((sum, message) => sum + countWords(message.text), 0);
  return Math.max(1, words);
}

/** The default Anthropic responder: the text of the last user message. */
export function echoLastAnthropicUserMessage(body: MessagesRequestBody): string {
  const users = anthropicMessagesOf(body).filter((message) => message.role === 'user');
  return users[users.length - 1]?.text ?? '';
}

/** The `usage` object of a reply. Input counts exclude cached tokens, as Anthropic reports them. */
export function anthropicUsageWire(body: MessagesRequestBody, reply: FakeAnthropicReply, serviceTier: 'standard' | 'batch' = 'standard'): AnthropicUsageWire {
  const cacheCreation = reply.usage?.cacheCreationInputTokens ?? 0;
  return {
    input_tokens: reply.usage?.inputTokens ?? inputTokensOf(body),
    output_tokens: reply.usage?.outputTokens ?? Math.max(1, countWords([reply.reasoning ?? '', reply.text, ...(reply.toolCalls ?? []).map((call) => call.arguments)].join(' '))),
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: reply.usage?.cacheReadInputTokens ?? 0,
    cache_creation: { ephemeral_5m_input_tokens: cacheCreation, ephemeral_1h_input_tokens: 0 },
    service_tier: serviceTier,
  };
}

/** A content block of a fake answer. */
export type FakeAnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown; caller: { type: 'direct' } };

/** The content blocks of a reply, in Anthropic's order: thinking, text, tool uses. */
export function replyBlocks(messageId: string, reply: FakeAnthropicReply): FakeAnthropicBlock[] {
  const blocks: FakeAnthropicBlock[] = [];
  if (reply.thinkingBlocks !== undefined) {
    for (const block of reply.thinkingBlocks) {
      blocks.push('redactedData' in block ? { type: 'redacted_thinking', data: block.redactedData } : { type: 'thinking', thinking: block.thinking, signature: block.signature });
    }
  } else if (reply.reasoning !== undefined) {
    blocks.push({ type: 'thinking', thinking: reply.reasoning, signature: reply.reasoningSignature ?? `sig_${Buffer.from(messageId).toString('base64')}` });
  }
  const calls = reply.toolCalls ?? [];
  if (reply.text !== '' || (calls.length === 0 && reply.stopReason !== 'refusal')) blocks.push({ type: 'text', text: reply.text });
  calls.forEach((call, index) => {
    blocks.push({ type: 'tool_use', id: call.id ?? `toolu_${messageId.replace(/^msg_/, '')}_${index}`, name: call.name, input: JSON.parse(call.arguments), caller: { type: 'direct' } });
  });
  return blocks;
}

/** The stop reason of a reply: as given, else `tool_use` when it calls tools, else `end_turn`. */
function stopReasonOf(reply: FakeAnthropicReply): AnthropicStopReason {
  return reply.stopReason ?? ((reply.toolCalls?.length ?? 0) > 0 ? 'tool_use' : 'end_turn');
}

/** A whole (non-streamed) `message` object. */
export function messageWire(id: string, body: MessagesRequestBody, reply: FakeAnthropicReply, serviceTier: 'standard' | 'batch' = 'standard') {
  return {
    id,
    type: 'message' as const,
    role: 'assistant' as const,
    model: String(body.model),
    content: replyBlocks(id, reply),
    stop_reason: stopReasonOf(reply),
    stop_sequence: reply.stopSequence ?? null,
    usage: anthropicUsageWire(body, reply, serviceTier),
  };
}

/** One SSE event in Anthropic's framing: `event: <name>` then `data: <json>`, then a blank line. */
export function sseEvent<Event extends { type: string }>(data: Event): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Splits a reply into the text deltas a stream sends: words with their trailing space. */
export function splitIntoTextDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Splits JSON text into the `input_json_delta` fragments a stream sends: an empty one first (as Anthropic does), then pieces of about 8 characters. */
export function splitIntoJsonDeltas(json: string): string[] {
  const pieces = [''];
  for (let at = 0; at < json.length; at += 8) pieces.push(json.slice(at, at + 8));
  return pieces;
}

/** The events of one content block: content_block_start, its deltas, content_block_stop. */
function blockEvents(block: FakeAnthropicBlock, index: number): string[] {
  switch (block.type) {
    case 'text':
      return [
        sseEvent({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }),
        ...splitIntoTextDeltas(block.text).map((piece) => sseEvent({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } })),
        sseEvent({ type: 'content_block_stop', index }),
      ];
    case 'thinking':
      return [
        sseEvent({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }),
        ...splitIntoTextDeltas(block.thinking).map((piece) => sseEvent({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } })),
        sseEvent({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } }),
        sseEvent({ type: 'content_block_stop', index }),
      ];
    case 'redacted_thinking':
      // Streamed whole in its start event, with no deltas.
      return [sseEvent({ type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: block.data } }), sseEvent({ type: 'content_block_stop', index })];
    case 'tool_use':
      return [
        sseEvent({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {}, caller: block.caller } }),
        ...splitIntoJsonDeltas(JSON.stringify(block.input)).map((piece) =>
          sseEvent({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } }),
        ),
        sseEvent({ type: 'content_block_stop', index }),
      ];
  }
}

/**
 * The events of a streamed message, in the documented order: message_start, ping, then per
 * content block content_block_start, its deltas (`text_delta`, `thinking_delta` then
 * `signature_delta`, `input_json_delta`) and content_block_stop, then message_delta, message_stop.
 */
export function streamEventsWire(id: string, body: MessagesRequestBody, reply: FakeAnthropicReply): string[] {
  const usage = anthropicUsageWire(body, reply);
  const start = messageWire(id, body, reply);
  const blocks = start.content;
  return [
    sseEvent({
      type: 'message_start',
      message: { ...start, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
    }),
    ...(blocks.length === 0 ? [sseEvent({ type: 'ping' })] : []),
    ...blocks.flatMap((block, index) => {
      const events = blockEvents(block, index);
      // Anthropic sends a ping after the first content_block_start.
      return index === 0 ? [events[0]!, sseEvent({ type: 'ping' }), ...events.slice(1)] : events;
    }),
    sseEvent({
      type: 'message_delta',
      delta: { stop_reason: stopReasonOf(reply), stop_sequence: reply.stopSequence ?? null },
      usage: { output_tokens: usage.output_tokens },
    }),
    sseEvent({ type: 'message_stop' }),
  ];
}

/** An Anthropic error body. */
export function anthropicErrorWire(type: string, message: string, requestId: string | null = null): AnthropicErrorBody {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

/** The error type Anthropic uses for an HTTP status. */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** The HTTP status Anthropic answers with for an error type (used for error events turned into responses). */
export function statusForErrorType(type: string): number {
  const statuses: Record<string, number> = {
    invalid_request_error: 400,
    authentication_error: 401,
    billing_error: 402,
    permission_error: 403,
    not_found_error: 404,
    request_too_large: 413,
    rate_limit_error: 429,
    api_error: 500,
    timeout_error: 504,
    overloaded_error: 529,
  };
  return statuses[type] ?? 500;
}

/**
 * The error body Anthropic sends for a status when the fault gives none. The neutral codes
 * `content_filter` and `context_length_exceeded` become the messages Anthropic uses for them
 * (Anthropic's bodies carry a type and a message, no code).
 */
export function defaultAnthropicErrorFor(options: {
  status: number;
  code?: string | null;
  message?: string;
  errorType?: string;
  model?: string;
  requestId?: string;
}): AnthropicErrorBody {
  const type = options.errorType ?? errorTypeForStatus(options.status);
  const preset = ((): string => {
    if (options.code === 'content_filter') return 'Output blocked by content filtering policy';
    if (options.code === 'context_length_exceeded') return 'prompt is too long: 215000 tokens > 200000 maximum';
    switch (type) {
      case 'invalid_request_error':
        return 'messages.0.content: Input should be a valid list';
      case 'authentication_error':
        return 'invalid x-api-key';
      case 'billing_error':
        return 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.';
      case 'permission_error':
        return 'Your API key does not have permission to use the specified resource.';
      case 'not_found_error':
        return `model: ${options.model ?? 'unknown'}`;
      case 'request_too_large':
        return 'Request exceeds the maximum allowed number of bytes.';
      case 'rate_limit_error':
        return 'This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.';
      case 'timeout_error':
        return 'Request timed out.';
      case 'overloaded_error':
        return 'Overloaded';
      default:
        return 'Internal server error';
    }
  })();
  return anthropicErrorWire(type, options.message ?? preset, options.requestId ?? null);
}
