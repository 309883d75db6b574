import { describe, expect, it } from '@jest/globals';
import {
  containsKeyShapedText,
  createLogger,
  hasRegisteredSecrets,
  parseConfig,
  redactKnownSecrets,
  redactSecrets,
  registerSecret,
} from '../src/index.js';

// Registered secrets are process-wide: the tests run in order, the first before any is registered.

describe('redactKnownSecrets (what is stored: results, cache entries)', () => {
  it('gives back the very value it was handed while no secret is registered', () => {
    const result = { prompt: [{ role: 'user', content: 'sk-proj-abcdefghijklmnopqrstuvwx' }], vars: { n: 1 } };
    expect(hasRegisteredSecrets()).toBe(false);
    expect(redactKnownSecrets(result)).toBe(result);
  });

  it('replaces registered values at any depth, keeps key-shaped data, and copies only what changed', () => {
    const key = 'plain-registered-value-0042';
    registerSecret(key);
    const untouched = { text: 'nothing here', list: [1, 'two'] };
    const value = {
      prompt: [{ role: 'user', content: `use ${key} and sk-proj-abcdefghijklmnopqrstuvwx` }],
      vars: { nested: { deeper: [`${key}!`] } },
      untouched,
      count: 3,
      flag: null,
    };
    const redacted = redactKnownSecrets(value);
    expect(redacted).toEqual({
      prompt: [{ role: 'user', content: 'use [REDACTED] and sk-proj-abcdefghijklmnopqrstuvwx' }],
      vars: { nested: { deeper: ['[REDACTED]!'] } },
      untouched,
      count: 3,
      flag: null,
    });
    expect(redacted.untouched).toBe(untouched);
    expect(value.prompt[0]?.content).toContain(key);
    expect(redactKnownSecrets(untouched)).toBe(untouched);
  });

  it('redacts the start of a secret that a shortened quote cut off', () => {
    registerSecret('cut-secret-ABCDEFGHIJ-0123456789');
    expect(redactKnownSecrets("got 'call with cut-secret-ABCD…'")).toBe("got 'call with [REDACTED]…'");
    expect(redactKnownSecrets('call with cut-secret-ABCDEFG...')).toBe('call with [REDACTED]...');
    // Too short a start to be told from ordinary text.
    expect(redactKnownSecrets('a cut-s…')).toBe('a cut-s…');
  });
});

describe('passwords in URLs', () => {
  it('are redacted from any text, as written, without registration', () => {
    expect(redactSecrets('postgres://me:s3cr3t@db:5432/lab')).toBe('postgres://me:[REDACTED]@db:5432/lab');
    expect(redactSecrets('to redis://:pw@cache:6379 failed')).toBe('to redis://:[REDACTED]@cache:6379 failed');
    expect(redactSecrets('postgres://me:p@ss@db/lab')).toBe('postgres://me:[REDACTED]@db/lab');
    expect(redactSecrets('postgres://me@db/lab?sslmode=require&password=s3cr3t')).toBe('postgres://me@db/lab?sslmode=require&password=[REDACTED]');
    expect(redactSecrets('{"url":"postgres://me:s3cr3t@db/lab","x":"y"}')).toBe('{"url":"postgres://me:[REDACTED]@db/lab","x":"y"}');
    for (const plain of ['http://host:8080/a@b', 'https://example.com/x', 'mail me:x@y.com', 'postgres://me@db/lab']) {
      expect(redactSecrets(plain)).toBe(plain);
    }
  });

  it.each([
    ['written in storage.url', 'postgres://me:Url-Pass-w0rd@db/lab', {}],
    ['read from ${DB_URL}', '${DB_URL}', { DB_URL: 'postgres://me:Url-Pass-w0rd@db/lab' }],
    ['in a password= parameter', 'postgres://me@db/lab?password=Url-Pass-w0rd', {}],
  ])('become registered secrets when a config has them %s, so they are redacted everywhere', (_where, url, env) => {
    const config = parseConfig({ providers: ['mock:echo'], prompts: ['{{q}}'], dataset: { rows: [{ q: 'a' }] }, storage: { url } }, { env });
    expect(config.config.storage.url).toContain('Url-Pass-w0rd');
    expect(redactSecrets('authentication failed for Url-Pass-w0rd')).toBe('authentication failed for [REDACTED]');
    expect(redactKnownSecrets({ output: 'the password is Url-Pass-w0rd' })).toEqual({ output: 'the password is [REDACTED]' });
  });

  it('registers a percent-encoded password in both forms', () => {
    parseConfig({ providers: ['mock:echo'], prompts: ['{{q}}'], dataset: { rows: [{ q: 'a' }] }, storage: { url: 'postgres://me:Enc%40ded-Pass@db/lab' } });
    expect(redactKnownSecrets('Enc@ded-Pass and Enc%40ded-Pass')).toBe('[REDACTED] and [REDACTED]');
  });

  it('never reach a log line', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    logger.info({ url: 'postgres://me:log-only-pass@db/lab' }, 'opening postgres://me:log-only-pass@db/lab');
    expect(lines.join('')).not.toContain('log-only-pass');
  });
});

describe('key-shaped strings in a config and in a dataset', () => {
  it('a key written into the config is a secret; one in inline dataset rows is data', () => {
    parseConfig({
      providers: ['mock:echo'],
      prompts: ['Authenticate with sk-proj-WRITTENINTOTHEPROMPT0001 please: {{q}}'],
      dataset: { rows: [{ q: 'sk-proj-WRITTENINTOTHEDATASET001' }] },
    });
    expect(redactKnownSecrets('sk-proj-WRITTENINTOTHEPROMPT0001')).toBe('[REDACTED]');
    expect(redactKnownSecrets('sk-proj-WRITTENINTOTHEDATASET001')).toBe('sk-proj-WRITTENINTOTHEDATASET001');
  });

  it('containsKeyShapedText finds key-shaped strings nobody registered, at any depth', () => {
    expect(containsKeyShapedText({ a: [{ b: 'my key is sk-proj-abcdefghijklmnopqrstuvwx' }] })).toBe(true);
    expect(containsKeyShapedText({ a: 'AKIAABCDEFGHIJKLMNOP' })).toBe(true);
    expect(containsKeyShapedText({ a: 'postgres://me:pw@db/x' })).toBe(true);
    expect(containsKeyShapedText({ a: 'no keys', n: 4, list: ['akiaabcdefghijklmnop'] })).toBe(false);
    // A registered secret is redacted, not the user's data.
    expect(containsKeyShapedText('sk-proj-WRITTENINTOTHEPROMPT0001')).toBe(false);
  });
});
