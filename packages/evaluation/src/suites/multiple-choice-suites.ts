import { DEFAULT_CHOICE_SEED, shuffledOrder } from '../evaluators/choice-order.js';
import { targetsOf } from '../evaluators/truthfulness/answer-sets.js';
import { MMLU_CATEGORIES } from './mmlu-categories.js';
import { answerIndex, firstField, LETTERS, letteredChoices, listField, stringListField, textField } from './row-fields.js';
import type { BenchmarkSuite, SuitePrepareOptions, SuiteRow, SuiteScoring } from './types.js';

const choiceEvaluators = () => [{ type: 'choice', value: '{{answer}}', choicesField: 'choices' }];

/** The fields every lettered multiple-choice suite prepares. */
function multipleChoiceFields(choices: string[], answer: number): SuiteRow {
  return { choices, choices_text: letteredChoices(choices), answer: LETTERS[answer], answer_index: answer };
}

/** lm-evaluation-harness's continuations: each choice after a space (its `target_delimiter`). */
const spacedChoices = (fields: SuiteRow): string[] => (fields.choices as string[]).map((choice) => ` ${choice}`);

/** The answer letter's text as a solved exemplar ends (`Answer: C`), or the choice itself under log-likelihood scoring. */
const solvedAnswer = (fields: SuiteRow, scoring: SuiteScoring): string =>
  scoring === 'loglikelihood' ? String((fields.choices as string[])[fields.answer_index as number]) : String(fields.answer);

const HARNESS_MULTIPLE_CHOICE =
  'lm-evaluation-harness multiple_choice: acc = argmax of the summed log-probabilities of the continuations (" " + choice), acc_norm = argmax of that sum divided by the continuation\'s length in UTF-8 bytes';

/** `abstract_algebra` → `abstract algebra`, as MMLU's `format_subject` does. */
export function mmluSubjectName(subject: string): string {
  return subject.split('_').filter(Boolean).join(' ');
}

/** One MMLU question in the original evaluation's format, with ` <letter>\n\n` appended for a few-shot example. */
export function formatMmluExample(fields: SuiteRow, withAnswer: boolean): string {
  const text = `${String(fields.question)}\n${String(fields.choices_text)}\nAnswer:`;
  return withAnswer ? `${text} ${String(fields.answer)}\n\n` : text;
}

/** MMLU: `question`, `subject`, `choices` + `answer` 0–3 (Hugging Face), or `choice0`…`choice3` + `answer` (local CSVs). */
function prepareMmlu(row: SuiteRow): SuiteRow {
  const choices =
    firstField(row, ['choices']) !== undefined
      ? stringListField(row, ['choices'])
      : ['choice0', 'choice1', 'choice2', 'choice3'].map((name) => textField(row, [name]));
  const answer = answerIndex(firstField(row, ['answer']), choices.length, 'MMLU answer');
  const subject = typeof row.subject === 'string' ? row.subject : '';
  return {
    question: textField(row, ['question']).trim(),
    subject,
    subject_name: subject ? mmluSubjectName(subject) : 'general knowledge',
    few_shot: typeof row.few_shot === 'string' ? row.few_shot : '',
    ...multipleChoiceFields(choices, answer),
  };
}

