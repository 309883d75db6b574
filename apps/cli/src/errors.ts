import { isLLMLabError, sanitise } from '@llm-lab/core';
import { loggerIfOpen } from './logging.js';
import { printable, red, useColour } from './output/format.js';

/** Exit codes of the `llm-lab` command. */
export const ExitCode = {
  ok: 0,
  /** The run finished but a threshold was missed, or the run failed. */
  failed: 1,
  /** Bad input: config, dataset, arguments. Nothing was run (or the run stopped at the bad input). */
  badInput: 2,
  /** Stopped by Ctrl-C; finished results are stored. */
  cancelled: 130,
} as const;

const INPUT_ERROR = /^(config|dataset|template|run_not_found|run_is_rescore|run_id_ambiguous|provider_contract|provider_invalid|storage_locked|storage_not_a_database|storage_invalid_option|evaluator)/;

/** Flags that do not go together, or a value out of range that commander's parsers cannot see: exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Prints an error a person can act on and returns the exit code it deserves. */
export function reportError(error: unknown): number {
  const colour = useColour(process.stderr);
  // A message can quote user data (a dataset row, a model's answer): escaped before it is shown.
  const message = printable(sanitise(error instanceof Error ? error.message : String(error)));
  process.stderr.write(`${red('error', colour)} ${message}\n`);
  // In the log too (sanitised there), with its class and stack: what a morning-after look needs.
  loggerIfOpen()?.error({ err: error }, 'command failed');
  if (process.env.LLM_LAB_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${printable(sanitise(error.stack))}\n`);
  }
  if (error instanceof UsageError) return ExitCode.badInput;
  if (isLLMLabError(error) && INPUT_ERROR.test(error.code)) return ExitCode.badInput;
  return ExitCode.failed;
}
