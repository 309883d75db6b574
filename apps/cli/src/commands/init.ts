import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { LLMLabError } from '@llm-lab/core';
import { ExitCode } from '../errors.js';
import { INIT_EXAMPLES, INIT_PROVIDERS, type InitExample } from './init-examples.js';

export interface InitFlags {
  provider?: string;
  example?: string;
  yes?: boolean;
  force?: boolean;
}

/** Where the editor schema is copied, relative to the folder: beside the data, offline. */
const SCHEMA_FILE = '.llm-lab/llm-lab.schema.json';
const PROVIDER_ID = /^[a-z0-9][a-z0-9_.-]*:.+$/;

function exampleNamed(name: string): InitExample {
  const example = INIT_EXAMPLES.find((candidate) => candidate.name === name);
  if (!example) {
    throw new LLMLabError('config_init', `--example '${name}' is not one of ${INIT_EXAMPLES.map((candidate) => candidate.name).join(', ')}.`);
  }
  return example;
}

function checkProvider(id: string): string {
  if (!PROVIDER_ID.test(id)) {
    throw new LLMLabError('config_init', `--provider '${id}' is not a provider id: write <provider>:<model>, e.g. ${INIT_PROVIDERS.map((provider) => provider.id).slice(0, 3).join(', ')}.`);
  }
  return id;
}

/** Asks on a terminal; each question has a default (Enter). */
async function ask(flags: InitFlags): Promise<{ provider: string; example: InitExample }> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    let example = flags.example ? exampleNamed(flags.example) : undefined;
    if (!example) {
      process.stdout.write('What do you want to evaluate?\n');
      INIT_EXAMPLES.forEach((candidate, index) => process.stdout.write(`  ${index + 1}. ${candidate.name}: ${candidate.summary}\n`));
      const answer = (await rl.question('Choose [1]: ')).trim();
      const chosen = INIT_EXAMPLES[answer === '' ? 0 : Number(answer) - 1] ?? INIT_EXAMPLES.find((candidate) => candidate.name === answer);
      example = chosen ?? exampleNamed(answer);
    }
    let provider = flags.provider;
    if (!provider) {
      process.stdout.write('Which model?\n');
      INIT_PROVIDERS.forEach((candidate, index) => process.stdout.write(`  ${index + 1}. ${candidate.id} (${candidate.note})\n`));
      const answer = (await rl.question('Choose, or type a provider id [1]: ')).trim();
      provider = answer === '' ? INIT_PROVIDERS[0]!.id : (INIT_PROVIDERS[Number(answer) - 1]?.id ?? answer);
    }
    return { provider: checkProvider(provider), example };
  } finally {
    rl.close();
  }
}

/** The config `init` writes. */
export function renderConfig(example: InitExample, provider: string): string {
  const known = INIT_PROVIDERS.find((candidate) => candidate.id === provider);
  const mock = provider.startsWith('mock:');
  const providerLines = mock
    ? [
        '  # The mock provider is not a language model: it answers from the dataset, so this runs offline.',
        '  # Replace it with a real model, e.g. openai:gpt-4o-mini (needs OPENAI_API_KEY).',
        `  - id: ${provider}`,
        `    config: ${example.mockConfig}`,
      ]
    : [`  - id: ${provider}${known?.env ? `          # reads ${known.env} from the environment` : ''}`];
  return [
    `# yaml-language-server: $schema=${SCHEMA_FILE}`,
    '# Run it: npx llm-lab run llm-lab.yaml   (every key: llm-lab schema, or docs/config.md)',
    `description: ${example.description}`,
    '',
    'providers:',
    ...providerLines,
    '',
    example.body.trimEnd(),
    '',
    'dataset:',
    `  path: data/${example.dataset.file}`,
    '  idField: id',
    '',
  ].join('\n');
}

/**
 * `llm-lab init [folder]`: writes a working `llm-lab.yaml`, a small dataset under `data/`, the
 * editor schema, and a line in README.md. Refuses to overwrite an existing config (`--force`).
 */
export async function initCommand(folder: string | undefined, flags: InitFlags): Promise<number> {
  const target = resolve(folder ?? '.');
  const configPath = join(target, 'llm-lab.yaml');
  if (existsSync(configPath) && !flags.force) {
    throw new LLMLabError('config_init', `${configPath} already exists; nothing was written. Pass --force to replace it, or choose another folder.`);
  }
  const interactive = !flags.yes && process.stdin.isTTY === true && process.stdout.isTTY === true;
  const { provider, example } = interactive
    ? await ask(flags)
    : { provider: checkProvider(flags.provider ?? INIT_PROVIDERS[0]!.id), example: exampleNamed(flags.example ?? 'qa') };

  await mkdir(join(target, 'data'), { recursive: true });
  await mkdir(join(target, '.llm-lab'), { recursive: true });
  const datasetPath = join(target, 'data', example.dataset.file);
  const written: string[] = [];
  if (!existsSync(datasetPath) || flags.force) {
    await writeFile(datasetPath, example.dataset.rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
    written.push(datasetPath);
  }
  await writeFile(configPath, renderConfig(example, provider));
  written.push(configPath);
  const schema = (await import('@llm-lab/lab/schema/llm-lab.schema.json', { with: { type: 'json' } })).default;
  await writeFile(join(target, SCHEMA_FILE), `${JSON.stringify(schema, null, 2)}\n`);
  written.push(join(target, SCHEMA_FILE));

  const readme = join(target, 'README.md');
  const line = '\nEvaluate with LLM Lab: `npx llm-lab run llm-lab.yaml` (config: `llm-lab.yaml`, cases: `data/`).\n';
  const current = existsSync(readme) ? await readFile(readme, 'utf8') : undefined;
  if (current === undefined) await writeFile(readme, `# ${example.description}\n${line}`);
  else if (!current.includes('npx llm-lab run llm-lab.yaml')) await appendFile(readme, line);
  written.push(readme);

  const shown = (path: string) => {
    const near = relative(process.cwd(), path);
    return near === '' ? '.' : near.startsWith('..') ? path : near;
  };
  process.stdout.write(`Wrote ${written.map(shown).join(', ')}.\n`);
  const known = INIT_PROVIDERS.find((candidate) => candidate.id === provider);
  if (known?.env && !process.env[known.env]) process.stdout.write(`Set ${known.env} before running.\n`);
  const into = shown(target) === '.' ? '' : `cd ${shown(target)} && `;
  process.stdout.write(`Next: ${into}npx llm-lab run llm-lab.yaml\n`);
  return ExitCode.ok;
}
