import type { EvaluatorEntry } from '@llm-lab/core';

/**
 * promptfoo's assertions read as LLM Lab evaluator entries: the `__expected` column forms of its
 * CSV tests (`contains:Paris`, `javascript:output.length < 9`, `grade:…`, a plain value for
 * `equals`) and its `assert:` objects (`{ type, value, threshold, weight }`). One table, used by
 * the engine for rows that carry `__expected` columns and by the lab's promptfoo config mapper.
 */

/** A promptfoo assertion object, as written in its configs. */
export interface PromptfooAssertion {
  type: string;
  value?: unknown;
  threshold?: number;
  weight?: number;
  metric?: string;
  provider?: unknown;
  [key: string]: unknown;
}

/** Judge and embedding model for assertions that need one and name none. */
export interface AssertionDefaults {
  /** For `llm-rubric`, `g-eval`. */
  judge?: unknown;
  /** For `similar`. */
  embedding?: unknown;
}

/** A mapped assertion, or why it cannot be mapped (naming the field at fault, relative to the assertion). */
export type MappedAssertion = { entry: EvaluatorEntry } | { problem: string; field: string };

/** promptfoo's base assertion types that `__expected` recognises with a `type:` prefix. */
const EXPECTED_TYPES = [
  'answer-relevance', 'bleu', 'classifier', 'contains-all', 'contains-any', 'contains-html', 'contains-json', 'contains-sql', 'contains-xml',
  'contains', 'context-faithfulness', 'context-recall', 'context-relevance', 'cost', 'equals', 'factuality', 'finish-reason', 'g-eval', 'gleu',
  'icontains-all', 'icontains-any', 'icontains', 'is-html', 'is-json', 'is-refusal', 'is-sql', 'is-valid-function-call', 'is-valid-openai-function-call',
  'is-valid-openai-tools-call', 'is-xml', 'javascript', 'latency', 'levenshtein', 'llm-rubric', 'meteor', 'model-graded-closedqa', 'model-graded-factuality',
  'moderation', 'perplexity-score', 'perplexity', 'python', 'regex', 'rouge-n', 'similar', 'starts-with', 'webhook',
];
const EXPECTED_PATTERN = new RegExp(`^(not-)?(${EXPECTED_TYPES.join('|')})(?:\\((\\d+(?:\\.\\d+)?)\\))?(?::([\\s\\S]*))?$`);
const LIST_TYPES = new Set(['contains-all', 'contains-any', 'icontains-all', 'icontains-any']);
const THRESHOLD_TYPES = new Set(['cost', 'latency', 'levenshtein', 'perplexity', 'perplexity-score', 'rouge-n', 'similar', 'starts-with', 'answer-relevance', 'classifier']);

/**
 * A CSV `__expected` value as promptfoo reads it: `javascript:`/`fn:`/`eval:` code, `grade:` or
 * `llm-rubric:` a rubric, `python:`, `[not-]<type>[(<threshold>)]:<value>`, else `equals`.
 */
export function assertionFromExpected(expected: string): PromptfooAssertion {
  for (const prefix of ['javascript:', 'fn:', 'eval:']) {
    if (expected.startsWith(prefix)) return { type: 'javascript', value: expected.slice(prefix.length).trim() };
  }
  if (expected.startsWith('grade:')) return { type: 'llm-rubric', value: expected.slice('grade:'.length) };
  if (expected.startsWith('llm-rubric:')) return { type: 'llm-rubric', value: expected.slice('llm-rubric:'.length) };
  if (expected.startsWith('python:')) return { type: 'python', value: expected.slice('python:'.length).trim() };
  if (expected.startsWith('file://')) return { type: /\.py(?::|$)/.test(expected) ? 'python' : 'javascript', value: expected };
  const match = EXPECTED_PATTERN.exec(expected);
  if (!match) return { type: 'equals', value: expected };
  const [, not, type, thresholdText, value = ''] = match as unknown as [string, string | undefined, string, string | undefined, string | undefined];
  const fullType = not ? `not-${type}` : type;
  if (LIST_TYPES.has(type)) return { type: fullType, value: value.split(',').map((item) => item.trim()) };
  if (THRESHOLD_TYPES.has(type)) {
    const threshold = thresholdText !== undefined ? Number.parseFloat(thresholdText) : Number.NaN;
    return { type: fullType, value, threshold: threshold || (type === 'similar' ? 0.8 : 0.75) };
  }
  return { type: fullType, value };
}

const asText = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

/** A list value: an array of scalars, or promptfoo's comma-separated string. */
function asList(value: unknown): string[] | undefined {
  if (Array.isArray(value) && value.length > 0 && value.every((item) => asText(item) !== undefined)) return value.map((item) => asText(item) as string);
  const text = asText(value);
  return text === undefined ? undefined : text.split(',').map((item) => item.trim());
}

/** Parses a promptfoo JSON Schema value given as an object, or as YAML/JSON text of one. */
function schemaOf(value: unknown): Record<string, unknown> | undefined | 'invalid' {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value === 'string') {
    try {
      const parsed = JSON.parse(value) as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : 'invalid';
    } catch {
      return 'invalid';
    }
  }
  return 'invalid';
}

const cannot = (field: string, problem: string): MappedAssertion => ({ field, problem });

