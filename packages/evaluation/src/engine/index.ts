export { runEvaluation, answerersOf } from './run-evaluation.js';
export { planRun, slicePlan, parsePlan, workItemCount, assertDistinctLabels, WHOLE_PLAN, type RunPlan, type PlanSlice, type PlanRunOptions } from './plan.js';
export { executePlan, COMPLETED_KEYS_WINDOW, type ExecutePlanOptions, type ExecutionOutcome, type BatchRunOptions } from './execute-plan.js';
export { BatchCollector, batchItemKey, type BatchCollectorOptions } from './batch-collector.js';
export { summariseStoredGroups, summariseStoredRun, type ResultReader, type StoredRunShape } from './summarise-stored-run.js';
export { executeWorkItem, mergeSampling, type WorkItem, type WorkContext } from './execute-work-item.js';
export { BatchedResultWriter } from './result-writer.js';
export type { EngineProvider, EvaluationOutcome, EvaluationProgress, RunEvaluationOptions } from './types.js';
export { answerCase, loadToolModule, preloadToolModules, runToolLoop, type AnsweredCase, type ToolCallContext, type ToolImplementation, type ToolImplementations, type ToolLoopOptions, type ToolLoopOutcome } from './tool-loop.js';
