import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { cleanEnv, dropSchema, runCli } from './helpers.js';

// The promise of resume: after the process is killed outright (kill -9: no handler runs, nothing
// is flushed on the way out), `--resume` finishes the run with every case exactly once.
it('kill -9 during a 5,000-case run, then --resume, gives exactly 5,000 results', async () => {
  const work = await mkdtemp(join(tmpdir(), 'llm-lab-kill-'));
  const dataDir = join(work, 'db');
  const rows = Array.from({ length: 5_000 }, (_, i) => JSON.stringify({ id: `case-${i}`, q: `question ${i}`, a: `question ${i}` }));
  await writeFile(join(work, 'cases.jsonl'), `${rows.join('\n')}\n`);
  const config = join(work, 'llm-lab.yaml');
  await writeFile(
    config,
    'providers: [{ id: "mock:steady", config: { latencyMs: 2 } }]\nprompts: ["{{q}}"]\n' +
      'dataset: { path: cases.jsonl, idField: id }\nevaluators: [{ type: equals, value: "{{a}}" }]\nrun: { concurrency: 16 }\n',
  );

  let killed = false;
  const first = await runCli(['run', config, '--data-dir', dataDir], {
    onStderr: (text, child) => {
      const done = [...text.matchAll(/progress\s+\d+% (\d+)\/5000/g)].map((match) => Number(match[1]));
      if (!killed && done.some((count) => count >= 1_000)) {
        killed = true;
        child.kill('SIGKILL');
      }
    },
  });
  expect(killed).toBe(true);
  expect(first.signal).toBe('SIGKILL');
  const runId = /run (run-\S+) ·/.exec(first.stderr)?.[1];
  expect(runId).toBeDefined();

  const partial = JSON.parse((await runCli(['runs', 'show', runId as string, '--json', '--data-dir', dataDir])).stdout) as {
    run: { status: string };
    results: unknown[];
  };
  // Stored as running (nobody was left to mark it otherwise), shown as interrupted, in JSON as in text.
  expect(partial.run.status).toBe('interrupted');
  expect(partial.results.length).toBeLessThan(5_000);
  // People are told what happened and how to finish it.
  const listed = await runCli(['runs', 'list', '--data-dir', dataDir]);
  expect(listed.stdout).toMatch(new RegExp(`${runId}\\s+interrupted`));
  const shown = await runCli(['runs', 'show', runId as string, '--data-dir', dataDir]);
  expect(shown.stdout).toContain(`Finish it with: llm-lab run ${config} --resume ${runId}`);

  const resumed = await runCli(['run', config, '--resume', runId as string, '--json', '--data-dir', dataDir]);
  expect(resumed.stderr).not.toMatch(/^error/m);
  expect(resumed.code).toBe(0);
  const report = JSON.parse(resumed.stdout) as { totals: { results: number; passed: number } };
  expect(report.totals).toMatchObject({ results: 5_000, passed: 5_000 });

  const final = JSON.parse((await runCli(['runs', 'show', runId as string, '--json', '--data-dir', dataDir])).stdout) as {
    run: { status: string };
    results: Array<{ caseId: string }>;
  };
  expect(final.run.status).toBe('completed');
  expect(final.results).toHaveLength(5_000);
  expect(new Set(final.results.map((result) => result.caseId)).size).toBe(5_000);
});

// Nothing of a run is shown before its row is stored: killed the moment its first progress line
// appears, on a new data folder (whose database is still being created while the first calls
// go out), the run is there to resume.
it('kill -9 at the first progress line of a run on a new data folder leaves a run that --resume finishes', async () => {
  const work = await mkdtemp(join(tmpdir(), 'llm-lab-kill-early-'));
  const dataDir = join(work, 'new-db');
  const rows = Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ id: `case-${i}`, q: `question ${i}` }));
  await writeFile(join(work, 'cases.jsonl'), `${rows.join('\n')}\n`);
  const config = join(work, 'llm-lab.yaml');
  await writeFile(
    config,
    'providers: [{ id: "mock:steady", config: { latencyMs: 5 } }]\nprompts: ["{{q}}"]\n' +
      'dataset: { path: cases.jsonl, idField: id }\nevaluators: [{ type: equals, value: "{{q}}" }]\nrun: { concurrency: 8 }\n',
  );

  let killed = false;
  const first = await runCli(['run', config, '--data-dir', dataDir], {
    onStderr: (text, child) => {
      if (!killed && /^progress /m.test(text)) {
        killed = true;
        child.kill('SIGKILL');
      }
    },
  });
  expect(first.signal).toBe('SIGKILL');
  const runId = /run (run-\S+) ·/.exec(first.stderr)?.[1] as string;
  expect(runId).toBeDefined();

  const shown = await runCli(['runs', 'show', runId, '--json', '--data-dir', dataDir]);
  expect(shown.stderr).toBe('');
  expect((JSON.parse(shown.stdout) as { run: { status: string } }).run.status).toBe('interrupted');
  const resumed = await runCli(['run', config, '--resume', runId, '--json', '--data-dir', dataDir]);
  expect(resumed.code).toBe(0);
  expect((JSON.parse(resumed.stdout) as { totals: { results: number; passed: number } }).totals).toMatchObject({ results: 2_000, passed: 2_000 });
}, 120_000);

