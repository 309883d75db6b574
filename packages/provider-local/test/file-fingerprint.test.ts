import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { FINGERPRINT_EDGE_BYTES, GgufChatModel, fileFingerprint, resolveGgufSettings } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-lab-fingerprint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of `size` bytes, all `fill` but the byte at `changeAt`, with a fixed modification time. */
function modelFile(name: string, size: number, options: { changeAt?: number; mtime?: number } = {}): string {
  const path = join(dir, name);
  const bytes = Buffer.alloc(size, 7);
  if (options.changeAt !== undefined) bytes[options.changeAt] = 8;
  writeFileSync(path, bytes);
  const time = options.mtime ?? 1_700_000_000;
  utimesSync(path, time, time);
  return path;
}

describe('fileFingerprint (cache identity of a GGUF file)', () => {
  const size = 3 * FINGERPRINT_EDGE_BYTES;

  it('is the same for the same file, and changes with its first or last MiB, its size and its modification time', () => {
    const key = fileFingerprint(modelFile('a.gguf', size));
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fileFingerprint(modelFile('copy.gguf', size))).toBe(key);
    expect(fileFingerprint(modelFile('head.gguf', size, { changeAt: 10 }))).not.toBe(key);
    expect(fileFingerprint(modelFile('tail.gguf', size, { changeAt: size - 10 }))).not.toBe(key);
    expect(fileFingerprint(modelFile('longer.gguf', size + 1))).not.toBe(key);
    expect(fileFingerprint(modelFile('touched.gguf', size, { mtime: 1_700_000_001 }))).not.toBe(key);
    // The middle is not read: the price of a fingerprint that reads 2 MiB of a multi-GB file.
    expect(fileFingerprint(modelFile('middle.gguf', size, { changeAt: Math.floor(size / 2) }))).toBe(key);
  });

  it('reads a file smaller than one MiB whole', () => {
    expect(fileFingerprint(modelFile('small-a.gguf', 100))).not.toBe(fileFingerprint(modelFile('small-b.gguf', 100, { changeAt: 50 })));
  });

  it("is part of a gguf model's cache identity, with the file and the context size", () => {
    const path = modelFile('model.gguf', 4096);
    const model = (contextSize?: number) =>
      new GgufChatModel('model', { settings: resolveGgufSettings(contextSize === undefined ? {} : { contextSize }), path, metadata: { version: 3, contextLength: 2048 } });
    expect(model().cacheIdentity()).toEqual({ file: path, fingerprint: fileFingerprint(path), contextSize: 2048 });
    expect(model(1024).cacheIdentity()).toMatchObject({ contextSize: 1024 });
  });
});
