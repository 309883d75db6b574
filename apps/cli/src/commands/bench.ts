import { resolve } from 'node:path';
import { ConfigError, loadProviderEntries } from '@llm-lab/core';
import type { BenchmarkSuite, BuildSuiteConfigOptions } from '@llm-lab/lab';
import { bold, dim, renderTable, shellWord, useColour } from '../output/format.js';
import { runAndReport, type RunFlags } from './run.js';
import { openLab } from './shared.js';

export interface BenchFlags extends RunFlags {
  provider?: string[];
  config?: string;
  modelsDir?: string;
  judge?: string;
  data?: string;
  subject?: string[];
  shots?: number;
  shotsData?: string;
  scoring?: 'generate' | 'loglikelihood';
  metric?: 'acc' | 'acc_norm';
  sample?: number;
  seed?: number;
  choiceSeed?: number;
  maxTokens?: number;
}

type ProviderInput = BuildSuiteConfigOptions['providers'][number];

/**
 * Provider entries for `--provider` values: the entry of `--config` with that label or id (keys,
 * base URL, settings), else the bare id. Only the file's `providers:` and `plugins:` are read, so
 * a file holding just those works.
 */
async function resolveProviderEntries(flags: BenchFlags): Promise<{ providers: ProviderInput[]; judge?: BuildSuiteConfigOptions['judge']; plugins: string[] }> {
  const requested = flags.provider ?? [];
  if (requested.length === 0) {
    throw new ConfigError({ path: 'provider', message: 'give at least one model to benchmark with --provider <id> (e.g. --provider openai:gpt-4o-mini); repeat it to compare models.' });
  }
  if (!flags.config) return { providers: requested, ...(flags.judge ? { judge: flags.judge } : {}), plugins: [] };
  const config = await loadProviderEntries(resolve(process.cwd(), flags.config));
  const find = (wanted: string) =>
    config.providers.find((entry) => (typeof entry === 'string' ? entry === wanted : entry.label === wanted || entry.id === wanted));
  const providers = requested.map((wanted) => find(wanted) ?? wanted);
  let judge: BuildSuiteConfigOptions['judge'];
  if (flags.judge) {
    const entry = find(flags.judge);
    judge = entry && typeof entry !== 'string' ? { id: entry.id, config: entry.config, settings: {} } : flags.judge;
  }
  return { providers, ...(judge ? { judge } : {}), plugins: config.plugins };
}

/** The command line that reruns this benchmark, for the "Resume with:" hint (`runAndReport` adds `--resume <id>` and the storage flags). */
function resumeCommand(suite: string, flags: BenchFlags): string {
  const parts = ['llm-lab bench', shellWord(suite), ...(flags.provider ?? []).map((provider) => `--provider ${provider}`)];
  if (flags.config) parts.push(`--config ${flags.config}`);
  if (flags.modelsDir !== undefined) parts.push(`--models-dir ${shellWord(resolve(flags.modelsDir))}`);
  if (flags.judge) parts.push(`--judge ${flags.judge}`);
  if (flags.data) parts.push(`--data ${flags.data}`);
  for (const subject of flags.subject ?? []) parts.push(`--subject ${subject}`);
  if (flags.shots !== undefined) parts.push(`--shots ${flags.shots}`);
  if (flags.shotsData !== undefined) parts.push(`--shots-data ${flags.shotsData}`);
  if (flags.scoring !== undefined) parts.push(`--scoring ${flags.scoring}`);
  if (flags.metric !== undefined) parts.push(`--metric ${flags.metric}`);
  if (flags.sample !== undefined) parts.push(`--sample ${flags.sample} --seed ${flags.seed ?? 0}`);
  if (flags.choiceSeed !== undefined) parts.push(`--choice-seed ${flags.choiceSeed}`);
  // Part of the suite's config, not a recorded run option: without it the rest would be asked differently.
  if (flags.maxTokens !== undefined) parts.push(`--max-tokens ${flags.maxTokens}`);
  if (flags.limit !== undefined) parts.push(`--limit ${flags.limit}`);
  if (flags.repeat !== undefined) parts.push(`--repeat ${flags.repeat}`);
  return parts.join(' ');
}

