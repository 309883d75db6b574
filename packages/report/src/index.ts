/**
 * @llm-lab/report: what a stored run is shown and shipped as. A self-contained HTML report
 * (summary, charts, comparison, a case browser), exports of every result (CSV, JSON lines,
 * Parquet), and the run logged to an MLflow tracking server. Reads storage; never calls a provider.
 */
export { collectReportData, DEFAULT_MAX_CASES, DEFAULT_MAX_TEXT, MAX_CATEGORIES, type CollectOptions, type ReportSource } from './collect.js';
export { LATENCY_QUANTILES } from './types.js';
export { renderReportHtml } from './html/page.js';
export { buildReport, writeReport } from './write-report.js';
export { promptText } from './case-text.js';
export type { ReportComparison, ReportComparisonPair, ReportData, SeriesFigures, CategoryRow, EmbeddedCase, ComparedRun } from './types.js';
export { exportRun, exportFormatNamed, EXPORT_FORMATS, type ExportFormat, type ExportOptions, type ExportSource, type ExportSummary } from './export/export-run.js';
export { RESULT_COLUMNS, flattenResult, failureReasons, evaluatorColumns, csvField, csvHeader, csvLine, jsonLine, type FlatRow, type FlatValue, type ResultColumn } from './export/rows.js';
export { MlflowClient, MlflowError, trackingBase, LOG_BATCH_LIMITS, MAX_PARAM_VALUE, type MlflowClientOptions, type MlflowMetric, type MlflowKeyValue } from './mlflow/mlflow-client.js';
export { exportToMlflow, mlflowKey, runMetrics, runParams, type MlflowExportOptions, type MlflowExportSummary } from './mlflow/export-to-mlflow.js';
