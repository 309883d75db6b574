import { describe, expect, it } from '@jest/globals';
import { MockProvider, isProviderError, type GenerateRequest, type StreamPart } from '../src/index.js';

const ask = (caseId: string, answer: string, repeat = 0): GenerateRequest => ({
  messages: [{ role: 'user', content: `question ${caseId}` }],
  context: { caseId, vars: { answer }, repeat },
});

describe('MockProvider', () => {
  it('echoes the last user message and counts words as tokens', async () => {
    const provider = new MockProvider('echo');
    const response = await provider.generate({
      messages: [
        { role: 'system', content: 'be nice' },
        { role: 'user', content: 'two words' },
      ],
    });
    expect(response).toMatchObject({ text: 'two words', finishReason: 'stop', providerId: 'mock:echo' });
    expect(response.usage).toEqual({ inputTokens: 4, outputTokens: 2, totalTokens: 6 });
    expect(response.cost).toBeUndefined();
  });

  it('answers from a field with the configured accuracy, reproducibly', async () => {
    const provider = new MockProvider('student', { mode: 'field', field: 'answer', accuracy: 0.7, seed: 3 });
    const run = async () => {
      let right = 0;
      for (let i = 0; i < 1000; i++) {
        const response = await provider.generate(ask(`c${i}`, `A${i}`));
        if (response.text === `A${i}`) right++;
      }
      return right;
    };
    const first = await run();
    expect(first).toBeGreaterThan(650);
    expect(first).toBeLessThan(750);
    expect(await run()).toBe(first);
  });

  it('fails at the configured rate with a classified error', async () => {
    const provider = new MockProvider('flaky', { errorRate: 0.25, errorKind: 'rate-limit' });
    let failures = 0;
    for (let i = 0; i < 400; i++) {
      try {
        await provider.generate(ask(`c${i}`, 'x'));
      } catch (error) {
        expect(isProviderError(error) && error.kind === 'rate-limit' && error.isRetryable).toBe(true);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(70);
    expect(failures).toBeLessThan(130);
  });

  it('fails transiently by default (a retry can succeed) or persistently on request', async () => {
    const outcomes = async (errorMode: 'transient' | 'persistent') => {
      const provider = new MockProvider('flaky', { errorRate: 0.5, errorMode, seed: 9 });
      const attempt = (i: number) => provider.generate(ask(`c${i}`, 'x')).then(() => true, () => false);
      const first = await Promise.all(Array.from({ length: 100 }, (_, i) => attempt(i)));
      const second = await Promise.all(Array.from({ length: 100 }, (_, i) => attempt(i)));
      return first.map((ok, i) => [ok, second[i]]);
    };
    const persistent = await outcomes('persistent');
    expect(persistent.every(([first, second]) => first === second)).toBe(true);
    const transient = await outcomes('transient');
    const recovered = transient.filter(([first, second]) => !first && second).length;
    expect(recovered).toBeGreaterThan(10);
  });

  it('streams deltas that add up to the text, then usage and finish', async () => {
    const provider = new MockProvider('s', { mode: 'fixed', text: 'one two three', latencyMs: 5 });
    const parts: StreamPart[] = [];
    for await (const part of provider.streamGenerate({ messages: [{ role: 'user', content: 'go' }] })) parts.push(part);
    const text = parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('');
    expect(text).toBe('one two three');
    const finish = parts.at(-1);
    expect(finish?.type).toBe('finish');
    if (finish?.type === 'finish') {
      expect(finish.response.timeToFirstTokenMs).toBeGreaterThanOrEqual(4);
      expect(finish.response.usage.outputTokens).toBe(3);
    }
  });

  it('prices calls when given prices', async () => {
    const provider = new MockProvider('paid', { pricing: { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 } });
    const response = await provider.generate({ messages: [{ role: 'user', content: 'a b' }] });
    expect(response.cost).toEqual({ inputUsd: 2, outputUsd: 4, totalUsd: 6 });
  });

  it('is cancelled by an AbortSignal', async () => {
    const provider = new MockProvider('slow', { latencyMs: 10_000 });
    const controller = new AbortController();
    const pending = provider.generate({ messages: [{ role: 'user', content: 'x' }] }, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('rejects invalid settings by name and bad config by path', async () => {
    const provider = new MockProvider('m');
    await expect(provider.generate({ messages: [{ role: 'user', content: 'x' }], temperature: 5 })).rejects.toThrow(
      /Invalid request setting 'temperature'/,
    );
    expect(() => new MockProvider('m', { mode: 'field' })).toThrow(/config\.field: mode 'field' needs 'field'/);
    expect(() => new MockProvider('m', { accuracy: 2 })).toThrow(/config\.accuracy/);
  });

  it('runs a batch keeping order and isolating failures', async () => {
    const provider = new MockProvider('b', { mode: 'field', field: 'answer', errorRate: 0.5, seed: 1 });
    const requests = Array.from({ length: 20 }, (_, i) => ask(`b${i}`, `A${i}`));
    const results = await provider.batchGenerate(requests, { concurrency: 4 });
    expect(results).toHaveLength(20);
    expect(results.some((result) => !result.ok)).toBe(true);
    results.forEach((result, i) => {
      if (result.ok) expect(result.response.text).toBe(`A${i}`);
    });
  });

  it("makes a case's scripted tool calls turn by turn, then answers with the last tool results", async () => {
    const provider = new MockProvider('tools', { mode: 'tool-result', toolCallsField: 'script' });
    const tools = [{ name: 'lookup' }, { name: 'add' }];
    const script = JSON.stringify([[{ name: 'lookup', arguments: { key: 'a' } }, { name: 'lookup', arguments: { key: 'b' } }], [{ name: 'add', arguments: '{"x":1,"y":2}' }]]);
    const context = { caseId: 'c1', vars: { script } };
    const messages: GenerateRequest['messages'] = [{ role: 'user', content: 'sum a and b' }];
    const first = await provider.generate({ messages, tools, context });
    expect(first).toMatchObject({ text: '', finishReason: 'tool-calls' });
    expect(first.toolCalls).toEqual([
      { id: 'call_1_1', name: 'lookup', arguments: '{"key":"a"}' },
      { id: 'call_1_2', name: 'lookup', arguments: '{"key":"b"}' },
    ]);
    messages.push(
      { role: 'assistant', content: first.toolCalls!.map((call) => ({ type: 'tool-call' as const, ...call })) },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1_1', name: 'lookup', result: '1' }, { type: 'tool-result', toolCallId: 'call_1_2', name: 'lookup', result: '2' }] },
    );
    const second = await provider.generate({ messages, tools, context });
    expect(second.toolCalls).toEqual([{ id: 'call_2_1', name: 'add', arguments: '{"x":1,"y":2}' }]);
    messages.push(
      { role: 'assistant', content: [{ type: 'tool-call', ...second.toolCalls![0]! }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_2_1', name: 'add', result: '3' }] },
    );
    const last = await provider.generate({ messages, tools, context });
    expect(last).toMatchObject({ text: '3', finishReason: 'stop' });
    expect(last.toolCalls).toBeUndefined();
  });

  it('says which row field holds a broken tool-call script and how to write one', async () => {
    const provider = new MockProvider('tools', { toolCallsField: 'script' });
    const request = (script: unknown): GenerateRequest => ({ messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'lookup' }], context: { vars: { script } } });
    await expect(provider.generate(request('[[{"name": '))).rejects.toThrow(/the tool-call script in field 'script' is not valid JSON .*Write it as \[\[\{ "name": "tool"/);
    await expect(provider.generate(request([[{ tool: 'lookup' }]]))).rejects.toThrow("field 'script' at 0.0.name");
  });
});
