import { once } from 'node:events';
import type { Lab, ResultFilter, ResultQuery, ResultRecord, RunResultCounts, RunView } from '@llm-lab/lab';
import { UsageError } from '../errors.js';
import { dim, formatCount, formatMs, printable, renderTable } from '../output/format.js';

// The results part of `llm-lab runs show`: a page of them (or every one, a page at a time), read
// from storage with a filtered, sorted, keyset-paged query; never the whole run in memory.

export interface ResultPageFlags {
  results?: boolean;
  failures?: boolean;
  limit?: number;
  offset?: number;
  cursor?: string;
  all?: boolean;
  sort?: 'case' | 'latency' | 'score';
  desc?: boolean;
  provider?: string;
  case?: string;
}

/** Results shown when no --limit is given. */
export const DEFAULT_RESULT_PAGE = 20;
/** Results read per query with --all (and for --json without a page). */
const STREAM_PAGE = 1_000;
const MAX_PAGE = 10_000;

type ListQuery = Omit<ResultQuery, 'cursor' | 'limit' | 'offset'>;

/**
 * The results `flags` ask for, undefined when none are (no --results, --failures or a filter).
 * Paging flags without anything to page are refused, as are a cursor with an offset.
 */
export function resultQueryOf(runId: string, flags: ResultPageFlags & { json?: boolean }): ListQuery | undefined {
  const filter: ResultFilter = {
    ...(flags.failures ? { outcome: ['failed', 'errored'] as const } : {}),
    ...(flags.provider !== undefined ? { providerId: flags.provider } : {}),
    ...(flags.case !== undefined ? { caseId: flags.case } : {}),
  };
  const listing = flags.results || flags.failures || flags.provider !== undefined || flags.case !== undefined;
  const paging = ['limit', 'offset', 'cursor', 'all', 'sort', 'desc'].filter((name) => flags[name as keyof ResultPageFlags] !== undefined);
  if (!listing && !flags.json) {
    if (paging.length > 0) {
      throw new UsageError(`--${paging[0]} pages the listed results: add --results (every result) or --failures (failed and errored ones).`);
    }
    return undefined;
  }
  if (flags.cursor !== undefined && flags.offset !== undefined) {
    throw new UsageError('Give --cursor or --offset, not both: a cursor already says where the page starts.');
  }
  if (flags.limit !== undefined && flags.limit > MAX_PAGE) {
    throw new UsageError(`--limit must be at most ${MAX_PAGE.toLocaleString('en-US')}; use --all to list every result a page at a time.`);
  }
  if (flags.desc && flags.sort === undefined) throw new UsageError('--desc reverses an order: give it with --sort case, latency or score.');
  return {
    runId,
    ...(Object.keys(filter).length > 0 ? { filter } : {}),
    ...(flags.sort !== undefined ? { sort: { by: flags.sort, order: flags.desc ? 'desc' : 'asc' } } : {}),
  };
}

/** Thrown to stop a listing whose reader has gone (`runs show --all | head`). */
class OutputClosed extends Error {}
let outputClosed = false;
let watching = false;

/**
 * Writes to stdout, waiting while its buffer is full, so a long listing does not pile up in
 * memory. When the reader goes away (a closed pipe), the listing stops quietly.
 */
async function write(text: string): Promise<void> {
  if (!watching) {
    watching = true;
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      outputClosed = true;
      process.stdout.emit('drain');
    });
  }
  if (outputClosed) throw new OutputClosed();
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  if (outputClosed) throw new OutputClosed();
}

/** Runs a listing; a reader that went away ends it without an error. */
async function untilClosed(listing: () => Promise<void>): Promise<void> {
  try {
    await listing();
  } catch (error) {
    if (!(error instanceof OutputClosed)) throw error;
  }
}

/** A table cell of user data (a case id, an answer, an error quoting them): one line, escaped, cut to `width`. */
function clip(text: string | null, width: number): string {
  if (text === null) return '';
  return printable(text.replace(/[ \t\n]+/g, ' ').trim(), { max: width, oneLine: true });
}

function failureReason(result: ResultRecord): string {
  const failed = result.scores.find((score) => !score.passed);
  return failed?.reason ? `${failed.name}: ${failed.reason}` : (result.output ?? '');
}

/**
 * Renders results as table rows. `fallbacks`: per provider label, the answerers that were
 * fallbacks; when a fallback answered any result of the run (its summary says so), a column
 * says who answered each. Column widths are fixed by the cells' caps, so that the tables of
 * successive pages line up.
 */
function resultTable(
  results: readonly ResultRecord[],
  fallbacks: ReadonlyMap<string, ReadonlySet<string>>,
  { header, fixed }: { header: boolean; fixed: boolean },
): string {
  const answeredBy = fallbacks.size > 0;
  const isFallback = (result: ResultRecord) => result.answeredBy != null && fallbacks.get(result.providerId)?.has(result.answeredBy) === true;
  const table = renderTable(
    ['Case', 'Provider', ...(answeredBy ? ['Answered by'] : []), 'Repeat', 'Verdict', 'Output / error', 'Latency'],
    results.map((result) => [
      clip(result.caseId, 24),
      clip(result.providerId, 40),
      ...(answeredBy ? [result.errorKind ? '' : clip(`${result.answeredBy || result.providerId}${isFallback(result) ? ' (fallback)' : ''}`, 40)] : []),
      String(result.repeat),
      result.errorKind ? `error (${result.errorKind})` : result.passed ? 'pass' : 'fail',
      clip(result.errorMessage ?? (result.passed === false ? failureReason(result) : result.output), 70),
      formatMs(result.latencyMs),
    ]),
    { right: answeredBy ? [3, 6] : [2, 5], ...(fixed ? { minWidths: answeredBy ? [24, 40, 40, 6, 18, 70, 8] : [24, 40, 6, 18, 70, 8] } : {}) },
  );
  return header ? table : table.split('\n').slice(2).join('\n');
}

