export { runEvaluation, answerersOf } from './run-evaluation.js';
export { executeWorkItem, mergeSampling, type WorkItem, type WorkContext } from './execute-work-item.js';
export { BatchedResultWriter } from './result-writer.js';
export type { EngineProvider, EvaluationOutcome, EvaluationProgress, RunEvaluationOptions } from './types.js';
export { answerCase, loadToolModule, preloadToolModules, runToolLoop, type AnsweredCase, type ToolCallContext, type ToolImplementation, type ToolImplementations, type ToolLoopOptions, type ToolLoopOutcome } from './tool-loop.js';
