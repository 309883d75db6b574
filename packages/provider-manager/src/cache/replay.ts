import { StreamAccumulator, type GenerateResponse, type StreamPart } from '@llm-lab/core';

/**
 * Replays a whole answer (a cached one) as a stream, with the parts a live stream of it would
 * have had: its reasoning, one text part per word (with its trailing space), its tool calls (each
 * as one delta, then complete), usage, and finish.
 */
export async function* replay(response: GenerateResponse): AsyncIterable<StreamPart> {
  const parts = new StreamAccumulator();
  if (response.reasoning) yield* parts.addReasoning(response.reasoning);
  const pieces = response.text.match(/\s*\S+\s*/g) ?? (response.text === '' ? [] : [response.text]);
  for (const text of pieces) yield* parts.addText(text);
  for (const call of response.toolCalls ?? []) yield* parts.addToolCall(call);
  yield { type: 'usage', usage: response.usage };
  yield { type: 'finish', response: { ...response, timeToFirstTokenMs: 0 } };
}
