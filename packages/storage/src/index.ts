export * from './types.js';
export { openStorage, prestartEmbeddedDatabase, DEFAULT_DATA_DIR, MIGRATIONS_FOLDER, type OpenStorageOptions } from './open-storage.js';
export { StorageError, isStorageError, type StorageErrorCode } from './errors.js';
export { generateRunId } from './run-id.js';
export type { HoldOptions, RunHold } from './run-holds.js';
export { describeConnectionUrl } from './connection-url.js';
export { findLabHome, findProjectRoot, LAB_HOME_NAME, type LabHome } from './lab-home.js';
export type { AnalysisStore, ResultSide, ResultSideListing, ResultSideSummary, PairedResultsQuery, PairedResultsAnswer, PairedTotals, FlippedCase, SideTotals } from './analysis-query.js';
export type { AuditStore, AuditRecord, AuditHead, AuditListQuery } from './audit-store.js';
