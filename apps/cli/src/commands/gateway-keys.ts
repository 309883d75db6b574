import type { GatewayKeyRecord, Storage } from '@llm-lab/storage';
import { ExitCode, UsageError } from '../errors.js';
import { formatCount, formatMs, formatUsd, printable, renderTable } from '../output/format.js';
import { recordAudit } from './audit.js';
import { openLab, type StorageFlags } from './shared.js';

export interface KeysCreateFlags extends StorageFlags {
  name: string;
  budgetUsd?: number;
  rpm?: number;
  models?: string[];
  json?: boolean;
}

export interface KeysListFlags extends StorageFlags {
  all?: boolean;
  json?: boolean;
}

export interface TrafficFlags extends StorageFlags {
  since?: string;
  json?: boolean;
}

/** Runs `work` on the storage the lab opens (flags, DATABASE_URL, or the project's embedded database). */
async function withStorage(flags: StorageFlags, work: (storage: Storage) => Promise<number>): Promise<number> {
  const lab = await openLab(flags);
  try {
    return await work(await lab.openStorage());
  } finally {
    await lab.close();
  }
}

/** A key as listed: never its hash. */
function shownKey(key: GatewayKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
    budgetUsd: key.budgetUsd,
    spendUsd: key.spendUsd,
    rpm: key.rpm,
    models: key.models,
  };
}

function limitsOf(key: GatewayKeyRecord): string {
  return [
    key.budgetUsd === null ? 'no budget' : `budget ${formatUsd(key.budgetUsd)}`,
    key.rpm === null ? 'no rate limit' : `${key.rpm} requests/minute`,
    key.models === null ? 'every model' : `models: ${key.models.join(', ')}`,
  ].join(', ');
}

/** `llm-lab gateway keys create`: the key on standard output, once; what it may do on standard error. */
export async function keysCreateCommand(flags: KeysCreateFlags): Promise<number> {
  const { generateVirtualKey } = await import('@llm-lab/gateway/keys');
  return withStorage(flags, async (storage) => {
    const made = generateVirtualKey();
    let key: GatewayKeyRecord;
    try {
      key = await storage.createKey({
        name: flags.name,
        keyHash: made.hash,
        prefix: made.prefix,
        budgetUsd: flags.budgetUsd ?? null,
        rpm: flags.rpm ?? null,
        models: flags.models ?? null,
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'key_exists' || code === 'storage_invalid_option') throw new UsageError((error as Error).message);
      throw error;
    }
    await recordAudit(storage, { action: 'key-created', target: key.id, details: { name: key.name } });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ...shownKey(key), key: made.key }, null, 2)}\n`);
    } else {
      process.stderr.write(`Created gateway key "${printable(key.name, { oneLine: true })}" (${key.id}): ${limitsOf(key)}.\n`);
      process.stdout.write(`${made.key}\n`);
      process.stderr.write('Copy it now: it is not shown again (only its hash is stored). Clients send it as their OpenAI API key.\n');
    }
    return ExitCode.ok;
  });
}

/** `llm-lab gateway keys list`: live keys (with --all, revoked ones too); never a key or its hash. */
export async function keysListCommand(flags: KeysListFlags): Promise<number> {
  return withStorage(flags, async (storage) => {
    const keys = await storage.listKeys({ includeRevoked: flags.all ?? false });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(keys.map(shownKey), null, 2)}\n`);
      return ExitCode.ok;
    }
    if (keys.length === 0) {
      process.stdout.write(`No gateway keys${flags.all ? '' : ' in use'}. Make one with: llm-lab gateway keys create --name <app>\n`);
      return ExitCode.ok;
    }
    const rows = keys.map((key) => [
      key.id,
      printable(key.name, { max: 40, oneLine: true }),
      `${key.prefix}…`,
      key.createdAt.toISOString().replace('T', ' ').slice(0, 16),
      key.budgetUsd === null ? '-' : formatUsd(key.budgetUsd),
      formatUsd(key.spendUsd),
      key.rpm === null ? '-' : formatCount(key.rpm),
      key.models === null ? 'all' : printable(key.models.join(', '), { max: 40, oneLine: true }),
      key.revokedAt === null ? 'live' : `revoked ${key.revokedAt.toISOString().slice(0, 10)}`,
    ]);
    process.stdout.write(`${renderTable(['Id', 'Name', 'Key', 'Created (UTC)', 'Budget', 'Spent', 'RPM', 'Models', 'Status'], rows, { right: [4, 5, 6] })}\n`);
    return ExitCode.ok;
  });
}

