export type { BenchmarkSuite, SuiteName, SuiteRow, SuiteSource, SuiteEvaluatorOptions, SuitePrepareOptions } from './types.js';
export { benchmarkSuites, listSuites, getSuite } from './registry.js';
export { buildSuiteConfig, type BuildSuiteConfigOptions, type SuiteRunConfig } from './build-suite-config.js';
export { mmluSuite, arcSuite, hellaswagSuite, truthfulqaMc1Suite, mmluSubjectName, formatMmluExample, cleanHellaswagText } from './multiple-choice-suites.js';
export { gsm8kSuite, truthfulqaSuite, humanevalSuite, advbenchSuite, xstestSuite, mtBenchSuite, TRUTHFULQA_QA_PRIMER } from './generation-suites.js';
export { MMLU_SUBJECTS, normalizeMmluSubjects, mmluSubjectOfFile } from './mmlu-data.js';
export { LETTERS, letteredChoices, answerIndex } from './row-fields.js';
