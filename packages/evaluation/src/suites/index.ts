export type { BenchmarkSuite, SuiteName, SuiteRow, SuiteSource, SuiteEvaluatorOptions, SuitePrepareOptions } from './types.js';
export { benchmarkSuites, listSuites, getSuite } from './registry.js';
export { buildSuiteConfig, type BuildSuiteConfigOptions, type SuiteRunConfig } from './build-suite-config.js';
export { mmluSuite, arcSuite, hellaswagSuite, truthfulqaMc1Suite, mmluSubjectName, formatMmluExample, cleanHellaswagText } from './multiple-choice-suites.js';
export { gsm8kSuite, truthfulqaSuite, humanevalSuite, mtBenchSuite, TRUTHFULQA_QA_PRIMER } from './generation-suites.js';
export { advbenchSuite, xstestSuite, ADVBENCH_TASK, XSTEST_TASK } from './task-suites.js';
export { MMLU_CATEGORIES, mmluCategoryOf } from './mmlu-categories.js';
export { MMLU_SUBJECTS, normalizeMmluSubjects, mmluSubjectOfFile } from './mmlu-data.js';
export { LETTERS, letteredChoices, answerIndex } from './row-fields.js';
