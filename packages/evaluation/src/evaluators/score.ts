import type { ScoreRecord } from '../storage-contract.js';
import type { CompiledTemplate } from '../prompts/template.js';
import type { EvaluatorContext } from './types.js';
import { compileOptionTemplate } from './define-evaluator.js';

/** A pass/fail ScoreRecord: score 1 or 0. */
export function passFail(name: string, type: string, passed: boolean, reason: string): ScoreRecord {
  return { name, type, passed, score: passed ? 1 : 0, reason };
}

/** A graded ScoreRecord: passes when `score >= threshold`. */
export function graded(name: string, type: string, score: number, threshold: number, reason: string): ScoreRecord {
  return { name, type, passed: score >= threshold, score, reason };
}

/** Compiles each template of a list option; errors point at `field[i]` (or `field` for a single one). */
export function compileTemplates(sources: readonly string[], field: string, context: EvaluatorContext): CompiledTemplate[] {
  return sources.map((source, index) => compileOptionTemplate(source, sources.length === 1 ? field : `${field}[${index}]`, context));
}
