import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LLMLabError } from '@llm-lab/core';
import { describeError } from '../shared/error-details.js';
import { defaultModelsDir } from './gguf-model-path.js';

/** Progress of a download, reported as bytes arrive. */
export interface PullProgress {
  /** Bytes of the file on disk so far (the resumed part included). */
  receivedBytes: number;
  /** The file's full size, when the server said. */
  totalBytes?: number;
  /** Bytes already on disk from an earlier, interrupted download. */
  resumedFromBytes: number;
}

/** Options of {@link pullModel}. */
export interface PullModelOptions {
  /** The models folder. Default: `LLM_LAB_MODELS_DIR`, else `~/.cache/llm-lab/models`. */
  dir?: string;
  /** The expected SHA-256 (hex). A mismatch deletes the download and fails. */
  sha256?: string;
  onProgress?: (progress: PullProgress) => void;
  signal?: AbortSignal;
  /** Sent as a bearer token to huggingface.co (gated models). Default: the `HF_TOKEN` environment variable. */
  huggingFaceToken?: string;
}

/** What {@link pullModel} did. */
export interface PullModelResult {
  /** The model file, ready to use as `gguf:<path>` or `gguf:<fileName>`. */
  path: string;
  fileName: string;
  url: string;
  sizeBytes: number;
  /** SHA-256 of the file (hex). */
  sha256: string;
  /** Bytes that were already on disk from an interrupted download. */
  resumedFromBytes: number;
  /** True when the file was already there, so nothing was downloaded. */
  alreadyPresent: boolean;
}

/**
 * Turns a source into a download URL: an `http(s)://` URL is used as is; a Hugging Face
 * reference `owner/repo/path/to/file.gguf` (optionally `owner/repo@revision/…`) becomes
 * `https://huggingface.co/owner/repo/resolve/<revision or main>/path/to/file.gguf`.
 * Throws an LLMLabError for anything else.
 */
