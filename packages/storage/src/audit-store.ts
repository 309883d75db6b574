/**
 * The audit log's table (see `auditLog` in schema.ts): appended to, never rewritten. Plain
 * functions over a drizzle database, called by {@link DrizzleStorage} (which wraps failures).
 * The hashes are computed by the caller (@llm-lab/security's audit chain); this part stores
 * entries in chain order and refuses a second entry at the same place.
 */
import { and, asc, desc, gte, sql } from 'drizzle-orm';
import type { StorageDatabase } from './drizzle-storage.js';
import { StorageError, sqlStateOf } from './errors.js';
import { auditLog } from './schema.js';

const UNIQUE_VIOLATION = '23505';

/** One audit log entry as stored (see `auditLog` in schema.ts; @llm-lab/security computes the hashes). */
export interface AuditRecord {
  /** Its place in the chain, from 1. */
  seq: number;
  at: Date;
  /** `cli`, `gateway-key` or `dashboard`. */
  actorKind: string;
  actor: string;
  /** `run`, `compare`, `export`, `report`, `key-created`, `key-revoked`, `secret-read`, `config-change`, `login`, ... */
  action: string;
  target: string | null;
  host: string | null;
  pid: number | null;
  ip: string | null;
  costUsd: number | null;
  /** Canonical JSON text of further details, or null. */
  details: string | null;
  prevHash: string;
  hash: string;
}

/** The chain's last entry: where the next one goes (seq 0, hash '' when the log is empty). */
export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuditListQuery {
  /** Entries at or after this time. */
  since?: Date;
  /** Entries after this place in the chain (to read it page by page). */
  afterSeq?: number;
  /** Default 1,000. */
  limit?: number;
}

/** The append-only audit log. */
export interface AuditStore {
  /** The last entry's place and hash. */
  auditHead(): Promise<AuditHead>;
  /** Stores an entry at its `seq`; false when that place is taken (another process appended first: chain to the new head and try again). */
  appendAudit(entry: AuditRecord): Promise<boolean>;
  /** Entries in chain order. */
  listAudit(query?: AuditListQuery): Promise<AuditRecord[]>;
}


/** The chain's last entry (seq 0 and an empty hash when the log is empty). */
export async function auditHead(database: StorageDatabase): Promise<AuditHead> {
  const [row] = await database.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
  return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: '' };
}

function checkEntry(entry: AuditRecord): void {
  if (!(Number.isSafeInteger(entry.seq) && entry.seq >= 1)) throw new StorageError('storage_invalid_option', `an audit entry's seq must be a whole number from 1, got ${entry.seq}`);
  if (!/^[0-9a-f]{64}$/.test(entry.hash)) throw new StorageError('storage_invalid_option', 'an audit entry hash must be 64 hex characters (SHA-256)');
}

/**
 * Stores one entry at `seq`. False when another entry holds that place already (another
 * process appended first): the caller chains to the new head and tries again.
 */
export async function appendAudit(database: StorageDatabase, entry: AuditRecord): Promise<boolean> {
  checkEntry(entry);
  try {
    await database.insert(auditLog).values({ ...entry });
    return true;
  } catch (error) {
    if (sqlStateOf(error) === UNIQUE_VIOLATION) return false;
    throw error;
  }
}

/** Entries in chain order, from `since` (by time) or `afterSeq`, at most `limit`. */
export async function listAudit(database: StorageDatabase, query: AuditListQuery): Promise<AuditRecord[]> {
  const conditions = [
    ...(query.since ? [gte(auditLog.at, query.since)] : []),
    ...(query.afterSeq !== undefined ? [sql`${auditLog.seq} > ${query.afterSeq}`] : []),
  ];
  const rows = await database
    .select()
    .from(auditLog)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(asc(auditLog.seq))
    .limit(query.limit ?? 1_000);
  return rows.map((row) => ({ ...row, seq: Number(row.seq) })) as AuditRecord[];
}
