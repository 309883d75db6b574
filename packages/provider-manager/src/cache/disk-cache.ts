import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { GenerateResponse } from '@llm-lab/core';
import { expiryOf, storableResponse, type ResponseCache } from './response-cache.js';

/** Options of {@link createDiskCache}. */
export interface DiskCacheOptions {
  /** The folder of the cache; created when missing. */
  dir: string;
  /** Milliseconds buffered writes wait before they are appended together. Default 25. */
  flushIntervalMs?: number;
  /** Buffered bytes that trigger an immediate append. Default 256 KiB. */
  flushBytes?: number;
  /**
   * Segments found when the folder is indexed are kept in memory while their total is at most
   * this many bytes, so a hit is a slice instead of a file read. Default 32 MiB.
   */
  residentBytes?: number;
}

/** Where one entry's line lives: a segment file, its byte offset and length. */
interface IndexEntry {
  segment: string;
  offset: number;
  length: number;
  expiresAt: number;
  /** The value while its line is still buffered (not yet appended). */
  pending: GenerateResponse | undefined;
}

const SEGMENT_PREFIX = 'segment-';
const SEGMENT_SUFFIX = '.log';
const TAB = 0x09;
const NEWLINE = 0x0a;
const DELETED = -1;

/**
 * A response cache kept on disk, as append-only log segments in one folder: each process appends
 * to its own segment (`segment-<time>-<pid>-<random>.log`), so two processes can share a folder
 * without interleaving writes. A line is `<key>\t<expiresAt>\t<JSON>\n` (`expiresAt` 0 = never,
 * -1 = deleted); a torn last line (a crash mid-write) is skipped when the folder is read.
 *
 * Nothing blocks the event loop: the folder is indexed asynchronously when the cache is created
 * (the first lookups wait for it), a lookup of a missing key is a Map access, a hit is a slice of
 * the segment read while indexing (up to `residentBytes` of segments stay in memory) or else one
 * line read at its known offset, and writes are buffered and appended in batches. Entries written by another
 * process after this one indexed the folder are not seen until the next run. `close()` appends
 * what is still buffered; without it, at most the last `flushIntervalMs` of writes are lost.
 */
export class DiskResponseCache implements ResponseCache {
  readonly name: string;
  private readonly dir: string;
  private readonly flushIntervalMs: number;
  private readonly flushBytes: number;
  private readonly index = new Map<string, IndexEntry>();
  private readonly readers = new Map<string, Promise<FileHandle>>();
  /** Contents of segments read whole when the folder was indexed (within `residentBytes`). */
  private readonly resident = new Map<string, Buffer>();
  private readonly residentBytes: number;
  private readonly ownSegment: string;
  private ownSize = 0;
  private writer: Promise<FileHandle> | undefined;
  private buffered: string[] = [];
  private bufferedEntries: IndexEntry[] = [];
  private bufferedBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private loaded = false;
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(options: DiskCacheOptions) {
    this.dir = options.dir;
    this.name = `disk:${options.dir}`;
    this.flushIntervalMs = options.flushIntervalMs ?? 25;
    this.flushBytes = options.flushBytes ?? 256 * 1024;
    this.residentBytes = options.residentBytes ?? 32 * 1024 * 1024;
    this.ownSegment = `${SEGMENT_PREFIX}${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}${SEGMENT_SUFFIX}`;
    this.ready = this.load();
    // A failed load surfaces on the first get/set; do not report it as unhandled here.
    this.ready.catch(() => undefined);
  }

  /** Resolves once the folder is indexed; rejects when it cannot be created or read. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  async get(key: string): Promise<GenerateResponse | undefined> {
    if (!this.loaded) await this.ready;
    const entry = this.index.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= Date.now()) {
      this.index.delete(key);
      return undefined;
    }
    if (entry.pending !== undefined) return entry.pending;
    const line = await this.readLine(entry);
    return line === undefined ? undefined : parseValue(line, key);
  }

  async set(key: string, value: GenerateResponse, ttlMs?: number): Promise<void> {
    if (!this.loaded) await this.ready;
    const stored = storableResponse(value);
    const expiresAt = expiryOf(ttlMs);
    this.append(key, `${key}\t${expiresAt}\t${JSON.stringify(stored)}\n`, expiresAt, stored);
  }

  async delete(key: string): Promise<void> {
    if (!this.loaded) await this.ready;
    if (!this.index.has(key)) return;
    this.index.delete(key);
    this.append(key, `${key}\t${DELETED}\t\n`, DELETED, undefined);
  }

  /** Removes every segment in the folder (other processes' included) and starts a fresh one. */
  async clear(): Promise<void> {
    if (!this.loaded) await this.ready;
    await this.flush();
    this.index.clear();
    this.resident.clear();
    await this.closeHandles();
    this.ownSize = 0;
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(names.filter(isSegment).map((name) => rm(join(this.dir, name), { force: true })));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    await this.flush();
    await this.closeHandles();
  }