/**
 * One promptfoo assertion as an LLM Lab evaluator entry, with promptfoo's semantics: `equals`
 * is exact (no trimming), `contains-any` is case-sensitive, `is-json` needs the whole output to
 * be JSON, `not-` types pass when the check fails, `weight` and `metric` (as the score's name)
 * carry over. `defaults` names the judge and embedding model for checks that need one and name none.
 * Returns the problem (and the field at fault) for what LLM Lab cannot check the same way.
 */
export function mapPromptfooAssertion(assertion: PromptfooAssertion, defaults: AssertionDefaults = {}): MappedAssertion {
  if (typeof assertion !== 'object' || assertion === null || typeof assertion.type !== 'string') {
    return cannot('type', 'an assertion needs a type (e.g. contains, equals, javascript)');
  }
  const { type: fullType, value, threshold, weight, metric } = assertion;
  const not = fullType.startsWith('not-');
  const type = not ? fullType.slice(4) : fullType;
  const text = asText(value);
  const common: Record<string, unknown> = {
    ...(not ? { not: true } : {}),
    ...(typeof weight === 'number' ? { weight } : {}),
    ...(typeof metric === 'string' && metric !== '' ? { name: metric } : {}),
  };
  const entry = (fields: Record<string, unknown>): MappedAssertion => ({ entry: { ...fields, ...common } as EvaluatorEntry });
  const needText = (): MappedAssertion => cannot('value', `${fullType} needs a text value`);
  const judge = assertion.provider ?? defaults.judge;
  switch (type) {
    case 'equals':
      if (value !== null && typeof value === 'object') return cannot('value', 'equals with an object value (deep JSON equality) is not mapped; compare with a javascript check');
      return text === undefined ? needText() : entry({ type: 'equals', value: text, trim: false });
    case 'contains':
    case 'icontains':
      return text === undefined ? needText() : entry({ type: 'contains', value: text, ...(type === 'icontains' ? { ignoreCase: true } : {}) });
    case 'contains-any':
    case 'contains-all':
    case 'icontains-any':
    case 'icontains-all': {
      const list = asList(value);
      if (!list) return cannot('value', `${fullType} needs a list of strings (or comma-separated text)`);
      return entry({ type: 'contains', value: list, mode: type.endsWith('all') ? 'all' : 'any', ...(type.startsWith('i') ? { ignoreCase: true } : {}) });
    }
    case 'starts-with':
      return text === undefined ? needText() : entry({ type: 'starts-with', value: text });
    case 'regex':
      return text === undefined ? needText() : entry({ type: 'regex', pattern: text });
    case 'is-json':
    case 'contains-json': {
      const schema = schemaOf(value);
      if (schema === 'invalid') return cannot('value', `${fullType} takes a JSON Schema object as its value`);
      if (type === 'contains-json') return entry({ type: 'contains-json', ...(schema ? { schema } : {}) });
      return entry(schema ? { type: 'json-schema', schema } : { type: 'is-json', allowFence: false });
    }
    case 'javascript':
      if (text === undefined) return needText();
      if (text.startsWith('file://')) return cannot('value', 'javascript assertions from files (file://…) are not mapped; write the check inline, or use an LLM Lab custom evaluator module');
      return entry({ type: 'javascript', value: text, ...(typeof threshold === 'number' ? { threshold } : {}) });
    case 'similar': {
      const list = Array.isArray(value) ? asList(value) : text !== undefined ? [text] : undefined;
      if (!list) return needText();
      const provider = assertion.provider ?? defaults.embedding;
      return entry({ type: 'similar', value: list.length === 1 ? list[0] : list, threshold: typeof threshold === 'number' ? threshold : 0.75, ...(provider !== undefined ? { provider } : {}) });
    }
    case 'llm-rubric':
      if (text === undefined) return needText();
      if (judge === undefined) return cannot('provider', 'llm-rubric needs a grader: set defaultTest.options.provider (or the assertion\'s provider)');
      return entry({ type: 'llm-rubric', rubric: text, judge, ...(typeof threshold === 'number' ? { threshold } : {}) });
    case 'g-eval':
      if (text === undefined) return cannot('value', 'g-eval needs its criteria as text (a list of criteria is not mapped)');
      if (judge === undefined) return cannot('provider', 'g-eval needs a grader: set defaultTest.options.provider (or the assertion\'s provider)');
      // promptfoo scores G-Eval from 0 to 1 (default threshold 0.7); LLM Lab on the paper's 1–5 scale.
      return entry({ type: 'g-eval', criteria: text, judge, threshold: 1 + 4 * (typeof threshold === 'number' ? threshold : 0.7) });
    case 'latency':
      if (typeof threshold !== 'number' || threshold <= 0) return cannot('threshold', 'latency needs threshold: the most milliseconds a call may take');
      return entry({ type: 'latency', maxMs: threshold });
    case 'cost':
      if (typeof threshold !== 'number' || threshold < 0) return cannot('threshold', 'cost needs threshold: the most US dollars a call may cost');
      return entry({ type: 'cost', maxUsd: threshold });
    default:
      return cannot('type', `assertion type '${fullType}' is not supported by LLM Lab (supported: equals, contains, icontains, contains-any/all, icontains-any/all, starts-with, regex, is-json, contains-json, javascript, similar, llm-rubric, g-eval, latency, cost and their not- forms)`);
  }
}
