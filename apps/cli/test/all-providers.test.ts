import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  startFakeAnthropicServer,
  startFakeAzureOpenAIServer,
  startFakeGeminiServer,
  startFakeOllamaServer,
  startFakeOpenAIServer,
  type FakeServerControl,
} from '@llm-lab/provider-testkit';
import { cleanEnv, DURATION, runCli } from './helpers.js';

// Issue: one config benchmarks every provider family side by side. The vendors are the testkit's
// wire-faithful fake servers (driven through each vendor's official SDK); gguf is real inference
// on the tiny model in ../shared/models, which a user's clone does not have.
const sharedModel = resolve(fileURLToPath(new URL('../../../../shared/models/stories260K.gguf', import.meta.url)));
const haveModel = existsSync(sharedModel);
if (!haveModel) console.warn(`skipping the gguf provider: ${sharedModel} is missing (it lives in ../shared beside the repository)`);

const answer = 'Paris';
const servers: FakeServerControl[] = [];
let work: string;
let config: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-lab-all-'));
  const openai = await startFakeOpenAIServer({ responder: () => answer });
  const compatible = await startFakeOpenAIServer({ responder: () => answer });
  const anthropic = await startFakeAnthropicServer({ responder: () => answer });
  const google = await startFakeGeminiServer({ responder: () => answer });
  const azure = await startFakeAzureOpenAIServer({ deployments: { 'prod-mini': 'gpt-4o-mini' }, responder: () => answer });
  const ollama = await startFakeOllamaServer({ responder: () => answer });
  servers.push(openai, compatible, anthropic, google, azure, ollama);
  const providers = [
    `  - { id: "openai:gpt-4o-mini", config: { baseURL: "${openai.url}", apiKey: sk-test-all-0000000000000000 } }`,
    `  - { id: "openai-compatible:local-llama", config: { baseURL: "${compatible.url}" } }`,
    `  - { id: "anthropic:claude-sonnet-4-6", config: { baseURL: "${anthropic.url}", apiKey: sk-ant-test-000000000000000000 } }`,
    `  - { id: "google:gemini-2.5-flash", config: { baseURL: "${google.url}", apiKey: test-gemini-key } }`,
    `  - { id: "azure:prod-mini", config: { endpoint: "${azure.url}", apiKey: test-azure-key, model: gpt-4o-mini } }`,
    `  - { id: "ollama:llama3.2", config: { baseURL: "${ollama.url}" } }`,
    // One thread: two on a machine whose cores are busy make generation collapse (minutes a call).
    ...(haveModel ? [`  - { id: "gguf:${sharedModel}", label: "gguf:stories260K", config: { threads: 1 }, settings: { maxTokens: 8, seed: 1 } }`] : []),
  ];
  config = join(work, 'llm-lab.yaml');
  await writeFile(
    config,
    ['providers:', ...providers, 'prompts: ["What is the capital of {{country}}?"]',
      'dataset: { rows: [{ country: France }, { country: Also France }, { country: Still France }] }',
      'evaluators: [{ type: contains, value: Paris }]', 'defaults: { maxTokens: 16 }', ''].join('\n'),
  );
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

const labels = [
  'openai:gpt-4o-mini',
  'openai-compatible:local-llama',
  'anthropic:claude-sonnet-4-6',
  'google:gemini-2.5-flash',
  'azure:prod-mini',
  'ollama:llama3.2',
];

describe('every provider family in one run', () => {
  it.each([[false], [true]])('llm-lab run (stream: %s) shows all of them with tokens, latency and cost', async (stream) => {
    // --no-cache: both runs must reach the servers (and the model), not the first run's cache.
    const result = await runCli(['run', config, '--no-cache', '--data-dir', join(work, 'db'), ...(stream ? ['--stream'] : [])], { env: cleanEnv() });
    expect(result.stderr).not.toMatch(/^error/m);
    expect(result.code).toBe(0);
    for (const label of labels) {
      // label, 3 cases, 3 passed, 0 errors, 100% accuracy, latency, tokens in / out
      expect(result.stdout).toMatch(new RegExp(`${label.replace(/[.:]/g, '\\$&')}\\s+3\\s+3\\s+0\\s+100\\.0% .*${DURATION}\\s+${DURATION}\\s+\\d+ / \\d+`));
    }
    // Priced vendors show a cost; local ones have no price.
    expect(result.stdout).toMatch(/openai:gpt-4o-mini .*\$0\.0000\d+/);
    expect(result.stdout).toMatch(/anthropic:claude-sonnet-4-6 .*\$0\.000\d+/);
    expect(result.stdout).toMatch(/ollama:llama3\.2 .*\s-$/m);
    if (haveModel) expect(result.stdout).toMatch(/gguf:stories260K\s+3\s+\d\s+0\s+.*\d+ \/ \d+\s+-/);
  });

  it.each(labels.map((label) => [label]))('llm-lab chat streams from %s', async (label) => {
    const result = await runCli(['chat', label, 'Capital of France?', '--config', config], { env: cleanEnv() });
    expect(result.stderr).not.toMatch(/^error/m);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${answer}\n`);
    expect(result.stderr).toMatch(new RegExp(` · stop · first token ${DURATION}`));
  });

  (haveModel ? it : it.skip)('llm-lab chat streams real tokens from the GGUF model', async () => {
    const result = await runCli(['chat', 'gguf:stories260K', 'Once upon a time', '--config', config, '--max-tokens', '12'], { env: cleanEnv() });
    expect(result.code).toBe(0);
    expect(result.stdout.trim().length).toBeGreaterThan(0);
    expect(result.stderr).toMatch(new RegExp(`gguf:.*stories260K\\.gguf · (stop|length) · first token ${DURATION} .* \\d+ in / \\d+ out`));
  });
});
