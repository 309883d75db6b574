/**
 * Training and held-out evaluation of the refusal classifier. Used by
 * `scripts/train-refusal-classifier.mjs` (which writes `refusal-model.json`) and by the tests that
 * check the shipped weights; nothing here runs when the evaluator scores a completion.
 *
 * L2-regularised logistic regression fitted by L-BFGS, deterministic for a given seed. Each
 * training completion also appears in `copies` augmented copies in which each cue family is
 * dropped with probability `cueDrop` (and all word features with probability `wordDrop`): the
 * model cannot lean on one family (say "Sorry, but I…", which covers most of GPT-4's refusals)
 * and learns the other signs of a refusal too, which is what carries it to other models' phrasing.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { CUE_FEATURES, classifyRefusal, type RefusalModel } from './refusal-classifier.js';
import { cuePrior, refusalFeatures, XSTEST_REFUSAL_PREFIXES } from './refusal-features.js';
import { detectRefusal } from './refusal.js';
import { seededRandom } from '../../metrics/bootstrap.js';

/** A completion with its human label. */
export interface LabelledCompletion {
  completion: string;
  /** XSTest's `final_label`: 1_full_compliance, 2_full_refusal or 3_partial_refusal. */
  label: string;
}

/** Refusal as XSTest's paper counts it for refusal rates: full or partial. */
export const isRefusalLabel = (label: string): boolean => label === '2_full_refusal' || label === '3_partial_refusal';

export interface TrainingOptions {
  /** L2 penalty on the weights (not the bias), against the mean log-loss: cue weights are pulled towards their prior (`CUE_PRIORS`), word weights towards 0. */
  lambda: number;
  /** Multiplies the cue priors (0: plain L2 towards 0). */
  priorScale: number;
  /** Hashed word buckets (0: cues only). */
  wordBuckets: number;
  /** Augmented copies of each completion. */
  copies: number;
  /** Probability of dropping each cue family in a copy. */
  cueDrop: number;
  /** Probability of dropping all word features in a copy. */
  wordDrop: number;
  seed: number;
  maxIterations: number;
  /** Decimal places the weights are rounded to (what is shipped and evaluated). */
  decimals: number;
}

export const DEFAULT_TRAINING_OPTIONS: TrainingOptions = { lambda: 3e-3, priorScale: 1, wordBuckets: 8192, copies: 8, cueDrop: 0.3, wordDrop: 0.5, seed: 1, maxIterations: 400, decimals: 5 };


interface Example {
  /** Parameter indices and values (cues first, then word buckets); the bias is implicit. */
  index: Int32Array;
  value: Float64Array;
  y: number;
}

const CUE_INDEX = new Map(CUE_FEATURES.map((name, index) => [name, index]));

function examplesOf(rows: readonly LabelledCompletion[], options: TrainingOptions): Example[] {
  const next = seededRandom(options.seed);
  const out: Example[] = [];
  const cueCount = CUE_FEATURES.length;
  for (const row of rows) {
    const { cues, words } = refusalFeatures(row.completion, options.wordBuckets);
    const y = isRefusalLabel(row.label) ? 1 : 0;
    const families = [...new Set([...cues].map((feature) => feature.slice(feature.indexOf(':') + 1)))];
    for (let copy = 0; copy <= options.copies; copy += 1) {
      const dropped = new Set(copy === 0 ? [] : families.filter(() => next() < options.cueDrop));
      const dropWords = copy > 0 && next() < options.wordDrop;
      const index: number[] = [];
      const value: number[] = [];
      for (const feature of cues) {
        if (dropped.has(feature.slice(feature.indexOf(':') + 1))) continue;
        index.push(CUE_INDEX.get(feature) as number);
        value.push(1);
      }
      if (!dropWords) {
        for (const [bucket, amount] of words) {
          index.push(cueCount + bucket);
          value.push(amount);
        }
      }
      out.push({ index: Int32Array.from(index), value: Float64Array.from(value), y });
    }
  }
  return out;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let sum = 0;
  for (let index = 0; index < a.length; index += 1) sum += (a[index] as number) * (b[index] as number);
  return sum;
};

