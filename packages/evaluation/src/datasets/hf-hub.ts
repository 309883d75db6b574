import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { HfDatasetConfig } from '@llm-lab/core';
import { DatasetError } from '../errors.js';
import { isParquetHeader, peekBytes } from './byte-source.js';

/** Where and how Hugging Face datasets are fetched. Every field falls back to an environment variable. */
export interface HubOptions {
  /** Hub base URL. Default env HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Access token sent as a bearer token to the Hub (never to other hosts). Default env HF_TOKEN. */
  token?: string;
  /** Download cache folder. Default env LLM_LAB_CACHE_DIR + `/datasets`, else ~/.cache/llm-lab/datasets. */
  cacheDir?: string;
}

const DEFAULT_ENDPOINT = 'https://huggingface.co';
const MAX_REDIRECTS = 5;
const MANIFEST = 'manifest.json';

/** The folder datasets are cached in: `options.cacheDir`, else `$LLM_LAB_CACHE_DIR/datasets`, else `~/.cache/llm-lab/datasets`. */
export function datasetCacheDir(options: HubOptions = {}): string {
  if (options.cacheDir) return options.cacheDir;
  const root = process.env.LLM_LAB_CACHE_DIR;
  if (root) return join(root, 'datasets');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'llm-lab', 'datasets');
}

/** `openai/gsm8k (config main, split test)`, for messages. */
export function describeHfDataset(hf: HfDatasetConfig): string {
  return `${hf.name} (config ${hf.config}, split ${hf.split}${hf.revision ? `, revision ${hf.revision}` : ''})`;
}

interface Manifest {
  dataset: string;
  config: string;
  split: string;
  revision: string | null;
  files: Array<{ name: string; size: number; url: string }>;
}

/** A file name that is safe on every file system for an arbitrary Hub name part. */
function safeSegment(value: string): string {
  return encodeURIComponent(value).replace(/%/g, '_');
}

/** Repository ids keep their `/`; each part is percent-encoded. */
function encodeRepo(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

class HubClient {
  readonly endpoint: URL;
  private readonly token: string | undefined;

  constructor(
    options: HubOptions,
    private readonly hf: HfDatasetConfig,
  ) {
    const base = options.endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_ENDPOINT;
    this.endpoint = new URL(base.endsWith('/') ? base : `${base}/`);
    const token = options.token ?? process.env.HF_TOKEN;
    this.token = token ? token : undefined;
  }

  /**
   * GET `url`, following up to five redirects by hand so the bearer token goes only to the Hub's
   * own origin (a redirect to a CDN gets no Authorization header).
   */
  async get(url: URL, what: string): Promise<Response> {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'llm-lab' };
      if (this.token && current.origin === this.endpoint.origin) headers.authorization = `Bearer ${this.token}`;
      let response: Response;
      try {
        response = await fetch(current, { headers, redirect: 'manual' });
      } catch (error) {
        const cause = (error as Error & { cause?: { message?: unknown } }).cause?.message;
        throw this.error(
          `could not reach the Hugging Face Hub at ${current.origin} (or the connection broke) while ${what} of ` +
            `${describeHfDataset(this.hf)}: ${(error as Error).message}${typeof cause === 'string' ? ` (${cause})` : ''}. ` +
            `Check your network, or set HF_ENDPOINT to a reachable Hub mirror, then try again.`,
          error,
        );
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        current = new URL(location, current);
        continue;
      }
      if (!response.ok) throw await this.statusError(response, what);
      return response;
    }
    throw this.error(`more than ${MAX_REDIRECTS} redirects while ${what} (starting at ${url.href}).`);
  }

  private async statusError(response: Response, what: string): Promise<DatasetError> {
    const body = (await response.text().catch(() => '')).slice(0, 300);
    const detail = hubErrorText(body);
    const page = new URL(`datasets/${encodeRepo(this.hf.name)}`, this.endpoint).href;
    const dataset = describeHfDataset(this.hf);
    if (response.status === 401 || response.status === 403) {
      return this.error(
        this.token
          ? `the Hugging Face Hub refused HF_TOKEN for ${dataset} (HTTP ${response.status}${detail}) while ${what}. ` +
              `The dataset may be gated: accept its terms at ${page} with the token's account, and check the token has read access.`
          : `${dataset} needs a Hugging Face login (HTTP ${response.status}${detail}): it is gated or private. ` +
              `Accept its terms at ${page}, then set HF_TOKEN to an access token (https://huggingface.co/settings/tokens).`,
      );
    }
    if (response.status === 404) {
      return this.error(
        `the Hugging Face Hub has no Parquet files for ${dataset} (HTTP 404${detail}) while ${what}. ` +
          `Check dataset.hf.name, config and split against ${page} (configs and splits are listed in its viewer).`,
      );
    }
    return this.error(`the Hugging Face Hub answered HTTP ${response.status}${detail} while ${what} for ${dataset}. Try again later.`);
  }

  error(message: string, cause?: unknown): DatasetError {
    return new DatasetError({ message, cause });
  }
}

/** The `error` text of a Hub JSON error body, as `: text`, or empty. */
function hubErrorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return `: ${parsed.error}`;
  } catch {
    // not JSON
  }
  return '';
}