/** How many results the query matches: from the run's counts when it filters by outcome alone, else counted in SQL. */
async function matching(lab: Lab, counts: RunResultCounts, query: ListQuery): Promise<number> {
  const filter = query.filter ?? {};
  if (filter.providerId === undefined && filter.caseId === undefined) {
    return filter.outcome === undefined ? counts.results : counts.failed + counts.errors;
  }
  return lab.countResults(query.runId, filter);
}

/** Prints the results `query` selects: a page (with how many more there are and how to see them), or every one with --all. */
export function showResults(...args: Parameters<typeof listResultsAsText>): Promise<void> {
  return untilClosed(() => listResultsAsText(...args));
}

async function listResultsAsText(
  lab: Lab,
  counts: RunResultCounts,
  query: ListQuery,
  flags: ResultPageFlags,
  fallbacks: ReadonlyMap<string, ReadonlySet<string>>,
  colour: boolean,
): Promise<void> {
  const what = query.filter?.outcome ? 'failed or errored results' : 'results';
  if (flags.all) {
    // Fixed column widths: every page's rows line up under the first page's header.
    let shown = 0;
    let page: ResultRecord[] = [];
    const emit = async () => {
      if (page.length === 0) return;
      const first = shown === page.length;
      await write(`${first ? '\n' : ''}${resultTable(page, fallbacks, { header: first, fixed: true })}\n`);
      page = [];
    };
    for await (const result of lab.eachResult({ ...query, ...(flags.offset !== undefined ? { offset: flags.offset } : {}) }, STREAM_PAGE)) {
      page.push(result);
      shown += 1;
      if (page.length === STREAM_PAGE) await emit();
    }
    await emit();
    await write(`${shown === 0 ? `\nNo ${what}.` : `${formatCount(shown)} ${what}.`}\n`);
    return;
  }
  const limit = flags.limit ?? DEFAULT_RESULT_PAGE;
  const offset = flags.offset ?? 0;
  const [page, total] = await Promise.all([
    lab.listResults({ ...query, limit, ...(flags.offset !== undefined ? { offset } : {}), ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}) }),
    matching(lab, counts, query),
  ]);
  if (page.results.length === 0) {
    await write(`\n${flags.cursor !== undefined || offset > 0 ? `No more ${what}` : `No ${what}`} (${formatCount(total)} in all).\n`);
    return;
  }
  const lines = ['', resultTable(page.results, fallbacks, { header: true, fixed: false })];
  const range =
    flags.cursor !== undefined
      ? `${formatCount(page.results.length)} of ${formatCount(total)} ${what}, after the cursor.`
      : `${formatCount(offset + 1)}–${formatCount(offset + page.results.length)} of ${formatCount(total)} ${what}.`;
  lines.push(range);
  if (page.nextCursor !== null) {
    const rest = flags.cursor !== undefined ? undefined : total - offset - page.results.length;
    lines.push(
      dim(
        `${rest !== undefined ? `${formatCount(rest)} more: ` : 'More: '}next page with --cursor ${page.nextCursor}` +
          `${flags.limit !== undefined ? ` --limit ${flags.limit}` : ''}, every one with --all.`,
        colour,
      ),
    );
  }
  await write(`${lines.join('\n')}\n`);
}

/**
 * `runs show --json`: the run, its counts, and its results. With --limit, --offset or --cursor,
 * one page and the cursor of the next; otherwise every result (or every failure), written one
 * at a time as they are read, a page at a time, so memory stays flat whatever the run's size.
 */
export function streamJson(...args: Parameters<typeof listResultsAsJson>): Promise<void> {
  return untilClosed(() => listResultsAsJson(...args));
}

async function listResultsAsJson(
  lab: Lab,
  head: { run: RunView; counts: RunResultCounts },
  query: ListQuery | undefined,
  flags: ResultPageFlags,
): Promise<void> {
  const selected: ListQuery = query ?? { runId: head.run.id };
  const opening = JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "results": [');
  const paged = !flags.all && (flags.limit !== undefined || flags.offset !== undefined || flags.cursor !== undefined);
  if (paged) {
    const page = await lab.listResults({
      ...selected,
      limit: flags.limit ?? DEFAULT_RESULT_PAGE,
      ...(flags.offset !== undefined ? { offset: flags.offset } : {}),
      ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
    });
    await write(`${JSON.stringify({ ...head, results: page.results, nextCursor: page.nextCursor }, null, 2)}\n`);
    return;
  }
  await write(opening);
  let first = true;
  for await (const result of lab.eachResult({ ...selected, ...(flags.offset !== undefined ? { offset: flags.offset } : {}) }, STREAM_PAGE)) {
    await write(`${first ? '\n' : ',\n'}    ${JSON.stringify(result)}`);
    first = false;
  }
  await write(`${first ? '' : '\n  '}],\n  "nextCursor": null\n}\n`);
}
