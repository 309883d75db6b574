/**
 * A list of answers from a row field: an array, or TruthfulQA's "a; b; c" string. Empty entries
 * are dropped. Throws when the field is missing.
 */
export function answerList(vars: Record<string, unknown>, field: string): string[] {
  const value = vars[field];
  if (value === undefined || value === null) throw new Error(`the row has no '${field}' field (expected a list of answers, or answers separated by ';').`);
  const items = Array.isArray(value) ? value.map((item) => String(item)) : String(value).split(';');
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/**
 * A TruthfulQA MC target set, in order: `{ "answer text": 1 | 0, ... }` (mc_task.json), the
 * Hugging Face layout `{ choices: [...], labels: [1, 0, ...] }`, or a list of `{ text, label }`.
 * JSON written as text is parsed. Throws naming the field when it is none of these.
 */
export function targetsOf(vars: Record<string, unknown>, field: string): Array<{ text: string; correct: boolean }> {
  let value = vars[field];
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      // Reported below.
    }
  }
  if (Array.isArray(value) && value.every((item) => item !== null && typeof item === 'object' && 'text' in item)) {
    return (value as Array<{ text: unknown; label?: unknown }>).map((item) => ({ text: String(item.text), correct: Number(item.label) === 1 }));
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { choices, labels } = value as { choices?: unknown; labels?: unknown };
    if (Array.isArray(choices) && Array.isArray(labels) && Object.keys(value).length === 2) {
      if (choices.length !== labels.length) throw new Error(`the row's '${field}' has ${choices.length} choices but ${labels.length} labels.`);
      return choices.map((text, index) => ({ text: String(text), correct: Number(labels[index]) === 1 }));
    }
    return Object.entries(value as Record<string, unknown>).map(([text, label]) => ({ text, correct: Number(label) === 1 }));
  }
  throw new Error(
    `the row's '${field}' is not a TruthfulQA target set (an object mapping each answer to 1 for true or 0 for false, { choices, labels }, or a list of { text, label }).`,
  );
}
