import { closestName, ConfigError, type EvaluatorEntry } from '@llm-lab/core';
import { choiceEvaluator } from './choice.js';
import { codeExecEvaluator } from './code/code-exec.js';
import { containsEvaluator } from './contains.js';
import { containsJsonEvaluator } from './contains-json.js';
import { javascriptEvaluator } from './javascript.js';
import { similarEvaluator } from './similar.js';
import { startsWithEvaluator } from './starts-with.js';
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
import type { EmbeddingFactory, Evaluator, EvaluatorDefinition, PreloadedModule, ProviderFactory } from './types.js';

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
  startsWithEvaluator,
  regexEvaluator,
  isJsonEvaluator,
  containsJsonEvaluator,
  jsonSchemaEvaluator,
  toolCallEvaluator,
  numericEvaluator,
  choiceEvaluator,
  loglikelihoodEvaluator,
  rougeLEvaluator,
  bleuEvaluator,
  levenshteinEvaluator,
  similarEvaluator,
  // Code execution
  codeExecEvaluator,
  javascriptEvaluator,
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
  /** Makes embedding models for `similar` (core's `ProviderRegistry.createEmbedding`, bound). */
  createEmbeddingProvider?: EmbeddingFactory;
  /** Where the entries are, for error paths: `evaluators` (default), or e.g. `case q7: assert`. */
  pathPrefix?: string;
  /** Names already used by other evaluators of the same cases (a row's checks beside the config's): new default names avoid them. */
  reservedNames?: Iterable<string>;
}

/**
 * An evaluator whose verdict is turned around (`not: true`, promptfoo's `not-` types): it passes
 * when the wrapped one fails, with score 1 − score.
 */
function negated(inner: Evaluator): Evaluator {
  return {
    type: inner.type,
    name: inner.name,
    async evaluate(input) {
      const score = await inner.evaluate(input);
      return { ...score, passed: !score.passed, score: 1 - score.score, reason: `not: ${score.reason}` };
    },
  };
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
  const prefix = options.pathPrefix ?? 'evaluators';
  const explicitNames = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (entry.name === undefined) return;
    const earlier = explicitNames.get(entry.name);
    if (earlier !== undefined) {
      throw new ConfigError({
        file: options.file,
        path: `${prefix}[${index}].name`,
        message: `evaluator name '${entry.name}' is already used by ${prefix}[${earlier}]. Give each evaluator a distinct name.`,
      });
    }
    explicitNames.set(entry.name, index);
  });

  const taken = new Set([...explicitNames.keys(), ...(options.reservedNames ?? [])]);
  return entries.map((entry, index) => {
    const path = `${prefix}[${index}]`;
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
    const { type: _type, name: _name, weight, not, ...fields } = entry;
    if (weight !== undefined && (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0)) {
      throw new ConfigError({ file: options.file, path: `${path}.weight`, message: `expected a weight of 0 or more (how much this score counts in a case's weighted score), got ${JSON.stringify(weight)}.` });
    }
    if (not !== undefined && typeof not !== 'boolean') {
      throw new ConfigError({ file: options.file, path: `${path}.not`, message: `expected true or false (true passes when the check fails), got ${JSON.stringify(not)}.` });
    }
    const built = definition.build(fields, {
      name,
      path,
      ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
      ...(options.createProvider ? { createProvider: options.createProvider } : {}),
      ...(options.preloaded ? { preloaded: options.preloaded } : {}),
      ...(options.createEmbeddingProvider ? { createEmbeddingProvider: options.createEmbeddingProvider } : {}),
      fail(field, message, cause) {
        throw new ConfigError({ file: options.file, path: `${path}.${field}`, message, cause });
      },
    });
    const evaluator = not === true ? negated(built) : built;
    return weight === undefined ? evaluator : { type: evaluator.type, name: evaluator.name, weight, evaluate: (input) => evaluator.evaluate(input) };
  });
}

/** ` (did you mean 'bleu'?)` when a known name is close to the one given, else nothing. */
function didYouMean(name: string, known: readonly string[]): string {
  const guess = closestName(name, known);
  return guess ? ` (did you mean '${guess}'?)` : '';
}