/** Minimises f by L-BFGS (memory 10, backtracking line search); `fg` writes the gradient into its second argument. */
function lbfgs(fg: (w: Float64Array, gradient: Float64Array) => number, size: number, maxIterations: number): Float64Array {
  let w = new Float64Array(size);
  let g = new Float64Array(size);
  let f = fg(w, g);
  const history: Array<{ s: Float64Array; y: Float64Array; rho: number }> = [];
  for (let iteration = 0; iteration < maxIterations; iteration += 1) {
    if (Math.max(...g.map(Math.abs)) < 1e-7) break;
    const direction = Float64Array.from(g);
    const alphas: number[] = [];
    for (let k = history.length - 1; k >= 0; k -= 1) {
      const { s, y, rho } = history[k] as { s: Float64Array; y: Float64Array; rho: number };
      const alpha = rho * dot(s, direction);
      alphas[k] = alpha;
      for (let index = 0; index < size; index += 1) direction[index] = (direction[index] as number) - alpha * (y[index] as number);
    }
    const last = history[history.length - 1];
    const gamma = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let index = 0; index < size; index += 1) direction[index] = (direction[index] as number) * gamma;
    for (let k = 0; k < history.length; k += 1) {
      const { s, y, rho } = history[k] as { s: Float64Array; y: Float64Array; rho: number };
      const beta = rho * dot(y, direction);
      for (let index = 0; index < size; index += 1) direction[index] = (direction[index] as number) + (s[index] as number) * ((alphas[k] as number) - beta);
    }
    for (let index = 0; index < size; index += 1) direction[index] = -(direction[index] as number);
    let slope = dot(g, direction);
    if (slope >= 0) {
      history.length = 0;
      for (let index = 0; index < size; index += 1) direction[index] = -(g[index] as number);
      slope = dot(g, direction);
    }
    let step = 1;
    const next = new Float64Array(size);
    const nextGradient = new Float64Array(size);
    let nextF = Infinity;
    for (let attempt = 0; attempt < 40; attempt += 1) {
      for (let index = 0; index < size; index += 1) next[index] = (w[index] as number) + step * (direction[index] as number);
      nextF = fg(next, nextGradient);
      if (nextF <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(nextF < f)) break;
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let index = 0; index < size; index += 1) {
      s[index] = (next[index] as number) - (w[index] as number);
      y[index] = (nextGradient[index] as number) - (g[index] as number);
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      history.push({ s, y, rho: 1 / sy });
      if (history.length > 10) history.shift();
    }
    const converged = f - nextF < 1e-10 * Math.max(1, Math.abs(f));
    w = next;
    g = nextGradient;
    f = nextF;
    if (converged) break;
  }
  return w;
}

/** Trains a refusal model on labelled completions (refusal = full or partial refusal). */
export function trainRefusalModel(rows: readonly LabelledCompletion[], overrides: Partial<TrainingOptions> = {}): RefusalModel {
  const options = { ...DEFAULT_TRAINING_OPTIONS, ...overrides };
  const examples = examplesOf(rows, options);
  const weights = CUE_FEATURES.length + options.wordBuckets;
  const size = weights + 1;
  const n = examples.length;
  const prior = new Float64Array(weights);
  CUE_FEATURES.forEach((name, index) => (prior[index] = options.priorScale * cuePrior(name)));
  const objective = (w: Float64Array, gradient: Float64Array) => {
    gradient.fill(0);
    let loss = 0;
    const bias = w[weights] as number;
    for (const { index, value, y } of examples) {
      let z = bias;
      for (let k = 0; k < index.length; k += 1) z += (w[index[k] as number] as number) * (value[k] as number);
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y * z;
      const residual = 1 / (1 + Math.exp(-z)) - y;
      for (let k = 0; k < index.length; k += 1) gradient[index[k] as number] = (gradient[index[k] as number] as number) + (residual * (value[k] as number)) / n;
      gradient[weights] = (gradient[weights] as number) + residual / n;
    }
    loss /= n;
    for (let k = 0; k < weights; k += 1) {
      const offset = (w[k] as number) - (prior[k] as number);
      loss += (options.lambda / 2) * offset ** 2;
      gradient[k] = (gradient[k] as number) + options.lambda * offset;
    }
    return loss;
  };
  const w = lbfgs(objective, size, options.maxIterations);
  const round = (x: number) => {
    const rounded = Number(x.toFixed(options.decimals));
    return Object.is(rounded, -0) ? 0 : rounded;
  };
  return {
    format: 'llm-lab-refusal-classifier/1',
    bias: round(w[weights] as number),
    cues: Object.fromEntries(CUE_FEATURES.map((name, index) => [name, round(w[index] as number)])),
    wordBuckets: options.wordBuckets,
    words: Array.from(w.subarray(CUE_FEATURES.length, weights), round),
  };
}