/**
 * `llm-lab bench <suite>`: runs a built-in benchmark (see `llm-lab bench list`), or a task file
 * (`llm-lab bench ./my-task.yaml`, see docs/benchmarks.md) on the given providers, on the suite's Hugging Face dataset or `--data`, stored like `llm-lab run`, and
 * prints the same results table. `llm-lab bench list` lists the suites.
 */
export async function benchCommand(suiteName: string, flags: BenchFlags): Promise<number> {
  // As `llm-lab chat --models-dir`: the variable the gguf provider reads, so a config entry's own `modelsDir` still wins.
  if (flags.modelsDir !== undefined) process.env.LLM_LAB_MODELS_DIR = resolve(flags.modelsDir);
  const lab = await openLab(flags);
  if (suiteName === 'list') {
    const { listSuites } = await import('@llm-lab/lab');
    process.stdout.write(`${flags.json ? JSON.stringify(listSuites(), null, 2) : renderSuiteList(listSuites())}\n`);
    await lab.close();
    return 0;
  }
  let prepared;
  try {
    const { buildSuiteConfig } = await import('@llm-lab/lab');
    const { providers, judge, plugins } = await resolveProviderEntries(flags);
    const subjects = (flags.subject ?? []).flatMap((value) => value.split(',')).filter((value) => value.trim() !== '');
    prepared = await buildSuiteConfig({
      suite: suiteName,
      providers,
      plugins,
      ...(judge !== undefined ? { judge } : {}),
      ...(flags.data !== undefined ? { data: flags.data } : {}),
      ...(subjects.length > 0 ? { subjects } : {}),
      ...(flags.shots !== undefined ? { shots: flags.shots } : {}),
      ...(flags.shotsData !== undefined ? { shotsData: flags.shotsData } : {}),
      ...(flags.scoring !== undefined ? { scoring: flags.scoring } : {}),
      ...(flags.metric !== undefined ? { metric: flags.metric } : {}),
      ...(flags.sample !== undefined ? { sample: { size: flags.sample, seed: flags.seed ?? 0 } } : {}),
      ...(flags.maxTokens !== undefined ? { maxTokens: flags.maxTokens } : {}),
      ...(flags.choiceSeed !== undefined ? { choiceSeed: flags.choiceSeed } : {}),
    });
  } catch (error) {
    await lab.close();
    throw error;
  }
  if (!flags.json) process.stderr.write(dim(`${prepared.suite.title} · data ${prepared.source}\n`, useColour(process.stderr)));
  return runAndReport(lab, prepared.config, flags, { prepareCase: prepared.prepareCase, preparation: `suite:${prepared.suite.name}`, resumeCommand: resumeCommand(suiteName, flags) });
}

/** The suites as a table: name, title, what is scored, the default data. */
export function renderSuiteList(suites: readonly BenchmarkSuite[]): string {
  const colour = useColour(process.stdout);
  const table = renderTable(
    ['Suite', 'Benchmark', 'Default data (Hugging Face)', 'Scoring'],
    suites.map((suite) => [
      bold(suite.name, colour),
      suite.title,
      suite.hf ? `${suite.hf.name} ${suite.hf.config}/${suite.hf.split}` : '-',
      suite.evaluators({ judge: '<--judge>' }).map((entry) => entry.type).join(', '),
    ]),
  );
  const details = suites.map((suite) => `${bold(suite.name, colour)}: ${suite.description}\n  data: ${suite.data.citation} (${suite.data.url}, ${suite.data.license})\n  protocol: ${suite.protocol.citation} (${suite.protocol.url})`);
  return [table, '', ...details, '', dim('Run one: llm-lab bench <suite> --provider <id> [--data <file or folder>] [--limit N]. See docs/benchmarks.md.', colour)].join('\n');
}