/** `llm-lab gateway keys revoke <id|name|prefix>`. */
export async function keysRevokeCommand(which: string, flags: StorageFlags): Promise<number> {
  return withStorage(flags, async (storage) => {
    let key: GatewayKeyRecord | undefined;
    try {
      key = await storage.revokeKey(which);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'key_ambiguous') throw new UsageError((error as Error).message);
      throw error;
    }
    if (key === undefined) {
      throw new UsageError(`no live gateway key has the id, name or prefix "${printable(which, { oneLine: true })}"; see llm-lab gateway keys list`);
    }
    await recordAudit(storage, { action: 'key-revoked', target: key.id, details: { name: key.name } });
    process.stdout.write(
      `Revoked gateway key "${printable(key.name, { oneLine: true })}" (${key.id}, ${key.prefix}…). Running gateways refuse it within their key TTL (5 s by default).\n`,
    );
    return ExitCode.ok;
  });
}

/** `llm-lab gateway traffic`: the gateway's calls summed up per route, provider and key, in SQL. */
export async function trafficCommand(flags: TrafficFlags): Promise<number> {
  const since = flags.since === undefined ? undefined : parseSince(flags.since);
  return withStorage(flags, async (storage) => {
    const rows = await storage.summariseRequests({ source: 'gateway', ...(since ? { since } : {}) });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ since: since?.toISOString() ?? null, groups: rows }, null, 2)}\n`);
      return ExitCode.ok;
    }
    const window = since ? ` since ${since.toISOString().replace('T', ' ').slice(0, 19)} UTC` : '';
    if (rows.length === 0) {
      process.stdout.write(`No gateway traffic${window}.\n`);
      return ExitCode.ok;
    }
    const table = rows.map((row) => [
      printable(row.route ?? '-', { max: 40, oneLine: true }),
      printable(row.provider ?? '(none)', { max: 40, oneLine: true }),
      printable(row.keyName ?? row.keyId ?? '-', { max: 30, oneLine: true }),
      formatCount(row.requests),
      formatCount(row.errors),
      formatMs(row.p50LatencyMs),
      formatMs(row.p95LatencyMs),
      formatCount(row.inputTokens),
      formatCount(row.outputTokens),
      formatUsd(row.costUsd),
    ]);
    const total = rows.reduce((sum, row) => ({ requests: sum.requests + row.requests, errors: sum.errors + row.errors, costUsd: sum.costUsd + row.costUsd }), { requests: 0, errors: 0, costUsd: 0 });
    process.stdout.write(`Gateway traffic${window}\n`);
    process.stdout.write(
      `${renderTable(['Route', 'Provider', 'Key', 'Requests', 'Errors', 'p50', 'p95', 'Tokens in', 'Tokens out', 'Cost'], table, { right: [3, 4, 5, 6, 7, 8, 9] })}\n`,
    );
    const plural = (count: number, word: string) => `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`;
    process.stdout.write(`${plural(total.requests, 'request')}, ${plural(total.errors, 'error')}, ${formatUsd(total.costUsd)}\n`);
    return ExitCode.ok;
  });
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: a duration back from now (`30m`, `1h`, `7d`) or a date (`2026-12-01`, ISO 8601). */
export function parseSince(value: string, now = Date.now()): Date {
  const duration = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(value.trim());
  if (duration) return new Date(now - Number(duration[1]) * (UNITS[duration[2] as string] as number));
  const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`--since "${value}" is neither a duration (30m, 1h, 7d) nor a date (2026-12-01, 2026-12-01T09:00:00Z)`);
  }
  return date;
}
