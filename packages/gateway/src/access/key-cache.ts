/**
 * The gateway's view of its virtual keys, in memory: the request path never reads the database.
 *
 * The whole key table (a few rows per application) is read at once and kept for `ttlMs`; a call
 * after that waits for one fresh read (shared by every call waiting), so a key revoked in storage
 * (by `llm-lab gateway keys revoke`, from any process) stops working within `ttlMs`. A key not in
 * the snapshot triggers a read too, at most once per `missRefreshMs`, so a key made a moment ago
 * works at once while a flood of unknown keys costs one read a second at most. When a read fails
 * (storage down), the last snapshot keeps serving and the read is tried again `missRefreshMs` later.
 */
import type { GatewayKeyRecord, KeyStore } from '@llm-lab/storage';

export interface KeyCacheOptions {
  store: Pick<KeyStore, 'listKeys'>;
  /** How long a snapshot is used before it is read again (default 5,000 ms). */
  ttlMs?: number;
  /** Least time between two reads made because of an unknown key or a failed read (default 1,000 ms). */
  missRefreshMs?: number;
  /**
   * Longest a call waits for a fresh read when the snapshot is stale (default 1,000 ms, real
   * time): a slow or hanging storage then delays calls this much at most, and the last snapshot
   * serves while the read goes on.
   */
  staleWaitMs?: number;
  now?: () => number;
  /** Runs each read; the access hooks pass a queue shared with the spend writes (see spend-writer.ts). */
  serial?: <T>(work: () => Promise<T>) => Promise<T>;
  /** Called inside `serial` just before each read; kept in the snapshot as `mark`. */
  mark?: () => number;
  /** Told when a read fails and an older snapshot is used. */
  onReadError?: (error: unknown) => void;
}

export interface KeySnapshot {
  byHash: ReadonlyMap<string, GatewayKeyRecord>;
  byId: ReadonlyMap<string, GatewayKeyRecord>;
  /** When the read started (the cache's clock). */
  readAt: number;
  /** What `mark()` returned just before the read (the spend writes it already includes). */
  mark: number;
  /** A number that grows with each snapshot. */
  version: number;
}

export class KeyCache {
  private snapshot: KeySnapshot | undefined;
  private reading: Promise<KeySnapshot> | undefined;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private failedAt: number | undefined;
  private readonly ttlMs: number;
  private readonly missRefreshMs: number;
  private readonly now: () => number;
  private readonly serial: <T>(work: () => Promise<T>) => Promise<T>;
  /** Listeners told of each new snapshot (the spend ledger prunes what it now includes). */
  private readonly listeners: Array<(snapshot: KeySnapshot) => void> = [];
  /** Storage reads made: for tests and diagnostics. */
  reads = 0;

  constructor(private readonly options: KeyCacheOptions) {
    this.ttlMs = options.ttlMs ?? 5_000;
    this.missRefreshMs = options.missRefreshMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.serial = options.serial ?? ((work) => work());
  }

  onSnapshot(listener: (snapshot: KeySnapshot) => void): void {
    this.listeners.push(listener);
  }

  /** The stored key with this hash (revoked ones included), from a snapshot at most `ttlMs` old. */
  async lookup(hash: string): Promise<GatewayKeyRecord | undefined> {
    let snapshot = await this.current();
    let key = snapshot.byHash.get(hash);
    if (key === undefined && this.now() - this.lastAttempt >= this.missRefreshMs) {
      snapshot = await this.refresh();
      key = snapshot.byHash.get(hash);
    }
    return key;
  }

  /** The key with this id in the current snapshot (for its spend as last read). */
  byId(id: string): GatewayKeyRecord | undefined {
    return this.snapshot?.byId.get(id);
  }

  /** The key table, read again when older than `ttlMs` (what `lookup` uses). */
  async current(): Promise<KeySnapshot> {
    const snapshot = this.snapshot;
    if (snapshot === undefined) return this.refresh();
    if (this.now() - snapshot.readAt < this.ttlMs) return snapshot;
    // Stale: read again, unless a read failed a moment ago (storage down): then the last one serves.
    if (this.failedAt !== undefined && this.now() - this.failedAt < this.missRefreshMs) return snapshot;
    const reading = this.refresh();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<KeySnapshot>((resolve) => {
      timer = setTimeout(() => resolve(snapshot), this.options.staleWaitMs ?? 1_000);
      timer.unref();
    });
    try {
      return await Promise.race([reading, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads the key table now (one read in flight at a time, shared by its callers). */
  refresh(): Promise<KeySnapshot> {
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<KeySnapshot> {
    this.lastAttempt = this.now();
    try {
      const snapshot = await this.serial(async () => {
        const readAt = this.now();
        const mark = this.options.mark?.() ?? 0;
        this.reads += 1;
        const keys = await this.options.store.listKeys({ includeRevoked: true });
        return {
          byHash: new Map(keys.map((key) => [key.keyHash, key])),
          byId: new Map(keys.map((key) => [key.id, key])),
          readAt,
          mark,
          version: (this.snapshot?.version ?? 0) + 1,
        };
      });
      this.snapshot = snapshot;
      this.failedAt = undefined;
      for (const listener of this.listeners) listener(snapshot);
      return snapshot;
    } catch (error) {
      this.failedAt = this.now();
      if (this.snapshot === undefined) throw error;
      this.options.onReadError?.(error);
      return this.snapshot;
    }
  }
}
