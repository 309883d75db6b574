import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { ExitCode } from '../errors.js';
import { useColour, yellow } from '../output/format.js';

export interface ConvertFlags {
  out?: string;
}

/**
 * `llm-lab convert promptfooconfig.yaml [--out llm-lab.yaml]`: writes the LLM Lab config a
 * promptfoo config maps to (stdout without --out). Stops, listing every part that does not map
 * with its path, when running it would score differently from promptfoo.
 */
export async function convertCommand(file: string, flags: ConvertFlags): Promise<number> {
  const { loadPromptfooConfig, CONFIG_SCHEMA_URL } = await import('@llm-lab/lab');
  const { config, issues } = loadPromptfooConfig(file);
  const colour = useColour(process.stderr);
  for (const issue of issues) process.stderr.write(`${yellow('warning', colour)} ${issue.path}: ${issue.message}\n`);
  const text = `# yaml-language-server: $schema=${CONFIG_SCHEMA_URL}\n# Converted from ${file} by llm-lab convert.\n${stringify(config, { lineWidth: 0 })}`;
  if (flags.out) {
    writeFileSync(flags.out, text);
    process.stderr.write(`wrote ${flags.out}\n`);
  } else process.stdout.write(text);
  return ExitCode.ok;
}
