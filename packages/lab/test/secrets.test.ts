import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@llm-lab/core';
import { openStorage, type Storage } from '@llm-lab/storage';
import { dropSchema } from './helpers.js';
import { createLab, type Lab } from '../src/index.js';

// The server is trust-auth: any password is accepted, so a URL can carry one as a user's would.
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PASSWORD = 'lab-test-db-password';
const withPassword = SERVER.replace('postgres://postgres@', `postgres://postgres:${PASSWORD}@`);
const schema = `lab_secrets_${process.pid}_${Date.now().toString(36)}`;

const logged: string[] = [];
let lab: Lab;
let storage: Storage;

beforeAll(async () => {
  const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void logged.push(line) } });
  lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-secrets-')), databaseUrl: withPassword, databaseSchema: schema, logger });
  storage = await openStorage({ url: SERVER, schema });
});

afterAll(async () => {
  await lab.close();
  await storage.close();
  await dropSchema(SERVER, schema);
});

describe('the lab as a library', () => {
  it("stores no database password, and without an onWarning hook logs the run's one warning about key-shaped data", async () => {
    const report = await lab.run({
      providers: ['mock:echo'],
      prompts: ['{{text}}'],
      dataset: { rows: [{ text: 'sk-proj-abcdefghijklmnopqrstuvwx01' }, { text: 'sk-proj-abcdefghijklmnopqrstuvwx02' }, { text: 'plain' }] },
      // The URL the lab was given wins; this one is stored with the config.
      storage: { url: `${SERVER}?password=${PASSWORD}` },
    });
    expect(report.warnings).toEqual([expect.stringMatching(/^2 dataset rows contain strings shaped like API keys/)]);
    expect(logged.filter((line) => line.includes('dataset rows contain'))).toHaveLength(1);

    const run = await storage.getRun(report.runId);
    expect(JSON.stringify(run)).not.toContain(PASSWORD);
    expect(run?.config).toMatchObject({ storage: { url: `${SERVER}?password=[REDACTED]` } });
    expect(run?.summary).toMatchObject({ warnings: report.warnings });
    const results = await storage.listResults(report.runId);
    // The dataset's key-shaped strings were sent (the echo answered them) and are stored redacted.
    expect(results.map((result) => result.output).sort()).toEqual(['[REDACTED]', '[REDACTED]', 'plain']);
    expect(JSON.stringify(results)).not.toContain('sk-proj-abcdefghijklmnopqrstuvwx0');
  });

  it('shows a run stored with a password in its config (by an older version) without it', async () => {
    const old = await storage.createRun({
      id: 'run-stored-by-an-older-version',
      description: null,
      configFile: null,
      config: { storage: { url: 'postgres://me:older-version-password@db/lab' } },
      resolvedConfig: { storage: { url: 'postgres://me:older-version-password@db/lab' } },
      createdBy: null,
    });
    const shown = await lab.getRun(old.id);
    expect(shown?.run.config).toEqual({ storage: { url: 'postgres://me:[REDACTED]@db/lab' } });
    expect(JSON.stringify(shown)).not.toContain('older-version-password');
    expect(JSON.stringify(await lab.listRuns())).not.toContain('older-version-password');
  });
});
