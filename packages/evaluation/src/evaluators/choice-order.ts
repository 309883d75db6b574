import { createHash } from 'node:crypto';
import { seededRandom } from '../datasets/sampling.js';

/**
 * The seed multiple-choice targets are shuffled with unless a run says otherwise (the default
 * seed lm-evaluation-harness records for its numpy, torch and few-shot generators).
 */
export const DEFAULT_CHOICE_SEED = 1234;

/**
 * The order to show `texts` in for `seed`: `order[k]` is the index (in the given order) of the
 * text shown k-th (as letter k). A Fisher–Yates shuffle driven by a generator seeded from the
 * seed and the texts themselves, so a question's order depends on nothing else: not on its row's
 * position, `--limit`, `--sample`, a resume or the machine.
 */
export function shuffledOrder(texts: readonly string[], seed: number): number[] {
  const digest = createHash('sha256').update(`${seed}\u0000${texts.join('\u0000')}`).digest();
  const random = seededRandom(digest.readUInt32LE(0));
  const order = texts.map((_text, index) => index);
  for (let last = order.length - 1; last > 0; last--) {
    const other = Math.floor(random() * (last + 1));
    [order[last], order[other]] = [order[other] as number, order[last] as number];
  }
  return order;
}
