import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { registerSecret, registerSecretsIn } from '@llm-lab/security';
import { labConfigSchema, secretReferenceSchema, type LabConfig, type LabConfigInput } from './schema.js';
import { unknownKeyErrors } from './suggest-key.js';

/** A validated config and where it came from. */
export interface LoadedConfig {
  config: LabConfig;
  /** Absolute path of the file, or undefined for a config built in code. */
  file: string | undefined;
  /** Folder that relative paths in the config (dataset, plugins) are resolved against. */
  baseDir: string;
}

/** Formats a zod issue path as `providers[1].config.baseURL`. */
export function formatConfigPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const name = String(key);
    return /^[A-Za-z_$][\w$]*$/.test(name) ? (out ? `${out}.${name}` : name) : `${out}[${JSON.stringify(name)}]`;
  }, '');
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` (and `${NAME:-default}`) in every string of a parsed config with the
 * environment's value. A missing variable without a default is an error naming it and where it
 * is used. Values read for keys that look secret (apiKey, token, password) are registered for
 * redaction from logs and errors.
 */
export function interpolateEnv<T>(value: T, options: { env?: NodeJS.ProcessEnv; file?: string } = {}): T {
  const env = options.env ?? process.env;
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      const replaced = node.replace(ENV_REFERENCE, (_match, name: string, fallback: string | undefined) => {
        const found = env[name];
        if (found !== undefined && found !== '') return found;
        if (fallback !== undefined) return fallback;
        throw new ConfigError({
          file: options.file,
          path: formatConfigPath(path),
          message: `environment variable ${name} is not set. Set it (export ${name}=...) or write \${${name}:-default}.`,
        });
      });
      const key = String(path[path.length - 1] ?? '');
      if (replaced !== node && /key|token|secret|password/i.test(key)) registerSecret(replaced);
      return replaced;
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return node;
  };
  return walk(value, []) as T;
}

/**
 * A union (e.g. a provider given as a string or as an object) reports "Invalid input" at its own
 * path; the branch that got furthest says what was really wrong, so report that branch instead.
 */
function specificIssues(issues: z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
    const depth = (branch: z.core.$ZodIssue[]) => Math.max(...branch.map((inner) => inner.path.length));
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? [];
    if (best.length === 0 || depth(best) === 0) return [issue];
    return specificIssues(best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })));
  });
}

function describeIssues(allIssues: z.core.$ZodIssue[]): { path: string; message: string } {
  const issues = specificIssues(allIssues);
  const [first] = issues;
  const path = first ? formatConfigPath(first.path) : '';
  const lines = issues.slice(0, 5).map((issue) => {
    const where = formatConfigPath(issue.path) || '(top level)';
    return `${where}: ${issue.message}`;
  });
  const more = issues.length > 5 ? `\n  … and ${issues.length - 5} more` : '';
  const message =
    issues.length === 1 ? (first?.message ?? 'invalid') : `${issues.length} problems:\n  ${lines.join('\n  ')}${more}`;
  return { path: issues.length === 1 ? path : '', message };
}

/**
 * Checks each secret reference (`{ from: vault, … }`) written in a provider's `config:` (or a
 * member's), so a misspelt one fails at load with its place in the file, not when a call is made.
 */
function checkSecretReferences(providers: LabConfig['providers'], file: string | undefined): void {
  const check = (node: unknown, path: PropertyKey[]): void => {
    if (node === null || typeof node !== 'object') return;
    if (!Array.isArray(node) && 'from' in node) {
      const result = secretReferenceSchema.safeParse(node);
      if (!result.success) {
        const [issue] = result.error.issues;
        throw new ConfigError({ file, path: formatConfigPath([...path, ...(issue?.path ?? [])]), message: issue?.message ?? 'invalid secret reference' });
      }
      return;
    }
    for (const [key, child] of Object.entries(node)) check(child, [...path, Array.isArray(node) ? Number(key) : key]);
  };
  providers.forEach((entry, index) => {
    if (typeof entry === 'string') return;
    check(entry.config, ['providers', index, 'config']);
    entry.members?.forEach((member, memberIndex) => {
      if (typeof member !== 'string') check(member.config, ['providers', index, 'members', memberIndex, 'config']);
    });
  });
}

type ParseOptions = { file?: string; baseDir?: string; env?: NodeJS.ProcessEnv };

/** Interpolates and validates `input` against `schema`, registering the providers' key-like config values as secrets. */
function validate<T extends { providers: LabConfig['providers'] }>(schema: z.ZodType<T>, input: unknown, options: ParseOptions): T {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError({ file: options.file, message: 'the config must be a mapping (an object) at the top level.' });
  }
  const interpolated = interpolateEnv(input, { ...(options.env ? { env: options.env } : {}), ...(options.file ? { file: options.file } : {}) });
  const result = schema.safeParse(interpolated, { error: unknownKeyErrors });
  if (!result.success) {
    const { path, message } = describeIssues(result.error.issues);
    throw new ConfigError({ file: options.file, path: path || undefined, message });
  }
  checkSecretReferences(result.data.providers, options.file);
  for (const entry of result.data.providers) {
    if (typeof entry !== 'string') {
      for (const [key, value] of Object.entries(entry.config)) {
        if (typeof value === 'string' && /key|token|secret|password/i.test(key)) registerSecret(value);
      }
    }
  }
  // A password in a URL (storage.url, a cache's Redis URL, a base URL) and a key written into the
  // config are secrets too. Inline dataset rows are the user's data, not configuration.
  const { dataset: _dataset, ...settings } = result.data as T & { dataset?: unknown };
  registerSecretsIn(settings);
  return result.data;
}

/**
 * Validates a config object (from a file or built in code), interpolating `${ENV}` references
 * and applying defaults. Throws ConfigError naming the file, the path and what was expected.
 */
export function parseConfig(input: LabConfigInput | unknown, options: ParseOptions = {}): LoadedConfig {
  return {
    config: validate(labConfigSchema, input, options),
    file: options.file,
    baseDir: options.baseDir ?? (options.file ? dirname(options.file) : process.cwd()),
  };
}

/** The provider entries and plugins of a config file, for commands that take only those from it. */
export interface LoadedProviderEntries {
  providers: LabConfig['providers'];
  plugins: LabConfig['plugins'];
  /** Absolute path of the file. */
  file: string;
  /** The file's folder: relative plugin paths are resolved against it. */
  baseDir: string;
}

const providerEntriesSchema = labConfigSchema.pick({ providers: true, plugins: true });

/** The evaluators of an evaluators file (`llm-lab rescore --evaluators`), with what they need: judges' provider entries, plugins, thresholds. */
export interface LoadedEvaluatorEntries {
  evaluators: LabConfig['evaluators'];
  /** Provider entries a judge may name by label or id (their keys and base URLs apply). */
  providers: LabConfig['providers'];
  plugins: LabConfig['plugins'];
  /** The file's thresholds, when it has some. */
  thresholds: LabConfig['thresholds'] | undefined;
  /** Absolute path of the file. */
  file: string;
  /** The file's folder: `module:` paths and schema files are resolved against it. */
  baseDir: string;
}

const evaluatorFileSchema = z
  .object({
    evaluators: labConfigSchema.shape.evaluators.unwrap().min(1, 'list at least one evaluator'),
    providers: labConfigSchema.shape.providers.default([]),
    plugins: labConfigSchema.shape.plugins,
    thresholds: labConfigSchema.shape.thresholds.unwrap().optional(),
  })
  .strict();

/**
 * Reads an evaluators file: a YAML or JSON list of evaluator entries, or a mapping with
 * `evaluators:` and optionally `providers:` (judges named by label), `plugins:` and `thresholds:`.
 * Errors name the file and the path, as `loadConfig`'s do.
 */
export async function loadEvaluatorEntries(path: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<LoadedEvaluatorEntries> {
  const file = resolve(path);
  const parsed = await readConfigFile(file);
  const input = Array.isArray(parsed) ? { evaluators: parsed } : parsed;
  const { evaluators, providers, plugins, thresholds } = validate(evaluatorFileSchema, input, { file, ...(options.env ? { env: options.env } : {}) });
  return { evaluators, providers, plugins, thresholds, file, baseDir: dirname(file) };
}

/**
 * Reads a config file for its `providers:` and `plugins:` only (what `llm-lab bench --config`
 * uses): the other keys are neither required nor checked, and `${ENV}` references are resolved in
 * these two alone. Errors name the file and the path, as `loadConfig`'s do.
 */
export async function loadProviderEntries(path: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<LoadedProviderEntries> {
  const file = resolve(path);
  const parsed = await readConfigFile(file);
  const picked =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? Object.fromEntries(Object.entries(parsed).filter(([key]) => key === 'providers' || key === 'plugins'))
      : parsed;
  const { providers, plugins } = validate(providerEntriesSchema, picked, { file, ...(options.env ? { env: options.env } : {}) });
  return { providers, plugins, file, baseDir: dirname(file) };
}

/**
 * What a server in front of the providers (the gateway) takes from a config: its providers with
 * their policies, plugins, the response cache, single flight and default sampling settings.
 */
export interface ServingConfig {
  providers: LabConfig['providers'];
  plugins: LabConfig['plugins'];
  cache?: LabConfig['cache'];
  singleFlight?: boolean;
  defaults: LabConfig['defaults'];
  /** Where secret references are read from and how long they are reused. */
  security?: LabConfig['security'];
  /** Absolute path of the file, when read from one. */
  file?: string;
  /** Relative paths (plugins, a disk cache's `dir`) are resolved against it. */
  baseDir: string;
}

const SERVING_KEYS = ['providers', 'plugins', 'cache', 'singleFlight', 'defaults', 'security'] as const;
const servingConfigSchema = labConfigSchema.pick({ providers: true, plugins: true, cache: true, singleFlight: true, defaults: true, security: true });

/**
 * Validates the serving keys of a config (see {@link ServingConfig}); its other keys (a run's
 * dataset, evaluators) are neither required nor checked, so one file can serve both.
 */
export function parseServingConfig(input: unknown, options: ParseOptions = {}): ServingConfig {
  const picked =
    input !== null && typeof input === 'object' && !Array.isArray(input)
      ? Object.fromEntries(Object.entries(input).filter(([key]) => (SERVING_KEYS as readonly string[]).includes(key)))
      : input;
  const parsed = validate(servingConfigSchema, picked, options);
  return {
    providers: parsed.providers,
    plugins: parsed.plugins,
    defaults: parsed.defaults,
    ...(parsed.cache !== undefined ? { cache: parsed.cache } : {}),
    ...(parsed.singleFlight !== undefined ? { singleFlight: parsed.singleFlight } : {}),
    ...(parsed.security !== undefined ? { security: parsed.security } : {}),
    ...(options.file ? { file: options.file } : {}),
    baseDir: options.baseDir ?? (options.file ? dirname(options.file) : process.cwd()),
  };
}

/** Reads a config file (YAML or JSON) for its serving keys; errors name the file and the path. */
export async function loadServingConfig(path: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<ServingConfig> {
  const file = resolve(path);
  return parseServingConfig(await readConfigFile(file), { file, ...(options.env ? { env: options.env } : {}) });
}

/**
 * How far YAML aliases may expand (yaml's `maxAliasCount`: alias uses weighted by the aliases
 * inside what they copy). A config reusing a settings block a few times is far below it; a
 * document of nested aliases that would grow exponentially (a "billion laughs") is refused.
 */
const MAX_YAML_ALIASES = 100;

/** Reads, parses (YAML or JSON by extension) and validates a config file. */
export async function loadConfig(path: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<LoadedConfig> {
  const file = resolve(path);
  return parseConfig(await readConfigFile(file), { file, ...(options.env ? { env: options.env } : {}) });
}

/** A config file's text parsed as YAML or JSON (by extension), not yet validated. */
async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError({
      file,
      message:
        code === 'ENOENT'
          ? 'config file not found. Check the path, or start from examples/quickstart/llm-lab.yaml.'
          : `cannot read the config file (${code ?? String(error)}).`,
      cause: error,
    });
  }
  let parsed: unknown;
  if (extname(file).toLowerCase() === '.json') {
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError({ file, message: `invalid JSON: ${(error as Error).message}`, cause: error });
    }
  } else {
    // yaml is CommonJS: its exports object is the default export in Node, in jest and in the
    // bundled CLI alike (a bundler's dynamic import of CommonJS gives only the default).
    const { default: yaml } = await import('yaml');
    const document = yaml.parseDocument(text, { prettyErrors: true });
    if (document.errors.length > 0) {
      const [first] = document.errors;
      const position = first?.linePos?.[0];
      const where = position ? ` at line ${position.line}, column ${position.col}` : '';
      throw new ConfigError({ file, message: `invalid YAML${where}: ${first?.message.split('\n')[0] ?? 'parse error'}` });
    }
    try {
      parsed = document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (error) {
      // yaml throws a ReferenceError when aliases would expand past the limit (a "billion laughs").
      const excessive = error instanceof Error && /excessive alias count/i.test(error.message);
      throw new ConfigError({
        file,
        message: excessive
          ? `too many YAML aliases: its anchors and aliases (&name, *name) would expand past ${MAX_YAML_ALIASES} copies, so it is refused ` +
            'rather than expanded. Use fewer aliases (or none nested inside another) and write the repeated values out.'
          : `invalid YAML: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
  }
  return parsed;
}
