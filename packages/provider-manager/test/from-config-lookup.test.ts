import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigError, type LanguageModelProvider } from '@llm-lab/core';
import { createOpenAI } from '@llm-lab/provider-openai';
import { faults, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { createProviderManager, createProviderManagerFromConfig, type ProviderReference } from '../src/index.js';
import { ask, chatRequests, closeServers, openaiAt, providerErrorOf, startServer } from './helpers.js';

afterEach(closeServers);

const BACKUP_KEY = 'sk-backup-only-0000000000000000';

/** What a config's entry would make: an OpenAI provider from its `config:` block alone (no key, no server: a call fails). */
function fromReference(reference: ProviderReference): LanguageModelProvider {
  const config = reference.config as { baseURL?: string; apiKey?: string };
  const model = reference.id.slice(reference.id.indexOf(':') + 1);
  return createOpenAI({ baseURL: config.baseURL ?? 'http://127.0.0.1:9/v1', apiKey: config.apiKey ?? 'sk-none', maxRetries: 0, timeoutMs: 2_000 }).chat(model);
}

/** An OpenAI provider at `server` with `apiKey`. */
function keyedAt(server: FakeOpenAIServer, model: string, apiKey: string): LanguageModelProvider {
  return createOpenAI({ baseURL: server.url, apiKey, maxRetries: 0, timeoutMs: 10_000 }).chat(model);
}

describe('fallbacks in createProviderManagerFromConfig', () => {
  it('a fallback naming the id of a labelled run provider uses that provider (its server and key), and says so', async () => {
    const down = await startServer({ faultRate: 1, fault: faults.unavailable() });
    const backup = await startServer({ apiKey: BACKUP_KEY });
    const manager = createProviderManagerFromConfig(
      {
        cache: { kind: 'none' },
        providers: { primary: { retry: { maxAttempts: 1 }, fallbacks: ['openai:gpt-4o-mini'] } },
      },
      {
        providers: new Map<string, LanguageModelProvider>([
          ['primary', openaiAt(down, 'gpt-4o')],
          ['main', keyedAt(backup, 'gpt-4o-mini', BACKUP_KEY)],
        ]),
        createProvider: fromReference,
      },
    );
    try {
      const response = await manager.get('primary').generate(ask('who answers?'));
      expect(response.text).toBe('who answers?');
      expect(response.answeredBy).toBe('openai:gpt-4o-mini');
      expect(chatRequests(down)).toBe(1);
      expect(chatRequests(backup)).toBe(1);
      expect(backup.requests.at(-1)?.headers.authorization).toBe(`Bearer ${BACKUP_KEY}`);
      // No second provider was made for the id: the labelled one is the fallback.
      expect(manager.providers.map((provider) => provider.id)).toEqual(['primary', 'main']);
    } finally {
      await manager.close();
    }
  });

  it('looks ids up in `ids` when given (an entry whose provider reports another id)', async () => {
    const down = await startServer({ faultRate: 1, fault: faults.serverError() });
    const backup = await startServer({ apiKey: BACKUP_KEY });
    const manager = createProviderManagerFromConfig(
      { cache: { kind: 'none' }, providers: { primary: { retry: { maxAttempts: 1 }, fallbacks: ['azure:gpt-4o-east'] } } },
      {
        providers: new Map<string, LanguageModelProvider>([
          ['primary', openaiAt(down, 'gpt-4o')],
          ['east', keyedAt(backup, 'gpt-4o', BACKUP_KEY)],
        ]),
        ids: new Map([
          ['primary', 'openai:gpt-4o'],
          ['east', 'azure:gpt-4o-east'],
        ]),
        createProvider: fromReference,
      },
    );
    try {
      const response = await manager.get('primary').generate(ask('east, please'));
      expect(response.text).toBe('east, please');
      expect(chatRequests(backup)).toBe(1);
    } finally {
      await manager.close();
    }
  });

  it('refuses an id shared by several run providers, naming their labels', async () => {
    const server = await startServer();
    const error = (() => {
      try {
        createProviderManagerFromConfig(
          { providers: { primary: { fallbacks: ['openai:gpt-4o-mini'] } } },
          {
            providers: new Map<string, LanguageModelProvider>([
              ['primary', openaiAt(server, 'gpt-4o')],
              ['cold', openaiAt(server)],
              ['warm', openaiAt(server)],
            ]),
            createProvider: fromReference,
          },
        );
      } catch (caught) {
        return caught;
      }
      throw new Error('expected a ConfigError');
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.path).toBe('providers.primary.fallbacks[0]');
    expect(error.message).toMatch(/openai:gpt-4o-mini is the id of several providers \(cold, warm\); name one by its label in fallbacks/);
  });

  it('a fallback by label needs no id form; a name that is neither a label nor an id is refused', async () => {
    const down = await startServer({ faultRate: 1, fault: faults.serverError() });
    const backup = await startServer();
    const providers = new Map<string, LanguageModelProvider>([
      ['primary', openaiAt(down, 'gpt-4o')],
      ['backup copy', openaiAt(backup)],
    ]);
    const manager = createProviderManagerFromConfig(
      { cache: { kind: 'none' }, providers: { primary: { retry: { maxAttempts: 1 }, fallbacks: ['backup copy'] } } },
      { providers, createProvider: fromReference },
    );
    try {
      expect((await manager.get('primary').generate(ask('by label'))).text).toBe('by label');
    } finally {
      await manager.close();
    }
    expect(() =>
      createProviderManagerFromConfig({ providers: { primary: { fallbacks: ['bakup copy'] } } }, { providers, createProvider: fromReference }),
    ).toThrow(/providers\.primary\.fallbacks\[0\]: bakup copy is neither the label of a provider \(primary, backup copy\) nor a provider id/);
  });
});

describe("callTimeout: 'default'", () => {
  it("a provider's policy timeoutMs wins over the call's, which still applies to providers without one", async () => {
    // Every answer takes 500 ms; the calls allow 150 ms.
    const server = await startServer({ latencyMs: 500 });
    const manager = createProviderManager({
      providers: [
        { id: 'patient', provider: openaiAt(server, 'gpt-4o'), timeoutMs: 10_000, retry: { maxAttempts: 1 } },
        { id: 'hasty', provider: openaiAt(server), retry: { maxAttempts: 1 } },
      ],
      cache: false,
      callTimeout: 'default',
    });
    try {
      expect((await manager.get('patient').generate(ask('slow is fine'), { timeoutMs: 150 })).text).toBe('slow is fine');
      const error = await providerErrorOf(() => manager.get('hasty').generate(ask('too slow'), { timeoutMs: 150 }));
      expect(error.kind).toBe('timeout');
    } finally {
      await manager.close();
    }
  });

  it("by default (override), the call's timeoutMs still wins over the policy's", async () => {
    const server = await startServer({ latencyMs: 500 });
    const manager = createProviderManager({ providers: [{ provider: openaiAt(server), timeoutMs: 10_000, retry: { maxAttempts: 1 } }], cache: false });
    try {
      const error = await providerErrorOf(() => manager.get('openai:gpt-4o-mini').generate(ask('too slow'), { timeoutMs: 150 }));
      expect(error.kind).toBe('timeout');
    } finally {
      await manager.close();
    }
  });
});