/** Agreement with the human labels, and recall and precision of refusals. */
export interface AgreementFigures {
  completions: number;
  refusals: number;
  agreement: number;
  recall: number;
  precision: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export function agreementFigures(predicted: readonly boolean[], actual: readonly boolean[]): AgreementFigures {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  let agreed = 0;
  predicted.forEach((refused, index) => {
    const truth = actual[index] as boolean;
    if (refused === truth) agreed += 1;
    if (refused && truth) truePositives += 1;
    if (refused && !truth) falsePositives += 1;
    if (!refused && truth) falseNegatives += 1;
  });
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    completions: actual.length,
    refusals: truePositives + falseNegatives,
    agreement: ratio(agreed, actual.length),
    recall: ratio(truePositives, truePositives + falseNegatives),
    precision: ratio(truePositives, truePositives + falsePositives),
    truePositives,
    falsePositives,
    falseNegatives,
  };
}

/**
 * The XSTest paper's string-match baseline, reimplemented from `strmatch_label` in the XSTest
 * repository's `evaluation/classify_completions_strmatch.py` (paul-rottger/exaggerated-safety):
 * the lowercased, stripped completion starts with one of its prefixes. No quote normalisation, as there.
 */
export function xstestStringMatch(completion: string): boolean {
  const text = completion.toLowerCase().trim();
  return XSTEST_REFUSAL_PREFIXES.some((prefix) => text.startsWith(prefix));
}

/** Reads one of XSTest's labelled completion files (`id,type,prompt,completion,…,final_label,…`). */
export function readXstestCompletions(file: string): Array<LabelledCompletion & { prompt: string; type: string }> {
  const rows = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  return rows.map((row, index) => {
    const { completion, final_label: label, prompt, type } = row;
    if (completion === undefined || label === undefined || !/^[123]_/.test(label)) {
      throw new Error(`${file}: row ${index + 2} has no completion or final_label (expected XSTest's *_labelled.csv columns)`);
    }
    return { completion, label, prompt: prompt ?? '', type: type ?? '' };
  });
}

/** One row of the held-out table: a model's completions scored by a classifier trained without them. */
export interface HeldOutRow {
  heldOut: string;
  trainedOn: string[];
  /** Refusal = full or partial (the main figures). */
  classifier: AgreementFigures;
  stringMatch: AgreementFigures;
  /** The evaluator's `method: phrases` (XSTest's prefixes plus the GCG refusal strings anywhere). */
  phrases: AgreementFigures;
  /** The same predictions against full refusals only (a partial refusal counted as compliance). */
  classifierFullOnly: AgreementFigures;
  stringMatchFullOnly: AgreementFigures;
}

/** Scores `rows` with a model trained on other completions, beside the string-match baselines. */
export function scoreHeldOut(model: RefusalModel, heldOut: string, trainedOn: string[], rows: readonly LabelledCompletion[]): HeldOutRow {
  const predicted = rows.map((row) => classifyRefusal(row.completion, model).refused);
  const matched = rows.map((row) => xstestStringMatch(row.completion));
  const truth = rows.map((row) => isRefusalLabel(row.label));
  const fullOnly = rows.map((row) => row.label === '2_full_refusal');
  return {
    heldOut,
    trainedOn,
    classifier: agreementFigures(predicted, truth),
    stringMatch: agreementFigures(matched, truth),
    phrases: agreementFigures(
      rows.map((row) => detectRefusal(row.completion) !== undefined),
      truth,
    ),
    classifierFullOnly: agreementFigures(predicted, fullOnly),
    stringMatchFullOnly: agreementFigures(matched, fullOnly),
  };
}

/** Leave-one-model-out: for each named set, train on the others and score it. */
export function leaveOneModelOut(sets: Record<string, readonly LabelledCompletion[]>, overrides: Partial<TrainingOptions> = {}): HeldOutRow[] {
  const names = Object.keys(sets);
  return names.map((heldOut) => {
    const trainedOn = names.filter((name) => name !== heldOut);
    const model = trainRefusalModel(
      trainedOn.flatMap((name) => sets[name] as LabelledCompletion[]),
      overrides,
    );
    return scoreHeldOut(model, heldOut, trainedOn, sets[heldOut] as LabelledCompletion[]);
  });
}
