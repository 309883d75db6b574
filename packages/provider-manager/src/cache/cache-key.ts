import { createHash } from 'node:crypto';
import type { GenerateRequest, LanguageModelProvider } from '@llm-lab/core';

/** Bumped when the key's recipe changes, so old entries are simply never found again. */
const KEY_VERSION = 'v3';

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index++) {
      if (index > 0) text += ',';
      text += canonicalJson(value[index]);
    }
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let text = '{';
  let first = true;
  for (const key of keys) {
    const field = record[key];
    if (field === undefined) continue;
    if (!first) text += ',';
    first = false;
    text += `${JSON.stringify(key)}:${canonicalJson(field)}`;
  }
  return `${text}}`;
}

/** The request fields that are not sent as such: the messages (keyed apart) and the context (only `repeat` counts). */
const KEYED_APART = new Set(['messages', 'context']);

/**
 * What says which providers, servers and model files answer for a managed provider (see
 * `LanguageModelProvider.cacheIdentity`, contract 1.2): each member's id (`openai:gpt-4o`: the
 * managed provider's own id is only the config's label, which may name another model in another
 * run) and own identity, in a fixed order. Computed once per list of members (a GGUF fingerprint
 * reads the file). `undefined` for no members.
 */
export function providerIdentity(providers: readonly LanguageModelProvider[]): string | undefined {
  const cached = identities.get(providers);
  if (cached !== undefined) return cached.value;
  const value =
    providers.length === 0
      ? undefined
      : providers
          .map((provider) => canonicalJson({ id: provider.id, server: provider.cacheIdentity?.() ?? null }))
          .sort()
          .join('\u0000');
  identities.set(providers, { value });
  return value;
}
const identities = new WeakMap<readonly LanguageModelProvider[], { value: string | undefined }>();

/**
 * The cache key of a request to `providerId`: the sha256 (hex) of {@link requestIdentity}.
 * `identity` is the provider's {@link providerIdentity}: the same id on another server, endpoint,
 * deployment, API version or model file gets other keys.
 */
export function cacheKeyOf(providerId: string, request: GenerateRequest, identity?: string): string {
  return createHash('sha256').update(requestIdentity(providerId, request, identity)).digest('hex');
}

/**
 * The canonical text that {@link cacheKeyOf} hashes: two requests are the same call exactly
 * when their texts are equal. It holds the provider id and identity, the messages, every other
 * field of the request (temperature, topP, topK, maxTokens, stop, seed, logprobs, presence and
 * frequency penalties, responseFormat, providerOptions, and any field a later contract adds, so a
 * new field can never be left out), and the repeat index from `request.context.repeat`, so
 * repeated samples are cached apart. The rest of the context (caseId, vars, runId) is not part of
 * it: the same prompt from another case or run is the same request. Single flight keys its
 * in-process map by this text directly (a Map hashes strings itself; sha256 is only needed for
 * keys that are stored).
 */
export function requestIdentity(providerId: string, request: GenerateRequest, identity?: string): string {
  let text = `${KEY_VERSION}\u0000${providerId}\u0000${identity ?? ''}\u0000`;
  for (const message of request.messages) {
    // Length-prefixed, so no content can imitate a message boundary.
    const name = ('name' in message ? message.name : undefined) ?? '';
    const content = typeof message.content === 'string' ? message.content : canonicalJson(message.content);
    text += `${message.role}:${name.length}:${name}${content.length}:${content}`;
  }
  const settings: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(request)) if (!KEYED_APART.has(field)) settings[field] = value;
  text += `\u0000${canonicalJson(settings)}|${request.context?.repeat ?? 0}`;
  return text;
}
