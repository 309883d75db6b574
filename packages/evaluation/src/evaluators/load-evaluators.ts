import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, z, type EvaluatorEntry } from '@llm-lab/core';
import { findCustomExport, functionEvaluator } from './custom/custom.js';
import { defineEvaluator } from './define-evaluator.js';
import { createDefaultEvaluatorRegistry, createEvaluators, EvaluatorRegistry, type CreateEvaluatorsOptions } from './registry.js';
import { thresholdOption } from './schemas.js';
import type { Evaluator, EvaluatorDefinition, PreloadedModule } from './types.js';

const PACKAGE_NAME = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/;

async function importFile(url: string): Promise<Record<string, unknown>> {
  return (await import(url)) as Record<string, unknown>;
}

/** Imports the `module:` of a custom entry, resolved against `baseDir`; ConfigErrors point at `evaluators[i].module`. */
async function loadCustomModule(entry: EvaluatorEntry, path: string, baseDir: string, file: string | undefined): Promise<PreloadedModule> {
  const fail = (message: string, cause?: unknown): never => {
    throw new ConfigError({ file, path: `${path}.module`, message, cause });
  };
  const specifier = entry.module;
  if (typeof specifier !== 'string' || specifier === '') return fail("evaluator 'custom' needs 'module': a path to a JavaScript module, e.g. './checks/my-check.js'.");
  const absolute = resolve(baseDir, specifier);
  if (!existsSync(absolute)) return fail(`module file ${absolute} does not exist. The path is resolved against the config file's folder (${baseDir}).`);
  const url = pathToFileURL(absolute).href;
  try {
    return { specifier, url, exports: await importFile(url) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' || /\.(?:c|m)?tsx?$/.test(absolute)) {
      return fail(`could not import ${absolute}: Node.js cannot load TypeScript directly. Compile it to JavaScript (ESM), or run llm-lab under a TypeScript loader (node --import tsx).`, error);
    }
    return fail(`could not import ${absolute}: ${(error as Error).message}`, error);
  }
}

/** An evaluator type from a package: its definition, or a definition wrapping the function it exports. */
function definitionFromPackage(type: string, exports: Record<string, unknown>): EvaluatorDefinition | undefined {
  const found = findCustomExport(exports);
  if (!found) return undefined;
  if (found.kind === 'definition') return { ...found.definition, type };
  const evaluate = found.evaluate;
  return defineEvaluator({
    type,
    description: `Custom evaluator from package '${type}'.`,
    options: z.strictObject({ config: z.record(z.string(), z.unknown(), { error: 'expected an object of options' }).default({}), threshold: thresholdOption(0.5) }),
    create: (options, context) => functionEvaluator(evaluate, context.name, type, options.config, options.threshold),
  });
}

/** Imports an evaluator package named as a `type:`, from `baseDir`; undefined when no such package is installed. */
async function loadPackageType(type: string, path: string, baseDir: string, file: string | undefined): Promise<EvaluatorDefinition | undefined> {
  if (!PACKAGE_NAME.test(type)) return undefined;
  let url: string;
  try {
    url = pathToFileURL(createRequire(join(baseDir, 'package.json')).resolve(type)).href;
  } catch {
    return undefined;
  }
  let exports: Record<string, unknown>;
  try {
    exports = await importFile(url);
  } catch (error) {
    throw new ConfigError({ file, path: `${path}.type`, message: `could not import evaluator package '${type}': ${(error as Error).message}`, cause: error });
  }
  const definition = definitionFromPackage(type, exports);
  if (!definition) {
    throw new ConfigError({
      file,
      path: `${path}.type`,
      message: `package '${type}' exports no evaluator (its exports: ${Object.keys(exports).join(', ') || 'none'}). An evaluator package exports, as default or 'evaluator', a defineEvaluator() definition or a function (input, config) => boolean | number | { passed, score, reason }.`,
    });
  }
  return definition;
}

/** Options of {@link loadEvaluators}: those of `createEvaluators`, with `baseDir` for modules and packages. */
export interface LoadEvaluatorsOptions extends CreateEvaluatorsOptions {
  /** The config file's folder: `module:` paths and package types are resolved from it. Default: the working directory. */
  baseDir?: string;
}

/**
 * Builds the evaluators of a config, including custom ones: each `type: custom` entry's `module`
 * (and a `tool-call` entry's module of checks) is imported (relative to `baseDir`), and a `type` that is not a built-in is looked up as an
 * installed package (resolved from `baseDir`). Then every entry is validated and built as by
 * `createEvaluators`; problems are ConfigErrors at `evaluators[i].<field>`.
 */
export async function loadEvaluators(entries: readonly EvaluatorEntry[], options: LoadEvaluatorsOptions = {}): Promise<Evaluator[]> {
  const baseDir = resolve(options.baseDir ?? process.cwd());
  const base = options.registry ?? createDefaultEvaluatorRegistry();
  const registry = new EvaluatorRegistry(base.types().map((type) => base.get(type) as EvaluatorDefinition));
  const preloaded = new Map<string, PreloadedModule>();
  for (const [index, entry] of entries.entries()) {
    const path = `evaluators[${index}]`;
    if (entry.type === 'custom') preloaded.set(path, await loadCustomModule(entry, path, baseDir, options.file));
    else if (entry.type === 'tool-call' && typeof entry.module === 'string') preloaded.set(path, await loadCustomModule(entry, path, baseDir, options.file));
    else if (!registry.get(entry.type)) {
      const definition = await loadPackageType(entry.type, path, baseDir, options.file);
      if (definition) registry.register(definition);
    }
  }
  return createEvaluators(entries, { ...options, registry, baseDir, preloaded });
}
