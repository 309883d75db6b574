import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import type { Ajv as AjvClass } from 'ajv';
import { parse } from 'yaml';
import { runCli } from './helpers.js';

jest.setTimeout(180_000);

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});
const emptyFolder = async () => {
  const folder = await mkdtemp(join(tmpdir(), 'llm-lab-init-'));
  folders.push(folder);
  return folder;
};
const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };

describe('llm-lab init', () => {
  it.each(['qa', 'rag', 'code', 'safety'])('writes a %s config that runs offline in an empty folder and passes every case', async (example) => {
    const folder = await emptyFolder();
    const init = await runCli(['init', '--yes', '--example', example], { cwd: folder });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/Next: npx llm-lab run llm-lab\.yaml/);

    const config = await readFile(join(folder, 'llm-lab.yaml'), 'utf8');
    expect(config.split('\n')[0]).toBe('# yaml-language-server: $schema=.llm-lab/llm-lab.schema.json');
    const schema = JSON.parse(await readFile(join(folder, '.llm-lab/llm-lab.schema.json'), 'utf8')) as object;
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate(parse(config))).toBe(true);
    expect(await readFile(join(folder, 'README.md'), 'utf8')).toContain('npx llm-lab run llm-lab.yaml');

    const run = await runCli(['run', 'llm-lab.yaml', '--json', '--no-progress'], { cwd: folder });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { providers: Array<{ providerId: string; passed: number; errors: number; results: number }> };
    expect(report.providers).toHaveLength(1);
    const [only] = report.providers;
    expect(only?.errors).toBe(0);
    expect(only?.passed).toBeGreaterThan(0);
    expect(only?.passed).toBe(only?.results);
  });

  it('names the chosen real provider and the key it reads, and keeps an existing README', async () => {
    const folder = await emptyFolder();
    await writeFile(join(folder, 'README.md'), '# My project\n');
    const init = await runCli(['init', '--yes', '--provider', 'openai:gpt-4o-mini'], { cwd: folder });
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/Set OPENAI_API_KEY before running/);
    const config = await readFile(join(folder, 'llm-lab.yaml'), 'utf8');
    expect(config).toMatch(/- id: openai:gpt-4o-mini\s+# reads OPENAI_API_KEY/);
    expect(config).not.toContain('mock:');
    const readme = await readFile(join(folder, 'README.md'), 'utf8');
    expect(readme.startsWith('# My project\n')).toBe(true);
    expect(readme).toContain('npx llm-lab run llm-lab.yaml');
  });

  it('never overwrites a config without --force, and refuses an unknown example or provider id', async () => {
    const folder = await emptyFolder();
    await writeFile(join(folder, 'llm-lab.yaml'), 'mine: true\n');
    const refused = await runCli(['init', '--yes'], { cwd: folder });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/llm-lab\.yaml already exists; nothing was written\. Pass --force/);
    expect(await readFile(join(folder, 'llm-lab.yaml'), 'utf8')).toBe('mine: true\n');

    const other = await emptyFolder();
    expect((await runCli(['init', '--yes', '--example', 'poetry'], { cwd: other })).stderr).toMatch(/--example 'poetry' is not one of qa, rag, code, safety/);
    expect((await runCli(['init', '--yes', '--provider', 'gpt4'], { cwd: other })).stderr).toMatch(/--provider 'gpt4' is not a provider id/);

    const forced = await runCli(['init', '--yes', '--force'], { cwd: folder });
    expect(forced.code).toBe(0);
    expect(await readFile(join(folder, 'llm-lab.yaml'), 'utf8')).toContain('providers:');
  });

  it('prints the config schema', async () => {
    const printed = await runCli(['schema']);
    expect(printed.code).toBe(0);
    const schema = JSON.parse(printed.stdout) as { title: string; properties: Record<string, unknown> };
    expect(schema.title).toBe('LLM Lab config (llm-lab.yaml)');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['providers', 'prompts', 'dataset', 'evaluators', 'run']));
  });
});
