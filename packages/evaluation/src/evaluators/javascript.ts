import { Script } from 'node:vm';
import { z } from '@llm-lab/core';
import type { ScoreRecord } from '../storage-contract.js';
import { defineEvaluator } from './define-evaluator.js';
import { runInSandbox } from './javascript-sandbox.js';
import { formatNumber, quote } from './text.js';

/**
 * The function body of a check: a multi-line value is used as written (it has its own `return`);
 * a one-line expression gets `return` in front, or, when it starts with a declaration
 * (`const s = …; s > 1`), before its last statement. As promptfoo reads its `javascript` values.
 */
export function javascriptFunctionBody(code: string): string {
  const text = code.trimEnd();
  if (text.includes('\n')) return text;
  const trimmed = text.trim().replace(/;+\s*$/, '');
  if (/^(?:const|let|var)\s/.test(trimmed)) {
    const split = lastTopLevelSemicolon(trimmed);
    if (split >= 0 && trimmed.slice(split + 1).trim() !== '') return `${trimmed.slice(0, split + 1)} return ${trimmed.slice(split + 1).trim()}`;
    return trimmed;
  }
  return `return ${trimmed}`;
}

/** The index of the last `;` outside strings, template literals and brackets; -1 when none. */
function lastTopLevelSemicolon(code: string): number {
  let depth = 0;
  let quoteChar: string | undefined;
  let last = -1;
  for (let index = 0; index < code.length; index++) {
    const char = code[index] as string;
    if (quoteChar !== undefined) {
      if (char === '\\') index++;
      else if (char === quoteChar) quoteChar = undefined;
      continue;
    }
    if (char === '"' || char === "'" || char === '`') quoteChar = char;
    else if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) depth--;
    else if (char === ';' && depth === 0) last = index;
  }
  return last;
}

/** Reads what a check returned: a boolean, a number, or `{ pass | passed, score?, reason? }`. */
export function javascriptScore(result: unknown, name: string, threshold: number | undefined): ScoreRecord {
  const type = 'javascript';
  if (typeof result === 'boolean') return { name, type, passed: result, score: result ? 1 : 0, reason: `the check returned ${String(result)}` };
  if (typeof result === 'number' && Number.isFinite(result)) {
    // promptfoo's rule: a number passes at `threshold` when one is set, else when it is above 0.
    const passed = threshold !== undefined ? result >= threshold : result > 0;
    const rule = threshold !== undefined ? `${passed ? '≥' : '<'} threshold ${formatNumber(threshold)}` : passed ? '> 0' : '≤ 0';
    return { name, type, passed, score: Math.min(1, Math.max(0, result)), reason: `the check returned ${formatNumber(result)} ${rule}` };
  }
  if (typeof result === 'object' && result !== null) {
    const record = result as { pass?: unknown; passed?: unknown; score?: unknown; reason?: unknown };
    const score = typeof record.score === 'number' && Number.isFinite(record.score) ? record.score : undefined;
    const flagged = typeof record.pass === 'boolean' ? record.pass : typeof record.passed === 'boolean' ? record.passed : undefined;
    const passed = flagged ?? (score !== undefined ? (threshold !== undefined ? score >= threshold : score > 0) : undefined);
    if (passed !== undefined) {
      return {
        name,
        type,
        passed,
        score: Math.min(1, Math.max(0, score ?? (passed ? 1 : 0))),
        reason: typeof record.reason === 'string' && record.reason !== '' ? record.reason : `the check ${passed ? 'passed' : 'failed'}`,
      };
    }
  }
  return {
    name,
    type,
    passed: false,
    score: 0,
    reason: `the check returned ${quote(JSON.stringify(result) ?? String(result))}; return true/false, a number, or { pass, score?, reason? }`,
  };
}

const failed = (name: string, reason: string): ScoreRecord => ({ name, type: 'javascript', passed: false, score: 0, reason });

/**
 * `javascript`: an inline check, a function body (or a one-line expression) over `output` and
 * `context` (`{ vars, prompt, latencyMs, costUsd }`), run in a fresh `node:vm` context inside a
 * worker thread, with a time limit (javascript-sandbox.ts). The check sees only plain data
 * copied into that context (JSON), no `require`, `process`, `import` or timers, and cannot
 * compile strings (eval, Function). A returned promise is awaited. An endless loop (of statements
 * or of promise callbacks), a promise that never settles or a throw fails that case with the
 * reason; the run goes on. node:vm keeps honest checks from reaching the process; it is not a
 * boundary against hostile code.
 */
export const javascriptEvaluator = defineEvaluator({
  type: 'javascript',
  description:
    'An inline JavaScript check: `value` is a function body or expression over `output` and `context` ({ vars, prompt, latencyMs, costUsd }) returning a boolean, a number (passes at `threshold`, else above 0) or { pass, score, reason }; run in node:vm with a time limit (`timeoutMs`, default 1000), no require or process.',
  options: z.strictObject({
    value: z.string({ error: "expected JavaScript: an expression such as \"output.includes('Paris')\" or a function body with return" }).min(1),
    threshold: z.number({ error: 'expected a number' }).optional(),
    timeoutMs: z.number({ error: 'expected a time limit in milliseconds' }).int().positive().max(60_000).default(1000),
  }),
  create(options, context) {
    const body = javascriptFunctionBody(options.value);
    // The script's completion value is the check's result (a promise is awaited in the worker).
    const source = [
      'const __input = JSON.parse(__json);',
      `(function (output, context) {\n${body}\n})(__input.output, __input.context);`,
    ].join('\n');
    try {
      // Compiled here only to report a syntax error before any call; it runs in a worker.
      new Script(source, { filename: `${context.path}.value` });
    } catch (error) {
      return context.fail('value', `is not valid JavaScript: ${(error as Error).message}. Write an expression (output.length < 100) or a function body that returns.`, error);
    }
    const { name } = context;
    const limit = options.timeoutMs;
    return {
      type: 'javascript',
      name,
      async evaluate({ output, vars, prompt, response }) {
        const input = {
          output,
          context: { vars, prompt: prompt ?? null, latencyMs: response?.latencyMs ?? null, costUsd: response?.costUsd ?? null },
        };
        const outcome = await runInSandbox(source, JSON.stringify(input), limit);
        if (outcome.kind === 'timeout') return failed(name, `the check did not finish within ${limit} ms (an endless loop, or a promise that never settles?); raise timeoutMs if it needs longer`);
        if (outcome.kind === 'error') return failed(name, `the check threw: ${outcome.message}`);
        return javascriptScore(outcome.value, name, options.threshold);
      },
    };
  },
});
