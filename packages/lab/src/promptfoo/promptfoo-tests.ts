import { extname } from 'node:path';
import type { EvaluatorEntry } from '@llm-lab/core';
import { assertionFromExpected, mapPromptfooAssertion, type AssertionDefaults, type PromptfooAssertion } from '@llm-lab/evaluation';
import { expandFiles, readStructured, shown, withoutScheme } from './promptfoo-files.js';
import type { Issues } from './promptfoo-issues.js';
import { mapEmbeddingReference, mapGraderReference } from './promptfoo-providers.js';

/** A promptfoo test case as read from the config or a file, with where it came from. */
export interface SourcedTest {
  test: Record<string, unknown>;
  /** `tests[2]`, or `tests.csv row 3`. */
  path: string;
}

/** promptfoo test keys LLM Lab maps; others are reported. */
const TEST_KEYS = new Set(['vars', 'assert', 'description', 'threshold', 'options', 'metadata']);

/** A CSV row as promptfoo reads it: `__expected*` columns as assertions, `__threshold`, `__description`; the rest are vars. */
function testFromCsvRow(row: Record<string, string>, path: string, issues: Issues): Record<string, unknown> {
  const vars: Record<string, string> = {};
  const assert: PromptfooAssertion[] = [];
  const test: Record<string, unknown> = { vars, assert };
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith('__expected')) {
      if (value.trim() !== '') assert.push({ ...assertionFromExpected(value), __column: key });
    } else if (key === '__threshold') {
      if (value.trim() !== '') test['threshold'] = Number.parseFloat(value);
    } else if (key === '__description') test['description'] = value;
    else if (key === '__metric') {
      if (value.trim() !== '') for (const assertion of assert) assertion.metric = value;
    } else if (key.startsWith('__')) issues.error(`${path}: ${key}`, `CSV column '${key}' has no LLM Lab equivalent`);
    else vars[key] = value;
  }
  return test;
}

/** The tests of one file: CSV rows, JSONL lines, or a YAML/JSON list. */
function testsOfFile(file: string, baseDir: string, issues: Issues): SourcedTest[] {
  const name = shown(file, baseDir);
  let content: unknown;
  try {
    content = readStructured(file);
  } catch (error) {
    issues.error(name, `could not read the tests: ${(error as Error).message}`);
    return [];
  }
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') {
    return (content as Record<string, string>[]).map((row, index) => {
      const path = `${name} row ${index + 2}`;
      return { test: testFromCsvRow(row, path, issues), path };
    });
  }
  const list = Array.isArray(content) ? content : undefined;
  if (!list) {
    issues.error(name, 'expected a list of test cases (YAML/JSON list, JSONL lines or CSV rows)');
    return [];
  }
  return list.map((test, index) => ({ test: test as Record<string, unknown>, path: extension === '.jsonl' ? `${name} line ${index + 1}` : `${name}[${index}]` }));
}

/** Every test of `tests:` (inline objects, file references, globs, CSV/JSONL/YAML files), in order. */
export function collectTests(value: unknown, baseDir: string, issues: Issues): SourcedTest[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  const tests: SourcedTest[] = [];
  items.forEach((item, index) => {
    const path = Array.isArray(value) ? `tests[${index}]` : 'tests';
    if (typeof item === 'string') {
      if (/\.(?:js|mjs|cjs|ts|py)(?::\w+)?$/.test(item) || /^(?:huggingface|hf):/.test(item) || /^https?:/.test(item)) {
        issues.error(path, `test generators and remote test sources (${item}) are not mapped; export the tests to CSV, JSONL or YAML`);
        return;
      }
      try {
        for (const file of expandFiles(withoutScheme(item), baseDir)) tests.push(...testsOfFile(file, baseDir, issues));
      } catch (error) {
        issues.error(path, (error as Error).message);
      }
    } else if (item !== null && typeof item === 'object' && !Array.isArray(item)) tests.push({ test: item as Record<string, unknown>, path });
    else issues.error(path, 'expected a test case object or a file reference');
  });
  return tests;
}

