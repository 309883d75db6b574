import { describe, expect, it } from '@jest/globals';
import { convertToOpenAIMessages } from '../src/index.js';

describe('convertToOpenAIMessages', () => {
  it('sends images as image_url parts: URLs as given, base64 as data URLs, with detail', () => {
    const [user] = convertToOpenAIMessages([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare.' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' }, detail: 'low' },
          { type: 'image', source: { type: 'base64', mediaType: 'image/jpeg', data: 'AAAA' } },
        ],
      },
    ]);
    expect(user).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Compare.' },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } },
      ],
    });
  });

  it('replays assistant tool calls as tool_calls (content null without text) and each tool result as its own tool message', () => {
    const messages = convertToOpenAIMessages([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris and Oslo?', name: 'ana' },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'Two cities: two calls.' },
          { type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'tool-call', id: 'call_2', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'call_1', name: 'get_weather', result: '{"celsius":18}' },
          { type: 'tool-result', toolCallId: 'call_2', name: 'get_weather', result: 'station offline', isError: true },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'Paris 18°C; ' }, { type: 'text', text: 'Oslo unknown.' }] },
    ]);
    expect(messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris and Oslo?', name: 'ana' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":18}' },
      { role: 'tool', tool_call_id: 'call_2', content: 'station offline' },
      { role: 'assistant', content: 'Paris 18°C; Oslo unknown.' },
    ]);
  });
});
