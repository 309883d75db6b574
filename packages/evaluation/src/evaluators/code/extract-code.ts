/** Languages `code-exec` can run. */
export type CodeLanguage = 'python' | 'javascript';

const LANGUAGE_TAGS: Record<CodeLanguage, readonly string[]> = {
  python: ['python', 'py', 'python3'],
  javascript: ['javascript', 'js', 'node', 'mjs', 'cjs'],
};

/**
 * The code in a model output: the first fenced block tagged with the language (```python), else
 * the first fenced block of any tag, else an unclosed fence's rest (a truncated answer), else the
 * whole output as it is (a raw completion).
 */
export function extractCode(output: string, language: CodeLanguage): string {
  const blocks = [...output.matchAll(/```[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)```/g)].map((match) => ({
    tag: (match[1] ?? '').toLowerCase(),
    code: match[2] ?? '',
  }));
  const tagged = blocks.find((block) => LANGUAGE_TAGS[language].includes(block.tag));
  if (tagged) return tagged.code;
  if (blocks[0]) return blocks[0].code;
  const open = /```[ \t]*[\w+-]*[^\n]*\n([\s\S]*)$/.exec(output);
  if (open) return open[1] as string;
  return output;
}

/** The pieces of a HumanEval-style program. */
export interface ProgramParts {
  language: CodeLanguage;
  /** The problem's prompt (signature and docstring); prepended unless the code already starts with it. */
  prompt: string;
  /** The model's code. */
  completion: string;
  /** The test code (defines `check` in HumanEval). */
  test: string;
  /** When set, `check(<entryPoint>)` is appended. */
  entryPoint?: string;
}

/**
 * Builds the program HumanEval runs: prompt + completion + test + `check(entry_point)`. The
 * prompt is skipped when the completion already contains it (a model that repeated it); a
 * completion that redefines the function after the prompt is fine, since the later definition wins.
 */
export function buildProgram(parts: ProgramParts): string {
  const prompt = parts.prompt !== '' && parts.completion.includes(parts.prompt.trim()) ? '' : parts.prompt;
  const call = parts.entryPoint ? `\n\ncheck(${parts.entryPoint})${parts.language === 'javascript' ? ';' : ''}\n` : '\n';
  return `${prompt}${parts.completion}\n\n${parts.test}${call}`;
}
