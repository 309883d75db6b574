import type { LoadedConfig } from '@llm-lab/lab';
import { yellow, useColour } from '../output/format.js';

/** Where a config comes from: LLM Lab's own format, or promptfoo's (`--from promptfoo`). */
export type ConfigFormat = 'llm-lab' | 'promptfoo';

/**
 * The config `run` should run: the path as it is for an LLM Lab config, or, for a promptfoo
 * config (`--from promptfoo`, or detected by its name and shape), the LLM Lab config it maps to.
 * What does not map stops here, before anything runs, listed once with its path in the file;
 * warnings (parts skipped that change no pass/fail) are printed on stderr.
 */
export async function configSourceOf(configPath: string, from: ConfigFormat | undefined): Promise<string | LoadedConfig> {
  if (from === 'llm-lab') return configPath;
  const { isPromptfooConfigFile, loadPromptfooConfig } = await import('@llm-lab/lab');
  if (from !== 'promptfoo' && !isPromptfooConfigFile(configPath)) return configPath;
  const { loaded, issues } = loadPromptfooConfig(configPath);
  const colour = useColour(process.stderr);
  for (const issue of issues) process.stderr.write(`${yellow('warning', colour)} ${issue.path}: ${issue.message}\n`);
  return loaded;
}
