// Trains the refusal classifier shipped as src/evaluators/safety/refusal-model.json, and prints
// its leave-one-model-out table (docs/benchmarks.md, "The refusal classifier").
//
//   pnpm --filter @llm-lab/evaluation build
//   node packages/evaluation/scripts/train-refusal-classifier.mjs [--data <folder>] [--check] [--out <file>]
//
// --data: a folder holding XSTest's human-labelled completions, xstest_v2_completions_<model>_labelled.csv
//   (the repository's evaluation/automated_evaluation_labels/xstest_v2_completions_<model>_gpteval.csv,
//   renamed); default ../shared/datasets/xstest next to the repository.
// --check: train and compare with the shipped file instead of writing it (exit 1 when they differ).
// Deterministic: the same data and settings give the same weights.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_TRAINING_OPTIONS,
  leaveOneModelOut,
  readXstestCompletions,
  scoreHeldOut,
  trainRefusalModel,
} from '../dist/evaluators/safety/refusal-training.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(packageDir, '../../../shared/datasets/xstest') },
    out: { type: 'string', default: join(packageDir, 'src/evaluators/safety/refusal-model.json') },
    check: { type: 'boolean', default: false },
  },
});

/** The three models whose completions XSTest's authors labelled by hand. */
export const MODELS = ['gpt4', 'llama2new', 'llama2orig'];
const fileOf = (model) => join(values.data, `xstest_v2_completions_${model}_labelled.csv`);
for (const model of MODELS) {
  if (!existsSync(fileOf(model))) {
    console.error(`Missing ${fileOf(model)}. Give --data <folder> holding XSTest's labelled completions (see the comment at the top of this script).`);
    process.exit(2);
  }
}

const sets = Object.fromEntries(MODELS.map((model) => [model, readXstestCompletions(fileOf(model))]));
const heldOut = leaveOneModelOut(sets);
// A harder check of transfer: GPT-4's refusals alone (nearly all "Sorry, but I can't…") teach the Llama-2 pair.
const gpt4Only = trainRefusalModel(sets.gpt4);
const fromGpt4 = ['llama2new', 'llama2orig'].map((name) => scoreHeldOut(gpt4Only, name, ['gpt4'], sets[name]));
const model = trainRefusalModel(MODELS.flatMap((name) => sets[name]));

const note = join(values.data, 'LICENSE-NOTE.txt');
const commit = existsSync(note) ? /Commit:\s*([0-9a-f]{40})/.exec(readFileSync(note, 'utf8'))?.[1] : undefined;
const percent = (x) => Math.round(x * 1000) / 10;
const figures = (f) => ({ agreement: percent(f.agreement), recall: percent(f.recall), precision: percent(f.precision), refusals: f.refusals, falsePositives: f.falsePositives, falseNegatives: f.falseNegatives });

const summary = (row) => ({
  heldOut: row.heldOut,
  trainedOn: row.trainedOn,
  classifier: figures(row.classifier),
  stringMatch: figures(row.stringMatch),
  phrases: figures(row.phrases),
  classifierFullOnly: figures(row.classifierFullOnly),
  stringMatchFullOnly: figures(row.stringMatchFullOnly),
});

const shipped = {
  format: model.format,
  provenance: {
    description: 'Logistic regression over refusal cue families and hashed word n-grams of the completion (not the prompt). refusal = full or partial refusal.',
    dataset: 'XSTest v2 human-labelled completions (Röttger et al., NAACL 2024): 450 completions each of GPT-4, Llama-2-70b-chat with its original system prompt (llama2orig) and without it (llama2new); truth = final_label.',
    source: 'https://github.com/paul-rottger/exaggerated-safety, evaluation/automated_evaluation_labels/xstest_v2_completions_{gpt4,llama2new,llama2orig}_gpteval.csv',
    commit: commit ?? 'unknown',
    files: Object.fromEntries(MODELS.map((name) => [basename(fileOf(name)), createHash('sha256').update(readFileSync(fileOf(name))).digest('hex')])),
    license:
      'XSTest prompts are CC BY 4.0; the completions are under the licences of the models that wrote them (OpenAI, Meta). Only weights learned from them are shipped here, no text.',
    command: 'pnpm --filter @llm-lab/evaluation build && node packages/evaluation/scripts/train-refusal-classifier.mjs --data <folder with the labelled CSVs>',
    trainedAt: new Date().toISOString().slice(0, 10),
    settings: DEFAULT_TRAINING_OPTIONS,
    heldOut: heldOut.map(summary),
    trainedOnGpt4Only: fromGpt4.map(summary),
  },
  bias: model.bias,
  cues: model.cues,
  wordBuckets: model.wordBuckets,
  words: model.words,
};

const cell = (f) => `${(100 * f.agreement).toFixed(1)}% / ${(100 * f.recall).toFixed(1)}% / ${(100 * f.precision).toFixed(1)}%`;
const table = (rows, full) => {
  console.log('| Held-out model | Trained on | Refusals | Classifier | String match (XSTest) |' + (full ? '' : ' `method: phrases` |'));
  console.log('| --- | --- | ---: | --- | --- |' + (full ? '' : ' --- |'));
  for (const row of rows) {
    const [c, s] = full ? [row.classifierFullOnly, row.stringMatchFullOnly] : [row.classifier, row.stringMatch];
    console.log(`| ${row.heldOut} | ${row.trainedOn.join(' + ')} | ${c.refusals} / ${c.completions} | ${cell(c)} | ${cell(s)} |` + (full ? '' : ` ${cell(row.phrases)} |`));
  }
};
console.log('Leave one model out; refusal = full or partial; each cell agreement / refusal recall / refusal precision:\n');
table(heldOut, false);
console.log('\nTrained on GPT-4 alone:\n');
table(fromGpt4, false);
console.log('\nLeave one model out, against full refusals only (a partial refusal counted as compliance):\n');
table(heldOut, true);

if (values.check) {
  const current = JSON.parse(readFileSync(values.out, 'utf8'));
  const same = JSON.stringify([current.bias, current.cues, current.words]) === JSON.stringify([shipped.bias, shipped.cues, shipped.words]);
  console.log(same ? `\n${values.out} matches the retrained weights.` : `\n${values.out} differs from the retrained weights.`);
  process.exit(same ? 0 : 1);
}
// Readable provenance and cue weights; the word weights on one line.
writeFileSync(values.out, `${JSON.stringify({ ...shipped, words: '@words' }, null, 2).replace('"@words"', JSON.stringify(shipped.words))}\n`);
console.log(`\nWrote ${values.out} (${Math.round(readFileSync(values.out).length / 1024)} KB).`);
