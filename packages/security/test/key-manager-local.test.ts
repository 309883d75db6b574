import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyManager, describeReference, parseSecretReference, knownSecrets, clearSecretsForTests } from '../src/index.js';
import { failure } from './helpers.js';

describe('secret references', () => {
  it('are checked as written, with an example of the right form', () => {
    expect(() => parseSecretReference({ from: 'vault', path: 'secret/data/x' })).toThrow("a vault reference needs 'field'");
    expect(() => parseSecretReference({ from: 'gcp', name: 'x' })).toThrow("unknown secret source \"gcp\": 'from' is one of env, dotenv, vault, aws");
    expect(() => parseSecretReference({ from: 'env', name: 'A', path: 'x' })).toThrow("a env reference has no 'path'");
    expect(describeReference(parseSecretReference({ from: 'dotenv', name: 'OPENAI_API_KEY' }))).toBe('dotenv:.env#OPENAI_API_KEY');
  });
});

describe('the key manager reading the environment and .env files', () => {
  let dir: string | undefined;
  afterEach(async () => {
    clearSecretsForTests();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads an environment variable and registers it for redaction', async () => {
    const keys = new KeyManager({ env: { OPENAI_API_KEY: 'sk-env-value-000000000001' } });
    expect(await keys.get({ from: 'env', name: 'OPENAI_API_KEY' })).toBe('sk-env-value-000000000001');
    expect(knownSecrets().has('sk-env-value-000000000001')).toBe(true);
    const error = await failure(keys.get({ from: 'env', name: 'ANTHROPIC_API_KEY' }));
    expect(error.message).toBe('secret env:ANTHROPIC_API_KEY: the environment variable ANTHROPIC_API_KEY is not set. Set it (export ANTHROPIC_API_KEY=...) before starting LLM Lab.');
  });

  it('reads a .env file relative to the base folder and sees an edit after the TTL', async () => {
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-dotenv-'));
    await writeFile(join(dir, '.env'), '# keys\nOPENAI_API_KEY="sk-dotenv-first-00000001"\nOTHER=1\n');
    let clock = 0;
    const keys = new KeyManager({ baseDir: dir, ttlMs: 10_000, now: () => clock, env: {} });
    const reference = { from: 'dotenv', name: 'OPENAI_API_KEY' } as const;
    expect(await keys.get(reference)).toBe('sk-dotenv-first-00000001');
    await writeFile(join(dir, '.env'), 'OPENAI_API_KEY=sk-dotenv-second-0000002\n');
    expect(await keys.get(reference)).toBe('sk-dotenv-first-00000001');
    clock += 10_000;
    expect(await keys.get(reference)).toBe('sk-dotenv-second-0000002');
    const missingName = await failure(keys.get({ from: 'dotenv', name: 'NOPE' }));
    expect(missingName.message).toContain('has no NOPE=... line');
    const missingFile = await failure(keys.get({ from: 'dotenv', name: 'NOPE', file: 'prod.env' }));
    expect(missingFile.message).toContain(`${join(dir, 'prod.env')} does not exist`);
  });
});
