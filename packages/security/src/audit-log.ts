/**
 * Appending to the audit log: who (the CLI user, a gateway key, a dashboard user), did what, to
 * what, when, from where, at what cost, each entry chained to the one before (audit-chain.ts).
 *
 * The store is any object with the three calls below (LLM Lab's storage has them: its
 * `AuditStore` part). Two processes appending at once both read the same head; the store takes
 * only the first entry at a place, and the other process chains to the new head and appends
 * again, so the log stays one chain.
 *
 * `audit.record(...)` is the process-wide hook for parts that have no storage of their own (the
 * key manager records each secret read through it): a no-op until a command sets the log with
 * `setAuditLog`.
 */
import { hostname, userInfo } from 'node:os';
import { auditEntryHash, canonicalJson, type AuditEntry } from './audit-chain.js';

/** What the audit log needs of a storage. */
export interface AuditChainStore {
  auditHead(): Promise<{ seq: number; hash: string }>;
  appendAudit(entry: AuditEntry): Promise<boolean>;
}

export type AuditActorKind = 'cli' | 'gateway-key' | 'dashboard';

/** Something done, as the caller tells it. */
export interface AuditEvent {
  /** `run`, `compare`, `export`, `report`, `key-created`, `key-revoked`, `secret-read`, `config-change`, `login`, ... */
  action: string;
  /** What it was done to: a run id, a key id, a secret's reference (`vault:secret/data/llm#key`) — never a secret value. */
  target?: string | null;
  /** Another actor than the log's own (the gateway records the key that made a request). */
  actor?: { kind: AuditActorKind; name: string };
  /** The client's address (the gateway). */
  ip?: string | null;
  costUsd?: number | null;
  /** Small further facts (flags, counts); stored as canonical JSON. */
  details?: Record<string, unknown>;
}

export interface AuditLogOptions {
  /** Who this process acts for. Default: the CLI user (env `LLM_LAB_USER`, else the OS user). */
  actor?: { kind: AuditActorKind; name: string };
  /** Default `os.hostname()` / `process.pid`. */
  host?: string;
  pid?: number;
  /** The clock (tests pass a fake one). */
  now?: () => Date;
  /** Appends tried before giving up when other processes keep winning the place. Default 50. */
  maxAttempts?: number;
}

export interface AuditLog {
  /** Appends one entry; resolves with it once stored. */
  record(event: AuditEvent): Promise<AuditEntry>;
}

/** The CLI user: env `LLM_LAB_USER`, else the operating-system user name. */
export function cliUser(env: Record<string, string | undefined> = process.env): string {
  const named = env.LLM_LAB_USER?.trim();
  if (named) return named;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}

/** Why an entry could not be appended. */
export class AuditError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditError';
  }
}

function checkEvent(event: AuditEvent): void {
  if (typeof event.action !== 'string' || event.action.trim() === '') throw new AuditError('an audit entry needs an action (run, compare, secret-read, ...)');
  if (event.costUsd != null && !Number.isFinite(event.costUsd)) throw new AuditError(`an audit entry's cost must be a number of US dollars, got ${String(event.costUsd)}`);
}

export function createAuditLog(store: AuditChainStore, options: AuditLogOptions = {}): AuditLog {
  const actor = options.actor ?? { kind: 'cli' as const, name: cliUser() };
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const now = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? 50;
  return {
    async record(event) {
      checkEvent(event);
      const who = event.actor ?? actor;
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const head = await store.auditHead();
        const content = {
          seq: head.seq + 1,
          at: now(),
          actorKind: who.kind,
          actor: who.name,
          action: event.action,
          target: event.target ?? null,
          host,
          pid,
          ip: event.ip ?? null,
          costUsd: event.costUsd ?? null,
          details: event.details && Object.keys(event.details).length > 0 ? canonicalJson(event.details) : null,
        };
        const entry: AuditEntry = { ...content, prevHash: head.hash, hash: auditEntryHash(head.hash, content) };
        if (await store.appendAudit(entry)) return entry;
      }
      throw new AuditError(`could not append "${event.action}" to the audit log: ${maxAttempts} attempts each found another process had appended first; try again`);
    },
  };
}

const KEY = Symbol.for('llm-lab.security.audit-log');
/** Events recorded before a log was set (a secret read while the database was still opening), kept for it. */
const PENDING = Symbol.for('llm-lab.security.audit-log.pending');
const MAX_PENDING = 1_000;
type Holder = typeof globalThis & { [KEY]?: AuditLog | undefined; [PENDING]?: AuditEvent[] };

/**
 * Sets (or, with undefined, clears) the log `audit.record` appends to in this process. Events
 * recorded through the hook before any log was set are appended to it first, in order.
 */
export function setAuditLog(log: AuditLog | undefined): Promise<void> {
  const holder = globalThis as Holder;
  holder[KEY] = log;
  const pending = holder[PENDING] ?? [];
  holder[PENDING] = [];
  if (!log || pending.length === 0) return Promise.resolve();
  return pending.reduce<Promise<unknown>>((previous, event) => previous.then(() => log.record(event)), Promise.resolve()).then(() => undefined);
}

/**
 * The process-wide hook: `audit.record({ action: 'secret-read', target: ref })`. Before a log is
 * set, the event is kept (up to 1,000) for the first log set in this process, and resolves undefined.
 */
export const audit = {
  record(event: AuditEvent): Promise<AuditEntry | undefined> {
    const holder = globalThis as Holder;
    const log = holder[KEY];
    if (log) return log.record(event);
    const pending = (holder[PENDING] ??= []);
    if (pending.length < MAX_PENDING) pending.push(event);
    return Promise.resolve(undefined);
  },
};
