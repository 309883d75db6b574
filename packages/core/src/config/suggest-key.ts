import type { z } from 'zod';

/**
 * Edit distance between two short strings: insertions, deletions, substitutions and swaps of two
 * neighbouring letters (`lable` → `label` is one edit), i.e. Levenshtein with transpositions.
 * Written out rather than taken from a package: core stays at three dependencies, keys are short.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let distance = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, (before[j - 2] ?? 0) + 1);
      current[j] = distance;
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The allowed name a mistyped one most likely meant (`prompt` → `prompts`, `lable` → `label`),
 * ignoring case; undefined when none is close (at most a third of the name's letters differ,
 * and at least one may).
 */
export function closestName(name: string, allowed: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const candidate of allowed) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** `unknown key "prompt" (did you mean "prompts"?)`, or the allowed keys when none is close. */
export function describeUnknownKeys(keys: readonly string[], allowed: readonly string[]): string {
  const guesses = keys.map((key) => ({ key, guess: closestName(key, allowed) }));
  const named = guesses.map(({ key, guess }) => (guess ? `"${key}" (did you mean "${guess}"?)` : `"${key}"`)).join(', ');
  const unguessed = guesses.some(({ guess }) => guess === undefined) && allowed.length > 0 ? `; allowed: ${allowed.join(', ')}` : '';
  return `unknown key${keys.length === 1 ? '' : 's'} ${named}${unguessed}`;
}

/**
 * A zod error map for `safeParse(value, { error: unknownKeyErrors })`: a strict object's unknown
 * key is reported with the nearest allowed key of that object (zod names only the unknown one).
 * Other issues keep zod's message.
 */
export const unknownKeyErrors: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  return describeUnknownKeys(issue.keys, shape ? Object.keys(shape) : []);
};
