export * from './claims.js';
export * from './manager.js';
export { evaluatorFor, periodStart, describeSeries, type Observation, type RuleEvaluator } from './rules.js';
