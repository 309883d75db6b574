import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeAnthropicServer, startFakeOpenAIServer, type FakeAnthropicServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { readSse } from '../src/index.js';

async function* chunks(...parts: Array<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  for (const part of parts) yield part;
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('readSse', () => {
  let openai: FakeOpenAIServer;
  let anthropic: FakeAnthropicServer;
  beforeAll(async () => {
    openai = await startFakeOpenAIServer();
    anthropic = await startFakeAnthropicServer();
  });
  afterAll(async () => {
    await openai.close();
    await anthropic.close();
  });

  it("reads OpenAI's chat-completion chunks off a real stream, stopping at [DONE]", async () => {
    const response = await fetch(`${openai.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'three little words' }] }),
    });
    const events = await all(readSse(response.body!, { doneSentinel: '[DONE]' }));
    const text = events.map((event) => (JSON.parse(event.data) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('three little words');
    expect(events.every((event) => event.data !== '[DONE]')).toBe(true);
  });

  it("reads Anthropic's named events (event: and data: lines)", async () => {
    const response = await fetch(`${anthropic.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-test' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi there' }] }),
    });
    const events = await all(readSse(response.body!));
    expect(events[0]?.event).toBe('message_start');
    expect(events.at(-1)?.event).toBe('message_stop');
  });

  it('joins frames and UTF-8 characters split across chunks, multi-line data and CRLF endings; drops an unfinished frame', async () => {
    const euro = Buffer.from('data: 5 €\n\n');
    const events = await all(
      readSse(chunks('event: a\r\nda', 'ta: one\r\ndata: two\r\n\r\n', euro.subarray(0, 9), euro.subarray(9), ': a comment\n\n', 'data: cut sho')),
    );
    expect(events.map(({ event, data }) => ({ event, data }))).toEqual([
      { event: 'a', data: 'one\ntwo' },
      { event: undefined, data: '5 €' },
    ]);
  });
});