export const mmluSuite: BenchmarkSuite = {
  name: 'mmlu',
  title: 'MMLU (Massive Multitask Language Understanding)',
  description: '57-subject multiple choice (14,042 test questions); accuracy of the answer letter, 0-shot or --shots N from the dev split.',
  data: {
    citation: 'Hendrycks et al., "Measuring Massive Multitask Language Understanding", ICLR 2021',
    url: 'https://github.com/hendrycks/test',
    license: 'MIT',
  },
  protocol: {
    citation: "The original MMLU evaluation (hendrycks/test evaluate.py: format_subject, format_example, gen_prompt)",
    url: 'https://github.com/hendrycks/test/blob/master/evaluate.py',
  },
  hf: { name: 'cais/mmlu', config: 'all', split: 'test' },
  localFiles: ['mmlu/test', 'test'],
  prompts: [
    {
      id: 'mmlu',
      template: 'The following are multiple choice questions (with answers) about {{subject_name}}.\n\n{{few_shot}}{{question}}\n{{choices_text}}\nAnswer:',
    },
  ],
  evaluators: choiceEvaluators,
  defaults: { temperature: 0, maxTokens: 32 },
  loglikelihood: {
    template: 'The following are multiple choice questions (with answers) about {{subject_name}}.\n\n{{few_shot}}{{question}}\n{{choices_text}}\nAnswer:',
    continuations: (fields) => (fields.choices as string[]).map((_choice, index) => ` ${LETTERS[index]}`),
    metric: 'acc',
    protocol: {
      citation: `lm-evaluation-harness's mmlu task (the same prompt; the continuations are the letters " A"…" D"; reports acc). ${HARNESS_MULTIPLE_CHOICE}`,
      url: 'https://github.com/EleutherAI/lm-evaluation-harness/blob/main/lm_eval/tasks/mmlu/default/_default_template_yaml',
    },
  },
  // By subject, and the subjects in lm-evaluation-harness's four categories.
  groups: { by: 'subject', categories: MMLU_CATEGORIES },
  prepare: prepareMmlu,
};

/** ARC: Hugging Face `question`, `choices: { text, label }`, `answerKey`; or the MosaicML layout `query`, `choices`, `gold`. */
function prepareArc(row: SuiteRow): SuiteRow {
  if (row.query !== undefined) {
    const question = textField(row, ['query'])
      .replace(/^\s*Question:\s*/, '')
      .replace(/\s*Answer:\s*$/, '');
    const choices = stringListField(row, ['choices']);
    return { question, few_shot: '', ...multipleChoiceFields(choices, answerIndex(row.gold, choices.length, 'ARC gold')) };
  }
  const raw = firstField(row, ['choices']);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`expected 'choices' as { text, label } (Hugging Face) or a 'query' field (MosaicML layout); the row has ${Object.keys(row).join(', ')}.`);
  }
  const group = raw as SuiteRow;
  const choices = stringListField(group, ['text']);
  const labels = stringListField(group, ['label']);
  const key = textField(row, ['answerKey']).trim();
  const index = labels.indexOf(key);
  if (index < 0) throw new Error(`ARC answerKey '${key}' is not one of the choice labels ${labels.join(', ')}.`);
  return { question: textField(row, ['question']).trim(), few_shot: '', ...multipleChoiceFields(choices, index) };
}

export const arcSuite: BenchmarkSuite = {
  name: 'arc',
  title: 'ARC-Challenge (AI2 Reasoning Challenge)',
  description: 'Grade-school science multiple choice, Challenge set (1,172 test questions); accuracy of the answer letter.',
  data: {
    citation: 'Clark et al., "Think you have Solved Question Answering? Try ARC, the AI2 Reasoning Challenge", 2018',
    url: 'https://allenai.org/data/arc',
    license: 'CC BY-SA 4.0',
  },
  protocol: {
    citation: 'Lettered multiple choice scored by the answer letter, as in MMLU-style generative evaluation (not the log-likelihood ranking of lm-evaluation-harness)',
    url: 'https://github.com/EleutherAI/lm-evaluation-harness/tree/main/lm_eval/tasks/arc',
  },
  hf: { name: 'allenai/ai2_arc', config: 'ARC-Challenge', split: 'test' },
  localFiles: ['arc/arc_challenge_test.mosaic.jsonl', 'arc_challenge_test.mosaic.jsonl'],
  prompts: [
    {
      id: 'arc',
      template: 'Answer the following multiple choice question with the letter of the correct choice.\n\n{{few_shot}}Question: {{question}}\n{{choices_text}}\nAnswer:',
    },
  ],
  evaluators: choiceEvaluators,
  defaults: { temperature: 0, maxTokens: 32 },
  loglikelihood: {
    template: '{{few_shot}}Question: {{question}}\nAnswer:',
    continuations: spacedChoices,
    metric: 'acc_norm',
    protocol: {
      citation: `lm-evaluation-harness's arc_challenge task ("Question: …\\nAnswer:", continuations " " + choice text; 25-shot acc_norm on the Open LLM Leaderboard). ${HARNESS_MULTIPLE_CHOICE}`,
      url: 'https://github.com/EleutherAI/lm-evaluation-harness/blob/main/lm_eval/tasks/arc/arc_easy.yaml',
    },
  },
  fewShot: {
    standard: 25,
    hfSplit: 'train',
    format: (fields, scoring) =>
      scoring === 'loglikelihood'
        ? `Question: ${String(fields.question)}\nAnswer: ${solvedAnswer(fields, scoring)}\n\n`
        : `Question: ${String(fields.question)}\n${String(fields.choices_text)}\nAnswer: ${solvedAnswer(fields, scoring)}\n\n`,
  },
  prepare: prepareArc,
};

