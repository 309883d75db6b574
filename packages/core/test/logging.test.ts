import { describe, expect, it } from '@jest/globals';
import { createLogger, redactSecrets, registerSecret } from '../src/index.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('logging', () => {
  it('writes structured JSON lines', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', name: 'test', destination });
    logger.info({ runId: 'r1', cases: 3 }, 'run started');
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ name: 'test', runId: 'r1', cases: 3, msg: 'run started', level: 30 });
  });

  it('never writes an API key, wherever it appears', () => {
    const registered = 'my-vault-token-value-0042';
    registerSecret(registered);
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'debug', destination });
    const anthropicKey = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789';
    logger.info({ apiKey: 'anything-at-all', config: { apiKey: 'x' } }, 'configured');
    logger.warn({ detail: `tried ${anthropicKey}` }, `auth with ${registered} failed`);
    logger.error({ err: new Error(`Incorrect API key provided: ${anthropicKey}`) }, 'call failed');
    logger.debug({ headers: { authorization: 'Bearer abcdefghijklmnop123' } }, 'request');
    const text = lines.join('\n');
    expect(text).not.toContain(anthropicKey);
    expect(text).not.toContain(registered);
    expect(text).not.toContain('anything-at-all');
    expect(text).not.toContain('abcdefghijklmnop123');
    expect(text).toContain('[REDACTED]');
  });

  it('redacts key-shaped strings without registration', () => {
    expect(redactSecrets('key AIzaSyA1234567890abcdefghijklmnopqrstuv here')).toBe('key [REDACTED] here');
    expect(redactSecrets('Authorization: Bearer abc.def-ghi_jklmnop')).toBe('Authorization: Bearer [REDACTED]');
    expect(redactSecrets('nothing secret here')).toBe('nothing secret here');
  });
});
