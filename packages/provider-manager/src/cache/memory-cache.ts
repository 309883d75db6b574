import type { GenerateResponse } from '@llm-lab/core';
import { expiryOf, storableResponse, type ResponseCache } from './response-cache.js';

/** Options of {@link createMemoryCache}. */
export interface MemoryCacheOptions {
  /** Most entries kept; the least recently used go first. Default 10,000. */
  maxEntries?: number;
  /** Approximate most bytes kept (text length × 2 plus a fixed overhead per entry). Default 256 MiB. */
  maxBytes?: number;
}

interface MemoryEntry {
  value: GenerateResponse;
  expiresAt: number;
  bytes: number;
}

const ENTRY_OVERHEAD_BYTES = 512;

/** Rough in-memory size of an answer: UTF-16 text plus a fixed overhead for the other fields. */
function sizeOf(key: string, value: GenerateResponse): number {
  return (key.length + value.text.length) * 2 + ENTRY_OVERHEAD_BYTES;
}

/**
 * An in-process least-recently-used cache, bounded by entries and approximate bytes. Lookups are
 * a Map access (no I/O, no serialisation); entries live until evicted, expired or the process ends.
 */
export class MemoryResponseCache implements ResponseCache {
  readonly name = 'memory';
  private readonly entries = new Map<string, MemoryEntry>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private bytes = 0;

  constructor(options: MemoryCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /** Approximate bytes held now. */
  get sizeBytes(): number {
    return this.bytes;
  }

  get(key: string): Promise<GenerateResponse | undefined> {
    return Promise.resolve(this.getNow(key));
  }

  /** The synchronous lookup behind {@link get}. */
  getNow(key: string): GenerateResponse | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= Date.now()) {
      this.remove(key, entry);
      return undefined;
    }
    // Re-insert to mark it most recently used (a Map iterates in insertion order).
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: GenerateResponse, ttlMs?: number): Promise<void> {
    const stored = storableResponse(value);
    const bytes = sizeOf(key, stored);
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    if (bytes > this.maxBytes) return Promise.resolve();
    this.entries.set(key, { value: stored, expiresAt: expiryOf(ttlMs), bytes });
    this.bytes += bytes;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.entries().next().value;
      if (oldest === undefined) break;
      this.remove(oldest[0], oldest[1]);
    }
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (entry) this.remove(key, entry);
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.clear();
  }

  private remove(key: string, entry: MemoryEntry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}

/** Creates an in-process LRU response cache. */
export function createMemoryCache(options: MemoryCacheOptions = {}): MemoryResponseCache {
  return new MemoryResponseCache(options);
}
