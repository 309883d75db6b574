import { z } from '@llm-lab/core';
import { compileOptionTemplate, defineEvaluator } from '../define-evaluator.js';
import { flag, templateValue } from '../schemas.js';
import { passFail } from '../score.js';
import { formatNumber, quote } from '../text.js';
import { buildProgram, extractCode } from './extract-code.js';
import { runProgram, type ProgramOutcome } from './run-program.js';

/**
 * The telling line of a failed run's output: the last line naming an error (a Python traceback
 * ends with it; Node prints it above the stack), else the last non-empty lines.
 */
function tail(text: string, lines = 2): string {
  const all = text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
  const errorLine = all.filter((line) => /^\S*(?:Error|Exception)\b/.test(line.trim())).at(-1);
  return errorLine?.trim() ?? all.slice(-lines).join(' | ');
}

function describeFailure(outcome: ProgramOutcome, timeoutMs: number): string {
  if (outcome.timedOut) return `the program ran longer than ${formatNumber(timeoutMs)} ms and was killed`;
  if (outcome.signal) return `the program was killed by ${outcome.signal}${outcome.stderr ? `: ${quote(tail(outcome.stderr), 200)}` : ''}`;
  if (outcome.exitCode === 0) {
    return 'the program exited with code 0 before its tests ran to the end (an exit such as sys.exit, SystemExit, os._exit, unittest.main() or process.exit is not a pass)';
  }
  const error = tail(outcome.stderr) || tail(outcome.stdout);
  return `the tests failed (exit code ${outcome.exitCode})${error ? `: ${quote(error, 200)}` : ''}`;
}

/**
 * `code-exec`: HumanEval-style functional correctness. The code is taken from the output
 * (fenced block or raw), joined as prompt + completion + test + `check(entry_point)`, and run in
 * a child process (python3 or node) with a time limit, memory limit, temp folder and no network.
 * Passes when the program ran to its end (the harness's per-run token came back after
 * `check(...)` returned) and exited with code 0; exiting early is a failure.
 */
export const codeExecEvaluator = defineEvaluator({
  type: 'code-exec',
  description:
    'Runs the code in the output with the case\'s tests (HumanEval: prompt + completion + test + check(entry_point)) in a child process (python3 or node) with a time limit, memory limit, temp folder and no network; passes when the program ran to its end and exited 0 (an early exit fails).',
  options: z.strictObject({
    language: z.enum(['python', 'javascript'], { error: "expected 'python' or 'javascript'" }).default('python'),
    prompt: templateValue("the problem's prompt, a template such as '{{prompt}}' (or '' for none)").default('{{prompt}}'),
    test: templateValue("the test code, a template such as '{{test}}'").default('{{test}}'),
    entryPoint: templateValue("the function to check, a template such as '{{entry_point}}' (or '' to not append check())").default('{{entry_point}}'),
    extract: flag(true),
    timeoutMs: z.number({ error: 'expected a time limit in milliseconds' }).int().positive().max(600_000).default(10_000),
    memoryMb: z.number({ error: 'expected a memory limit in MiB' }).int().min(32).max(65_536).default(512),
    network: z.enum(['isolated', 'best-effort', 'allow'], { error: "expected 'isolated', 'best-effort' or 'allow'" }).default('isolated'),
  }),
  create(options, context) {
    const prompt = compileOptionTemplate(options.prompt, 'prompt', context);
    const test = compileOptionTemplate(options.test, 'test', context);
    const entryPoint = compileOptionTemplate(options.entryPoint, 'entryPoint', context);
    const { name } = context;
    return {
      type: 'code-exec',
      name,
      async evaluate({ output, vars, signal }) {
        const completion = options.extract ? extractCode(output, options.language) : output;
        const entry = entryPoint.render(vars).trim();
        const source = buildProgram({
          language: options.language,
          prompt: prompt.render(vars),
          completion,
          test: test.render(vars),
          ...(entry !== '' ? { entryPoint: entry } : {}),
        });
        const outcome = await runProgram({
          language: options.language,
          source,
          timeoutMs: options.timeoutMs,
          memoryMb: options.memoryMb,
          network: options.network,
          ...(signal ? { signal } : {}),
        });
        const note = outcome.networkIsolated || options.network === 'allow' ? '' : ' (network not isolated on this machine)';
        const passed = outcome.exitCode === 0 && !outcome.timedOut && outcome.ranToEnd;
        return passFail(
          name,
          'code-exec',
          passed,
          passed ? `the tests passed in ${formatNumber(Math.round(outcome.durationMs))} ms${note}` : `${describeFailure(outcome, options.timeoutMs)}${note}`,
        );
      },
    };
  },
});