  /** Appends everything buffered now; resolves when it is on disk. */
  flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.buffered.length === 0) return this.flushing;
    const lines = this.buffered;
    const entries = this.bufferedEntries;
    this.buffered = [];
    this.bufferedEntries = [];
    this.bufferedBytes = 0;
    this.flushing = this.flushing.then(async () => {
      this.writer ??= mkdir(this.dir, { recursive: true }).then(() => open(join(this.dir, this.ownSegment), 'a'));
      const handle = await this.writer;
      await handle.write(lines.join(''));
      // Written lines are now readable at their offsets: drop the in-memory copies.
      for (const entry of entries) entry.pending = undefined;
    });
    return this.flushing;
  }

  private append(key: string, line: string, expiresAt: number, value: GenerateResponse | undefined): void {
    if (key.includes('\t') || key.includes('\n')) {
      throw new Error(`Disk cache keys cannot contain tabs or newlines (got ${JSON.stringify(key)}).`);
    }
    const length = Buffer.byteLength(line);
    const offset = this.ownSize;
    this.ownSize += length;
    if (expiresAt !== DELETED) {
      const entry: IndexEntry = { segment: this.ownSegment, offset, length, expiresAt, pending: value };
      this.index.set(key, entry);
      this.bufferedEntries.push(entry);
    }
    this.buffered.push(line);
    this.bufferedBytes += length;
    if (this.bufferedBytes >= this.flushBytes) void this.flush().catch(() => undefined);
    else this.flushTimer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushIntervalMs);
  }

  private async readLine(entry: IndexEntry): Promise<Buffer | undefined> {
    const content = this.resident.get(entry.segment);
    if (content !== undefined) return content.subarray(entry.offset, entry.offset + entry.length);
    let reader = this.readers.get(entry.segment);
    if (reader === undefined) {
      reader = open(join(this.dir, entry.segment), 'r');
      this.readers.set(entry.segment, reader);
      reader.catch(() => this.readers.delete(entry.segment));
    }
    const handle = await reader.catch(() => undefined);
    if (handle === undefined) return undefined;
    const buffer = Buffer.allocUnsafe(entry.length);
    const { bytesRead } = await handle.read(buffer, 0, entry.length, entry.offset);
    return bytesRead === entry.length ? buffer : undefined;
  }

  private async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter(isSegment).sort();
    const now = Date.now();
    let residentTotal = 0;
    for (const name of names) {
      const content = await readFile(join(this.dir, name)).catch(() => undefined);
      if (content === undefined) continue; // removed by another process meanwhile
      if (residentTotal + content.length <= this.residentBytes) {
        this.resident.set(name, content);
        residentTotal += content.length;
      }
      let start = 0;
      while (start < content.length) {
        const end = content.indexOf(NEWLINE, start);
        if (end === -1) break; // a torn last line
        indexLine(this.index, name, content, start, end, now);
        start = end + 1;
      }
    }
    this.loaded = true;
  }

  private async closeHandles(): Promise<void> {
    const handles = [...this.readers.values(), ...(this.writer ? [this.writer] : [])];
    this.readers.clear();
    this.writer = undefined;
    await Promise.all(handles.map(async (pending) => (await pending.catch(() => undefined))?.close()));
  }
}

function isSegment(name: string): boolean {
  return name.startsWith(SEGMENT_PREFIX) && name.endsWith(SEGMENT_SUFFIX);
}

/** Adds the line `content[start, end)` (without its newline) to the index, or removes its key for a tombstone. */
function indexLine(index: Map<string, IndexEntry>, segment: string, content: Buffer, start: number, end: number, now: number): void {
  const firstTab = content.indexOf(TAB, start);
  if (firstTab === -1 || firstTab > end) return;
  const secondTab = content.indexOf(TAB, firstTab + 1);
  if (secondTab === -1 || secondTab > end) return;
  const key = content.toString('utf8', start, firstTab);
  const expiresAt = Number(content.toString('latin1', firstTab + 1, secondTab));
  if (!Number.isFinite(expiresAt)) return;
  if (expiresAt === DELETED || (expiresAt !== 0 && expiresAt <= now)) {
    index.delete(key);
    return;
  }
  index.set(key, { segment, offset: start, length: end + 1 - start, expiresAt, pending: undefined });
}

/** The value of a stored line, or undefined when the line is not the expected key's or is damaged. */
function parseValue(line: Buffer, key: string): GenerateResponse | undefined {
  const text = line.toString('utf8');
  if (!text.startsWith(`${key}\t`) || !text.endsWith('\n')) return undefined;
  const valueStart = text.indexOf('\t', key.length + 1);
  if (valueStart === -1) return undefined;
  try {
    const value = JSON.parse(text.slice(valueStart + 1)) as GenerateResponse;
    return typeof value === 'object' && value !== null && typeof value.text === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Creates a response cache that persists in `options.dir` between runs (see {@link DiskResponseCache}). */
export function createDiskCache(options: DiskCacheOptions): DiskResponseCache {
  return new DiskResponseCache(options);
}
