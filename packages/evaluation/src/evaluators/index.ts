export { createEvaluators, createDefaultEvaluatorRegistry, EvaluatorRegistry, builtInEvaluators, type CreateEvaluatorsOptions } from './registry.js';
export { defineEvaluator, compileOptionTemplate } from './define-evaluator.js';
export { templateValue } from './schemas.js';
export { equalsEvaluator } from './equals.js';
export { containsEvaluator } from './contains.js';
export { regexEvaluator } from './regex.js';
export { isJsonEvaluator } from './is-json.js';
export type { Evaluator, EvaluatorContext, EvaluatorDefinition, EvaluationInput } from './types.js';
