import { labConfigSchema, z } from '@llm-lab/core';
import { builtInEvaluators, type EvaluatorDefinition } from '@llm-lab/evaluation';
import {
  balancingStrategySchema,
  breakerSettingsSchema,
  concurrencySettingsSchema,
  managerCacheSchema,
  memberEntrySchema,
  providerCacheSettingsSchema,
  piiPolicySchema,
  rateLimitSettingsSchema,
  retrySettingsSchema,
} from '@llm-lab/provider-manager';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[] };

/** Where the published schema lives, for `# yaml-language-server: $schema=…` lines. */
export const CONFIG_SCHEMA_URL = 'https://unpkg.com/@llm-lab/lab/schema/llm-lab.schema.json';

const toJson = (schema: z.ZodType): JsonSchema =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-07' }) as JsonSchema;

function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

/** One evaluator entry: `type` fixed, `name`, `weight`, `not`, and the type's own fields. */
function evaluatorSchema(definition: EvaluatorDefinition): JsonSchema {
  const options = definition.options ? strip(toJson(definition.options)) : { type: 'object', properties: {} };
  return {
    type: 'object',
    description: definition.description,
    properties: {
      type: { const: definition.type, description: definition.description },
      name: { type: 'string', minLength: 1, description: "Scores this evaluator's result under another name." },
      weight: { type: 'number', minimum: 0, description: "How much its score counts in a case's weighted score (default 1), used when the case sets __threshold." },
      not: { type: 'boolean', description: 'Turns the verdict around: passes when the check fails (score 1 − score).' },
      ...((options.properties as Record<string, JsonSchema> | undefined) ?? {}),
    },
    required: ['type', ...(((options.required as string[] | undefined) ?? []))],
    additionalProperties: false,
  };
}

/**
 * The JSON Schema of `llm-lab.yaml`, generated from the zod schemas that validate it (core's
 * config, the provider manager's policies, each evaluator type's options), with descriptions
 * from docs/config.md when `descriptions` are given (`path` → text, e.g. `run.concurrency`).
 * Editors use it to complete and check keys.
 */
export function configJsonSchema(options: { evaluators?: readonly EvaluatorDefinition[]; descriptions?: ReadonlyMap<string, string> } = {}): JsonSchema {
  const schema = toJson(labConfigSchema);
  const evaluators = options.evaluators ?? builtInEvaluators;
  const properties = schema.properties!;
  properties.evaluators = {
    ...properties.evaluators,
    items: {
      anyOf: [
        ...evaluators.map(evaluatorSchema),
        {
          type: 'object',
          description: 'An evaluator from an installed package, named by its package name; its fields are its own.',
          properties: {
            type: { type: 'string', pattern: '^(@[a-z0-9][\\w.-]*/)?[a-z0-9][\\w.-]*$', not: { enum: evaluators.map((definition) => definition.type) } },
            name: { type: 'string', minLength: 1 },
          },
          required: ['type'],
        },
      ],
    },
  };
  const providerEntry = properties.providers!.items!.anyOf!.find((candidate) => candidate.type === 'object');
  if (providerEntry?.properties) {
    const policies: Record<string, z.ZodType> = {
      retry: retrySettingsSchema,
      breaker: breakerSettingsSchema,
      rateLimit: rateLimitSettingsSchema,
      concurrency: concurrencySettingsSchema,
      cache: providerCacheSettingsSchema,
      strategy: balancingStrategySchema,
      members: z.array(memberEntrySchema),
      pii: piiPolicySchema,
    };
    for (const [key, policy] of Object.entries(policies)) {
      if (key in providerEntry.properties) providerEntry.properties[key] = strip(toJson(policy));
    }
  }
  if (properties.cache) properties.cache = { ...strip(toJson(managerCacheSchema)), ...(properties.cache.default !== undefined ? { default: properties.cache.default } : {}) };
  if (options.descriptions) describe(schema, '', options.descriptions);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: CONFIG_SCHEMA_URL,
    title: 'LLM Lab config (llm-lab.yaml)',
    ...strip(schema),
  };
}

/** Sets `description` on each property whose documented path is known (array items use `[]`). */
function describe(schema: JsonSchema, path: string, descriptions: ReadonlyMap<string, string>): void {
  const text = path ? descriptions.get(path) : undefined;
  if (text && schema.description === undefined) schema.description = text;
  for (const [key, child] of Object.entries(schema.properties ?? {})) describe(child, path ? `${path}.${key}` : key, descriptions);
  if (schema.items) describe(schema.items, `${path}[]`, descriptions);
  for (const option of schema.anyOf ?? []) {
    if (option.type === 'object' || option.properties) describe(option, path.endsWith('[]') ? path : path, descriptions);
  }
}

/**
 * The `key → meaning` rows of docs/config.md's tables (`| \`run.concurrency\` | type | default | meaning |`),
 * as descriptions for {@link configJsonSchema}. Markdown links and backticks are kept readable.
 */
export function descriptionsFromConfigDocs(markdown: string): Map<string, string> {
  const descriptions = new Map<string, string>();
  let section = '';
  for (const line of markdown.split('\n')) {
    const heading = /^#{2,3} (.*)$/.exec(line);
    if (heading) section = heading[1]!;
    const row = /^\| `([^`]+)`((?:, `[^`]+`)*) \|(.*)\|\s*$/.exec(line);
    if (!row) continue;
    const cells = row[3]!.split(/(?<!\\)\|/).map((cell) => cell.trim());
    const meaning = cells.at(-1)!.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1').replace(/\\\|/g, '|');
    const keys = [row[1]!, ...[...row[2]!.matchAll(/`([^`]+)`/g)].map((match) => match[1]!)];
    // The mock provider's table describes one provider's `config:`, not the config file.
    if (section.startsWith('The `mock` provider')) continue;
    for (const key of keys) {
      const reliability = section.startsWith('Reliability') && !key.startsWith('cache.');
      const path = reliability ? `providers[].${key}` : key.replace(/^\./, 'providers[].');
      if (!descriptions.has(path)) descriptions.set(path, meaning);
    }
  }
  return descriptions;
}
