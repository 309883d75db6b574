import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { isLLMLabError, type LLMLabError } from '@llm-lab/core';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listModels, pullModel, resolveModelSource, type PullProgress } from '../src/index.js';

/** A generated "model": random bytes behind a GGUF magic, 300 KB. */
const MODEL = Buffer.concat([Buffer.from('GGUF'), randomBytes(300 * 1024)]);
const MODEL_SHA256 = createHash('sha256').update(MODEL).digest('hex');

interface Served {
  ranges: Array<string | undefined>;
  /** Destroy the socket after this many body bytes on the next answer. */
  cutAfter?: number;
  /** Ignore Range headers (answer 200 with the whole file). */
  ignoreRange?: boolean;
}

async function errorOf(action: () => Promise<unknown>): Promise<LLMLabError> {
  try {
    await action();
  } catch (error) {
    if (isLLMLabError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('pullModel against a local HTTP server with Range support', () => {
  let server: Server;
  let base: string;
  const served: Served = { ranges: [] };
  const dir = mkdtempSync(join(tmpdir(), 'llm-lab-pull-'));

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    if (request.url !== '/files/tiny.gguf') {
      response.writeHead(404).end('not found');
      return;
    }
    const range = request.headers.range;
    served.ranges.push(range);
    let start = 0;
    let status = 200;
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    const match = /^bytes=(\d+)-$/.exec(range ?? '');
    if (match && !served.ignoreRange) {
      start = Number(match[1]);
      if (start >= MODEL.length) {
        response.writeHead(416, { 'content-range': `bytes */${MODEL.length}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${MODEL.length - 1}/${MODEL.length}`;
    }
    const body = MODEL.subarray(start);
    headers['content-length'] = body.length;
    response.writeHead(status, headers);
    const cut = served.cutAfter;
    served.cutAfter = undefined;
    if (cut !== undefined) {
      response.write(body.subarray(0, cut), () => response.socket?.destroy());
    } else {
      response.end(body);
    }
  };

  beforeAll(async () => {
    server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    served.ranges = [];
    served.ignoreRange = false;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('downloads, verifies the checksum, reports progress and renames atomically', async () => {
    const progress: PullProgress[] = [];
    const result = await pullModel(`${base}/files/tiny.gguf`, { dir, sha256: MODEL_SHA256, onProgress: (update) => progress.push(update) });
    expect(result).toMatchObject({ path: join(dir, 'tiny.gguf'), fileName: 'tiny.gguf', sizeBytes: MODEL.length, sha256: MODEL_SHA256, resumedFromBytes: 0, alreadyPresent: false });
    expect(readFileSync(result.path).equals(MODEL)).toBe(true);
    expect(existsSync(`${result.path}.part`)).toBe(false);
    expect(progress.at(-1)).toEqual({ receivedBytes: MODEL.length, totalBytes: MODEL.length, resumedFromBytes: 0 });
    expect(progress.length).toBeGreaterThan(1);
    expect(served.ranges).toEqual([undefined]);
    // A second pull finds it and downloads nothing.
    const again = await pullModel(`${base}/files/tiny.gguf`, { dir, sha256: MODEL_SHA256 });
    expect(again.alreadyPresent).toBe(true);
    expect(served.ranges).toHaveLength(1);
    expect(listModels(dir).map((entry) => [entry.name, entry.sizeBytes])).toEqual([['tiny.gguf', MODEL.length]]);
  });

  it('resumes an interrupted download with a Range request (206) and ends with the exact file', async () => {
    served.cutAfter = 100_000;
    const interrupted = await errorOf(() => pullModel(`${base}/files/tiny.gguf`, { dir }));
    expect(interrupted.code).toBe('model_download_failed');
    expect(interrupted.message).toContain('resumes');
    const partSize = statSync(join(dir, 'tiny.gguf.part')).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThan(MODEL.length);
    expect(existsSync(join(dir, 'tiny.gguf'))).toBe(false);
    expect(listModels(dir)).toEqual([]); // an unfinished download is not a model

    const resumed = await pullModel(`${base}/files/tiny.gguf`, { dir, sha256: MODEL_SHA256 });
    expect(served.ranges).toEqual([undefined, `bytes=${partSize}-`]);
    expect(resumed).toMatchObject({ resumedFromBytes: partSize, sizeBytes: MODEL.length, sha256: MODEL_SHA256 });
    expect(readFileSync(resumed.path).equals(MODEL)).toBe(true);
  });

  it('starts over when the server ignores the Range (200 instead of 206)', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tiny.gguf.part'), MODEL.subarray(0, 5000));
    served.ignoreRange = true;
    const result = await pullModel(`${base}/files/tiny.gguf`, { dir, sha256: MODEL_SHA256 });
    expect(served.ranges).toEqual(['bytes=5000-']);
    expect(result.resumedFromBytes).toBe(0);
    expect(readFileSync(result.path).equals(MODEL)).toBe(true);
  });

  it('finishes a part that already holds every byte (416)', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tiny.gguf.part'), MODEL);
    const result = await pullModel(`${base}/files/tiny.gguf`, { dir, sha256: MODEL_SHA256 });
    expect(result).toMatchObject({ sizeBytes: MODEL.length, sha256: MODEL_SHA256 });
  });

  it('deletes the download and fails on a checksum mismatch', async () => {
    const wrong = 'a'.repeat(64);
    const error = await errorOf(() => pullModel(`${base}/files/tiny.gguf`, { dir, sha256: wrong }));
    expect(error.code).toBe('model_checksum_mismatch');
    expect(error.message).toContain(MODEL_SHA256);
    expect(error.message).toContain(wrong);
    expect(existsSync(join(dir, 'tiny.gguf'))).toBe(false);
    expect(existsSync(join(dir, 'tiny.gguf.part'))).toBe(false);
  });

  it('says what went wrong for a 404 and for a source that is not a model', async () => {
    const missing = await errorOf(() => pullModel(`${base}/files/other.gguf`, { dir }));
    expect(missing.message).toContain('HTTP 404');
    expect(missing.message).toContain('case-sensitive');
    await expect(pullModel('just-a-name', { dir })).rejects.toThrow(/owner\/repo\/file\.gguf/);
    await expect(pullModel(`${base}/files/readme.txt`, { dir })).rejects.toThrow(/not name a \.gguf file/);
    await expect(pullModel(`${base}/files/tiny.gguf`, { dir, sha256: 'xyz' })).rejects.toThrow(/64 hexadecimal/);
  });
});

describe('resolveModelSource', () => {
  it('maps Hugging Face references to resolve URLs', () => {
    expect(resolveModelSource('ggml-org/models/tinyllamas/stories260K.gguf')).toEqual({
      url: 'https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf',
      fileName: 'stories260K.gguf',
    });
    expect(resolveModelSource('Qwen/Qwen2.5-0.5B-Instruct-GGUF@v1.0/qwen2.5-0.5b-instruct-q4_k_m.gguf').url).toBe(
      'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/v1.0/qwen2.5-0.5b-instruct-q4_k_m.gguf',
    );
    expect(resolveModelSource('https://example.com/a/b%20c.gguf?download=1').fileName).toBe('b c.gguf');
  });
});
