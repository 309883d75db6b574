import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { ConfigError, parseConfig, type LabConfigInput, type LoadedConfig } from '@llm-lab/core';

// How a run's config travels to the workers: as written, in the shard job. `${ENV}` references
// stay references, so each worker resolves its keys from its own environment; a key written into
// the config itself is not put in the queue (it would be stored in plain text in the job table).

const SECRET_KEY = /key|token|secret|password/i;
const ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/;

/**
 * The LLM Lab version of this process (the lab package's): a run's shards are executed only by
 * the same version. A JSON import, so the bundled command carries it.
 */
export async function labVersion(): Promise<string> {
  const { default: lab } = (await import('@llm-lab/lab/package.json', { with: { type: 'json' } })) as { default: { version: string } };
  return lab.version;
}

/** A config file read as written: parsed (YAML or JSON by extension), not interpolated. */
export async function readConfigAsWritten(path: string): Promise<{ config: Record<string, unknown>; file: string; baseDir: string }> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError({ file, message: `cannot read the config file (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, cause: error });
  }
  let parsed: unknown;
  try {
    parsed = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : (await import('yaml')).default.parse(text);
  } catch (error) {
    throw new ConfigError({ file, message: `cannot parse the config: ${(error as Error).message}`, cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError({ file, message: 'the config must be a mapping (an object) at the top level.' });
  }
  return { config: parsed as Record<string, unknown>, file, baseDir: dirname(file) };
}

/**
 * The config without literal secrets: a string under a secret-like key that is not an `${ENV}`
 * reference is left out (the worker's provider then reads its key from its environment).
 * Returns the paths left out, to warn about.
 */
export function withoutLiteralSecrets(config: Record<string, unknown>): { config: Record<string, unknown>; removed: string[] } {
  const removed: string[] = [];
  const walk = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((item, index) => walk(item, `${path}[${index}]`));
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      // Inline dataset rows are the user's data, not settings.
      if (at === 'dataset.rows') {
        out[key] = item;
      } else if (typeof item === 'string' && item !== '' && SECRET_KEY.test(key) && !ENV_REFERENCE.test(item)) {
        removed.push(at);
      } else {
        out[key] = walk(item, at);
      }
    }
    return out;
  };
  return { config: walk(config, '') as Record<string, unknown>, removed };
}

/** A shard's config, validated in this worker's environment (its `${ENV}` references resolved here). */
export function loadShardConfig(config: Record<string, unknown>, configFile: string | null, baseDir: string): LoadedConfig {
  return parseConfig(config as LabConfigInput, { ...(configFile ? { file: configFile } : {}), baseDir });
}
