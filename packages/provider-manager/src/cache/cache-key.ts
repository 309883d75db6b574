import { createHash } from 'node:crypto';
import type { GenerateRequest } from '@llm-lab/core';

/** Bumped when the key's recipe changes, so old entries are simply never found again. */
const KEY_VERSION = 'v1';

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

const optional = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value));

/**
 * The cache key of a request to `providerId`: the sha256 (hex) of a canonical text of the provider
 * id, the messages and every setting that changes the output (temperature, topP, topK, maxTokens,
 * stop, seed, presence and frequency penalties, responseFormat, providerOptions) plus the repeat
 * index from `request.context.repeat`, so repeated samples are cached apart. The rest of the
 * context (caseId, vars, runId) is not part of the key: the same prompt from another case or run
 * is the same request.
 */
export function cacheKeyOf(providerId: string, request: GenerateRequest): string {
  return createHash('sha256').update(requestIdentity(providerId, request)).digest('hex');
}

/**
 * The canonical text that {@link cacheKeyOf} hashes: two requests are the same call exactly
 * when their texts are equal. Single flight keys its in-process map by it directly (a Map hashes
 * strings itself; sha256 is only needed for keys that are stored).
 */
export function requestIdentity(providerId: string, request: GenerateRequest): string {
  let text = `${KEY_VERSION}\u0000${providerId}\u0000`;
  for (const message of request.messages) {
    // Length-prefixed, so no content can imitate a message boundary.
    const name = ('name' in message ? message.name : undefined) ?? '';
    const content = typeof message.content === 'string' ? message.content : canonicalJson(message.content);
    text += `${message.role}:${name.length}:${name}${content.length}:${content}`;
  }
  text +=
    `\u0000${optional(request.temperature)}|${optional(request.topP)}|${optional(request.topK)}|${optional(request.maxTokens)}` +
    `|${optional(request.presencePenalty)}|${optional(request.frequencyPenalty)}|${optional(request.seed)}` +
    `|${request.stop === undefined ? '' : JSON.stringify(request.stop)}` +
    `|${request.responseFormat === undefined ? '' : canonicalJson(request.responseFormat)}` +
    `|${request.providerOptions === undefined ? '' : canonicalJson(request.providerOptions)}` +
    `|${request.tools === undefined ? '' : canonicalJson(request.tools)}` +
    `|${request.toolChoice === undefined ? '' : canonicalJson(request.toolChoice)}` +
    `|${optional(request.parallelToolCalls)}|${optional(request.n)}` +
    `|${request.context?.repeat ?? 0}`;
  return text;
}
