import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'dotenv';
import { SecretError } from './errors.js';
import type { SecretReference } from './reference.js';

type EnvReference = Extract<SecretReference, { from: 'env' }>;
type DotenvReference = Extract<SecretReference, { from: 'dotenv' }>;

/** Reads `{ from: env, name }` from the environment; an empty value counts as unset. */
export function readEnvSecret(reference: EnvReference, env: NodeJS.ProcessEnv): string {
  const value = env[reference.name];
  if (value === undefined || value === '') {
    throw new SecretError('not-found', reference, `the environment variable ${reference.name} is not set. Set it (export ${reference.name}=...) before starting LLM Lab.`);
  }
  return value;
}

/**
 * Reads `{ from: dotenv, name, file? }`: the file (default `.env`, relative to `baseDir`) is
 * parsed with dotenv's parser each time the cache asks, so an edited file is picked up.
 */
export async function readDotenvSecret(reference: DotenvReference, baseDir: string): Promise<string> {
  const file = resolve(baseDir, reference.file ?? '.env');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SecretError(
      'not-found',
      reference,
      code === 'ENOENT' ? `the file ${file} does not exist. Create it, or give the right 'file' (relative to the config's folder).` : `cannot read ${file} (${code ?? String(error)}).`,
      { cause: error },
    );
  }
  const value = parse(text)[reference.name];
  if (value === undefined || value === '') {
    throw new SecretError('not-found', reference, `${file} has no ${reference.name}=... line (or it is empty). Add it.`);
  }
  return value;
}
