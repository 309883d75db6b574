import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defaultModelsDir } from './gguf-model-path.js';

/** A GGUF file in the models folder. */
export interface LocalModelEntry {
  /** The file name, usable as `gguf:<name>`. */
  name: string;
  path: string;
  sizeBytes: number;
  modifiedAt: Date;
}

/**
 * The `.gguf` files in `dir` (default: the models folder), sorted by name. Unfinished downloads
 * (`.part`) are left out. A folder that does not exist has no models.
 */
export function listModels(dir: string = defaultModelsDir()): LocalModelEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => name.toLowerCase().endsWith('.gguf'))
    .map((name) => {
      const path = join(dir, name);
      const stats = statSync(path);
      return { name, path, sizeBytes: stats.size, modifiedAt: stats.mtime, isFile: stats.isFile() };
    })
    .filter((entry) => entry.isFile)
    .map(({ isFile: _isFile, ...entry }) => entry)
    .sort((a, b) => a.name.localeCompare(b.name));
}
