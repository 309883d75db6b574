import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError, parseConfig, type LabConfigInput, type LoadedConfig } from '@llm-lab/core';
import { parse as parseYaml } from 'yaml';
import { readStructured } from './promptfoo-files.js';
import { formatIssues, Issues, type PromptfooIssue } from './promptfoo-issues.js';
import { mapPrompts } from './promptfoo-prompts.js';
import { mapEmbeddingReference, mapGraderReference, mapProvider } from './promptfoo-providers.js';
import { checkTestKeys, collectTests, expandVars, mapAssertions, resolveVar } from './promptfoo-tests.js';

/** Top-level promptfoo keys that change no pass/fail, skipped with a warning. */
const SAFE_TOP_KEYS: Record<string, string> = {
  outputPath: 'use llm-lab run --output instead',
  sharing: 'results are not shared; they stay in LLM Lab storage',
  tags: 'not recorded',
  metadata: 'not recorded',
  writeLatestResults: 'every run is stored',
  tracing: 'not mapped',
  derivedMetrics: 'not computed; LLM Lab reports accuracy with intervals per provider and prompt',
  extensions: 'extension hooks do not run',
  commandLineOptions: 'give the options to llm-lab run',
  env: 'set these variables in your environment',
};

/** The outcome of reading a promptfoo config: the LLM Lab config it maps to, and what did not map. */
export interface PromptfooConversion {
  /** The equivalent LLM Lab config (before validation). */
  config: LabConfigInput;
  issues: PromptfooIssue[];
}

/**
 * True when a parsed config file is promptfoo's: named `promptfooconfig.*`, or shaped like one
 * (`tests`, `defaultTest` or `scenarios`, and no LLM Lab `dataset`).
 */
export function isPromptfooConfig(document: unknown, file?: string): boolean {
  if (file !== undefined && /^promptfooconfig\./i.test(basename(file))) return true;
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return false;
  const keys = new Set(Object.keys(document));
  return !keys.has('dataset') && !keys.has('evaluators') && (keys.has('tests') || keys.has('defaultTest') || keys.has('scenarios'));
}

/**
 * Maps a parsed promptfoo config onto LLM Lab's: providers (ids and `config:` keys), prompts
 * (inline, `file://`, `---`-separated, chat JSON), tests (inline, CSV with `__expected`, JSONL,
 * YAML, globs) as dataset rows whose own `assert` checks the engine runs, `defaultTest` (vars
 * merged into each test, asserts as `evaluators:`, options.provider as the grader), `threshold`
 * as the row's `__threshold`, and `evaluateOptions`. Everything that cannot be mapped is in
 * `issues`, each with its path in the file.
 */
