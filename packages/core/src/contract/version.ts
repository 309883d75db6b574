/**
 * The version of the provider contract this copy of `@llm-lab/core` implements (semver).
 * A provider or plugin declares the version it was built for; the registry accepts it when the
 * major versions match and refuses it, naming both versions, when they do not. An optional field
 * added to a request or response is a minor change (1.1.0 added `GenerateResponse.queueMs`, 1.2.0 the
 * optional `LanguageModelProvider.cacheIdentity()`); a field removed, renamed or made required is a
 * major one (2.0.0: message content parts, tools, structured output, reasoning, `n`, new stream
 * parts and capability flags).
 */
export const CONTRACT_VERSION = '2.0.0';

/** The major part of a semver string (`'1.4.2'` → `1`); `NaN` when the string is not semver-like. */
export function majorOf(version: string): number {
  const match = /^v?(\d+)(?:\.\d+){0,2}(?:[-+].*)?$/.exec(version.trim());
  return match?.[1] !== undefined ? Number(match[1]) : Number.NaN;
}
