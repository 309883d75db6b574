import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { Ajv as AjvClass } from 'ajv';
import { parse } from 'yaml';
import { configJsonSchema, descriptionsFromConfigDocs } from '../src/config-json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const published = JSON.parse(read('packages/lab/schema/llm-lab.schema.json')) as Record<string, unknown>;
const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
const validate = new Ajv({ strict: false, allErrors: true }).compile(published);
const problems = (config: unknown) => (validate(config) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`));

const topLevelKeys = new Set(Object.keys(published.properties as object));

/**
 * The YAML blocks of a markdown file that are configs or parts of one (every top-level key is a
 * config key); a part without `providers:` or `dataset:` gets one, since a config needs both.
 */
function configBlocks(path: string): Array<{ where: string; config: unknown }> {
  return [...read(path).matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((match, index) => ({ where: `${path} block ${index + 1}`, value: parse(match[1]!) as unknown }))
    .filter(({ value }) => typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).every((key) => topLevelKeys.has(key)))
    .map(({ where, value }) => ({ where, config: { providers: ['mock:echo'], dataset: { rows: [{ q: 'x' }] }, ...(value as object) } }));
}

describe('the JSON Schema of llm-lab.yaml', () => {
  it('is generated from the zod schemas and docs/config.md (the published file is not edited by hand)', () => {
    const generated = configJsonSchema({ descriptions: descriptionsFromConfigDocs(read('docs/config.md')) });
    expect(published).toEqual(JSON.parse(JSON.stringify(generated)));
  });

  it('describes keys with the text of docs/config.md', () => {
    const properties = published.properties as Record<string, { description?: string; properties?: Record<string, { description?: string }> }>;
    expect(properties.run?.properties?.concurrency?.description).toBe("Calls in flight at once in one process (the engine's workers). See Run options.");
    expect(properties.dataset?.properties?.idField?.description).toMatch(/stable case id/);
  });

  it('accepts every example config in the repository', () => {
    const examples = [
      { where: 'examples/quickstart/llm-lab.yaml', config: parse(read('examples/quickstart/llm-lab.yaml')) as unknown },
      ...['README.md', 'docs/config.md', 'docs/evaluators.md', 'docs/benchmarks.md'].flatMap(configBlocks),
    ];
    expect(examples.length).toBeGreaterThan(3);
    for (const { where, config } of examples) expect({ where, problems: problems(config) }).toEqual({ where, problems: [] });
  });

  it('rejects the documented mistakes: a misspelt key, a wrong type, an unknown evaluator field, no providers', () => {
    const base = { providers: ['mock:echo'], prompts: ['{{question}}'], dataset: { rows: [{ question: 'hi' }] } };
    expect(problems({ ...base, run: { concurency: 4 } })).toEqual(expect.arrayContaining([expect.stringMatching(/^\/run must NOT have additional properties/)]));
    expect(problems({ ...base, run: { concurrency: 'four' } })).toEqual(expect.arrayContaining(['/run/concurrency must be integer']));
    expect(problems({ ...base, evaluators: [{ type: 'equals', valu: 'x' }] }).length).toBeGreaterThan(0);
    expect(problems({ ...base, evaluators: [{ type: 'equals', value: 'x' }] })).toEqual([]);
    expect(problems({ ...base, evaluators: [{ type: 'Not a check' }] }).length).toBeGreaterThan(0);
    expect(problems({ ...base, evaluators: [{ type: 'llm-lab-evaluator-shout', anything: 1 }] })).toEqual([]);
    expect(problems({ ...base, providers: [] })).toEqual(expect.arrayContaining(['/providers must NOT have fewer than 1 items']));
    expect(problems({ ...base, providers: [{ id: 'mock:a', retry: { maxAtempts: 3 } }] }).length).toBeGreaterThan(0);
    expect(problems({ ...base, providers: [{ id: 'mock:a', retry: { maxAttempts: 3 } }] })).toEqual([]);
  });
});
