import { afterAll, describe, expect, it } from '@jest/globals';
import type { StreamPart } from '@llm-lab/core';
import { cacheKeyOf, createProviderManager, providerIdentity } from '../src/index.js';
import { ask, closeServers, collect, openaiAt, startServer } from './helpers.js';

afterAll(closeServers);

const PROMPT = 'Refund card 4111 1111 1111 1111 and mail ann@example.org (again: ann@example.org).';

/** The user message text the fake server received in its last chat request. */
function lastSent(server: Awaited<ReturnType<typeof startServer>>): string {
  const chats = server.requests.filter((request) => request.path.endsWith('/chat/completions'));
  const body = chats.at(-1)?.body as { messages: Array<{ content: string }> };
  return body.messages.at(-1)?.content as string;
}

function streamedText(parts: StreamPart[]): string {
  return parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
}

describe('a pii: policy on a managed provider', () => {
  it('tokenize: the vendor sees placeholders, the caller gets the originals back, whole and streamed', async () => {
    // Cut the streamed echo every 3 characters, so placeholders arrive in pieces.
    const server = await startServer({ streamDeltaChars: 3 });
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), pii: { mode: 'tokenize' } }], cache: false });
    const provider = manager.get('openai:gpt-4o-mini');

    const whole = await provider.generate(ask(PROMPT));
    expect(lastSent(server)).toBe('Refund card <CREDIT_CARD_1> and mail <EMAIL_ADDRESS_1> (again: <EMAIL_ADDRESS_1>).');
    expect(whole.text).toBe(PROMPT);

    const parts = await collect(provider.streamGenerate(ask(PROMPT)));
    expect(lastSent(server)).not.toContain('ann@example.org');
    const deltas = parts.filter((part) => part.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(10);
    expect(streamedText(parts)).toBe(PROMPT);
    const finish = parts.at(-1);
    expect(finish?.type === 'finish' && finish.response.text).toBe(PROMPT);
    await manager.close();
  });

  it('mask: the vendor sees the type only, and nothing is restored', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), pii: { mode: 'mask', before: ['provider'] } }], cache: false });
    const response = await manager.get('openai:gpt-4o-mini').generate(ask(PROMPT));
    expect(lastSent(server)).toBe('Refund card <CREDIT_CARD> and mail <EMAIL_ADDRESS> (again: <EMAIL_ADDRESS>).');
    expect(response.text).toBe('Refund card <CREDIT_CARD> and mail <EMAIL_ADDRESS> (again: <EMAIL_ADDRESS>).');
    await manager.close();
  });

  it('only the entities named are replaced, and the response cache holds no original', async () => {
    const server = await startServer();
    const openai = openaiAt(server);
    const manager = createProviderManager({ providers: [{ provider: openai, pii: { mode: 'tokenize', entities: ['CREDIT_CARD'] } }], cache: { kind: 'memory' } });
    const provider = manager.get('openai:gpt-4o-mini');
    expect((await provider.generate(ask(PROMPT))).text).toBe(PROMPT);
    expect(lastSent(server)).toBe('Refund card <CREDIT_CARD_1> and mail ann@example.org (again: ann@example.org).');
    // The same prompt again: answered from the cache, restored the same way.
    const again = await provider.generate(ask(PROMPT));
    expect(again.cached).toBe(true);
    expect(again.text).toBe(PROMPT);
    // The entry is keyed by the tokenised request and holds the tokenised answer.
    const tokenised = 'Refund card <CREDIT_CARD_1> and mail ann@example.org (again: ann@example.org).';
    const entry = await manager.cache?.get(cacheKeyOf('openai:gpt-4o-mini', ask(tokenised), providerIdentity([openai])));
    expect(entry?.text).toBe(tokenised);
    expect(await manager.cache?.get(cacheKeyOf('openai:gpt-4o-mini', ask(PROMPT), providerIdentity([openai])))).toBeUndefined();
    await manager.close();
  });

  it('a policy without provider in before leaves the request alone', async () => {
    const server = await startServer();
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), pii: { mode: 'mask', before: ['store'] } }], cache: false });
    const provider = manager.get('openai:gpt-4o-mini');
    await provider.generate(ask(PROMPT));
    expect(lastSent(server)).toBe(PROMPT);
    expect(await provider.pii?.mask(PROMPT)).toBe('Refund card <CREDIT_CARD> and mail <EMAIL_ADDRESS> (again: <EMAIL_ADDRESS>).');
    await manager.close();
  });

  it('refuses a policy it cannot follow, naming the field', async () => {
    const server = await startServer();
    expect(() => createProviderManager({ providers: [{ provider: openaiAt(server), pii: { mode: 'hide' as 'mask' } }] })).toThrow(/pii\.mode.*expected off, mask or tokenize/s);
    expect(() => createProviderManager({ providers: [{ provider: openaiAt(server), pii: { mode: 'mask', entities: ['SSN'] } }] })).toThrow(
      /invalid PII policy for .*unknown PII entity type "SSN".*US_SSN/,
    );
  });
});
