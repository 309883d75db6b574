import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One server-sent event: its `event` type (absent for plain `data:` frames), `data` and `id`. */
export type SseEvent = EventSourceMessage;

/**
 * Reads a `text/event-stream` body as events, in order, with the `eventsource-parser` package
 * doing the parsing (line endings `\n`, `\r\n` or `\r`, multi-line `data:`, comments, `event:`,
 * `id:`, frames split anywhere across chunks). Bytes are decoded as UTF-8 across chunk
 * boundaries. With `doneSentinel` (OpenAI's `[DONE]`), reading stops at that data. An event left
 * unfinished when the body ends is dropped, as the SSE specification says.
 *
 * ```ts
 * for await (const event of readSse(response.body!, { doneSentinel: '[DONE]' })) JSON.parse(event.data);
 * ```
 */
export async function* readSse(
  body: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: { doneSentinel?: string } = {},
): AsyncGenerator<SseEvent> {
  const ready: SseEvent[] = [];
  const parser = createParser({ onEvent: (event) => ready.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    while (ready.length > 0) {
      const event = ready.shift()!;
      if (options.doneSentinel !== undefined && event.data === options.doneSentinel) return;
      yield event;
    }
  }
  parser.feed(decoder.decode());
  for (const event of ready) {
    if (options.doneSentinel !== undefined && event.data === options.doneSentinel) return;
    yield event;
  }
}
