import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerSecret } from '@llm-lab/core';
import type { Storage } from '@llm-lab/storage';
import { sampleResult } from '@llm-lab/storage/testing';
import { createLab, type Lab } from '../src/index.js';

// The embedded database in its worker thread (the default): the secret is registered in this
// thread only, so only a write path that sanitises here, before the worker, keeps it out.
const workDir = mkdtempSync(join(tmpdir(), 'llm-lab-sanitised-'));
const REGISTERED = 'registered-but-shapeless-value-4711';
const SHAPED = 'sk-proj-Xq7Lz2Vb9Nc4Mw8Ks1Jd6Hf3Gt5Ry0Pe';
let lab: Lab;
let storage: Storage;

beforeAll(async () => {
  registerSecret(REGISTERED);
  lab = createLab({ cwd: workDir, dataDir: join(workDir, 'db') });
  storage = await lab.openStorage();
}, 300_000);

afterAll(async () => {
  await lab?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('what the lab writes to its storage', () => {
  it('has registered secrets and key-shaped strings replaced in runs, results and gateway requests; ids stay', async () => {
    const run = await storage.createRun({
      description: `nightly with ${REGISTERED}`,
      config: { storage: { url: 'postgres://me:db-password-1@db/lab' }, note: SHAPED },
      resolvedConfig: { deep: [{ key: REGISTERED }] },
    });
    // A case id is an identity (a resume matches it): kept even when it looks like a key.
    await storage.insertResults([
      sampleResult(run.id, {
        caseId: SHAPED,
        prompt: [{ role: 'user', content: `use ${SHAPED}` }],
        vars: { token: REGISTERED },
        output: `echo ${REGISTERED}`,
        scores: [{ name: 'equals', type: 'equals', passed: false, score: 0, reason: `got '${SHAPED}'` }],
        errorMessage: `upstream said Bearer ${REGISTERED}`,
      }),
    ]);
    await storage.updateRun(run.id, { status: 'failed', error: `lost postgres://me:db-password-1@db/lab`, summary: { warnings: [`row holds ${SHAPED}`] } });
    await storage.insertRequests([
      {
        requestId: `sanitised-${process.pid}`,
        source: 'gateway',
        route: SHAPED,
        provider: null,
        status: 'error',
        requestBody: { messages: [{ role: 'user', content: `keep ${REGISTERED}` }] },
        responseBody: { error: { message: `no ${SHAPED}` } },
      },
    ]);

    const stored = await storage.getRun(run.id);
    const results = await storage.listResults(run.id);
    const { requests } = await storage.listRequests({ source: 'gateway' });
    const text = JSON.stringify({ stored, results, requests: requests.map(({ route, requestBody, responseBody }) => ({ route, requestBody, responseBody })) });
    expect(text).not.toContain(REGISTERED);
    expect(text.split(SHAPED)).toHaveLength(2); // once: the case id
    expect(text).not.toContain('db-password-1');
    expect(results[0]).toMatchObject({ caseId: SHAPED, output: 'echo [REDACTED]', vars: { token: '[REDACTED]' }, errorMessage: 'upstream said Bearer [REDACTED]' });
    expect(stored).toMatchObject({ description: 'nightly with [REDACTED]', error: 'lost postgres://me:[REDACTED]@db/lab', summary: { warnings: ['row holds [REDACTED]'] } });
    expect(requests[0]).toMatchObject({ route: '[REDACTED]', requestBody: { messages: [{ role: 'user', content: 'keep [REDACTED]' }] } });
  }, 300_000);

  it('is still the storage it wraps: reads, kind and location are its own', async () => {
    expect(storage.kind).toBe('pglite');
    expect(storage.location).toContain(workDir);
    expect(await storage.countResults('no-such-run')).toBe(0);
  });
});
