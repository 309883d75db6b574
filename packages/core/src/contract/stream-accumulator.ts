import type { StreamPart, ToolCall } from './types.js';

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
  done: boolean;
  signature?: string;
}

/**
 * Collects a streamed answer as its parts arrive: the text, the reasoning, the tool calls
 * assembled from their deltas, and the time of the first token. One per call; every provider
 * that streams uses it instead of keeping its own buffers.
 *
 * Each `add*` method returns the stream parts to yield for what it was given, so a provider
 * writes `yield* acc.addText(delta)`.
 */
export class StreamAccumulator {
  private textChunks: string[] = [];
  private reasoningChunks: string[] = [];
  private readonly calls: PendingCall[] = [];
  /** `performance.now()` of the first text, reasoning or tool-call delta; undefined until one arrives. */
  firstTokenAt: number | undefined;
  /** Characters of text so far (for "cut short after N characters" errors). */
  characters = 0;

  private touch(): void {
    this.firstTokenAt ??= performance.now();
  }

  /** A text delta (empty deltas are dropped). */
  addText(text: string | null | undefined): StreamPart[] {
    if (!text) return [];
    this.touch();
    this.textChunks.push(text);
    this.characters += text.length;
    return [{ type: 'text-delta', text }];
  }

  /** A reasoning ("thinking") delta. */
  addReasoning(text: string | null | undefined): StreamPart[] {
    if (!text) return [];
    this.touch();
    this.reasoningChunks.push(text);
    return [{ type: 'reasoning-delta', text }];
  }

  /**
   * A fragment of the tool call at `index`: the first fragment of a call brings its `id` and
   * `name`; later ones add argument text. A new index completes the calls before it (vendors
   * stream calls one after another).
   */
  addToolCallDelta(index: number, fragment: { id?: string | null; name?: string | null; argumentsDelta?: string | null }): StreamPart[] {
    this.touch();
    const out: StreamPart[] = [];
    let call = this.calls[index];
    if (!call) {
      out.push(...this.completeCallsBefore(index));
      call = { id: '', name: '', arguments: '', done: false };
      this.calls[index] = call;
    }
    if (fragment.id) call.id = fragment.id;
    if (fragment.name && !call.name) call.name = fragment.name;
    const argumentsDelta = fragment.argumentsDelta ?? '';
    call.arguments += argumentsDelta;
    const part: StreamPart = { type: 'tool-call-delta', index, argumentsDelta };
    if (fragment.id) part.id = fragment.id;
    if (fragment.name) part.name = fragment.name;
    out.push(part);
    return out;
  }

  /** A whole tool call at once (vendors that do not stream arguments: Google, Ollama). */
  addToolCall(call: ToolCall): StreamPart[] {
    const index = this.calls.length;
    const delta = this.addToolCallDelta(index, { id: call.id, name: call.name, argumentsDelta: call.arguments });
    if (call.signature !== undefined) (this.calls[index] as PendingCall).signature = call.signature;
    return [...delta, ...this.completeCall(index)];
  }

  /** Marks the call at `index` complete and returns its `tool-call` part (once). */
  completeCall(index: number): StreamPart[] {
    const call = this.calls[index];
    if (!call || call.done) return [];
    call.done = true;
    return [{ type: 'tool-call', index, toolCall: callOf(call) }];
  }

  private completeCallsBefore(index: number): StreamPart[] {
    const out: StreamPart[] = [];
    for (let i = 0; i < Math.min(index, this.calls.length); i += 1) out.push(...this.completeCall(i));
    return out;
  }

  /** Completes every call still open (at the end of the stream). */
  completeAll(): StreamPart[] {
    return this.completeCallsBefore(this.calls.length);
  }

  get text(): string {
    if (this.textChunks.length > 1) this.textChunks = [this.textChunks.join('')];
    return this.textChunks[0] ?? '';
  }

  get reasoning(): string | undefined {
    if (this.reasoningChunks.length === 0) return undefined;
    if (this.reasoningChunks.length > 1) this.reasoningChunks = [this.reasoningChunks.join('')];
    return this.reasoningChunks[0];
  }

  /** The tool calls so far, in index order; undefined when there are none. */
  get toolCalls(): ToolCall[] | undefined {
    const calls = this.calls.filter(Boolean).map(callOf);
    return calls.length > 0 ? calls : undefined;
  }
}

function callOf({ id, name, arguments: args, signature }: PendingCall): ToolCall {
  return { id, name, arguments: args, ...(signature !== undefined ? { signature } : {}) };
}

/**
 * Wraps a provider's stream so a failure after parts were yielded is first reported in band as an
 * `error` part, then thrown (contract 2.0). A failure before any part is only thrown, so a
 * retrying layer can retry it as a failed call.
 */
export async function* withErrorPart(parts: AsyncIterable<StreamPart>): AsyncGenerator<StreamPart> {
  let yielded = false;
  try {
    for await (const part of parts) {
      yielded = true;
      yield part;
    }
  } catch (error) {
    if (yielded) yield { type: 'error', error: error instanceof Error ? error : new Error(String(error)) };
    throw error;
  }
}