/**
 * A var's value with `file://` references read: text files as text, YAML as JSON text, as
 * promptfoo renders them; scripts are errors.
 */
export function resolveVar(value: unknown, baseDir: string, path: string, issues: Issues): unknown {
  if (typeof value !== 'string' || !value.startsWith('file://')) return value;
  if (/\.(?:js|mjs|cjs|ts|py)(?::\w+)?$/.test(value)) {
    issues.error(path, `vars computed by scripts (${value}) are not mapped`);
    return value;
  }
  try {
    const [file] = expandFiles(value, baseDir);
    const content = readStructured(file as string);
    return typeof content === 'string' ? content : JSON.stringify(content);
  } catch (error) {
    issues.error(path, (error as Error).message);
    return value;
  }
}

/** Every combination of the array-valued vars (promptfoo runs one test per combination). */
export function expandVars(vars: Record<string, unknown>): Array<Record<string, unknown>> {
  let combinations: Array<Record<string, unknown>> = [{}];
  for (const [key, value] of Object.entries(vars)) {
    const choices = Array.isArray(value) && key !== '_conversation' ? value : [value];
    combinations = combinations.flatMap((combination) => choices.map((choice) => ({ ...combination, [key]: choice })));
  }
  return combinations;
}

/** A list of promptfoo assertions as LLM Lab entries; what cannot be mapped is reported at its path. */
export function mapAssertions(value: unknown, path: string, defaults: AssertionDefaults, issues: Issues): EvaluatorEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    issues.error(path, 'expected a list of assertions');
    return [];
  }
  const entries: EvaluatorEntry[] = [];
  value.forEach((assertion: PromptfooAssertion & { __column?: string }, index) => {
    const at = assertion?.__column !== undefined ? `${path.replace(/\.assert$/, '')}: ${assertion.__column}` : `${path}[${index}]`;
    if (assertion?.type === 'assert-set' || assertion?.type === 'select-best' || assertion?.type === 'max-score') {
      issues.error(`${at}.type`, `${assertion.type} is not mapped: list its assertions one by one`);
      return;
    }
    const { __column: _column, transform, config, rubricPrompt, ...rest } = assertion ?? ({} as PromptfooAssertion);
    if (transform !== undefined) issues.error(`${at}.transform`, 'assertion transforms are not mapped: they change what is checked');
    if (rubricPrompt !== undefined) issues.error(`${at}.rubricPrompt`, 'custom grader prompts are not mapped');
    if (config !== undefined) issues.error(`${at}.config`, 'assertion config is not mapped');
    const assertionOwn = rest as PromptfooAssertion;
    if (assertionOwn.provider !== undefined) {
      const providerPath = `${at}.provider`;
      assertionOwn.provider = String(assertionOwn.type).endsWith('similar')
        ? mapEmbeddingReference(assertionOwn.provider, providerPath, issues)
        : mapGraderReference(assertionOwn.provider, providerPath, issues);
    }
    const mapped = mapPromptfooAssertion(assertionOwn, defaults);
    if ('problem' in mapped) issues.error(assertion?.__column !== undefined ? at : `${at}.${mapped.field}`, mapped.problem);
    else entries.push(mapped.entry);
  });
  return entries;
}

/** Keys of a test that are not mapped, reported (metadata is kept out of scoring, so it is safe to drop). */
export function checkTestKeys(test: Record<string, unknown>, path: string, issues: Issues): void {
  for (const key of Object.keys(test)) {
    if (TEST_KEYS.has(key)) continue;
    issues.error(`${path}.${key}`, `test key '${key}' has no LLM Lab equivalent`);
  }
  const options = test['options'];
  if (options !== null && typeof options === 'object') {
    for (const key of Object.keys(options)) {
      if (key === 'provider') continue;
      issues.error(`${path}.options.${key}`, `test option '${key}' has no LLM Lab equivalent`);
    }
  }
}
