import nunjucks from 'nunjucks';
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

/** Nunjucks syntax: a `{% tag %}`, a `{# comment #}`, or a placeholder that is more than a field path (`{{ x | upper }}`). */
function usesNunjucks(source: string): boolean {
  if (/\{%|\{#/.test(source)) return true;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const inside = (match[1] ?? '').trim();
    if (!VARIABLE_PATH.test(inside) && /[|("'[\]]/.test(inside)) return true;
  }
  return false;
}

/** One environment for every Nunjucks template: no HTML escaping (prompts are not HTML), a missing variable is an error. */
let environment: nunjucks.Environment | undefined;
function nunjucksEnvironment(): nunjucks.Environment {
  environment ??= new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  return environment;
}

/** The first line of a Nunjucks error, without its `(unknown path)` prefix. */
function nunjucksMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^\(unknown path\)\s*/, '').replace(/\s+/g, ' ').trim();
}

/**
 * A Nunjucks (Jinja2-like) template, as promptfoo writes them: filters (`{{ items | dump }}`,
 * `| upper`, `| trim`), `{% if %}` and `{% for %}`. Compiled eagerly, so a syntax error is a
 * TemplateError before any call; a variable that is missing when rendered is one too.
 */
function compileNunjucks(source: string): CompiledTemplate {
  let template: nunjucks.Template;
  try {
    template = new nunjucks.Template(source, nunjucksEnvironment(), undefined, true);
  } catch (error) {
    throw new TemplateError({ message: `template is not valid Nunjucks: ${nunjucksMessage(error)}. Fix the template.`, cause: error });
  }
  const variables = [...new Set([...source.matchAll(/\{\{-?\s*([A-Za-z_$][\w$]*)/g)].map((match) => match[1] as string))];
  return {
    source,
    variables,
    render(vars) {
      try {
        return template.render(vars);
      } catch (error) {
        const fields = Object.keys(vars);
        throw new TemplateError({
          message: `template could not be rendered: ${nunjucksMessage(error)} (row fields: ${fields.length > 0 ? fields.join(', ') : 'none'}). Fix the template or the dataset`,
          cause: error,
        });
      }
    },
  };
}

/**
 * Parses `source` once into literal text and `{{ variable }}` parts (dotted paths and spaces
 * inside the braces allowed). A placeholder that is not a field name or dotted path is a
 * TemplateError at compile time, so typos surface before any call is made. A template using
 * Nunjucks syntax (filters, tags, comments) is compiled by Nunjucks instead (see compileNunjucks).
 */
export function compileTemplate(source: string): CompiledTemplate {
  if (usesNunjucks(source)) return compileNunjucks(source);
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