export function resolveModelSource(source: string): { url: string; fileName: string } {
  const trimmed = source.trim();
  let url: URL;
  if (/^https?:\/\//i.test(trimmed)) {
    url = new URL(trimmed);
  } else {
    const match = /^([\w.-]+)\/([\w.-]+)(?:@([\w./-]+?))?\/(.+\.gguf)$/i.exec(trimmed);
    if (!match) {
      throw new LLMLabError(
        'model_source_invalid',
        `'${source}' is not a model source: give an http(s) URL of a .gguf file, or a Hugging Face reference owner/repo/file.gguf (e.g. ggml-org/models/tinyllamas/stories260K.gguf).`,
      );
    }
    const [, owner, repo, revision, file] = match as unknown as [string, string, string, string | undefined, string];
    url = new URL(`https://huggingface.co/${owner}/${repo}/resolve/${revision ?? 'main'}/${file}`);
  }
  const fileName = decodeURIComponent(basename(url.pathname));
  if (!fileName.toLowerCase().endsWith('.gguf')) {
    throw new LLMLabError('model_source_invalid', `The URL ${url.origin}${url.pathname} does not name a .gguf file ('${fileName}'); LLM Lab pulls GGUF models only.`);
  }
  return { url: url.toString(), fileName };
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

async function hashFile(path: string, hash: Hash = createHash('sha256')): Promise<Hash> {
  await pipeline(createReadStream(path), new Transform({ transform: (chunk: Buffer, _encoding, done) => { hash.update(chunk); done(); } }));
  return hash;
}

/** Parses a Content-Range header: `bytes 100-199/1000` gives start 100 and total 1000; an unsatisfied range gives only the total. */
function parseContentRange(header: string | null): { start?: number; total?: number } {
  const match = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(header?.trim() ?? '');
  if (!match) return {};
  return { ...(match[1] !== undefined ? { start: Number(match[1]) } : {}), ...(match[2] !== '*' ? { total: Number(match[2]) } : {}) };
}

const failure = (message: string, cause?: unknown) => new LLMLabError('model_download_failed', message, cause === undefined ? undefined : { cause });

/**
 * Downloads a GGUF model into the models folder: from an http(s) URL or a Hugging Face
 * `owner/repo/file.gguf` reference. An interrupted download resumes: bytes go to `<file>.part`,
 * and the next pull asks for the rest with an HTTP `Range` (a `206` appends; a `200` means the
 * server ignored the range, so it starts over). With `sha256`, the finished file is checked and
 * deleted on a mismatch. The file appears under its final name only when complete (an atomic
 * rename). A file already present (and matching `sha256`, when given) is not downloaded again.
 */
export async function pullModel(source: string, options: PullModelOptions = {}): Promise<PullModelResult> {
  const { url, fileName } = resolveModelSource(source);
  const dir = options.dir ?? defaultModelsDir();
  const finalPath = join(dir, fileName);
  const partPath = `${finalPath}.part`;
  const expected = options.sha256?.trim().toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) {
    throw new LLMLabError('model_checksum_invalid', `The sha256 '${options.sha256}' is not 64 hexadecimal characters.`);
  }
  await mkdir(dir, { recursive: true });

  const existing = await sizeOf(finalPath);
  if (existing !== undefined) {
    const digest = (await hashFile(finalPath)).digest('hex');
    if (expected === undefined || digest === expected) {
      return { path: finalPath, fileName, url, sizeBytes: existing, sha256: digest, resumedFromBytes: 0, alreadyPresent: true };
    }
    throw new LLMLabError('model_checksum_mismatch', `${finalPath} already exists but its sha256 is ${digest}, not ${expected}. Delete it to download it again.`);
  }

  let resumedFrom = (await sizeOf(partPath)) ?? 0;
  const headers: Record<string, string> = { 'user-agent': 'llm-lab' };
  const token = options.huggingFaceToken ?? process.env.HF_TOKEN;
  if (token && new URL(url).hostname.endsWith('huggingface.co')) headers.authorization = `Bearer ${token}`;
  if (resumedFrom > 0) headers.range = `bytes=${resumedFrom}-`;

  let response: Response;
  try {
    response = await fetch(url, { headers, redirect: 'follow', ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    throw failure(`Could not download ${url} (${describeError(error)}). Check the address and the network, then run the pull again${resumedFrom > 0 ? ' (it resumes where it stopped)' : ''}.`, error);
  }
  let totalBytes: number | undefined;
  if (response.status === 416 && resumedFrom > 0) {
    // The part already holds every byte: the server has nothing past its end.
    await response.body?.cancel();
    totalBytes = parseContentRange(response.headers.get('content-range')).total;
    if (totalBytes !== resumedFrom) {
      await rm(partPath, { force: true });
      throw failure(`The unfinished download ${partPath} does not match ${url} any more (the server refused to resume it); it was deleted. Run the pull again.`);
    }
  } else if (response.status === 206 && resumedFrom > 0) {
    const range = parseContentRange(response.headers.get('content-range'));
    if (range.start !== resumedFrom) {
      await response.body?.cancel();
      throw failure(`${url} answered a resumed download from byte ${range.start ?? '?'} instead of ${resumedFrom}. Delete ${partPath} and run the pull again.`);
    }
    totalBytes = range.total;
  } else if (response.ok) {
    resumedFrom = 0; // a 200 is the whole file: start over
    const length = Number(response.headers.get('content-length'));
    totalBytes = Number.isFinite(length) && length > 0 ? length : undefined;
  } else {
    await response.body?.cancel();
    const advice =
      response.status === 404
        ? ' Check the owner, repository and file name (they are case-sensitive).'
        : response.status === 401 || response.status === 403
          ? ' The model may be gated: accept its licence on Hugging Face and set HF_TOKEN.'
          : ' Try again later.';
    throw failure(`Downloading ${url} failed: HTTP ${response.status}.${advice}`);
  }

  const hash = resumedFrom > 0 ? await hashFile(partPath) : createHash('sha256');
  let received = resumedFrom;
  const report = () => options.onProgress?.({ receivedBytes: received, resumedFromBytes: resumedFrom, ...(totalBytes !== undefined ? { totalBytes } : {}) });
  if (response.status !== 416 && response.body) {
    report();
    // Each chunk is written (and awaited) before the next is read, so whatever arrived before an
    // interruption is on disk for the next pull to resume from.
    const file = await open(partPath, resumedFrom > 0 ? 'a' : 'w');
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        await file.write(chunk);
        hash.update(chunk);
        received += chunk.length;
        report();
      }
    } catch (error) {
      throw failure(`The download of ${url} stopped after ${received} bytes (${describeError(error)}). Run the pull again: it resumes from ${partPath}.`, error);
    } finally {
      await file.close();
    }
  }
  if (totalBytes !== undefined && received !== totalBytes) {
    throw failure(`The download of ${url} ended after ${received} of ${totalBytes} bytes. Run the pull again: it resumes from ${partPath}.`);
  }
  const digest = hash.digest('hex');
  if (expected !== undefined && digest !== expected) {
    await rm(partPath, { force: true });
    throw new LLMLabError('model_checksum_mismatch', `The file downloaded from ${url} has sha256 ${digest}, but ${expected} was expected; the download was deleted. Check the checksum, then pull again.`);
  }
  await rename(partPath, finalPath);
  return { path: finalPath, fileName, url, sizeBytes: received, sha256: digest, resumedFromBytes: resumedFrom, alreadyPresent: false };
}
