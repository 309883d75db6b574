import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LabConfigInput } from '@llm-lab/core';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { dropSchema, storedResults } from './helpers.js';
import { createLab, type Lab } from '../src/index.js';

/**
 * A provider entry's `pii:` policy seen from outside: what the fake OpenAI server (through the
 * real SDK) receives, and what a run stores in PostgreSQL.
 */

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `lab_pii_${process.pid}_${Date.now().toString(36)}`;
const API_KEY = 'sk-test-pii-0000000000000000000';

const rows = [
  { id: 'a', question: 'Please call +44 20 7946 0958 about card 4111 1111 1111 1111.' },
  { id: 'b', question: 'Forward it to ann@example.org, SSN 536-22-8726.' },
];

let lab: Lab;
let server: FakeOpenAIServer;

beforeAll(async () => {
  lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-pii-')), databaseUrl: DATABASE_URL, databaseSchema: schema });
  server = await startFakeOpenAIServer({ apiKey: API_KEY, streamDeltaChars: 4 });
});

afterAll(async () => {
  await lab.close();
  await server.close();
  await dropSchema(DATABASE_URL, schema);
});

function config(pii: Record<string, unknown>): LabConfigInput {
  return {
    providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: server.url, apiKey: API_KEY }, pii }],
    prompts: ['Q: {{question}}'],
    dataset: { rows },
    cache: { kind: 'none' },
  } as LabConfigInput;
}

/** The user messages the server received since `from`. */
function sentSince(from: number): string[] {
  return server.requests
    .slice(from)
    .filter((request) => request.path.endsWith('/chat/completions'))
    .map((request) => (request.body as { messages: Array<{ content: string }> }).messages.at(-1)?.content as string);
}

describe('a run under a pii: policy', () => {
  it('tokenize before provider and store: the vendor sees placeholders, the stored rows hold masks, never the originals', async () => {
    const from = server.requests.length;
    const report = await lab.run(config({ mode: 'tokenize', before: ['provider', 'store'] }), { stream: true });
    expect(sentSince(from).sort()).toEqual([
      'Q: Forward it to <EMAIL_ADDRESS_1>, SSN <US_SSN_1>.',
      'Q: Please call <PHONE_NUMBER_1> about card <CREDIT_CARD_1>.',
    ]);
    const results = await storedResults(lab, report.runId);
    expect(results.map((result) => result.output).sort()).toEqual([
      'Q: Forward it to <EMAIL_ADDRESS>, SSN <US_SSN>.',
      'Q: Please call <PHONE_NUMBER> about card <CREDIT_CARD>.',
    ]);
    const stored = JSON.stringify(results);
    for (const original of ['+44 20 7946 0958', '4111 1111 1111 1111', 'ann@example.org', '536-22-8726']) expect(stored).not.toContain(original);
  });

  it('tokenize before provider only: the vendor sees placeholders and the stored answer is the restored one', async () => {
    const from = server.requests.length;
    const report = await lab.run(config({ mode: 'tokenize', before: ['provider'] }));
    expect(sentSince(from).join('\n')).not.toMatch(/ann@example\.org|4111/);
    const results = await storedResults(lab, report.runId);
    expect(results.map((result) => result.output).sort()).toEqual(rows.map((row) => `Q: ${row.question}`).sort());
  });

  it('mask before store only: the vendor gets the text as written, the stored rows do not', async () => {
    const from = server.requests.length;
    const report = await lab.run(config({ mode: 'mask', before: ['store'], entities: ['EMAIL_ADDRESS'] }));
    expect(sentSince(from).sort()).toEqual(rows.map((row) => `Q: ${row.question}`).sort());
    const results = await storedResults(lab, report.runId);
    const b = results.find((result) => result.output?.startsWith('Q: Forward'));
    expect(b?.output).toBe('Q: Forward it to <EMAIL_ADDRESS>, SSN 536-22-8726.');
    expect(JSON.stringify(b?.vars)).toContain('<EMAIL_ADDRESS>');
    expect(JSON.stringify(b?.prompt)).not.toContain('ann@example.org');
  });

  it('refuses an invalid policy with its place in the file', async () => {
    await expect(lab.run(config({ mode: 'hide' }))).rejects.toThrow(/providers\[0\]\.pii\.mode.*expected off, mask or tokenize/s);
  });
});