export function mapPromptfooConfig(document: unknown, baseDir: string): PromptfooConversion {
  const issues = new Issues();
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    issues.error('(root)', 'expected a promptfoo config: a YAML mapping with prompts, providers and tests');
    return { config: { providers: [], prompts: [] } as unknown as LabConfigInput, issues: issues.list };
  }
  const doc = document as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (['description', 'providers', 'targets', 'prompts', 'tests', 'defaultTest', 'evaluateOptions'].includes(key)) continue;
    const why = SAFE_TOP_KEYS[key];
    if (why !== undefined) issues.warn(key, `ignored: ${why}`);
    else issues.error(key, `'${key}' has no LLM Lab equivalent`);
  }

  const providerList = doc['providers'] ?? doc['targets'];
  const providerKey = doc['providers'] !== undefined ? 'providers' : 'targets';
  const providerItems = typeof providerList === 'string' ? [providerList] : Array.isArray(providerList) ? providerList : [];
  if (providerItems.length === 0) issues.error(providerKey, 'expected at least one provider');
  const providers = providerItems.flatMap((item, index) => {
    const mapped = mapProvider(item, Array.isArray(providerList) ? `${providerKey}[${index}]` : providerKey, issues);
    if (!mapped) return [];
    const plain = mapped.label === undefined && Object.keys(mapped.config).length === 0 && Object.keys(mapped.settings).length === 0;
    return [plain ? mapped.id : { id: mapped.id, ...(mapped.label ? { label: mapped.label } : {}), config: mapped.config, ...(Object.keys(mapped.settings).length > 0 ? { settings: mapped.settings } : {}) }];
  });

  const prompts = mapPrompts(doc['prompts'], baseDir, issues);

  // defaultTest: a file reference or an object.
  let defaultTest: Record<string, unknown> = {};
  const rawDefault = doc['defaultTest'];
  if (typeof rawDefault === 'string') {
    try {
      defaultTest = readStructured(resolve(baseDir, rawDefault.replace(/^file:\/\//, ''))) as Record<string, unknown>;
    } catch (error) {
      issues.error('defaultTest', `could not read ${rawDefault}: ${(error as Error).message}`);
    }
  } else if (rawDefault !== null && typeof rawDefault === 'object') defaultTest = rawDefault as Record<string, unknown>;
  checkTestKeys(defaultTest, 'defaultTest', issues);
  const graderOf = (options: unknown, path: string) => {
    const provider = (options as { provider?: unknown } | undefined)?.provider;
    if (provider === undefined) return {};
    // promptfoo's { text, embedding } form names the grader and the embedding model apart.
    if (provider !== null && typeof provider === 'object' && ('text' in provider || 'embedding' in provider)) {
      const both = provider as { text?: unknown; embedding?: unknown };
      return {
        ...(both.text !== undefined ? { judge: mapGraderReference(both.text, `${path}.text`, issues) } : {}),
        ...(both.embedding !== undefined ? { embedding: mapEmbeddingReference(both.embedding, `${path}.embedding`, issues) } : {}),
      };
    }
    return { judge: mapGraderReference(provider, path, issues) };
  };
  const defaults = graderOf(defaultTest['options'], 'defaultTest.options.provider');
  const evaluators = mapAssertions(defaultTest['assert'], 'defaultTest.assert', defaults, issues);
  const defaultVars = (defaultTest['vars'] ?? {}) as Record<string, unknown>;
  const defaultThreshold = typeof defaultTest['threshold'] === 'number' ? defaultTest['threshold'] : undefined;

  const rows: Array<Record<string, unknown>> = [];
  for (const { test, path } of collectTests(doc['tests'], baseDir, issues)) {
    checkTestKeys(test, path, issues);
    const ownDefaults = { ...defaults, ...graderOf(test['options'], `${path}.options.provider`) };
    const checks = mapAssertions(test['assert'], `${path}.assert`, ownDefaults, issues);
    const vars: Record<string, unknown> = {};
    for (const [key, value] of Object.entries({ ...defaultVars, ...((test['vars'] ?? {}) as Record<string, unknown>) })) {
      vars[key] = Array.isArray(value) ? value.map((item, index) => resolveVar(item, baseDir, `${path}.vars.${key}[${index}]`, issues)) : resolveVar(value, baseDir, `${path}.vars.${key}`, issues);
    }
    const threshold = typeof test['threshold'] === 'number' ? test['threshold'] : defaultThreshold;
    const combinations = expandVars(vars);
    combinations.forEach((combination, index) => {
      const number = rows.length + 1;
      rows.push({
        ...combination,
        __id: `test-${number}`,
        ...(typeof test['description'] === 'string' ? { __description: combinations.length > 1 ? `${test['description']} (${index + 1})` : test['description'] } : {}),
        ...(checks.length > 0 ? { assert: checks } : {}),
        ...(threshold !== undefined ? { __threshold: threshold } : {}),
      });
    });
  }
  if (rows.length === 0) issues.error('tests', 'no test cases: LLM Lab runs each prompt against the rows of its dataset (one empty test runs a prompt once)');

  const evaluateOptions = (doc['evaluateOptions'] ?? {}) as Record<string, unknown>;
  const run: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(evaluateOptions)) {
    if (key === 'maxConcurrency') run['concurrency'] = value;
    else if (key === 'repeat') run['repeat'] = value;
    else if (['delay', 'showProgressBar', 'cache', 'timeoutMs'].includes(key)) {
      if (key === 'timeoutMs') run['timeoutMs'] = value;
      else issues.warn(`evaluateOptions.${key}`, 'ignored: it changes no pass/fail');
    } else issues.error(`evaluateOptions.${key}`, `'${key}' has no LLM Lab equivalent`);
  }

  const rowChecks = { field: 'assert', ...(defaults.judge ? { judge: defaults.judge } : {}), ...(defaults.embedding ? { embedding: defaults.embedding } : {}) };
  const config = {
    ...(typeof doc['description'] === 'string' ? { description: doc['description'] } : {}),
    providers,
    prompts,
    dataset: { rows, idField: '__id', rowChecks },
    ...(evaluators.length > 0 ? { evaluators } : {}),
    ...(Object.keys(run).length > 0 ? { run } : {}),
  } as unknown as LabConfigInput;
  return { config, issues: issues.list };
}

/** Options of {@link loadPromptfooConfig}. */
export interface LoadPromptfooOptions {
  /** Run despite errors? Never: errors always stop. Warnings are returned for the caller to show. */
  onWarning?: (issue: PromptfooIssue) => void;
}

/**
 * Reads a promptfoo config file and returns the validated LLM Lab config it maps to (relative
 * files resolved against the file's folder) and the warnings. Throws one ConfigError listing
 * every error, each with its path, when anything would score differently from promptfoo.
 */
export function loadPromptfooConfig(file: string): { loaded: LoadedConfig; issues: PromptfooIssue[]; config: LabConfigInput } {
  const absolute = resolve(file);
  const baseDir = dirname(absolute);
  let document: unknown;
  try {
    document = parseYaml(readFileSync(absolute, 'utf8'));
  } catch (error) {
    throw new ConfigError({ file: absolute, message: `could not read the promptfoo config: ${(error as Error).message}` });
  }
  const { config, issues } = mapPromptfooConfig(document, baseDir);
  const errors = issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) {
    throw new ConfigError({
      file: absolute,
      message: `this promptfoo config has ${errors.length} part${errors.length === 1 ? '' : 's'} LLM Lab cannot run as promptfoo would; nothing was run:\n${formatIssues(issues)}`,
    });
  }
  return { loaded: parseConfig(config, { file: absolute, baseDir }), issues, config };
}

/** Reads a config file's YAML and says whether it is promptfoo's (see {@link isPromptfooConfig}). */
export function isPromptfooConfigFile(file: string): boolean {
  try {
    return isPromptfooConfig(parseYaml(readFileSync(file, 'utf8')), file);
  } catch {
    return false;
  }
}
