import { describe, expect, it } from '@jest/globals';
import {
  BaseProvider,
  StreamAccumulator,
  assistantMessageOf,
  flattenMessagesToPrompt,
  imageBase64Of,
  imageUrlOf,
  isProviderError,
  messageText,
  withErrorPart,
  type CallOptions,
  type ChatMessage,
  type GenerateRequest,
  type GenerateResponse,
  type ModelInfo,
  type StreamPart,
} from '../src/index.js';

class Probe extends BaseProvider {
  readonly provider = 'probe';
  readonly model = 'm';
  check(request: GenerateRequest) {
    return this.validateRequest(request);
  }
  async generate(): Promise<GenerateResponse> {
    throw new Error('not used');
  }
   
  async *streamGenerate(_request: GenerateRequest, _options?: CallOptions): AsyncIterable<StreamPart> {
    throw new Error('not used');
  }
  capabilities: ModelInfo['capabilities'] = { streaming: true, batch: false, embeddings: false, logprobs: false, tools: true, jsonMode: true, vision: true };
  getModelInfo(): ModelInfo {
    return { id: this.id, provider: this.provider, model: this.model, contextWindow: 1000, capabilities: this.capabilities };
  }
  assemble(toolCalls: GenerateResponse['toolCalls']) {
    return this.assembleResponse({ text: '', finishReason: 'stop', usage: undefined, startedAt: 0, warnings: [], toolCalls });
  }
}

const probe = new Probe();
const invalidMessage = (request: GenerateRequest): string => {
  try {
    probe.check(request);
  } catch (error) {
    if (isProviderError(error)) return error.message;
    throw error;
  }
  return 'valid';
};

describe('contract 2.0 messages', () => {
  const conversation: ChatMessage[] = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'What is in ' }, { type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } }, { type: 'text', text: 'this?' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool-call', id: 'c1', name: 'zoom', arguments: '{"x":1}' }] },
    { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', name: 'zoom', result: '{"seen":"a cat"}' }] },
  ];

  it('accepts text, images, tool calls and tool results in the roles that hold them', () => {
    expect(invalidMessage({ messages: conversation })).toBe('valid');
  });

  it('names the message and part that is wrong', () => {
    expect(invalidMessage({ messages: [{ role: 'user', content: [{ type: 'tool-call', id: 'x', name: 'y', arguments: '{}' }] as never }] })).toMatch(
      /messages\[0\]\.content\[0\]'.*text, image part for a user message/,
    );
    expect(invalidMessage({ messages: [{ role: 'tool', content: 'plain' as never }] })).toMatch(/messages\[0\]\.content'.*tool-result parts/);
    expect(invalidMessage({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'ftp://x' } }] }] })).toMatch(
      /messages\[0\]\.content\[0\]\.source/,
    );
    expect(invalidMessage({ messages: [{ role: 'system', content: [] as never }] })).toMatch(/messages\[0\]\.content'.*a string/);
  });

  it('checks tools, tool choice, n and the JSON schema', () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'hi' }];
    expect(invalidMessage({ messages, tools: [{ name: 'get weather' }] })).toMatch(/tools\[0\]\.name/);
    expect(invalidMessage({ messages, tools: [{ name: 'a' }, { name: 'a' }] })).toMatch(/tools\[1\]\.name'.*used once/);
    expect(invalidMessage({ messages, tools: [{ name: 'a' }], toolChoice: { type: 'tool', name: 'b' } })).toMatch(/toolChoice\.name'.*\(a\)/);
    expect(invalidMessage({ messages, toolChoice: 'required' })).toMatch(/toolChoice'.*needs tools/);
    expect(invalidMessage({ messages, n: 0 })).toMatch(/'n'/);
    expect(invalidMessage({ messages, responseFormat: { type: 'json', schema: [] as never } })).toMatch(/responseFormat\.schema/);
    expect(invalidMessage({ messages, tools: [{ name: 'a', parameters: { type: 'object' } }], toolChoice: { type: 'tool', name: 'a' }, n: 2 })).toBe('valid');
  });

  it('reads the text of any message and flattens parts to a prompt', () => {
    expect(conversation.map(messageText)).toEqual(['Be brief.', 'What is in this?', 'Let me look.', '{"seen":"a cat"}']);
    expect(flattenMessagesToPrompt(conversation).prompt).toBe(
      'Be brief.\n\nUser: What is in this?\nAssistant: Let me look.\nTool: {"seen":"a cat"}\nAssistant:',
    );
  });

  it('converts images between URL and base64 forms', () => {
    expect(imageUrlOf({ type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'QUJD' } })).toBe('data:image/png;base64,QUJD');
    expect(imageBase64Of({ type: 'image', source: { type: 'url', url: 'data:image/jpeg;base64,QUJD' } })).toEqual({ mediaType: 'image/jpeg', data: 'QUJD' });
    expect(imageBase64Of({ type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } })).toBeUndefined();
  });

  it('replays a response with tool calls as an assistant message', () => {
    expect(assistantMessageOf({ text: 'ok' })).toEqual({ role: 'assistant', content: 'ok' });
    expect(assistantMessageOf({ text: '', toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }], reasoning: 'hmm', reasoningSignatures: ['sig'] })).toEqual({
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'hmm', signature: 'sig' },
        { type: 'tool-call', id: 'c', name: 'f', arguments: '{}' },
      ],
    });
  });

  it('marks a response with tool calls as finished for tool calls', () => {
    expect(probe.assemble([{ id: 'c', name: 'f', arguments: '{}' }])).toMatchObject({ finishReason: 'tool-calls', toolCalls: [{ id: 'c' }] });
    expect(probe.assemble(undefined)).toMatchObject({ finishReason: 'stop' });
    expect(probe.assemble(undefined).toolCalls).toBeUndefined();
  });
});

