/**
 * `llm-lab audit list` and `llm-lab audit verify`, and `recordAudit`, which the commands that
 * run, compare, export, report or manage gateway keys call once their work is done.
 */
import type { AuditRecord, Storage } from '@llm-lab/storage';
import { ExitCode } from '../errors.js';
import { bold, dim, formatUsd, green, printable, red, renderTable, useColour, yellow } from '../output/format.js';
import { parseSince } from './gateway-keys.js';
import { openLab, type StorageFlags } from './shared.js';

/** Entries read per page while verifying or listing (memory stays at one page). */
const PAGE = 1_000;

/**
 * Appends an entry for what this command did (the CLI user, this host and process). Also sets
 * the process-wide `audit.record` hook to this log, so a secret read later in the same command
 * is recorded too. A failure to append is said on standard error; the command's work stands.
 */
export async function recordAudit(storage: Storage, event: { action: string; target?: string | null; costUsd?: number | null; details?: Record<string, unknown> }): Promise<void> {
  try {
    const { createAuditLog, setAuditLog } = await import('@llm-lab/security');
    const log = createAuditLog(storage);
    await setAuditLog(log);
    await log.record(event);
  } catch (error) {
    process.stderr.write(`${yellow('warning', useColour(process.stderr))} could not add "${event.action}" to the audit log: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

export interface AuditListFlags extends StorageFlags {
  since?: string;
  json?: boolean;
  limit?: number;
}

/** Every entry in chain order, a page at a time. */
async function* eachEntry(storage: Storage, since?: Date): AsyncGenerator<AuditRecord[]> {
  let afterSeq: number | undefined;
  for (;;) {
    const page = await storage.listAudit({ ...(since ? { since } : {}), ...(afterSeq !== undefined ? { afterSeq } : {}), limit: PAGE });
    if (page.length === 0) return;
    yield page;
    afterSeq = (page[page.length - 1] as AuditRecord).seq;
    if (page.length < PAGE) return;
  }
}

/** `llm-lab audit list [--since 24h] [--json]`: entries, oldest first (the newest `--limit`, default 50, in text). */
export async function auditListCommand(flags: AuditListFlags): Promise<number> {
  const since = flags.since === undefined ? undefined : parseSince(flags.since);
  const lab = await openLab(flags);
  try {
    const storage = await lab.openStorage();
    if (flags.json) {
      // One JSON array, written a page at a time.
      process.stdout.write('[');
      let first = true;
      for await (const page of eachEntry(storage, since)) {
        for (const entry of page) {
          process.stdout.write(`${first ? '\n' : ',\n'}  ${JSON.stringify(entry)}`);
          first = false;
        }
      }
      process.stdout.write(first ? ']\n' : '\n]\n');
      return ExitCode.ok;
    }
    const limit = flags.limit ?? 50;
    const kept: AuditRecord[] = [];
    let total = 0;
    for await (const page of eachEntry(storage, since)) {
      total += page.length;
      kept.push(...page);
      if (kept.length > limit) kept.splice(0, kept.length - limit);
    }
    if (total === 0) {
      process.stdout.write(`No audit entries${since ? ` since ${since.toISOString()}` : ''}.\n`);
      return ExitCode.ok;
    }
    const rows = kept.map((entry) => [
      String(entry.seq),
      entry.at.toISOString().replace('T', ' ').slice(0, 19),
      printable(`${entry.actorKind}:${entry.actor}`, { max: 40, oneLine: true }),
      printable(entry.action, { max: 24, oneLine: true }),
      printable(entry.target ?? '-', { max: 40, oneLine: true }),
      printable([entry.host, entry.pid === null ? null : `pid ${entry.pid}`, entry.ip].filter((part) => part !== null).join(' '), { max: 40, oneLine: true }),
      entry.costUsd === null ? '-' : formatUsd(entry.costUsd),
    ]);
    process.stdout.write(`${renderTable(['#', 'When (UTC)', 'Who', 'Did', 'To', 'From', 'Cost'], rows, { right: [0, 6] })}\n`);
    if (total > kept.length) process.stdout.write(dim(`the newest ${kept.length} of ${total} entries; see --limit, --since or --json\n`, useColour(process.stdout)));
    return ExitCode.ok;
  } finally {
    await lab.close();
  }
}

/** `llm-lab audit verify`: walks the whole chain; exit 1 naming each modified or missing entry. */
export async function auditVerifyCommand(flags: StorageFlags & { json?: boolean }): Promise<number> {
  const { createAuditVerifier } = await import('@llm-lab/security');
  const lab = await openLab(flags);
  try {
    const storage = await lab.openStorage();
    const verifier = createAuditVerifier();
    for await (const page of eachEntry(storage)) verifier.check(page);
    const result = verifier.result();
    if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (result.ok) {
      process.stdout.write(`${green('ok', useColour(process.stdout))}: the audit log's ${result.checked} entries form one unbroken chain (last entry ${result.lastSeq}).\n`);
    } else {
      const colour = useColour(process.stdout);
      for (const problem of result.problems) process.stdout.write(`${red(problem.kind, colour)} ${problem.message}\n`);
      process.stdout.write(`${bold('the audit log was tampered with', colour)}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${result.checked} entries.\n`);
    }
    return result.ok ? ExitCode.ok : ExitCode.failed;
  } finally {
    await lab.close();
  }
}
