import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';

/** `file://path` → `path`; other strings as they are. */
export const withoutScheme = (reference: string): string => (reference.startsWith('file://') ? reference.slice('file://'.length) : reference);

/**
 * The files a promptfoo file reference names, resolved against `baseDir`, sorted: one path, or
 * a simple glob (`*` and `?` in the file name, e.g. `tests/*.csv`). Throws when none exists.
 */
export function expandFiles(reference: string, baseDir: string): string[] {
  const path = resolve(baseDir, withoutScheme(reference));
  const name = basename(path);
  if (!/[*?]/.test(name)) {
    if (!existsSync(path)) throw new Error(`file ${path} does not exist (paths are relative to the config's folder, ${baseDir})`);
    return [path];
  }
  const folder = dirname(path);
  if (/[*?]/.test(folder)) throw new Error(`only the file name may hold wildcards (${reference}); list the folders one by one`);
  const pattern = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const files = existsSync(folder) ? readdirSync(folder).filter((file) => pattern.test(file)).sort().map((file) => join(folder, file)) : [];
  if (files.length === 0) throw new Error(`no file matches ${reference} in ${folder}`);
  return files;
}

/** A path for messages: relative to the config's folder. */
export const shown = (file: string, baseDir: string): string => relative(baseDir, file) || file;

/** A structured file's content: YAML/JSON parsed, JSONL as a list of lines, CSV as a list of row objects; other text as text. */
export function readStructured(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  const extension = extname(file).toLowerCase();
  if (extension === '.json') return JSON.parse(text) as unknown;
  if (extension === '.yaml' || extension === '.yml') return parseYaml(text) as unknown;
  if (extension === '.jsonl') {
    return text
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as unknown);
  }
  // Quotes inside unquoted cells (python:output == "hi") are kept, as promptfoo reads its CSVs.
  if (extension === '.csv') return parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true, relax_quotes: true }) as Record<string, string>[];
  return text;
}
