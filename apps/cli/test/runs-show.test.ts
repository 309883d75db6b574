import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { QUICKSTART, cleanEnv, runCli } from './helpers.js';

// `runs show` pages a run's results from storage instead of reading them all, and every command
// finds the project's one store from any folder inside it.

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-lab-runs-show-'));
});

const rowsOf = (stdout: string) => stdout.split('\n').filter((line) => /^q\d\d\s+mock:echo\s/.test(line));

describe('llm-lab runs show: results a page at a time', () => {
  let runId: string;
  const db = () => ['--data-dir', join(work, 'paged-db')];

  beforeAll(async () => {
    // 45 cases, every one failing: more than a page.
    const rows = Array.from({ length: 45 }, (_, index) => `{ id: q${String(index).padStart(2, '0')}, question: "say ${index}" }`);
    const config = join(work, 'paged.yaml');
    await writeFile(
      config,
      `providers: [mock:echo]\nprompts: ["{{question}}"]\ndataset: { idField: id, rows: [${rows.join(', ')}] }\nevaluators: [{ type: equals, value: "never" }]\n`,
    );
    const ran = await runCli(['run', config, '--json', ...db()], { cwd: work });
    runId = (JSON.parse(ran.stdout) as { runId: string }).runId;
    expect(runId).toMatch(/^run-/);
  }, 120_000);

  it('shows the first 20 failures with how many more there are and the cursor of the next page', async () => {
    const first = await runCli(['runs', 'show', runId, '--failures', ...db()]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('45 results stored.');
    expect(rowsOf(first.stdout).map((line) => line.slice(0, 3))).toEqual(Array.from({ length: 20 }, (_, i) => `q${String(i).padStart(2, '0')}`));
    expect(first.stdout).toContain('1–20 of 45 failed or errored results.');
    const cursor = /25 more: next page with --cursor (\S+), every one with --all\./.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();

    const second = await runCli(['runs', 'show', runId, '--failures', '--cursor', cursor as string, ...db()]);
    expect(rowsOf(second.stdout).map((line) => line.slice(0, 3))).toEqual(Array.from({ length: 20 }, (_, i) => `q${20 + i}`));
    expect(second.stdout).toContain('20 of 45 failed or errored results, after the cursor.');

    const last = await runCli(['runs', 'show', runId, '--results', '--offset', '40', '--limit', '10', ...db()]);
    expect(rowsOf(last.stdout)).toHaveLength(5);
    expect(last.stdout).toContain('41–45 of 45 results.');
    expect(last.stdout).not.toContain('--cursor');
  }, 120_000);

  it('lists every failure with --all, and pages JSON by cursor', async () => {
    const all = await runCli(['runs', 'show', runId, '--failures', '--all', ...db()]);
    expect(all.code).toBe(0);
    expect(rowsOf(all.stdout)).toHaveLength(45);
    expect(all.stdout).toContain('45 failed or errored results.');

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await runCli(['runs', 'show', runId, '--json', '--failures', '--limit', '16', ...(cursor ? ['--cursor', cursor] : []), ...db()]);
      const parsed = JSON.parse(page.stdout) as { counts: { results: number; failed: number }; results: Array<{ caseId: string }>; nextCursor: string | null };
      expect(parsed.counts).toMatchObject({ results: 45, failed: 45 });
      seen.push(...parsed.results.map((result) => result.caseId));
      cursor = parsed.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => `q${String(i).padStart(2, '0')}`));

    // Without a page, --json streams every result.
    const every = JSON.parse((await runCli(['runs', 'show', runId, '--json', '--sort', 'case', '--desc', ...db()])).stdout) as { results: Array<{ caseId: string }> };
    expect(every.results.map((result) => result.caseId)).toEqual([...seen].reverse());
  }, 120_000);

  it('refuses paging flags that do not go together, and a cursor it did not give out', async () => {
    const alone = await runCli(['runs', 'show', runId, '--limit', '5', ...db()]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--limit pages the listed results: add --results (every result) or --failures');
    const both = await runCli(['runs', 'show', runId, '--results', '--offset', '5', '--cursor', 'abc', ...db()]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('Give --cursor or --offset, not both');
    const garbage = await runCli(['runs', 'show', runId, '--results', '--cursor', 'not-a-cursor', ...db()]);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/result cursor "not-a-cursor" is not one this storage gave out; start again without a cursor/);
  }, 120_000);
});

describe('where runs are stored', () => {
  it("finds the project's .llm-lab from a subfolder: a run started in examples/from-code shows in the root's runs list", async () => {
    const project = join(work, 'project');
    const example = join(project, 'examples', 'from-code');
    await mkdir(example, { recursive: true });
    await writeFile(join(project, 'package.json'), '{ "name": "project", "private": true }\n');
    await writeFile(join(project, 'pnpm-workspace.yaml'), 'packages:\n  - examples/*\n');
    await writeFile(join(example, 'package.json'), '{ "name": "from-code", "private": true }\n');

    const ran = await runCli(['run', QUICKSTART, '--limit', '2', '--json'], { cwd: example });
    expect(ran.code).toBe(0);
    const { runId } = JSON.parse(ran.stdout) as { runId: string };
    expect(existsSync(join(project, '.llm-lab', 'db', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(example, '.llm-lab'))).toBe(false);

    const listed = JSON.parse((await runCli(['runs', 'list', '--json'], { cwd: project })).stdout) as Array<{ id: string }>;
    expect(listed.map((run) => run.id)).toContain(runId);
    // LLM_LAB_HOME points every command elsewhere.
    const elsewhere = join(work, 'elsewhere');
    const env = cleanEnv({ LLM_LAB_HOME: elsewhere });
    const fromHome = JSON.parse((await runCli(['runs', 'list', '--json'], { cwd: project, env })).stdout) as unknown[];
    expect(fromHome).toEqual([]);
    expect(existsSync(join(elsewhere, 'db', 'PG_VERSION'))).toBe(true);
  }, 180_000);
});
