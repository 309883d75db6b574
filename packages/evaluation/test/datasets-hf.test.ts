import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { labConfigSchema } from '@llm-lab/core';
import { DatasetError } from '../src/errors.js';
import { openDataset, resolveHfDataset, type HubOptions } from '../src/datasets/index.js';
import { writeParquet } from './support/parquet-writer.js';
import { collect, tempDir } from './support/temp-files.js';

/**
 * A local stand-in for the Hugging Face Hub, answering like the real one:
 * - GET /api/datasets/{repo}/parquet/{config}/{split} → JSON list of `/api/…/{n}.parquet` URLs;
 * - GET /api/datasets/{repo}/parquet/{config}/{split}/{n}.parquet → 302 to
 *   /datasets/{repo}/resolve/refs%2Fconvert%2Fparquet/{config}/{split}/{nnnn}.parquet, which
 *   302s again to a CDN on another origin (a second server) that serves the bytes;
 * - GET /api/datasets/{repo}/tree/{revision}/{config}/{split} → [{ type, path, size }];
 * - 401 with a JSON error for the gated repo without the right bearer token, 404 for unknown names.
 */
class FakeHub {
  readonly requests: Array<{ origin: 'hub' | 'cdn'; path: string; authorization: string | undefined }> = [];
  readonly files = new Map<string, Buffer>();
  truncateNext = false;
  private hub!: Server;
  private cdn!: Server;
  hubUrl = '';
  cdnUrl = '';

  async start(): Promise<void> {
    this.hub = createServer((request, response) => this.handleHub(request, response));
    this.cdn = createServer((request, response) => this.handleCdn(request, response));
    this.hubUrl = await listen(this.hub);
    this.cdnUrl = await listen(this.cdn);
  }

  async stop(): Promise<void> {
    await Promise.all([close(this.hub), close(this.cdn)]);
  }

  private record(origin: 'hub' | 'cdn', request: IncomingMessage): string {
    const path = request.url ?? '/';
    this.requests.push({ origin, path, authorization: request.headers.authorization });
    return path;
  }

