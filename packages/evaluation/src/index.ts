/**
 * @llm-lab/evaluation: streamed datasets, prompt templates, evaluators, metrics and the engine
 * that runs cases × prompts × providers × repeats and stores every result.
 */
export * from './datasets/index.js';
export * from './prompts/index.js';
export * from './evaluators/index.js';
export * from './metrics/index.js';
export * from './engine/index.js';
export * from './suites/index.js';
export * from './tasks/index.js';
export { DatasetError, TemplateError, isDatasetError, isTemplateError } from './errors.js';
export { resultKey, type NewResult, type ScoreRecord, type RunTotals, type ResultStore, type RunBatchStore } from './storage-contract.js';
