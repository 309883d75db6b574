// The peer benchmark's per-row check, as a custom evaluator: each generated case says whether
// the output must equal its expected text or contain it (the same assertion promptfoo applies).
export default function rowCheck({ output, vars }) {
  const passed = vars.check === 'equals' ? output === vars.expected : output.includes(vars.expected);
  return { passed, score: passed ? 1 : 0, reason: passed ? 'matches' : `${vars.check} '${vars.expected}' failed` };
}