// On a PostgreSQL server several processes share the database, so "still marked running" is not
// enough to call a run interrupted: the running process holds its run, and the server lets go of
// that hold when the process dies.
it('on PostgreSQL: running while its process lives, interrupted once it is killed, then resumed', async () => {
  const work = await mkdtemp(join(tmpdir(), 'llm-lab-kill-pg-'));
  const schema = `cli_kill_${process.pid}_${Date.now().toString(36)}`;
  const env = cleanEnv({ DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', LLM_LAB_DB_SCHEMA: schema });
  const rows = Array.from({ length: 400 }, (_, i) => JSON.stringify({ id: `case-${i}`, q: `question ${i}`, a: `question ${i}` }));
  await writeFile(join(work, 'cases.jsonl'), `${rows.join('\n')}\n`);
  const config = join(work, 'llm-lab.yaml');
  await writeFile(
    config,
    'providers: [{ id: "mock:steady", config: { latencyMs: 60 } }]\nprompts: ["{{q}}"]\n' +
      'dataset: { path: cases.jsonl, idField: id }\nevaluators: [{ type: equals, value: "{{a}}" }]\nrun: { concurrency: 2 }\n',
  );
  // The first run must still be going while two more processes start, list and try to resume it:
  // at 60 ms a call, two at a time, ~10 s are left when they start, even on a busy machine.
  try {
    let whileRunning: Promise<string> | undefined;
    let secondResume: Promise<{ code: number | null; stderr: string }> | undefined;
    let killed = false;
    const first = await runCli(['run', config, '--no-cache'], {
      env,
      cwd: work,
      onStderr: (text, child) => {
        const done = [...text.matchAll(/progress\s+\d+% (\d+)\/400/g)].map((match) => Number(match[1]));
        if (!whileRunning && done.some((count) => count >= 20)) {
          const runId = /run (run-\S+) ·/.exec(text)?.[1] as string;
          // Another process, while the run goes on: it is listed as running, and cannot be resumed.
          secondResume = runCli(['run', config, '--resume', runId, '--no-cache'], { env, cwd: work });
          whileRunning = Promise.all([runCli(['runs', 'list'], { env }), secondResume]).then(([listed]) => {
            child.kill('SIGKILL');
            killed = true;
            return listed.stdout;
          });
        }
      },
    });
    expect(first.signal).toBe('SIGKILL');
    expect(killed).toBe(true);
    const runId = /run (run-\S+) ·/.exec(first.stderr)?.[1] as string;
    expect(await whileRunning).toMatch(new RegExp(`${runId}\\s+running`));
    const refused = await secondResume;
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toContain(`run ${runId} is being run by another process right now`);

    const listed = await runCli(['runs', 'list'], { env });
    expect(listed.stdout).toMatch(new RegExp(`${runId}\\s+interrupted`));
    const shown = await runCli(['runs', 'show', runId], { env });
    expect(shown.stdout).toContain(`Finish it with: llm-lab run ${config} --resume ${runId}`);

    const resumed = await runCli(['run', config, '--resume', runId, '--json', '--no-cache', '--concurrency', '32'], { env, cwd: work });
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.stdout) as { totals: { results: number } }).totals.results).toBe(400);
    expect((await runCli(['runs', 'list'], { env })).stdout).toMatch(new RegExp(`${runId}\\s+completed`));
  } finally {
    await dropSchema(env.DATABASE_URL as string, schema);
  }
});
