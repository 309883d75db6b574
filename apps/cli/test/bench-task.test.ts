import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cleanEnv, runCli } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '..', '..', '..');

let work: string;
let env: NodeJS.ProcessEnv;

interface Group {
  name: string;
  passed: number;
  scored: number;
  accuracy: number | null;
}
interface StoredGroups {
  by: string;
  groups: Group[];
  categories?: Array<Group & { members: string[]; macro: { accuracy: number } }>;
  micro: Group;
  macro: { accuracy: number; groups: number };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-lab-bench-task-'));
  env = cleanEnv({ LLM_LAB_CACHE_DIR: join(work, 'cache') });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The run id the results table's "Details:" line names. */
function runIdOf(stdout: string): string {
  const id = /Details: llm-lab runs show (run-\S+)/.exec(stdout)?.[1];
  if (!id) throw new Error(`no run id in:\n${stdout}`);
  return id;
}

describe('llm-lab bench <task file>', () => {
  it('runs the example task file offline with the mock provider, and shows per-group results after the run and in runs show', async () => {
    const dataDir = join(work, 'db-capitals');
    const run = await runCli(
      ['bench', 'examples/task-file/capitals.yaml', '--config', 'examples/task-file/llm-lab.yaml', '--provider', 'mock:capitals', '--data-dir', dataDir, '--no-progress'],
      { cwd: ROOT, env },
    );
    expect(run.stderr).toMatch(/World capitals · data .*examples\/task-file\/capitals-test\.jsonl/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/World capitals, 2-shot · /);
    expect(run.stdout).toMatch(/mock:capitals by continent/);
    expect(run.stdout).toMatch(/Category +Groups +Passed +Scored +Micro \(95% CI\) +Macro \(95% CI\)/);
    const id = runIdOf(run.stdout);

    const shown = await runCli(['runs', 'show', id, '--data-dir', dataDir, '--json'], { cwd: ROOT, env });
    expect(shown.code).toBe(0);
    const { run: stored, results } = JSON.parse(shown.stdout) as {
      run: { summary: { groups: StoredGroups[]; providers: Array<{ accuracy: number }> } };
      results: Array<{ vars: { continent: string; few_shot: string; target: string }; passed: boolean; prompt: Array<{ content: string }> }>;
    };
    expect(results).toHaveLength(10);
    // Each prompt carries two solved exemplars of the train file, never a question of the test file.
    for (const result of results) {
      expect(result.prompt[0]?.content).toMatch(/^(Q: What is the capital of (Portugal|Egypt|Peru)\?\nA: (Lisbon|Cairo|Lima)\n\n){2}Q: What is the capital of /);
    }
    const [groups] = stored.summary.groups;
    // Recount from the stored results: each continent's passes, the micro and the macro average.
    const byContinent = new Map<string, { passed: number; scored: number }>();
    for (const result of results) {
      const tally = byContinent.get(result.vars.continent) ?? { passed: 0, scored: 0 };
      tally.scored++;
      if (result.passed) tally.passed++;
      byContinent.set(result.vars.continent, tally);
    }
    expect(groups?.groups.map(({ name, passed, scored }) => [name, passed, scored])).toEqual([...byContinent].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, tally]) => [name, tally.passed, tally.scored]));
    const passed = results.filter((result) => result.passed).length;
    expect(groups?.micro.accuracy).toBe(passed / 10);
    expect(groups?.micro.accuracy).toBe(stored.summary.providers[0]?.accuracy);
    const macro = [...byContinent.values()].reduce((sum, tally) => sum + tally.passed / tally.scored, 0) / byContinent.size;
    expect(groups?.macro.accuracy).toBeCloseTo(macro, 12);
    expect(groups?.micro.accuracy).not.toBeCloseTo(macro, 6);

    // The table after the run and the one `runs show` prints are the same text.
    const shownText = await runCli(['runs', 'show', id, '--data-dir', dataDir], { cwd: ROOT, env });
    const block = (text: string) => text.slice(text.indexOf('Per-group results'), text.indexOf('Micro average'));
    expect(block(shownText.stdout)).toContain('mock:capitals by continent');
    expect(block(shownText.stdout)).toBe(block(run.stdout));
    const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
    expect(shownText.stdout).toContain(`Micro average ${percent(passed / 10)} `);
    expect(shownText.stdout).toContain(`macro average ${percent(macro)} `);
  }, 180_000);

  it('refuses a task file with a mistyped key, naming the file, the key and the likely one, before any run', async () => {
    const file = join(work, 'typo.yaml');
    await writeFile(file, 'task: typo\ndataset:\n  path: rows.jsonl\ntemplate: "{{q}}"\ntarget: "{{a}}"\nfewshot:\n  cuont: 2\n');
    const run = await runCli(['bench', file, '--provider', 'mock:x', '--data-dir', join(work, 'db-typo')], { cwd: work, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}: fewshot: unknown key "cuont" (did you mean "count"?)`);
    expect(run.stderr).not.toMatch(/run run-/);
  }, 60_000);

  it('shows MMLU by subject and by its four categories', async () => {
    const folder = join(work, 'mmlu', 'test');
    await mkdir(folder, { recursive: true });
    const header = 'question,choice0,choice1,choice2,choice3,answer';
    await writeFile(join(folder, 'anatomy_test.csv'), [header, 'Which bone is in the arm?,Femur,Humerus,Tibia,Fibula,1', 'How many chambers has the heart?,Two,Three,Four,Five,2'].join('\n'));
    await writeFile(join(folder, 'philosophy_test.csv'), [header, 'Who wrote the Republic?,Plato,Kant,Hume,Locke,0'].join('\n'));
    await writeFile(join(folder, 'sociology_test.csv'), [header, 'Who wrote Suicide (1897)?,Weber,Marx,Durkheim,Comte,2'].join('\n'));
    // The mock answers each question's letter: every case passes.
    await writeFile(join(work, 'mmlu-providers.yaml'), 'providers:\n  - id: mock:letters\n    config: { mode: field, field: answer }\n');
    const run = await runCli(
      ['bench', 'mmlu', '--data', join(work, 'mmlu'), '--config', join(work, 'mmlu-providers.yaml'), '--provider', 'mock:letters', '--data-dir', join(work, 'db-mmlu'), '--no-progress'],
      { cwd: work, env },
    );
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/mock:letters by subject/);
    for (const subject of ['anatomy', 'philosophy', 'sociology']) expect(run.stdout).toMatch(new RegExp(`\\n${subject} +\\d+ +\\d+ +100\\.0%`));
    expect(run.stdout).toMatch(/\nstem +1 +2 +2 +100\.0% .*100\.0%/);
    expect(run.stdout).toMatch(/\nhumanities +1 +1 +1 +100\.0%/);
    expect(run.stdout).toMatch(/\nsocial_sciences +1 +1 +1 +100\.0%/);
    expect(run.stdout).not.toMatch(/\nother +\d/);
    expect(run.stdout).toMatch(/Micro average 100\.0% \[\d+\.\d+%, 100\.0%\] over 4 scored results \(Wilson\) · macro average 100\.0% .* over 3 groups/);
  }, 180_000);
});
