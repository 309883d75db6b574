import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { runCli } from './helpers.js';

jest.setTimeout(180_000);

let openai: FakeOpenAIServer;
beforeAll(async () => {
  // Batches stay in progress until the test lets them end.
  openai = await startFakeOpenAIServer({ batch: { validatingMs: 0, processingMs: 3_600_000 } });
});
afterAll(() => openai?.close());

// `llm-lab run --batch` killed outright (kill -9: no handler runs) while its OpenAI batch is in
// progress: the batch was recorded before the first status line was shown, so `--resume` attaches
// to it, and the fake Batch API sees exactly one upload and one batch for the run.
it('kill -9 while the vendor batch runs, then --resume, reads that batch and submits nothing again', async () => {
  const work = await mkdtemp(join(tmpdir(), 'llm-lab-batch-kill-'));
  const dataDir = join(work, 'db');
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
  const config = join(work, 'llm-lab.yaml');
  await writeFile(
    config,
    [
      'providers:',
      `  - { id: "openai:gpt-4o-mini", config: { baseURL: "${openai.url}", apiKey: sk-test-batch-cli-000000000000, maxRetries: 0, batch: { pollIntervalMs: 10, maxPollIntervalMs: 40 } } }`,
      'prompts: ["Repeat: {{word}}"]',
      `dataset: { rows: [${words.map((word) => `{ word: ${word} }`).join(', ')}] }`,
      'evaluators: [{ type: contains, value: "{{word}}" }]',
      '',
    ].join('\n'),
  );

  let killed = false;
  const first = await runCli(['run', config, '--batch', '--data-dir', dataDir], {
    onStderr: (text, child) => {
      if (!killed && /batch openai:gpt-4o-mini batch_\S+: in_progress/.test(text)) {
        killed = true;
        child.kill('SIGKILL');
      }
    },
  });
  expect(killed).toBe(true);
  expect(first.signal).toBe('SIGKILL');
  const runId = /run (run-\S+) ·/.exec(first.stderr)?.[1];
  expect(runId).toBeDefined();
  expect(openai.batches).toHaveLength(1);

  // The job ends at OpenAI while nothing waits for it.
  openai.setBatchProcessingMs(0);
  const resumed = await runCli(['run', config, '--resume', runId as string, '--json', '--data-dir', dataDir]);
  expect(resumed.stderr).not.toMatch(/^error/m);
  expect(resumed.code).toBe(0);
  const report = JSON.parse(resumed.stdout) as { totals: { results: number; passed: number } };
  expect(report.totals).toMatchObject({ results: words.length, passed: words.length });
  expect(openai.batches).toHaveLength(1);
  expect(openai.requests.filter((request) => request.method === 'POST' && request.path === '/v1/files')).toHaveLength(1);
  expect(openai.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(0);
});
