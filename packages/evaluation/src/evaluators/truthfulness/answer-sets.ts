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

/** A TruthfulQA MC target set: `{ "answer text": 1 | 0, ... }` in order; an array of {text,label} is accepted too. */
export function targetsOf(vars: Record<string, unknown>, field: string): Array<{ text: string; correct: boolean }> {
  let value = vars[field];
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      // Reported below.
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).map(([text, label]) => ({ text, correct: Number(label) === 1 }));
  }
  throw new Error(`the row's '${field}' is not a TruthfulQA target set (an object mapping each answer to 1 for true or 0 for false).`);
}