/** The Parquet file URLs of a split, in order. */
async function listParquetFiles(client: HubClient, hf: HfDatasetConfig): Promise<URL[]> {
  const repo = encodeRepo(hf.name);
  const config = encodeURIComponent(hf.config);
  const split = encodeURIComponent(hf.split);
  if (hf.revision === undefined) {
    // GET /api/datasets/{repo}/parquet/{config}/{split} → ["…/parquet/{config}/{split}/0.parquet", …]
    const url = new URL(`api/datasets/${repo}/parquet/${config}/${split}`, client.endpoint);
    const listing = (await (await client.get(url, 'listing the Parquet files')).json()) as unknown;
    if (!Array.isArray(listing) || !listing.every((entry) => typeof entry === 'string')) {
      throw client.error(`unexpected answer from ${url.href}: expected a JSON list of Parquet file URLs.`);
    }
    return listing.map((entry) => new URL(entry, client.endpoint));
  }
  // A pinned revision of the Parquet conversion: list {config}/{split}/ at that revision with the tree API.
  const revision = encodeURIComponent(hf.revision);
  const url = new URL(`api/datasets/${repo}/tree/${revision}/${config}/${split}`, client.endpoint);
  const tree = (await (await client.get(url, `listing the files at revision ${hf.revision}`)).json()) as unknown;
  if (!Array.isArray(tree)) throw client.error(`unexpected answer from ${url.href}: expected a JSON list of files.`);
  return tree
    .filter((entry): entry is { type: string; path: string } => typeof entry?.path === 'string' && entry.type === 'file')
    .filter((entry) => entry.path.endsWith('.parquet'))
    .map((entry) => entry.path)
    .sort()
    .map((path) => new URL(`datasets/${repo}/resolve/${revision}/${path.split('/').map(encodeURIComponent).join('/')}`, client.endpoint));
}

/** Writes `response`'s body to `target` through a temp file and a rename, so `target` is whole or absent. */
async function downloadTo(response: Response, target: string): Promise<number> {
  const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    if (!response.body) throw new Error('the response has no body');
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(temporary));
    const { size } = await stat(temporary);
    const expected = response.headers.get('content-length');
    if (expected !== null && Number(expected) !== size) throw new Error(`got ${size} bytes of ${expected}`);
    if (!isParquetHeader(await peekBytes(temporary, 4))) throw new Error('the file is not Parquet (no PAR1 magic bytes)');
    await rename(temporary, target);
    return size;
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The cached files named by a complete manifest, or undefined when the cache is missing or incomplete. */
async function cachedFiles(folder: string): Promise<string[] | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(folder, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  const files: string[] = [];
  for (const entry of manifest.files) {
    const file = join(folder, entry.name);
    const size = await stat(file).then(
      (stats) => stats.size,
      () => -1,
    );
    if (size !== entry.size) return undefined;
    files.push(file);
  }
  return files;
}

/**
 * The local Parquet files of a Hugging Face dataset split, downloading them on first use.
 * Files are listed with the Hub's `GET /api/datasets/{name}/parquet/{config}/{split}` (or, with
 * a pinned `revision`, the tree API at that revision of the Parquet conversion), downloaded once
 * into {@link datasetCacheDir} with atomic writes, and recorded in a manifest; later calls read
 * the cache without touching the network. Throws a DatasetError saying what to do on 401/403
 * (set HF_TOKEN), 404 (check name/config/split) and network failures.
 */
export async function resolveHfDataset(hf: HfDatasetConfig, options: HubOptions = {}): Promise<string[]> {
  const folder = join(
    datasetCacheDir(options),
    'hf',
    ...hf.name.split('/').map(safeSegment),
    safeSegment(hf.config),
    safeSegment(hf.split),
    hf.revision === undefined ? 'latest' : safeSegment(hf.revision),
  );
  const cached = await cachedFiles(folder);
  if (cached) return cached;

  const client = new HubClient(options, hf);
  const urls = await listParquetFiles(client, hf);
  if (urls.length === 0) {
    throw client.error(`the Hugging Face Hub lists no Parquet files for ${describeHfDataset(hf)}. Check the split name.`);
  }
  await mkdir(folder, { recursive: true });
  const manifest: Manifest = { dataset: hf.name, config: hf.config, split: hf.split, revision: hf.revision ?? null, files: [] };
  for (const [index, url] of urls.entries()) {
    const name = `${String(index).padStart(4, '0')}.parquet`;
    const what = `downloading Parquet file ${index + 1} of ${urls.length}`;
    const response = await client.get(url, what);
    let size: number;
    try {
      size = await downloadTo(response, join(folder, name));
    } catch (error) {
      throw client.error(`${what} of ${describeHfDataset(hf)} from ${url.href} failed: ${(error as Error).message}. Try again.`, error);
    }
    manifest.files.push({ name, size, url: url.href });
  }
  const manifestTemporary = join(folder, `${MANIFEST}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(manifestTemporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(manifestTemporary, join(folder, MANIFEST));
  return manifest.files.map((entry) => join(folder, entry.name));
}
