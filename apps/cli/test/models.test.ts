import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { cleanEnv, runCli } from './helpers.js';

// A model listed by `models list --dir X` must be usable by `chat` as the list shows it. Most of
// this needs no real model: a GGUF header is enough to be found (loading it then fails). The
// real-inference case uses the tiny model in ../shared/models, and skips without it.
const sharedModel = resolve(fileURLToPath(new URL('../../../../shared/models/stories260K.gguf', import.meta.url)));
const haveModel = existsSync(sharedModel);
if (!haveModel) console.warn(`skipping real GGUF chat from a listed folder: ${sharedModel} is missing (it lives in ../shared beside the repository)`);

/** A GGUF header with no tensors: found and read as GGUF by name, but not loadable. */
function writeHeaderOnlyGguf(path: string): void {
  const u32 = (value: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(value); return b; };
  const u64 = (value: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(value)); return b; };
  const str = (value: string) => Buffer.concat([u64(Buffer.byteLength(value)), Buffer.from(value)]);
  writeFileSync(path, Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(1), str('general.architecture'), u32(8), str('llama')]));
}

let work: string;
let models: string;
/** A user with an empty default models folder and no LLM_LAB_MODELS_DIR. */
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-lab-models-'));
  models = join(work, 'shared models');
  await mkdir(models);
  writeHeaderOnlyGguf(join(models, 'tiny.gguf'));
  env = cleanEnv({ HOME: join(work, 'home'), LLM_LAB_MODELS_DIR: undefined });
});

describe('models list and chat agree on a models folder', () => {
  it('models list --dir prints the chat command and config entry that find the model there', async () => {
    const result = await runCli(['models', 'list', '--dir', models], { env, cwd: work });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/gguf:tiny\s+/);
    expect(result.stdout).toContain(`Chat with it:  llm-lab chat gguf:tiny --models-dir '${models}' "Once upon a time"`);
    expect(result.stdout).toContain(`In a config:   - { id: "gguf:tiny", config: { modelsDir: ${JSON.stringify(models)} } }`);
  });

  it('chat --models-dir finds a model by the name models list showed', async () => {
    const result = await runCli(['chat', 'gguf:tiny', 'hi', '--models-dir', models], { env, cwd: work });
    // Found: what fails is loading a file that is only a header (or a missing node-llama-cpp).
    expect(result.stderr).not.toMatch(/No GGUF model|unknown option/);
    expect(result.stderr).toMatch(new RegExp(`could not load the GGUF model at ${escape(join(models, 'tiny.gguf'))}|node-llama-cpp', which is not installed`));
    expect(result.code).toBe(1);
  }, 60_000);

  it('a name not found says where it looked and how to point at the folder (exit 2)', async () => {
    const defaultDir = join(work, 'home', '.cache', 'llm-lab', 'models');
    const missing = await runCli(['chat', 'gguf:tiny', 'hi'], { env, cwd: work });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`looked for ${join(defaultDir, 'tiny')} and ${join(defaultDir, 'tiny.gguf')}`);
    expect(missing.stderr).toContain('point at it: `--models-dir <folder>` (llm-lab chat, llm-lab bench)');

    const elsewhere = await runCli(['chat', 'gguf:nope', 'hi', '--models-dir', models], { env, cwd: work });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(`looked for ${join(models, 'nope')} and ${join(models, 'nope.gguf')}. Models in ${models}: tiny.gguf.`);
  });

  it('bench --models-dir looks gguf:<name> up in that folder, as chat does', async () => {
    const data = join(work, 'gsm8k.jsonl');
    writeFileSync(data, `${JSON.stringify({ question: 'What is 2 + 3?', answer: 'Two and three.\n#### 5' })}\n`);
    const elsewhere = await runCli(['bench', 'gsm8k', '--provider', 'gguf:nope', '--models-dir', models, '--data', data, '--data-dir', join(work, 'db')], { env, cwd: work });
    expect(elsewhere.stderr).toContain(`looked for ${join(models, 'nope')} and ${join(models, 'nope.gguf')}. Models in ${models}: tiny.gguf.`);
    expect(elsewhere.code).toBe(2);
  });

  (haveModel ? it : it.skip)('bench --models-dir runs a model by the name models list showed', async () => {
    const folder = join(work, 'bench models');
    await mkdir(folder);
    copyFileSync(sharedModel, join(folder, 'stories260K.gguf'));
    const data = join(work, 'gsm8k-one.jsonl');
    writeFileSync(data, `${JSON.stringify({ question: 'What is 2 + 3?', answer: 'Two and three.\n#### 5' })}\n`);
    const result = await runCli(
      ['bench', 'gsm8k', '--provider', 'gguf:stories260K', '--models-dir', folder, '--data', data, '--max-tokens', '8', '--concurrency', '1', '--json', '--data-dir', join(work, 'db')],
      { env, cwd: work },
    );
    expect(result.stderr).not.toMatch(/^error/m);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { totals: { results: number }; providers: Array<{ errors: number; outputTokens: number }> };
    expect(report.totals.results).toBe(1);
    expect(report.providers[0]).toMatchObject({ errors: 0 });
    expect(report.providers[0]?.outputTokens).toBeGreaterThan(0);
  }, 120_000);

  (haveModel ? it : it.skip)('the chat command models list prints runs the model', async () => {
    const folder = join(work, 'real');
    await mkdir(folder);
    copyFileSync(sharedModel, join(folder, 'stories260K.gguf'));
    const listed = await runCli(['models', 'list', '--dir', folder], { env, cwd: work });
    const command = /Chat with it: {2}llm-lab (.*) "Once upon a time"/.exec(listed.stdout)?.[1];
    expect(command).toBe(`chat gguf:stories260K --models-dir ${folder}`);
    const result = await runCli([...(command ?? '').split(' '), 'Once upon a time', '--max-tokens', '8'], { env, cwd: work });
    expect(result.stderr).not.toMatch(/^error/m);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().length).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/^gguf:stories260K · (stop|length) · first token/m);
  }, 60_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
