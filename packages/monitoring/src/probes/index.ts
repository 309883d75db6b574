export { probeSchema, probesSchema, type ProbeConfig, type ProbeConfigInput } from './schema.js';
export { runProbe, probeSeriesKey, type ProbeLab, type ProbeOutcome, type ProbeRunDeps } from './run-probe.js';
export { startProbes, type ProbeDeps, type ProbeStats, type ProbeTimers, type StopProbes } from './scheduler.js';
