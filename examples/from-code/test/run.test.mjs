import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from '@jest/globals';

const script = fileURLToPath(new URL('../run.mjs', import.meta.url));

it('the README library example runs offline and reads its results back', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'llm-lab-example-'));
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.LLM_LAB_HOME;
  const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd, env });
  expect(stdout).toMatch(/^mock:strong: \d+\.\d% \[\d+\.\d%, \d+\.\d%\]$/m);
  expect(stdout).toMatch(/^mock:baseline: \d+\.\d% /m);
  expect(stdout).toMatch(/^run run-\S+ completed: 60 results, wrong: /m);
}, 120_000);