  private handleHub(request: IncomingMessage, response: ServerResponse): void {
    const path = this.record('hub', request);
    const repoMatch = /^\/(?:api\/)?datasets\/([^/]+\/[^/]+)\//.exec(path);
    const repo = repoMatch ? decodeURIComponent(repoMatch[1] as string) : '';
    if (repo === 'org/gated' && request.headers.authorization !== 'Bearer good-token') {
      return json(response, 401, { error: 'Access to dataset org/gated is restricted. You must have access to it and be authenticated to access it.' });
    }
    const listing = /^\/api\/datasets\/[^/]+\/[^/]+\/parquet\/([^/]+)\/([^/]+)$/.exec(path);
    if (listing) {
      const prefix = `${repo}/refs/convert/parquet/${listing[1]}/${listing[2]}/`;
      const names = [...this.files.keys()].filter((key) => key.startsWith(prefix)).sort();
      if (names.length === 0) return json(response, 404, { error: 'Not found' });
      return json(
        response,
        200,
        names.map((_, index) => `${this.hubUrl}/api/datasets/${repo}/parquet/${listing[1]}/${listing[2]}/${index}.parquet`),
      );
    }
    const shard = /^\/api\/datasets\/[^/]+\/[^/]+\/parquet\/([^/]+)\/([^/]+)\/(\d+)\.parquet$/.exec(path);
    if (shard) {
      const name = `${String(shard[3]).padStart(4, '0')}.parquet`;
      return redirect(response, `/datasets/${repo}/resolve/refs%2Fconvert%2Fparquet/${shard[1]}/${shard[2]}/${name}`);
    }
    const resolve = /^\/datasets\/[^/]+\/[^/]+\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve) {
      const key = `${repo}/${decodeURIComponent(resolve[1] as string)}/${resolve[2]}`;
      if (!this.files.has(key)) return json(response, 404, { error: 'Entry not found' });
      return redirect(response, `${this.cdnUrl}/blobs/${encodeURIComponent(key)}`);
    }
    const tree = /^\/api\/datasets\/[^/]+\/[^/]+\/tree\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
    if (tree) {
      const prefix = `${repo}/${decodeURIComponent(tree[1] as string)}/`;
      const entries = [...this.files.entries()]
        .filter(([key]) => key.startsWith(`${prefix}${tree[2]}/${tree[3]}/`))
        .map(([key, bytes]) => ({ type: 'file', path: key.slice(prefix.length), size: bytes.length, oid: 'x' }));
      if (entries.length === 0) return json(response, 404, { error: 'Revision not found' });
      return json(response, 200, entries);
    }
    json(response, 404, { error: 'Repository not found' });
  }

  private handleCdn(request: IncomingMessage, response: ServerResponse): void {
    const path = this.record('cdn', request);
    const bytes = this.files.get(decodeURIComponent(path.replace(/^\/blobs\//, '')));
    if (!bytes) return json(response, 404, { error: 'no blob' });
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) });
    if (this.truncateNext) {
      this.truncateNext = false;
      // Headers and a few bytes go out, then the connection drops mid-body.
      response.write(bytes.subarray(0, 10));
      setTimeout(() => response.destroy(), 50);
      return;
    }
    response.end(bytes);
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(302, { location });
  response.end();
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const columns = [
  { name: 'question', type: 'string' as const },
  { name: 'answer', type: 'string' as const },
];
const shard = (from: number, count: number) =>
  writeParquet(
    columns,
    Array.from({ length: count }, (_, i) => ({ question: `q${from + i}`, answer: `a${from + i}` })),
    { rowGroupSize: 3 },
  );

function hfDataset(hf: Record<string, unknown>) {
  return labConfigSchema.parse({ providers: ['mock:x'], dataset: { hf } }).dataset;
}

describe('Hugging Face datasets', () => {
  const hub = new FakeHub();
  beforeAll(async () => {
    await hub.start();
    hub.files.set('openai/gsm8k/refs/convert/parquet/main/test/0000.parquet', shard(0, 7));
    hub.files.set('openai/gsm8k/refs/convert/parquet/main/test/0001.parquet', shard(7, 5));
    hub.files.set('org/gated/refs/convert/parquet/default/train/0000.parquet', shard(100, 2));
    hub.files.set('org/pinned/abc123/default/train/0000.parquet', shard(200, 4));
  });
  afterAll(() => hub.stop());

  const options = async (extra: HubOptions = {}): Promise<HubOptions> => ({ endpoint: hub.hubUrl, cacheDir: await tempDir(), ...extra });

  it('lists, downloads through the redirects once, then reads the cached Parquet without the network', async () => {
    const hubOptions = await options({ token: 'hf_secret' });
    const config = hfDataset({ name: 'openai/gsm8k', config: 'main', split: 'test' });
    const dataset = openDataset(config, { baseDir: '.', hub: hubOptions });
    expect(dataset.source).toBe('hf:openai/gsm8k (config main, split test)');
    expect(dataset.format).toBe('parquet');
    expect(await dataset.countRows()).toBe(12);
    const cases = await collect(dataset.cases);
    expect(cases.map((c) => c.vars.question)).toEqual(Array.from({ length: 12 }, (_, i) => `q${i}`));
    expect(cases.map((c) => c.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5]);

    // The token went to the Hub only, never to the CDN on another origin.
    const hubCalls = hub.requests.filter((request) => request.origin === 'hub');
    expect(hubCalls.length).toBeGreaterThanOrEqual(5);
    expect(hubCalls.every((request) => request.authorization === 'Bearer hf_secret')).toBe(true);
    const cdnCalls = hub.requests.filter((request) => request.origin === 'cdn');
    expect(cdnCalls).toHaveLength(2);
    expect(cdnCalls.every((request) => request.authorization === undefined)).toBe(true);

    const folder = join(hubOptions.cacheDir as string, 'hf', 'openai', 'gsm8k', 'main', 'test', 'latest');
    expect((await readdir(folder)).sort()).toEqual(['0000.parquet', '0001.parquet', 'manifest.json']);

    const before = hub.requests.length;
    const again = openDataset(config, { baseDir: '.', hub: { ...hubOptions, endpoint: 'http://127.0.0.1:1' } });
    expect((await collect(again.cases)).map((c) => c.id)).toEqual(cases.map((c) => c.id));
    expect(hub.requests.length).toBe(before);
  });

  it('says to set HF_TOKEN for a gated dataset, and that the token was refused when it is wrong', async () => {
    const gated = hfDataset({ name: 'org/gated' });
    const withoutToken = await resolveHfDataset(gated.hf!, await options({ token: '' })).catch((error: unknown) => error);
    expect(withoutToken).toBeInstanceOf(DatasetError);
    expect((withoutToken as Error).message).toMatch(/org\/gated \(config default, split train\) needs a Hugging Face login \(HTTP 401: Access to dataset org\/gated is restricted/);
    expect((withoutToken as Error).message).toContain('set HF_TOKEN');
    await expect(resolveHfDataset(gated.hf!, await options({ token: 'bad' }))).rejects.toThrow(/refused HF_TOKEN.*HTTP 401/);
    const files = await resolveHfDataset(gated.hf!, await options({ token: 'good-token' }));
    expect(files).toHaveLength(1);
    expect((withoutToken as Error).message).not.toContain('good-token');
  });

  it('names the dataset and what to check on 404', async () => {
    await expect(resolveHfDataset(hfDataset({ name: 'openai/gsm8k', config: 'nope', split: 'test' }).hf!, await options())).rejects.toThrow(
      /no Parquet files for openai\/gsm8k \(config nope, split test\) \(HTTP 404: Not found\).*Check dataset\.hf\.name, config and split/,
    );
  });

  it('fetches a pinned revision through the tree API and resolve URLs', async () => {
    const config = hfDataset({ name: 'org/pinned', revision: 'abc123' });
    const cases = await collect(openDataset(config, { baseDir: '.', hub: await options() }).cases);
    expect(cases.map((c) => c.vars.question)).toEqual(['q200', 'q201', 'q202', 'q203']);
  });

  it('leaves nothing in the cache when a download breaks off, and succeeds on retry', async () => {
    const hubOptions = await options();
    const hf = hfDataset({ name: 'openai/gsm8k', config: 'main', split: 'test' }).hf!;
    hub.truncateNext = true;
    const error = await resolveHfDataset(hf, hubOptions).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(/downloading Parquet file 1 of 2 of openai\/gsm8k .* failed: .*Try again/);
    const folder = join(hubOptions.cacheDir as string, 'hf', 'openai', 'gsm8k', 'main', 'test', 'latest');
    expect(await readdir(folder)).toEqual([]);
    expect(await resolveHfDataset(hf, hubOptions)).toHaveLength(2);
  });

  it('reports an unreachable Hub with the endpoint to check', async () => {
    const hf = hfDataset({ name: 'openai/gsm8k' }).hf!;
    await expect(resolveHfDataset(hf, await options({ endpoint: 'http://127.0.0.1:1' }))).rejects.toThrow(
      /could not reach the Hugging Face Hub at http:\/\/127\.0\.0\.1:1 .*HF_ENDPOINT/,
    );
  });
});