/** lm-evaluation-harness's HellaSwag `preprocess`: drops WikiHow's bracketed markers and doubled spaces. */
export function cleanHellaswagText(text: string): string {
  return text.trim().replace(/ \[title\]/g, '. ').replace(/\[.*?\]/g, '').replace(/ {2}/g, ' ').trim();
}

/** HellaSwag: Hugging Face `activity_label`, `ctx_a`, `ctx_b`, `endings`, `label`; or the MosaicML layout `query`, `choices`, `gold`. */
function prepareHellaswag(row: SuiteRow): SuiteRow {
  if (row.query !== undefined) {
    const choices = stringListField(row, ['choices']).map((choice) => choice.trim());
    return { context: textField(row, ['query']).trim(), few_shot: '', ...multipleChoiceFields(choices, answerIndex(row.gold, choices.length, 'HellaSwag gold')) };
  }
  const contextB = textField(row, ['ctx_b']);
  const context = `${textField(row, ['activity_label'])}: ${textField(row, ['ctx_a'])} ${contextB.charAt(0).toUpperCase()}${contextB.slice(1)}`;
  const choices = listField(row, ['endings']).map((ending) => cleanHellaswagText(String(ending)));
  return { context: cleanHellaswagText(context), few_shot: '', ...multipleChoiceFields(choices, answerIndex(row.label, choices.length, 'HellaSwag label')) };
}

export const hellaswagSuite: BenchmarkSuite = {
  name: 'hellaswag',
  title: 'HellaSwag',
  description: 'Commonsense sentence completion, 4 endings (10,042 validation items); scored as lettered multiple choice.',
  data: {
    citation: 'Zellers et al., "HellaSwag: Can a Machine Really Finish Your Sentence?", ACL 2019',
    url: 'https://github.com/rowanz/hellaswag',
    license: 'MIT',
  },
  protocol: {
    citation: "Context built as lm-evaluation-harness does (activity_label: ctx_a + capitalised ctx_b, bracket markers removed), asked as lettered multiple choice instead of log-likelihood ranking",
    url: 'https://github.com/EleutherAI/lm-evaluation-harness/blob/main/lm_eval/tasks/hellaswag/utils.py',
  },
  hf: { name: 'Rowan/hellaswag', config: 'default', split: 'validation' },
  localFiles: ['hellaswag/hellaswag_small.mosaic.jsonl', 'hellaswag_small.mosaic.jsonl'],
  prompts: [
    {
      id: 'hellaswag',
      template:
        'Choose the most plausible continuation of the text. Answer with the letter of the correct choice.\n\n{{few_shot}}{{context}}\n{{choices_text}}\nAnswer:',
    },
  ],
  evaluators: choiceEvaluators,
  defaults: { temperature: 0, maxTokens: 32 },
  loglikelihood: {
    template: '{{few_shot}}{{context}}',
    continuations: spacedChoices,
    metric: 'acc_norm',
    protocol: {
      citation: `lm-evaluation-harness's hellaswag task (the preprocessed context, continuations " " + ending; 10-shot acc_norm on the Open LLM Leaderboard). ${HARNESS_MULTIPLE_CHOICE}`,
      url: 'https://github.com/EleutherAI/lm-evaluation-harness/blob/main/lm_eval/tasks/hellaswag/hellaswag.yaml',
    },
  },
  fewShot: {
    standard: 10,
    hfSplit: 'train',
    format: (fields, scoring) =>
      scoring === 'loglikelihood'
        ? `${String(fields.context)} ${solvedAnswer(fields, scoring)}\n\n`
        : `${String(fields.context)}\n${String(fields.choices_text)}\nAnswer: ${solvedAnswer(fields, scoring)}\n\n`,
  },
  prepare: prepareHellaswag,
};

