/**
 * The audit log's hash chain: each entry's hash is SHA-256 over the previous entry's hash and the
 * entry's canonical content, so changing, removing or reordering a stored entry breaks the chain
 * at that entry, and `verifyAuditChain` says which. Pure: no storage, no clock.
 */
import { createHash } from 'node:crypto';

/** An entry's content: everything but its own hash (and the previous hash, which is chained in). */
export interface AuditContent {
  seq: number;
  at: Date;
  actorKind: string;
  actor: string;
  action: string;
  target: string | null;
  host: string | null;
  pid: number | null;
  ip: string | null;
  costUsd: number | null;
  /** Canonical JSON text (see {@link canonicalJson}) or null. */
  details: string | null;
}

/** A stored entry: its content, the previous entry's hash and its own. */
export interface AuditEntry extends AuditContent {
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : inner,
  );
}

/** The hash of an entry chained to `prevHash` ('' for the first). */
export function auditEntryHash(prevHash: string, content: AuditContent): string {
  const fields = [
    content.seq,
    content.at.toISOString(),
    content.actorKind,
    content.actor,
    content.action,
    content.target,
    content.host,
    content.pid,
    content.ip,
    content.costUsd,
    content.details,
  ];
  return createHash('sha256').update(prevHash).update('\n').update(JSON.stringify(fields)).digest('hex');
}

/** Something wrong with the chain, at one entry. */
export interface AuditProblem {
  /** The entry's place in the chain. */
  seq: number;
  /** `modified`: its content no longer matches its hash; `missing`: entries before it were deleted; `relinked`: it does not follow the entry before it (that one was replaced, or entries reordered). */
  kind: 'modified' | 'missing' | 'relinked';
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Entries checked. */
  checked: number;
  /** The last entry's place (0 when the log is empty). */
  lastSeq: number;
  problems: AuditProblem[];
}

/**
 * Checks a chain read in order, page by page: feed each page to `check`, then read `result()`.
 * Held state is one entry, so a log of any length verifies in flat memory.
 */
export function createAuditVerifier(): { check(entries: readonly AuditEntry[]): void; result(): AuditVerification } {
  let previous: { seq: number; hash: string } = { seq: 0, hash: '' };
  let checked = 0;
  const problems: AuditProblem[] = [];
  return {
    check(entries) {
      for (const entry of entries) {
        checked += 1;
        if (entry.seq !== previous.seq + 1) {
          const from = previous.seq + 1;
          const to = entry.seq - 1;
          problems.push({
            seq: entry.seq,
            kind: 'missing',
            message: from === to ? `entry ${from} is missing (deleted): entry ${entry.seq} follows entry ${previous.seq}` : `entries ${from}–${to} are missing (deleted): entry ${entry.seq} follows entry ${previous.seq}`,
          });
        } else if (entry.prevHash !== previous.hash) {
          problems.push({ seq: entry.seq, kind: 'relinked', message: `entry ${entry.seq} does not follow entry ${previous.seq}: its recorded previous hash differs (entry ${previous.seq} was replaced)` });
        }
        if (auditEntryHash(entry.prevHash, entry) !== entry.hash) {
          problems.push({ seq: entry.seq, kind: 'modified', message: `entry ${entry.seq} (${entry.action} by ${entry.actor}) was modified: its content does not match its hash` });
        }
        previous = { seq: entry.seq, hash: entry.hash };
      }
    },
    result: () => ({ ok: problems.length === 0, checked, lastSeq: previous.seq, problems }),
  };
}

/** Checks a whole chain held in memory (see {@link createAuditVerifier} for a long one). */
export function verifyAuditChain(entries: readonly AuditEntry[]): AuditVerification {
  const verifier = createAuditVerifier();
  verifier.check(entries);
  return verifier.result();
}
