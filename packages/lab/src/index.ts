export { Lab, createLab, type LabOptions, type RunOptions, type RunReport, type RunResultCounts, type SliceOptions, type SliceExecutor } from './lab.js';
export { rescoredFrom, rescoreResult, type RescoreOptions, type RescoreReport, type RescoreLink } from './rescore.js';
export { recordedRunOptions, resolveRunOptions, type RecordedRunOptions, type ResolvedRunOptions } from './run-options.js';
export type { RunPlan, PlanSlice, ExecutionOutcome } from '@llm-lab/evaluation';
export { slicePlan } from '@llm-lab/evaluation';
export type { ManagerEvent, ManagerEvents, ManagerEventListener, ManagerObserver } from '@llm-lab/provider-manager';
export type { RunView, ShownRunStatus } from './run-status.js';
export { createDefaultRegistry } from './builtin-providers.js';
export { resolveProviders, type ResolvedProvider } from './resolve-providers.js';
export type { ProviderSummary, EvaluatorSummary, AnswererCount, InvalidRow, EvaluationOutcome, GroupSummary, GroupAccuracy, CategoryAccuracy, MacroAverage } from '@llm-lab/evaluation';
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
export { configJsonSchema, descriptionsFromConfigDocs, CONFIG_SCHEMA_URL } from './config-json-schema.js';
export type { ServedProviders } from './serve-providers.js';
export type { ServingConfig } from '@llm-lab/core';
export { isPromptfooConfig, isPromptfooConfigFile, loadPromptfooConfig, mapPromptfooConfig, type PromptfooConversion } from './promptfoo/promptfoo-config.js';
export { formatIssues, type PromptfooIssue } from './promptfoo/promptfoo-issues.js';
export type { LoadedConfig } from '@llm-lab/core';