/**
 * TruthfulQA MC1: mc_task.json's `question` and `mc1_targets` ({ "answer": 1 | 0 }), or the Hugging
 * Face `multiple_choice` layout (`mc1_targets: { choices, labels }`). Both list the true answer
 * first, so the choices are shown in a seeded shuffled order (the evaluator recomputes it from the
 * same seed). `mc1_targets` is kept as a list of { text, label } in the source's order.
 */
function prepareTruthfulqaMc1(row: SuiteRow, options: SuitePrepareOptions = {}): SuiteRow {
  const seed = options.choiceSeed ?? DEFAULT_CHOICE_SEED;
  const targets = targetsOf(row, 'mc1_targets');
  const right = targets.findIndex((target) => target.correct);
  if (right < 0 || targets.filter((target) => target.correct).length !== 1) {
    throw new Error(`expected exactly one true answer (label 1) in 'mc1_targets'; the row has ${targets.filter((target) => target.correct).length}.`);
  }
  const order = shuffledOrder(targets.map((target) => target.text), seed);
  const choices = order.map((index) => (targets[index] as (typeof targets)[number]).text);
  return {
    question: textField(row, ['question']).trim(),
    mc1_targets: targets.map((target) => ({ text: target.text, label: target.correct ? 1 : 0 })),
    choice_seed: seed,
    ...multipleChoiceFields(choices, order.indexOf(right)),
  };
}

export const truthfulqaMc1Suite: BenchmarkSuite = {
  name: 'truthfulqa-mc1',
  title: 'TruthfulQA MC1 (multiple choice)',
  description: '817 questions, one true answer among 2–13 (5.1 on average); lettered multiple choice with the choices in a seeded shuffled order (--choice-seed, default 1234).',
  data: {
    citation: 'Lin, Hilton and Evans, "TruthfulQA: Measuring How Models Mimic Human Falsehoods", ACL 2022',
    url: 'https://github.com/sylinrl/TruthfulQA',
    license: 'Apache-2.0',
  },
  protocol: {
    citation: 'The MC1 task of data/mc_task.json asked as lettered multiple choice (not the log-likelihood ranking of lm-evaluation-harness truthfulqa_mc1), choices shuffled with a recorded seed since the file lists the true answer first',
    url: 'https://github.com/EleutherAI/lm-evaluation-harness/tree/main/lm_eval/tasks/truthfulqa',
  },
  hf: { name: 'truthfulqa/truthful_qa', config: 'multiple_choice', split: 'validation' },
  localFiles: ['truthfulqa/mc_task.json', 'mc_task.json'],
  prompts: [
    {
      id: 'truthfulqa-mc1',
      template: 'Answer the following multiple choice question with the letter of the true answer.\n\nQuestion: {{question}}\n{{choices_text}}\nAnswer:',
    },
  ],
  evaluators: ({ choiceSeed }) => [
    { type: 'truthfulqa-mc1', method: 'choice', targetsField: 'mc1_targets', shuffleSeed: choiceSeed ?? DEFAULT_CHOICE_SEED },
  ],
  defaults: { temperature: 0, maxTokens: 32 },
  shufflesChoices: true,
  prepare: prepareTruthfulqaMc1,
};
