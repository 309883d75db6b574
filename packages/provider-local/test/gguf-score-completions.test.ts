import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { providerErrorOf } from '@llm-lab/provider-testkit';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { createGguf, type GgufChatModel } from '../src/index.js';
import { nodeLlamaCppAvailable, skipNotice, STORIES_MODEL } from './helpers.js';

const available = STORIES_MODEL !== undefined && (await nodeLlamaCppAvailable());
if (!available) skipNotice(STORIES_MODEL === undefined ? 'stories260K.gguf not found in ../shared/models' : 'node-llama-cpp is not installed');
const describeReal = available ? describe : describe.skip;

const CONTEXT = 'Once upon a time, there was a little';
const CHOICES = [' girl', ' dog named Max', ' banana', ' girl named Lily'];

describeReal('GgufChatModel.scoreCompletions on the real stories260K.gguf (../shared/models)', () => {
  let model: GgufChatModel;
  let llama: Llama;
  let direct: LlamaModel;
  let context: LlamaContext;
  let sequence: LlamaContextSequence;

  beforeAll(async () => {
    model = createGguf({ threads: 1, contextSize: 256 }).chat(STORIES_MODEL as string);
    const { getLlama } = await import('node-llama-cpp');
    llama = await getLlama({ gpu: false, logLevel: 'error' as never, build: 'never' });
    direct = await llama.loadModel({ modelPath: STORIES_MODEL as string });
    context = await direct.createContext({ contextSize: 256, threads: 1 });
    sequence = context.getSequence();
  });
  afterAll(async () => {
    await model?.close();
    await context?.dispose();
    await direct?.dispose();
  });

  /**
   * The reference: each continuation token's probability read separately, from a fresh sequence
   * that evaluated everything before it (beginning-of-sequence token, the context's tokens, the
   * continuation's earlier tokens), summed as natural logs.
   */
  async function directLoglikelihood(text: string, continuation: string): Promise<{ logprob: number; tokens: number }> {
    const bos = direct.tokens.bos as Token;
    const contextTokens = [bos, ...direct.tokenize(text, false)];
    const whole = [bos, ...direct.tokenize(text + continuation, false)];
    let logprob = 0;
    for (let index = contextTokens.length; index < whole.length; index += 1) {
      await sequence.clearHistory();
      const prefix = whole.slice(0, index);
      const output = await sequence.controlledEvaluate(prefix.map((token, at) => (at === prefix.length - 1 ? [token, { generateNext: { probabilities: true } }] : token)));
      logprob += Math.log(output[prefix.length - 1]?.next.probabilities?.get(whole[index] as Token) ?? 0);
    }
    return { logprob, tokens: whole.length - contextTokens.length };
  }

  it('returns, per completion, the sum of its token log-probabilities as node-llama-cpp computes them', async () => {
    const scores = await model.scoreCompletions({ messages: [{ role: 'user', content: CONTEXT }], completions: CHOICES });
    expect(scores.map((score) => score.completion)).toEqual(CHOICES);
    for (const [index, choice] of CHOICES.entries()) {
      const expected = await directLoglikelihood(CONTEXT, choice);
      expect(scores[index]?.tokens).toBe(expected.tokens);
      expect(scores[index]?.logprob).toBeCloseTo(expected.logprob, 4);
      expect(scores[index]?.logprob).toBeLessThan(0);
    }
    expect(scores[3]?.tokens).toBeGreaterThan(1);
    // The likeliest continuation is the one the direct log-probabilities rank first: the story's ' girl'.
    const best = scores.reduce((top, score, index) => (score.logprob > (scores[top]?.logprob ?? -Infinity) ? index : top), 0);
    expect(CHOICES[best]).toBe(' girl');
    expect(scores[0]?.logprob).toBeGreaterThan(scores[2]?.logprob ?? 0);
  });

  it('gives the same score to a completion whatever the others are, and moves the context\'s trailing space into the continuation', async () => {
    const alone = await model.scoreCompletions({ messages: [{ role: 'user', content: CONTEXT }], completions: [' banana'] });
    const together = await model.scoreCompletions({ messages: [{ role: 'user', content: CONTEXT }], completions: CHOICES });
    expect(alone[0]?.logprob).toBeCloseTo(together[2]?.logprob ?? 0, 6);
    const spaced = await model.scoreCompletions({ messages: [{ role: 'user', content: `${CONTEXT} ` }], completions: ['banana'] });
    expect(spaced[0]?.logprob).toBeCloseTo(alone[0]?.logprob ?? 0, 6);
  });

  it('refuses an empty list of completions, and a cancelled call, as provider errors', async () => {
    expect((await providerErrorOf(() => model.scoreCompletions({ messages: [{ role: 'user', content: CONTEXT }], completions: [] }))).kind).toBe('bad-request');
    const aborted = new AbortController();
    aborted.abort();
    expect((await providerErrorOf(() => model.scoreCompletions({ messages: [{ role: 'user', content: CONTEXT }], completions: CHOICES }, { signal: aborted.signal }))).kind).toBe('cancelled');
  });
});
