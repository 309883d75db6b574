/* eslint-disable @typescript-eslint/no-explicit-any -- these tests read vendor fields the SDK types leave out, from loosely shaped wire JSON. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI, { toFile } from 'openai';
import { fakeEmbedding, startFakeOpenAIServer, type FakeOpenAIServer } from '../src/index.js';

const line = (customId: string, content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra } });

async function waitFor(client: OpenAI, id: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const batch = await client.batches.retrieve(id);
    if (['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('batch did not finish');
}

describe('fake OpenAI Files, Batch and Embeddings APIs, driven by the official SDK', () => {
  let server: FakeOpenAIServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ batch: { validatingMs: 10, processingMs: 10, seed: 3 } });
    client = new OpenAI({ apiKey: 'sk-batch-0123456789abcdef', baseURL: server.url, maxRetries: 0 });
  });
  afterEach(() => {
    server.reset();
    server.setBatchLineFault(undefined);
  });
  afterAll(() => server.close());

  const upload = async (lines: string[]) =>
    client.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'input.jsonl'), purpose: 'batch' });

  it('runs a batch: validating → in_progress → completed, results as JSONL in shuffled order, failures in the error file', async () => {
    const inputs = Array.from({ length: 8 }, (_, index) => line(`req-${index}`, `prompt ${index}`, index === 5 ? { temperature: 9 } : {}));
    const file = await upload(inputs);
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'input.jsonl', status: 'processed' });
    expect(file.id).toMatch(/^file-/);
    server.setBatchLineFault(({ customId }) => (customId === 'req-2' ? { type: 'http-error', status: 429, code: 'rate_limit_exceeded' } : undefined));
    const created = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', output_file_id: null, request_counts: { total: 0, completed: 0, failed: 0 } });
    const done = await waitFor(client, created.id);
    expect(done).toMatchObject({ status: 'completed', request_counts: { total: 8, completed: 6, failed: 2 } });
    expect(done.in_progress_at).toEqual(expect.any(Number));
    expect(done.completed_at).toEqual(expect.any(Number));

    const output = (await (await client.files.content(done.output_file_id as string)).text()).trim().split('\n').map((text) => JSON.parse(text) as Record<string, any>);
    expect(output.map((entry) => entry.custom_id).sort()).toEqual(['req-0', 'req-1', 'req-3', 'req-4', 'req-6', 'req-7']);
    expect(output.map((entry) => entry.custom_id)).not.toEqual(['req-0', 'req-1', 'req-3', 'req-4', 'req-6', 'req-7']);
    for (const entry of output) {
      expect(entry.id).toMatch(/^batch_req_/);
      expect(entry.error).toBeNull();
      expect(entry.response.status_code).toBe(200);
      expect(entry.response.body.choices[0].message.content).toBe(`prompt ${String(entry.custom_id).slice(4)}`);
    }
    const errors = (await (await client.files.content(done.error_file_id as string)).text()).trim().split('\n').map((text) => JSON.parse(text) as Record<string, any>);
    const byId = Object.fromEntries(errors.map((entry) => [entry.custom_id, entry]));
    expect(byId['req-2'].response).toMatchObject({ status_code: 429, body: { error: { code: 'rate_limit_exceeded' } } });
    expect(byId['req-5'].response).toMatchObject({ status_code: 400, body: { error: { code: 'decimal_above_max_value', param: 'temperature' } } });
  });

  it('fails validation with per-line errors: duplicate custom_id, wrong url, mixed models', async () => {
    const file = await upload([
      line('a', 'x'),
      line('a', 'y'),
      JSON.stringify({ custom_id: 'b', method: 'POST', url: '/v1/embeddings', body: { model: 'gpt-4o-mini', messages: [] } }),
      line('c', 'z').replace('gpt-4o-mini', 'gpt-4o'),
    ]);
    const batch = await waitFor(client, (await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    expect(batch.status).toBe('failed');
    expect(batch.errors?.data?.map((error) => [error.code, error.line])).toEqual([
      ['duplicate_custom_id', 2],
      ['mismatched_endpoint', 3],
      ['mismatched_model', 4],
    ]);
  });

  it('refuses bad uploads and batch parameters like OpenAI', async () => {
    await expect(client.files.create({ file: await toFile(Buffer.from('not json\n'), 'bad.jsonl'), purpose: 'batch' })).rejects.toMatchObject({ status: 400 });
    await expect(client.files.create({ file: await toFile(Buffer.from('{}'), 'x.jsonl'), purpose: 'nonsense' as 'batch' })).rejects.toMatchObject({ status: 400, param: 'purpose' });
    const file = await upload([line('a', 'x')]);
    await expect(client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '48h' as '24h' })).rejects.toMatchObject({ status: 400, param: 'completion_window' });
    await expect(client.batches.create({ input_file_id: 'file-missing', endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toMatchObject({ status: 404 });
    await expect(client.batches.retrieve('batch_missing')).rejects.toMatchObject({ status: 404 });
  });

  it('cancels a batch, and expires one with line-level batch_expired errors', async () => {
    const slow = await startFakeOpenAIServer({ batch: { validatingMs: 10_000 } });
    try {
      const slowClient = new OpenAI({ apiKey: 'sk-x-0123456789abcdef', baseURL: slow.url, maxRetries: 0 });
      const file = await slowClient.files.create({ file: await toFile(Buffer.from(line('a', 'x')), 'in.jsonl'), purpose: 'batch' });
      const batch = await slowClient.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      expect((await slowClient.batches.cancel(batch.id)).status).toBe('cancelling');
      expect((await slowClient.batches.retrieve(batch.id)).status).toBe('cancelled');
      await expect(slowClient.batches.cancel(batch.id)).rejects.toMatchObject({ status: 409 });
    } finally {
      await slow.close();
    }
    const expiring = await startFakeOpenAIServer({ batch: { validatingMs: 0, processingMs: 0, expireAfterLines: 1 } });
    try {
      const expClient = new OpenAI({ apiKey: 'sk-x-0123456789abcdef', baseURL: expiring.url, maxRetries: 0 });
      const file = await expClient.files.create({ file: await toFile(Buffer.from([line('a', 'x'), line('b', 'y')].join('\n')), 'in.jsonl'), purpose: 'batch' });
      const batch = await waitFor(expClient, (await expClient.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
      expect(batch).toMatchObject({ status: 'expired', request_counts: { total: 2, completed: 1, failed: 1 } });
      const errors = await (await expClient.files.content(batch.error_file_id as string)).text();
      expect(JSON.parse(errors.trim())).toMatchObject({ custom_id: 'b', response: null, error: { code: 'batch_expired' } });
    } finally {
      await expiring.close();
    }
  });

  it('answers embeddings with deterministic unit vectors, in float and base64', async () => {
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['hello world', 'other'] });
    expect(decoded.data.map((item) => item.index)).toEqual([0, 1]);
    expect(Array.from(decoded.data[0]?.embedding ?? [])).toEqual(fakeEmbedding('hello world', 1536));
    expect(decoded.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const floats = await client.embeddings.create({ model: 'text-embedding-3-large', input: 'hello world', encoding_format: 'float', dimensions: 64 });
    const vector = floats.data[0]?.embedding ?? [];
    expect(vector).toHaveLength(64);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    expect(fakeEmbedding('hello world', 64)).not.toEqual(fakeEmbedding('hello world!', 64));
    await expect(client.embeddings.create({ model: 'text-embedding-3-small', input: [] })).rejects.toMatchObject({ status: 400 });
    await expect(client.embeddings.create({ model: 'nope', input: 'x' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });
});
