export { Lab, createLab, type LabOptions, type RunOptions, type RunReport, type RunResultCounts } from './lab.js';
export { recordedRunOptions, type RecordedRunOptions } from './resume.js';
export type { RunView, ShownRunStatus } from './run-status.js';
export { createDefaultRegistry } from './builtin-providers.js';
export { resolveProviders, type ResolvedProvider } from './resolve-providers.js';
export type { ProviderSummary, EvaluatorSummary, AnswererCount, InvalidRow, EvaluationOutcome } from '@llm-lab/evaluation';
export type {
  RunRecord,
  ResultRecord,
  RunTotals,
  RunStatus,
  ScoreRecord,
  Storage,
  ResultQuery,
  ResultPage,
  ResultFilter,
  ResultSort,
  ResultOutcome,
} from '@llm-lab/storage';
export {
  buildSuiteConfig,
  listSuites,
  getSuite,
  type BenchmarkSuite,
  type BuildSuiteConfigOptions,
  type SuiteRunConfig,
} from '@llm-lab/evaluation';
