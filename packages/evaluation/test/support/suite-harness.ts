import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labConfigSchema, mockProvider, ProviderRegistry } from '@llm-lab/core';
import { openaiProvider } from '@llm-lab/provider-openai';
import { startFakeOpenAIServer, textOfContent, type ChatCompletionRequestBody, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { buildSuiteConfig, compilePrompts, openDataset, runEvaluation, type BuildSuiteConfigOptions, type NewResult, type ProviderSummary } from '../../src/index.js';
import { MemoryStore } from '../helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
/** This package's suite fixtures: `local/` (upstream file layouts) and `hf/` (Hugging Face row layouts). */
export const FIXTURES = join(here, '..', 'fixtures', 'suites');
/** The shared read-only datasets: `../shared/datasets` relative to the repository root (absent in a user's clone). */
export const SHARED_DATASETS = resolve(here, '..', '..', '..', '..', '..', 'shared', 'datasets');
export const hasShared = existsSync(join(SHARED_DATASETS, 'MANIFEST.json'));

const API_KEY = 'sk-suite-test';

/** The last user message of a chat-completions request. */
export function lastUserMessage(body: ChatCompletionRequestBody): string {
  const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
  return textOfContent([...messages].reverse().find((message) => message.role === 'user')?.content);
}

export interface SuiteRunOutcome {
  /** The prepared fields of each case, in dataset order. */
  prepared: Array<Record<string, unknown>>;
  /** The rendered user prompt of each case. */
  prompts: string[];
  /** Results in case order. */
  results: NewResult[];
  /** `passed` of each result in case order. */
  passed: Array<boolean | null>;
  /** The run's summary of the one provider. */
  summary: ProviderSummary;
  server: FakeOpenAIServer;
}

/**
 * Runs a suite end to end against the fake OpenAI server through the real OpenAI provider: the
 * suite's config from buildSuiteConfig, the real engine, a memory store. The fake answers each
 * case with `answer(prepared fields, case index)`, found by the case's rendered prompt; judge
 * prompts (anything else) go to `judge`.
 */
export async function runSuiteAgainstFake(
  options: Omit<BuildSuiteConfigOptions, 'providers' | 'judge'> & {
    answer: (vars: Record<string, unknown>, index: number) => string;
    judge?: (prompt: string) => string;
  },
): Promise<SuiteRunOutcome> {
  const answers = new Map<string, string>();
  const server = await startFakeOpenAIServer({
    apiKey: API_KEY,
    responder: (body) => {
      const prompt = lastUserMessage(body);
      return answers.get(prompt) ?? options.judge?.(prompt) ?? 'no answer for this prompt';
    },
  });
  try {
    const provider = { id: 'openai:gpt-4o-mini', config: { apiKey: API_KEY, baseURL: server.url } };
    const { answer: _answer, judge: judgeResponder, ...buildOptions } = options;
    const built = await buildSuiteConfig({ ...buildOptions, providers: [provider], ...(judgeResponder ? { judge: { ...provider, settings: {} } } : {}) });
    const config = labConfigSchema.parse(built.config);
    const render = compilePrompts(config.prompts)[0]!;
    const prepared: Array<Record<string, unknown>> = [];
    const prompts: string[] = [];
    for await (const datasetCase of openDataset(config.dataset, { baseDir: '.' }).cases) {
      const vars = built.prepareCase(datasetCase.vars);
      const prompt = render.render(vars).at(-1)!.content;
      answers.set(prompt, options.answer(vars, prepared.length));
      prepared.push(vars);
      prompts.push(prompt);
    }
    const registry = new ProviderRegistry().register(openaiProvider).register(mockProvider);
    const store = new MemoryStore();
    const outcome = await runEvaluation({
      runId: 'run-suite',
      config,
      baseDir: '.',
      providers: [{ label: provider.id, provider: registry.create(provider.id, provider.config), settings: {} }],
      store,
      prepareCase: built.prepareCase,
      createProvider: (id, providerConfig) => registry.create(id, providerConfig),
    });
    const results = [...store.rows.values()].sort((a, b) => a.caseIndex - b.caseIndex);
    return { prepared, prompts, results, passed: results.map((result) => result.passed), summary: outcome.providers[0] as ProviderSummary, server };
  } finally {
    await server.close();
  }
}
