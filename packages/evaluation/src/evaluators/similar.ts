import { z, type EmbeddingProvider } from '@llm-lab/core';
import { defineEvaluator } from './define-evaluator.js';
import { providerReference, templateList, thresholdOption } from './schemas.js';
import { compileTemplates } from './score.js';
import { formatNumber, quote } from './text.js';

/** The embedding model `similar` uses when none is named (promptfoo's default). */
export const DEFAULT_SIMILARITY_EMBEDDING = 'openai:text-embedding-3-large';

/** Cosine similarity of two vectors of the same length; 0 when either is all zeros. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`cannot compare vectors of ${a.length} and ${b.length} dimensions`);
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    const x = a[index] as number;
    const y = b[index] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/**
 * `similar`: the cosine similarity of the output's embedding to the embedding of `value` (the
 * best of a list) reaches `threshold` (default 0.75, as promptfoo's). The embeddings come from
 * `provider`, any provider family with embeddings (default `openai:text-embedding-3-large`); the
 * output and the references go in one `embed` call per case.
 */
export const similarEvaluator = defineEvaluator({
  type: 'similar',
  description:
    'Cosine similarity of the output\'s embedding to that of `value` (a template, or the best of a list) ≥ `threshold` (default 0.75); embeddings from `provider` (default openai:text-embedding-3-large), any provider with embeddings.',
  options: z.strictObject({
    value: templateList("the reference text, a template such as '{{expected}}' (or a list of them)"),
    threshold: thresholdOption(0.75),
    provider: providerReference.optional(),
  }),
  create(options, context) {
    const references = compileTemplates(options.value, 'value', context);
    const reference = options.provider ?? { id: DEFAULT_SIMILARITY_EMBEDDING, config: {}, settings: {} };
    const makeEmbedder =
      context.createEmbeddingProvider ??
      context.fail('provider', 'similar needs embeddings, and this run cannot make embedding models: pass createEmbeddingProvider (the lab does).');
    let embedder: Promise<EmbeddingProvider> | undefined;
    const { name } = context;
    return {
      type: 'similar',
      name,
      async evaluate({ output, vars, signal }) {
        const texts = references.map((template) => template.render(vars));
        if (output.trim() === '') return { name, type: 'similar', passed: false, score: 0, reason: 'the output is empty: nothing to compare' };
        embedder ??= Promise.resolve().then(() => makeEmbedder(reference.id, reference.config));
        const { embeddings } = await (await embedder).embed([output, ...texts], signal ? { signal } : {});
        const [first, ...others] = embeddings as [number[], ...number[][]];
        const scores = others.map((vector) => cosineSimilarity(first, vector));
        const best = Math.max(...scores);
        const bestText = texts[scores.indexOf(best)] as string;
        const passed = best >= options.threshold;
        return {
          name,
          type: 'similar',
          passed,
          score: Math.max(0, best),
          reason: `cosine similarity ${formatNumber(best)} to ${quote(bestText, 80)} ${passed ? '≥' : '<'} threshold ${formatNumber(options.threshold)} (${reference.id})`,
        };
      },
    };
  },
});
