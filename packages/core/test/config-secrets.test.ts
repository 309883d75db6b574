import { describe, expect, it } from '@jest/globals';
import { createLogger, parseConfig, sanitise, sanitiseValue } from '../src/index.js';

// How core's config loading feeds the sanitiser of @llm-lab/security (tested there on its own):
// what a config holds becomes a registered secret, so it is caught even where it has no shape.

describe('passwords in URLs', () => {
  it.each([
    ['written in storage.url', 'postgres://me:Url-Pass-w0rd@db/lab', {}],
    ['read from ${DB_URL}', '${DB_URL}', { DB_URL: 'postgres://me:Url-Pass-w0rd@db/lab' }],
    ['in a password= parameter', 'postgres://me@db/lab?password=Url-Pass-w0rd', {}],
  ])('become registered secrets when a config has them %s, so they are redacted everywhere', (_where, url, env) => {
    const config = parseConfig({ providers: ['mock:echo'], prompts: ['{{q}}'], dataset: { rows: [{ q: 'a' }] }, storage: { url } }, { env });
    expect(config.config.storage.url).toContain('Url-Pass-w0rd');
    expect(sanitise('authentication failed for Url-Pass-w0rd')).toBe('authentication failed for [REDACTED]');
    expect(sanitiseValue({ output: 'the password is Url-Pass-w0rd' })).toEqual({ output: 'the password is [REDACTED]' });
  });

  it('registers a percent-encoded password in both forms', () => {
    parseConfig({ providers: ['mock:echo'], prompts: ['{{q}}'], dataset: { rows: [{ q: 'a' }] }, storage: { url: 'postgres://me:Enc%40ded-Pass@db/lab' } });
    expect(sanitiseValue('Enc@ded-Pass and Enc%40ded-Pass')).toBe('[REDACTED] and [REDACTED]');
  });

  it('never reach a log line', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    logger.info({ url: 'postgres://me:log-only-pass@db/lab' }, 'opening postgres://me:log-only-pass@db/lab');
    expect(lines.join('')).not.toContain('log-only-pass');
  });
});

describe('key-shaped strings in a config', () => {
  it('a key written into the config is registered, so its bare body is caught too', () => {
    parseConfig({
      providers: ['mock:echo'],
      prompts: ['Authenticate with sk-proj-WRITTENINTOTHEPROMPT0001 please: {{q}}'],
      dataset: { rows: [{ q: 'a' }] },
    });
    expect(sanitise('sk-proj-WRITTENINTOTHEPROMPT0001')).toBe('[REDACTED]');
  });
});
