export { runEvaluation, answerersOf } from './run-evaluation.js';
export { executeWorkItem, mergeSampling, type WorkItem, type WorkContext } from './execute-work-item.js';
export { BatchedResultWriter } from './result-writer.js';
export type { EngineProvider, EvaluationOutcome, EvaluationProgress, RunEvaluationOptions } from './types.js';