describe('features a provider does not claim', () => {
  const textOnly = new Probe();
  textOnly.capabilities = { streaming: true, batch: false, embeddings: false, logprobs: false, tools: false, jsonMode: true, vision: false };
  const messages: ChatMessage[] = [{ role: 'user', content: 'hi' }];

  it('refuses an image it cannot see, naming the message', () => {
    expect(() =>
      textOnly.check({ messages: [...messages, { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } }] }] }),
    ).toThrow(/probe:m cannot take images \(messages\[1\] has one\)/);
  });

  it('warns that tools, n and a JSON schema were ignored, and stays quiet about what it can do', () => {
    const warnings = textOnly.check({ messages, tools: [{ name: 'f' }], n: 3, responseFormat: { type: 'json', schema: { type: 'object' } } });
    expect(warnings.map((warning) => warning.setting)).toEqual(['tools', 'n', 'responseFormat.schema']);
    expect(warnings[2]?.message).toMatch(/asks for a JSON object only/);
    expect(textOnly.check({ messages, responseFormat: { type: 'json' } })).toEqual([]);
    expect(probe.check({ messages, tools: [{ name: 'f' }] })).toEqual([]);
  });
});

describe('StreamAccumulator', () => {
  it('assembles parallel tool calls from their fragments and completes each once', () => {
    const acc = new StreamAccumulator();
    const parts = [
      ...acc.addText('Checking '),
      ...acc.addToolCallDelta(0, { id: 'call_a', name: 'weather', argumentsDelta: '' }),
      ...acc.addToolCallDelta(0, { argumentsDelta: '{"city":' }),
      ...acc.addToolCallDelta(0, { argumentsDelta: '"Paris"}' }),
      ...acc.addToolCallDelta(1, { id: 'call_b', name: 'weather', argumentsDelta: '{"city":"Oslo"}' }),
      ...acc.completeAll(),
      ...acc.completeAll(),
    ];
    expect(acc.text).toBe('Checking ');
    expect(acc.toolCalls).toEqual([
      { id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}' },
      { id: 'call_b', name: 'weather', arguments: '{"city":"Oslo"}' },
    ]);
    expect(parts.filter((part) => part.type === 'tool-call').map((part) => (part as { index: number }).index)).toEqual([0, 1]);
    expect(parts[1]).toEqual({ type: 'tool-call-delta', index: 0, id: 'call_a', name: 'weather', argumentsDelta: '' });
    expect(acc.firstTokenAt).toBeDefined();
  });

  it('keeps reasoning apart from text and drops empty deltas', () => {
    const acc = new StreamAccumulator();
    expect(acc.addText('')).toEqual([]);
    expect(acc.firstTokenAt).toBeUndefined();
    acc.addReasoning('think ');
    acc.addReasoning('more');
    acc.addText('answer');
    expect([acc.reasoning, acc.text, acc.toolCalls]).toEqual(['think more', 'answer', undefined]);
  });

  it('reports a failure after the first part in band, then throws it', async () => {
    async function* failing(): AsyncGenerator<StreamPart> {
      yield { type: 'text-delta', text: 'par' };
      throw new Error('connection reset');
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const part of withErrorPart(failing())) seen.push(part.type === 'error' ? `error:${part.error.message}` : part.type);
      })(),
    ).rejects.toThrow('connection reset');
    expect(seen).toEqual(['text-delta', 'error:connection reset']);
  });

  it('only throws a failure that comes before any part', async () => {
     
    async function* failing(): AsyncGenerator<StreamPart> {
      throw new Error('refused');
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const part of withErrorPart(failing())) seen.push(part.type);
      })(),
    ).rejects.toThrow('refused');
    expect(seen).toEqual([]);
  });
});
