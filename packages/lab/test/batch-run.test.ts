import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { parseConfig, type LabConfigInput } from '@llm-lab/core';
import { startFakeAnthropicServer, startFakeAzureOpenAIServer, startFakeGeminiServer, startFakeOpenAIServer, type FakeAnthropicServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { createLab, type Lab } from '../src/index.js';
import { storedResults } from './helpers.js';

jest.setTimeout(120_000);

const CASES = ['alpha', 'bravo', 'charlie', 'delta'];
/** Polls of the vendor batches: fast, so the test waits on the fake servers, not on the defaults. */
const POLL = { pollIntervalMs: 10, maxPollIntervalMs: 40 };

/** Waits (polling, no deadline of its own: jest's timeout is the limit) until `check` holds. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * `run.batch` against the fake OpenAI Batch API (files upload, batch create/retrieve, output and
 * error files) and the fake Anthropic Message Batches API, through provider-openai,
 * provider-anthropic and their official SDKs. The vendor batches are held in progress until the
 * run is stopped, then let end: the resume attaches to the batches it recorded, and the fake
 * servers see exactly one batch each.
 */
describe('a batch run (run.batch)', () => {
  let openai: FakeOpenAIServer;
  let anthropic: FakeAnthropicServer;
  let lab: Lab;
  let input: (run?: Record<string, unknown>, prompt?: string) => LabConfigInput;

  beforeAll(async () => {
    openai = await startFakeOpenAIServer({ batch: { validatingMs: 0 } });
    anthropic = await startFakeAnthropicServer();
    lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-batch-')) });
    input = (run = {}, prompt = 'Repeat: {{word}}') => ({
      providers: [
        { id: 'openai:gpt-4o-mini', config: { baseURL: openai.url, apiKey: 'sk-test-batch', maxRetries: 0, batch: POLL } },
        { id: 'anthropic:claude-sonnet-4-6', config: { baseURL: anthropic.url, apiKey: 'sk-ant-test-batch', maxRetries: 0, batch: POLL } },
      ],
      prompts: [prompt],
      dataset: { rows: CASES.map((word) => ({ word })) },
      evaluators: [{ type: 'contains', value: '{{word}}' }],
      run: { batch: true, ...run },
    });
  });
  afterAll(async () => {
    await lab?.close();
    await openai?.close();
    await anthropic?.close();
  });

  it('survives a stop after submission: the resume picks up the same vendor batches, and a failed item is recorded as failed', async () => {
    openai.setBatchProcessingMs(3_600_000);
    anthropic.setBatchProcessingMs(3_600_000);
    const config = parseConfig(input(), { baseDir: process.cwd() });
    const controller = new AbortController();
    let runId = '';
    const stopped = lab.run(config, { signal: controller.signal, onStart: (run) => (runId = run.id) });
    // Stop once both vendors hold their batch (and are still working on it).
    await until(() => openai.batches.length === 1 && anthropic.batches.length === 1);
    controller.abort(new Error('stopped by the test'));
    const first = await stopped;
    expect(first.status).toBe('cancelled');
    expect(first.totals.results).toBe(0);
    // Left running to be picked up, not cancelled.
    expect(openai.batches[0]?.status).not.toMatch(/cancel/);
    expect(anthropic.batches[0]?.cancelInitiatedAt).toBeUndefined();

    // The vendors finish the batches while nobody waits; one OpenAI line fails with an HTTP 500.
    openai.setBatchLineFault((line) => (line.index === 0 ? { type: 'http-error', status: 500 } : undefined));
    openai.setBatchProcessingMs(0);
    anthropic.setBatchProcessingMs(0);

    const statuses: Array<{ providerId: string; batchId: string; status: string; completed: number; total: number }> = [];
    const resumed = await lab.run(config, { resume: runId, onBatchStatus: (providerId, status) => statuses.push({ providerId, ...status }) });
    expect(resumed.status).toBe('completed');
    // Progress named each vendor batch and saw it end with every item accounted for.
    expect(statuses.filter((status) => status.providerId === 'openai:gpt-4o-mini').at(-1)).toMatchObject({ batchId: openai.batches[0]?.id, status: 'completed', completed: 4, total: 4 });
    expect(statuses.filter((status) => status.providerId === 'anthropic:claude-sonnet-4-6').at(-1)).toMatchObject({ batchId: anthropic.batches[0]?.id, status: 'ended', completed: 4, total: 4 });
    // One batch per vendor in all: the resume attached to them instead of paying again.
    expect(openai.batches).toHaveLength(1);
    expect(anthropic.batches).toHaveLength(1);
    expect(openai.requests.filter((request) => request.method === 'POST' && request.path.startsWith('/v1/batches')).length).toBe(1);
    expect(openai.requests.filter((request) => request.path === '/v1/chat/completions').length).toBe(0);
    expect(anthropic.requests.filter((request) => request.method === 'POST' && request.path === '/v1/messages').length).toBe(0);

    const results = await storedResults(lab, runId);
    expect(results).toHaveLength(CASES.length * 2);
    const byProvider = (label: string) => results.filter((result) => result.providerId === label);
    expect(byProvider('anthropic:claude-sonnet-4-6').every((result) => result.passed === true)).toBe(true);
    const fromOpenAI = byProvider('openai:gpt-4o-mini');
    expect(fromOpenAI.filter((result) => result.passed === true)).toHaveLength(CASES.length - 1);
    expect(fromOpenAI.filter((result) => result.errorKind === 'server')).toHaveLength(1);
    expect(fromOpenAI.find((result) => result.errorKind === 'server')?.errorMessage).toMatch(/Batch API job batch_/);
  });

  it('costs half the standard price per answer, and sends nothing for answers already in the cache', async () => {
    openai.setBatchProcessingMs(0);
    anthropic.setBatchProcessingMs(0);
    openai.setBatchLineFault(undefined);
    const before = { openai: openai.batches.length, anthropic: anthropic.batches.length };
    // The same cases called one by one (no cache): the standard price of each answer.
    const standard = await lab.run(parseConfig(input({ batch: false }), { baseDir: process.cwd() }), { noCache: true });
    const batched = await lab.run(parseConfig(input(), { baseDir: process.cwd() }), { noCache: true });
    expect(openai.batches).toHaveLength(before.openai + 1);
    expect(anthropic.batches).toHaveLength(before.anthropic + 1);
    const costs = async (runId: string) =>
      new Map((await storedResults(lab, runId)).map((result) => [`${result.providerId}/${result.caseId}`, result.costUsd as number]));
    const [full, half] = [await costs(standard.runId), await costs(batched.runId)];
    expect(half.size).toBe(CASES.length * 2);
    for (const [key, cost] of half) {
      expect(cost).toBeGreaterThan(0);
      expect(cost).toBeCloseTo((full.get(key) as number) / 2, 12);
    }

    // A batch run with the cache on stores its answers; the next one finds them all there and submits no batch.
    // (A prompt no earlier run sent, so the cache starts without these answers.)
    const fresh = parseConfig(input({}, 'Say back: {{word}}'), { baseDir: process.cwd() });
    await lab.run(fresh);
    const cached = await lab.run(fresh);
    expect(openai.batches).toHaveLength(before.openai + 2);
    expect(anthropic.batches).toHaveLength(before.anthropic + 2);
    const answers = await storedResults(lab, cached.runId);
    expect(answers).toHaveLength(CASES.length * 2);
    expect(answers.every((result) => result.cached && result.passed === true)).toBe(true);
  });

  it('refuses to stream a batch run, naming both options', async () => {
    await expect(lab.run(parseConfig(input(), { baseDir: process.cwd() }), { stream: true })).rejects.toThrow(/batch run cannot stream/);
  });

  // Azure OpenAI (a global-batch deployment) and Gemini (Batch Mode): each vendor batch API in a
  // run, one batch, no ordinary call, half the price of the same run without `batch`.
  const vendors = [
    {
      vendor: 'Azure OpenAI',
      start: async () => {
        const server = await startFakeAzureOpenAIServer({ apiKey: 'azure-batch-run-key-0123456789', deployments: { 'global-batch-4o-mini': 'gpt-4o-mini-2024-07-18' }, batch: { validatingMs: 0, processingMs: 0 } });
        return {
          server,
          provider: { id: 'azure:global-batch-4o-mini', config: { endpoint: server.url, apiKey: 'azure-batch-run-key-0123456789', model: 'gpt-4o-mini', batch: POLL } },
          ordinaryCalls: () => server.requests.filter((request) => request.path.startsWith('/openai/deployments/')),
        };
      },
    },
    {
      vendor: 'Gemini',
      start: async () => {
        const server = await startFakeGeminiServer({ apiKey: 'AIzaSyBatchRunTest0123456789abcdefghijk', batch: { pendingMs: 0, processingMs: 0 } });
        return {
          server,
          provider: { id: 'google:gemini-2.5-flash', config: { baseURL: server.url, apiKey: 'AIzaSyBatchRunTest0123456789abcdefghijk', batch: POLL } },
          ordinaryCalls: () => server.requests.filter((request) => request.path.endsWith(':generateContent')),
        };
      },
    },
  ];
  it.each(vendors)("sends the items through $vendor's batch API, at half the list price", async ({ start }) => {
    const { server, provider, ordinaryCalls } = await start();
    try {
      const config = (batch: boolean) =>
        parseConfig(
          { providers: [provider], prompts: ['Repeat: {{word}}'], dataset: { rows: CASES.map((word) => ({ word })) }, evaluators: [{ type: 'contains', value: '{{word}}' }], run: { batch } },
          { baseDir: process.cwd() },
        );
      const batched = await lab.run(config(true), { noCache: true });
      expect(batched.status).toBe('completed');
      expect(server.batches).toHaveLength(1);
      expect(ordinaryCalls()).toEqual([]);
      const standard = await lab.run(config(false), { noCache: true });
      const byCase = async (runId: string) => new Map((await storedResults(lab, runId)).map((result) => [result.caseId, result]));
      const [half, full] = [await byCase(batched.runId), await byCase(standard.runId)];
      expect(half.size).toBe(CASES.length);
      expect([...half.values()].every((result) => result.passed === true)).toBe(true);
      for (const [caseId, result] of half) expect(result.costUsd as number).toBeCloseTo((full.get(caseId)?.costUsd as number) / 2, 12);
    } finally {
      await server.close();
    }
  });
});
