import { TemplateError } from '../errors.js';

/** A piece of a parsed template: literal text, or a variable path like `a.b`. */
type TemplatePart = { kind: 'text'; text: string } | { kind: 'variable'; name: string; path: string[] };

/** A template parsed once and rendered many times. */
export interface CompiledTemplate {
  /** The template as written. */
  source: string;
  /** Distinct variable names in order of first use (dotted paths as written, e.g. `meta.lang`). */
  variables: string[];
  /**
   * Fills in the variables. Strings are inserted as they are; other values as JSON. Throws a
   * TemplateError naming the variable and the row's fields when a variable is not in `vars`.
   */
  render(vars: Record<string, unknown>): string;
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const VARIABLE_PATH = /^[A-Za-z_$][\w$-]*(?:\.[\w$-]+)*$/;

function parse(source: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const name = (match[1] ?? '').trim();
    if (!VARIABLE_PATH.test(name)) {
      throw new TemplateError({
        message:
          `template has an invalid placeholder '${match[0]}' at character ${match.index + 1}: ` +
          `expected a field name such as {{question}} or a dotted path such as {{meta.lang}}. Fix the template.`,
      });
    }
    if (match.index > last) parts.push({ kind: 'text', text: source.slice(last, match.index) });
    parts.push({ kind: 'variable', name, path: name.split('.') });
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ kind: 'text', text: source.slice(last) });
  return parts;
}

/** The value at `path` in `vars`, or `missing` when any step is absent. */
function lookup(vars: Record<string, unknown>, path: readonly string[]): { found: true; value: unknown } | { found: false } {
  let current: unknown = vars;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, key)) {
      return { found: false };
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current === undefined ? { found: false } : { found: true, value: current };
}

/** How a variable's value appears in rendered text: strings as-is, everything else as JSON. */
export function stringifyValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? String(value);
}

/**
 * Parses `source` once into literal text and `{{ variable }}` parts (dotted paths and spaces
 * inside the braces allowed). A placeholder that is not a field name or dotted path is a
 * TemplateError at compile time, so typos surface before any call is made.
 */
export function compileTemplate(source: string): CompiledTemplate {
  const parts = parse(source);
  const variables = [...new Set(parts.flatMap((part) => (part.kind === 'variable' ? [part.name] : [])))];
  return {
    source,
    variables,
    render(vars) {
      let out = '';
      for (const part of parts) {
        if (part.kind === 'text') {
          out += part.text;
          continue;
        }
        const result = lookup(vars, part.path);
        if (!result.found) {
          const fields = Object.keys(vars);
          throw new TemplateError({
            variable: part.name,
            message:
              `template variable '${part.name}' is not in this row (fields: ${fields.length > 0 ? fields.join(', ') : 'none'}). ` +
              `Fix the template or the dataset`,
          });
        }
        out += stringifyValue(result.value);
      }
      return out;
    },
  };
}
