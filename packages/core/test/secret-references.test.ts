import { describe, expect, it } from '@jest/globals';
import { parseConfig, parseServingConfig } from '../src/index.js';

const base = { dataset: { rows: [{ q: 'a' }] } };
const VAULT = { from: 'vault', path: 'secret/data/llm/openai', field: 'key' };

describe('secret references in a config', () => {
  it('are kept as written in providers and members, with a security block', () => {
    const { config } = parseConfig({
      ...base,
      providers: [{ id: 'openai:gpt-4o-mini', config: { apiKey: VAULT }, members: [{ id: 'openai:gpt-4o', config: { apiKey: { from: 'aws', id: 'llm/openai' } } }] }],
      security: { secretsTtlMs: 1000, vault: { address: 'https://vault.example.com:8200', namespace: 'team-a', auth: 'approle' }, aws: { region: 'eu-west-1' }, dataKey: { from: 'env', name: 'DATA_KEY' } },
    });
    const [entry] = config.providers;
    expect(typeof entry === 'object' && entry.config.apiKey).toEqual(VAULT);
    expect(config.security?.vault?.auth).toBe('approle');
  });

  it('are refused with their place in the file when misspelt, in a member too', () => {
    expect(() => parseConfig({ ...base, providers: [{ id: 'openai:gpt-4o-mini', config: { apiKey: { from: 'vault', path: 'x', feild: 'key' } } }] })).toThrow(
      /providers\[0\]\.config\.apiKey/,
    );
    expect(() =>
      parseConfig({ ...base, providers: [{ id: 'openai:gpt-4o-mini', members: [{ id: 'openai:gpt-4o', config: { apiKey: { from: 'aws' } } }] }] }),
    ).toThrow(/providers\[0\]\.members\[0\]\.config\.apiKey\.id/);
  });

  it('interpolate ${VAR} inside a reference, and the serving config keeps the security block', () => {
    const serving = parseServingConfig(
      { providers: [{ id: 'openai:gpt-4o-mini', config: { apiKey: { from: 'vault', path: 'secret/data/${TEAM}/openai', field: 'key' } } }], security: { tls: { cert: 'c.pem', key: 'k.pem' } } },
      { env: { TEAM: 'search' } },
    );
    const [entry] = serving.providers;
    expect(typeof entry === 'object' && entry.config.apiKey).toEqual({ from: 'vault', path: 'secret/data/search/openai', field: 'key' });
    expect(serving.security?.tls).toEqual({ cert: 'c.pem', key: 'k.pem' });
  });
});
