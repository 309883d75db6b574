import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * The folder GGUF models are pulled to and looked up in by name: `LLM_LAB_MODELS_DIR`, else
 * `~/.cache/llm-lab/models`.
 */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.LLM_LAB_MODELS_DIR?.trim();
  return configured ? resolve(expandHome(configured)) : join(homedir(), '.cache', 'llm-lab', 'models');
}

/** Replaces a leading `~` with the home folder. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** True when the model part of a `gguf:` id reads as a path rather than a name in the models folder. */
export function looksLikePath(model: string): boolean {
  return isAbsolute(model) || model.startsWith('.') || model.startsWith('~') || model.includes('/') || model.includes('\\');
}

/**
 * Finds the GGUF file of a `gguf:<path-or-name>` model: a path (absolute, relative to `cwd`, or
 * under `~`) is used as is; a name is looked up in `modelsDir` as `<name>` or `<name>.gguf`.
 * Returns the absolute path, or undefined with the places tried.
 */
export function resolveGgufModelPath(model: string, options: { modelsDir: string; cwd?: string }): { path?: string; tried: string[] } {
  const candidates = looksLikePath(model)
    ? [resolve(options.cwd ?? process.cwd(), expandHome(model))]
    : [join(options.modelsDir, model), join(options.modelsDir, `${model}.gguf`)];
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  return found ? { path: found, tried: candidates } : { tried: candidates };
}
