import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { runCli } from './helpers.js';

// A run's flags are recorded with it: the "Resume with:" command it prints, which does not repeat
// them, finishes exactly the work the run was started with.
it('a --repeat 2 run stopped by Ctrl-C is finished by the printed resume command, every (case, repeat) once', async () => {
  const work = await mkdtemp(join(tmpdir(), 'llm-lab-resume-flags-'));
  const dataDir = join(work, 'db');
  const rows = Array.from({ length: 10 }, (_, i) => JSON.stringify({ id: `case-${i}`, q: `question ${i}` }));
  await writeFile(join(work, 'cases.jsonl'), `${rows.join('\n')}\n`);
  const config = join(work, 'llm-lab.yaml');
  await writeFile(
    config,
    'providers: [{ id: "mock:slow", config: { latencyMs: 150 } }]\nprompts: ["{{q}}"]\n' +
      'dataset: { path: cases.jsonl, idField: id }\nevaluators: [{ type: contains, value: "question" }]\nrun: { concurrency: 2 }\n',
  );

  // Ctrl-C goes at 4 of 20; the 16 calls left (150 ms each, two at a time) give a busy machine over a second to deliver it.
  let sent = false;
  const stopped = await runCli(['run', config, '--repeat', '2', '--data-dir', dataDir], {
    onStderr: (text, child) => {
      const done = [...text.matchAll(/progress\s+\d+% (\d+)\/20/g)].map((match) => Number(match[1]));
      if (!sent && done.some((count) => count >= 4)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  expect(stopped.code).toBe(130);
  const runId = /--resume (run-\S+)/.exec(stopped.stdout)?.[1] as string;
  // The config and the storage are enough: --repeat was recorded with the run.
  expect(stopped.stdout).toContain(`Resume with: llm-lab run ${config} --resume ${runId} --data-dir ${dataDir}`);
  const shown = await runCli(['runs', 'show', runId, '--data-dir', dataDir]);
  expect(shown.stdout).toContain('options repeat 2 · every case');
  expect(shown.stdout).toContain(`Finish it with: llm-lab run ${config} --resume ${runId} --data-dir ${dataDir}`);

  // A --repeat that would change which results make up the run is refused, naming both values.
  const refused = await runCli(['run', config, '--resume', runId, '--repeat', '3', '--data-dir', dataDir]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`Cannot resume ${runId} with --repeat 3 (the run has --repeat 2)`);
  expect(refused.stderr).toContain('start a new run (without --resume)');

  const hint = /Resume with: (.+)$/m.exec(stopped.stdout)?.[1] as string;
  const resumed = await runCli([...hint.split(' ').slice(1), '--json']);
  expect(resumed.stderr).not.toMatch(/^error/m);
  expect(resumed.code).toBe(0);
  const report = JSON.parse(resumed.stdout) as { totals: { results: number }; providers: Array<{ repeats: { repeats: number } | null }> };
  expect(report.totals.results).toBe(20);
  expect(report.providers[0]?.repeats?.repeats).toBe(2);

  const final = JSON.parse((await runCli(['runs', 'show', runId, '--json', '--data-dir', dataDir])).stdout) as {
    run: { status: string };
    results: Array<{ caseId: string; repeat: number }>;
  };
  expect(final.run.status).toBe('completed');
  const keys = final.results.map((result) => `${result.caseId}#${result.repeat}`);
  expect(keys).toHaveLength(20);
  expect(new Set(keys)).toEqual(new Set(Array.from({ length: 10 }, (_, i) => [`case-${i}#0`, `case-${i}#1`]).flat()));
});

it("prints hints that find a run stored in the config's storage.dataDir, which runs show reads no config to know", async () => {
  const work = await mkdtemp(join(tmpdir(), 'llm-lab-config-datadir-'));
  await writeFile(
    join(work, 'llm-lab.yaml'),
    'providers: [mock:echo]\nprompts: ["{{q}}"]\ndataset: { rows: [{ id: one, q: "question one" }] }\n' +
      'evaluators: [{ type: contains, value: "question" }]\nstorage: { dataDir: kept/db }\n',
  );
  const run = await runCli(['run', 'llm-lab.yaml', '--no-progress'], { cwd: work });
  expect(run.code).toBe(0);
  const details = /Details: llm-lab (runs show \S+ --data-dir kept\/db)$/m.exec(run.stdout)?.[1];
  expect(details).toBeDefined();
  const shown = await runCli((details as string).split(' '), { cwd: work });
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain('mock:echo');
  // Without the flag, the default folder holds no such run.
  expect((await runCli(['runs', 'list', '--json'], { cwd: work })).stdout.trim()).toBe('[]');
});
