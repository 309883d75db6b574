import { closestName, ConfigError, type EvaluatorEntry } from '@llm-lab/core';
import { choiceEvaluator } from './choice.js';
import { codeExecEvaluator } from './code/code-exec.js';
import { containsEvaluator } from './contains.js';
import { customEvaluator } from './custom/custom.js';
import { equalsEvaluator } from './equals.js';
import { isJsonEvaluator } from './is-json.js';
import { jsonSchemaEvaluator } from './json-schema.js';
import { gEvalEvaluator } from './model-graded/g-eval.js';
import { judgeRatingEvaluator } from './model-graded/judge-rating.js';
import { loglikelihoodEvaluator } from './loglikelihood.js';
import { llmRubricEvaluator } from './model-graded/llm-rubric.js';
import { pairwiseEvaluator } from './model-graded/pairwise.js';
import { numericEvaluator } from './numeric.js';
import { costEvaluator, latencyEvaluator, tokensPerSecondEvaluator, ttftEvaluator } from './performance/performance.js';
import { regexEvaluator } from './regex.js';
import { toolCallEvaluator } from './tool-call.js';
import { piiEvaluator } from './safety/pii.js';
import { harmfulComplianceEvaluator, overRefusalEvaluator, refusalEvaluator } from './safety/refusal.js';
import { bleuEvaluator, levenshteinEvaluator, rougeLEvaluator } from './similarity.js';
import { truthfulQaMc1Evaluator, truthfulQaMc2Evaluator } from './truthfulness/truthfulqa-mc.js';
import { truthfulQaInformativeEvaluator } from './truthfulness/informative.js';
import { truthfulQaEvaluator } from './truthfulness/truthfulqa.js';
import type { Evaluator, EvaluatorDefinition, PreloadedModule, ProviderFactory } from './types.js';

/** Evaluator types by name. The default registry holds the built-ins; later types register here too. */
export class EvaluatorRegistry {
  private readonly definitions = new Map<string, EvaluatorDefinition>();

  constructor(definitions: readonly EvaluatorDefinition[] = []) {
    for (const definition of definitions) this.register(definition);
  }

  /** Adds a type. Throws when the type name is taken. */
  register(definition: EvaluatorDefinition): this {
    if (this.definitions.has(definition.type)) {
      throw new Error(`evaluator type '${definition.type}' is already registered.`);
    }
    this.definitions.set(definition.type, definition);
    return this;
  }

  get(type: string): EvaluatorDefinition | undefined {
    return this.definitions.get(type);
  }

  /** Registered type names, sorted. */
  types(): string[] {
    return [...this.definitions.keys()].sort();
  }
}

/** The built-in evaluator types, in documentation order. */
export const builtInEvaluators: readonly EvaluatorDefinition[] = [
  // Deterministic
  equalsEvaluator,
  containsEvaluator,
  regexEvaluator,
  isJsonEvaluator,
  jsonSchemaEvaluator,
  toolCallEvaluator,
  numericEvaluator,
  choiceEvaluator,
  loglikelihoodEvaluator,
  rougeLEvaluator,
  bleuEvaluator,
  levenshteinEvaluator,
  // Code execution
  codeExecEvaluator,
  // Model-graded
  llmRubricEvaluator,
  gEvalEvaluator,
  pairwiseEvaluator,
  judgeRatingEvaluator,
  // Truthfulness
  truthfulQaEvaluator,
  truthfulQaInformativeEvaluator,
  truthfulQaMc1Evaluator,
  truthfulQaMc2Evaluator,
  // Safety
  refusalEvaluator,
  harmfulComplianceEvaluator,
  overRefusalEvaluator,
  piiEvaluator,
  // Performance
  latencyEvaluator,
  ttftEvaluator,
  tokensPerSecondEvaluator,
  costEvaluator,
  // Custom
  customEvaluator,
];

/** A registry with the built-in types. */
export function createDefaultEvaluatorRegistry(): EvaluatorRegistry {
  return new EvaluatorRegistry(builtInEvaluators);
}

/** Options of {@link createEvaluators}. */
export interface CreateEvaluatorsOptions {
  /** Types to use. Default: the built-ins. */
  registry?: EvaluatorRegistry;
  /** The config file, for error messages. */
  file?: string;
  /** The config file's folder: relative schema files and modules are resolved against it. */
  baseDir?: string;
  /** Makes judge and baseline providers for model-graded evaluators (core's `ProviderRegistry.create`, bound). */
  createProvider?: ProviderFactory;
  /** Modules imported by `loadEvaluators` for `custom` entries, by entry path. */
  preloaded?: ReadonlyMap<string, PreloadedModule>;
}

/**
 * Builds the evaluators of a config's `evaluators:` list. Each entry is checked against its
 * type's fields; the first problem throws a ConfigError whose path points at the field (e.g.
 * `evaluators[1].value`) and says what was expected. Names default to the type; when several
 * entries share a type without a `name`, the later ones become `contains-2`, `contains-3`…
 * Two entries with the same explicit `name` are an error.
 */
export function createEvaluators(entries: readonly EvaluatorEntry[], options: CreateEvaluatorsOptions = {}): Evaluator[] {
  const registry = options.registry ?? createDefaultEvaluatorRegistry();
  const explicitNames = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (entry.name === undefined) return;
    const earlier = explicitNames.get(entry.name);
    if (earlier !== undefined) {
      throw new ConfigError({
        file: options.file,
        path: `evaluators[${index}].name`,
        message: `evaluator name '${entry.name}' is already used by evaluators[${earlier}]. Give each evaluator a distinct name.`,
      });
    }
    explicitNames.set(entry.name, index);
  });

  const taken = new Set(explicitNames.keys());
  return entries.map((entry, index) => {
    const path = `evaluators[${index}]`;
    const definition = registry.get(entry.type);
    if (!definition) {
      throw new ConfigError({
        file: options.file,
        path: `${path}.type`,
        message: `unknown evaluator type '${entry.type}'${didYouMean(entry.type, registry.types())}. Known types: ${registry.types().join(', ')}. A custom evaluator is 'type: custom' with 'module: ./file.js', or the name of an installed evaluator package.`,
      });
    }
    let name = entry.name;
    if (name === undefined) {
      name = entry.type;
      for (let suffix = 2; taken.has(name); suffix++) name = `${entry.type}-${suffix}`;
    }
    taken.add(name);
    const { type: _type, name: _name, ...fields } = entry;
    return definition.build(fields, {
      name,
      path,
      ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
      ...(options.createProvider ? { createProvider: options.createProvider } : {}),
      ...(options.preloaded ? { preloaded: options.preloaded } : {}),
      fail(field, message, cause) {
        throw new ConfigError({ file: options.file, path: `${path}.${field}`, message, cause });
      },
    });
  });
}

/** ` (did you mean 'bleu'?)` when a known name is close to the one given, else nothing. */
function didYouMean(name: string, known: readonly string[]): string {
  const guess = closestName(name, known);
  return guess ? ` (did you mean '${guess}'?)` : '';
}
