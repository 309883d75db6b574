import { ConfigError, type EvaluatorEntry } from '@llm-lab/core';
import { containsEvaluator } from './contains.js';
import { equalsEvaluator } from './equals.js';
import { isJsonEvaluator } from './is-json.js';
import { regexEvaluator } from './regex.js';
import type { Evaluator, EvaluatorDefinition } from './types.js';

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

/** The built-in evaluator types: equals, contains, regex, is-json. */
export const builtInEvaluators: readonly EvaluatorDefinition[] = [equalsEvaluator, containsEvaluator, regexEvaluator, isJsonEvaluator];

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
        message: `unknown evaluator type '${entry.type}'. Known types: ${registry.types().join(', ')}.`,
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
      fail(field, message, cause) {
        throw new ConfigError({ file: options.file, path: `${path}.${field}`, message, cause });
      },
    });
  });
}
