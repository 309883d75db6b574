export { runEvaluation, answerersOf } from './run-evaluation.js';
export { planRun, slicePlan, parsePlan, workItemCount, assertDistinctLabels, WHOLE_PLAN, type RunPlan, type PlanSlice, type PlanRunOptions } from './plan.js';
export { executePlan, COMPLETED_KEYS_WINDOW, type ExecutePlanOptions, type ExecutionOutcome } from './execute-plan.js';
export { summariseStoredGroups, summariseStoredRun, type ResultReader, type StoredRunShape } from './summarise-stored-run.js';
export { executeWorkItem, mergeSampling, type WorkItem, type WorkContext } from './execute-work-item.js';
export { BatchedResultWriter } from './result-writer.js';
export type { EngineProvider, EvaluationOutcome, EvaluationProgress, RunEvaluationOptions } from './types.js';
