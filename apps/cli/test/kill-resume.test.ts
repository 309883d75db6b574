import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { runCli } from './helpers.js';

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
  expect(partial.run.status).toBe('running'); // nobody was left to mark it otherwise
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
}, 180_000);
