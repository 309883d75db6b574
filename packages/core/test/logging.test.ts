import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { createLogger, openRotatingLogFile, parseLogLevel, sanitise, registerSecret } from '../src/index.js';

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
    expect(sanitise('key AIzaSyA1234567890abcdefghijklmnopqrstuv here')).toBe('key [REDACTED] here');
    expect(sanitise('Authorization: Bearer abc.def-ghi_jklmnop')).toBe('Authorization: Bearer [REDACTED]');
    expect(sanitise('nothing secret here')).toBe('nothing secret here');
  });

  it('sends each line to every destination whose level it reaches', () => {
    const warnings = capture();
    const everything = capture();
    const logger = createLogger({ destinations: [{ level: 'warn', stream: warnings.destination }, { level: 'debug', stream: everything.destination }] });
    logger.debug('detail');
    logger.warn('trouble');
    expect(warnings.lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['trouble']);
    expect(everything.lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['detail', 'trouble']);
  });

  it('rejects a log level that is not one, naming where it came from', () => {
    expect(parseLogLevel(' DEBUG ')).toBe('debug');
    expect(() => parseLogLevel('verbose', '--log-level')).toThrow('--log-level "verbose" is not a log level: use one of trace, debug, info, warn, error, fatal, silent.');
  });

  it('writes a rotated file: a new one past the size limit, the oldest deleted past the count kept, no secret in any', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'llm-lab-log-'));
    const file = await openRotatingLogFile({ path: join(folder, 'logs', 'llm-lab.log'), maxSize: '1k', keep: 2 });
    const logger = createLogger({ destinations: [{ level: 'info', stream: file.stream }] });
    const secret = 'sk-proj-R0tat3dF1leS3cretValue0001';
    // Each batch is past 1 kB; a roll happens once the file has drained.
    for (let batch = 0; batch < 5; batch++) {
      for (let line = 0; line < 12; line++) logger.info({ batch, line }, `call with ${secret} and some padding text to fill the file`);
      const before = file.file;
      for (let wait = 0; wait < 200 && file.file === before; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    file.flushSync();
    const names = (await readdir(join(folder, 'logs'))).sort();
    const logs = names.filter((name) => name.endsWith('.log') && name !== 'current.log');
    // Two kept besides the current one.
    expect(logs).toHaveLength(3);
    expect(logs.every((name) => /^llm-lab\.\d{4}-\d{2}-\d{2}\.\d+\.log$/.test(name))).toBe(true);
    expect(names).toContain('current.log');
    const texts = await Promise.all(logs.map((name) => readFile(join(folder, 'logs', name), 'utf8')));
    for (const text of texts) expect(text).not.toContain(secret);
    // The last roll opened a file nothing was written to yet; the two before it hold lines.
    expect(texts.filter((text) => text.includes('"msg":"call with [REDACTED] and some padding')).length).toBeGreaterThanOrEqual(2);
    file.end();
  });
});
