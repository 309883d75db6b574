/**
 * Secret redaction shared by the logger and every error message. Two layers: exact values that
 * were registered as secrets (API keys read from config or the environment), and strings shaped
 * like keys even when nobody registered them.
 */

const knownSecrets = new Set<string>();
let knownPattern: RegExp | undefined;

/** Key-shaped strings: OpenAI, Anthropic, Google, AWS, Slack, bearer tokens, JWTs. */
const KEY_SHAPES: RegExp[] = [
  /\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bxox[abprs]-[0-9A-Za-z-]{10,}/g,
  /\bhvs\.[A-Za-z0-9_-]{20,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
  /(\b[Bb]earer\s+)[A-Za-z0-9._~+/-]{12,}=*/g,
];

export const REDACTED = '[REDACTED]';

/** Remembers a secret value so it is replaced wherever it would be logged or shown. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 6 || knownSecrets.has(value)) return;
  knownSecrets.add(value);
  const escaped = [...knownSecrets]
    .sort((a, b) => b.length - a.length)
    .map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  knownPattern = new RegExp(escaped.join('|'), 'g');
}

/** Replaces registered secrets and key-shaped strings in `text` with `[REDACTED]`. */
export function redactSecrets(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  let result = knownPattern ? text.replace(knownPattern, REDACTED) : text;
  for (const shape of KEY_SHAPES) {
    result = result.replace(shape, (match, prefix: unknown) =>
      typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}${REDACTED}` : REDACTED,
    );
  }
  return result;
}
