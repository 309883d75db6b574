/**
 * How a config names a secret without holding it: where it lives and, for a structured secret,
 * which field. A reference is written in the config in place of the value:
 * `apiKey: { from: vault, path: secret/data/llm/openai, field: key }`.
 */
export type SecretReference =
  | { from: 'env'; name: string }
  | { from: 'dotenv'; name: string; file?: string }
  | { from: 'vault'; path: string; field: string }
  | { from: 'aws'; id: string; field?: string };

export type SecretSourceName = SecretReference['from'];

const FIELDS: Record<SecretSourceName, { required: string[]; optional: string[]; example: string }> = {
  env: { required: ['name'], optional: [], example: '{ from: env, name: OPENAI_API_KEY }' },
  dotenv: { required: ['name'], optional: ['file'], example: '{ from: dotenv, name: OPENAI_API_KEY, file: .env }' },
  vault: { required: ['path', 'field'], optional: [], example: '{ from: vault, path: secret/data/llm/openai, field: key }' },
  aws: { required: ['id'], optional: ['field'], example: '{ from: aws, id: llm/openai, field: key }' },
};

/** An error in how a secret reference is written (not in fetching it). */
export class SecretReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretReferenceError';
  }
}

/** True for an object with a `from:` key: something meant as a secret reference (valid or not). */
export function looksLikeSecretReference(value: unknown): value is { from: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'from' in value;
}

/**
 * Checks a reference as written in a config and returns it typed. Throws a SecretReferenceError
 * saying what is missing or unknown, with an example of the right form.
 */
export function parseSecretReference(value: unknown): SecretReference {
  if (!looksLikeSecretReference(value)) {
    throw new SecretReferenceError(`expected a secret reference such as ${FIELDS.vault.example}, or a string`);
  }
  const record = value as Record<string, unknown>;
  const from = record.from;
  if (typeof from !== 'string' || !(from in FIELDS)) {
    throw new SecretReferenceError(`unknown secret source ${JSON.stringify(from)}: 'from' is one of ${Object.keys(FIELDS).join(', ')}`);
  }
  const spec = FIELDS[from as SecretSourceName];
  for (const key of Object.keys(record)) {
    if (key !== 'from' && !spec.required.includes(key) && !spec.optional.includes(key)) {
      throw new SecretReferenceError(`a ${from} reference has no '${key}' (it takes ${[...spec.required, ...spec.optional].join(', ')}), e.g. ${spec.example}`);
    }
  }
  for (const key of [...spec.required, ...spec.optional]) {
    const field = record[key];
    if (field === undefined && spec.optional.includes(key)) continue;
    if (typeof field !== 'string' || field.trim() === '') {
      throw new SecretReferenceError(`a ${from} reference needs '${key}' (a non-empty string), e.g. ${spec.example}`);
    }
  }
  return record as SecretReference;
}

/**
 * The reference as a short text for messages and audit entries, e.g. `vault:secret/data/llm/openai#key`,
 * `aws:llm/openai#key`, `env:OPENAI_API_KEY`, `dotenv:.env#OPENAI_API_KEY`. Never the value.
 */
export function describeReference(reference: SecretReference): string {
  switch (reference.from) {
    case 'env':
      return `env:${reference.name}`;
    case 'dotenv':
      return `dotenv:${reference.file ?? '.env'}#${reference.name}`;
    case 'vault':
      return `vault:${reference.path}#${reference.field}`;
    case 'aws':
      return `aws:${reference.id}${reference.field ? `#${reference.field}` : ''}`;
  }
}
