/**
 * Strings shaped like credentials, redacted even when nobody registered them. Each shape is a
 * regular expression source; a named group `keep…` is a prefix that stays (`Bearer `,
 * `postgres://user:`, `api-key: `) so a redacted line still says what was there.
 *
 * All shapes are compiled into ONE alternation ({@link KEY_SHAPES_PATTERN}): a text is scanned
 * once, whatever the number of shapes. Most alternatives start with a literal (`sk-`, `AIza`,
 * `://`), which the regular-expression engine rejects at a position in a step or two.
 */
export interface KeyShape {
  /** What the shape catches, for docs and tests. */
  name: string;
  /** A regular-expression source (no flags; case is spelled out where a header name may vary). */
  source: string;
}

/** Characters of a base64url / base62 key body. */
const B64 = '[A-Za-z0-9_-]';
/** No key character right after a match (a `\b` would stop at `-`). */
const END = '(?![A-Za-z0-9_-])';
/** `name: value`, `name=value`, `"name": "value"` — the separator between a field name and its value. */
const SEP = `["']?\\s*[:=]\\s*["']?`;

export const KEY_SHAPES: readonly KeyShape[] = [
  // Project, service-account and admin keys have a distinctive prefix; a plain `sk-` key must hold a
  // digit, so `sk-learn-is-a-python-library` stays.
  { name: 'Anthropic API key', source: `\\bsk-ant-${B64}{20,}` },
  { name: 'OpenAI project / service / admin key', source: `\\bsk-(?:proj|svcacct|admin)-${B64}{20,}` },
  { name: 'OpenAI API key', source: `\\bsk-(?=[A-Za-z_-]*[0-9])${B64}{20,}` },
  { name: 'Google API key', source: `\\bAIza[0-9A-Za-z_-]{30,}` },
  { name: 'AWS access key id', source: '\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b' },
  {
    name: 'AWS secret access key (after its field name)',
    source: `(?<keepAws>(?:aws|AWS|Aws)[_-]?(?:secret|SECRET|Secret)[_-]?(?:access|ACCESS|Access)?[_-]?(?:key|KEY|Key)${SEP})[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])`,
  },
  {
    name: 'Azure / API key (after an api-key field or header)',
    source: `(?<keepApiKey>(?:[Aa][Pp][Ii][-_]?[Kk][Ee][Yy]|[Oo]cp-[Aa]pim-[Ss]ubscription-[Kk]ey)${SEP})[A-Za-z0-9]{32,}${END}`,
  },
  { name: 'Slack token', source: '\\bxox[abeprs]-[0-9A-Za-z-]{10,}' },
  { name: 'Slack webhook URL', source: '(?<keepSlack>https://hooks\\.slack\\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_-]{8,}' },
  { name: 'GitHub token', source: `\\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_${B64}{30,})` },
  { name: 'HashiCorp Vault token', source: `\\bhv[sbr]\\.${B64}{20,}` },
  { name: 'LLM Lab gateway key', source: `\\bllk_${B64}{43}${END}` },
  { name: 'JSON Web Token', source: `\\beyJ${B64}{10,}\\.${B64}{10,}\\.${B64}{10,}` },
  {
    name: 'Authorization header value',
    source: `(?<keepAuth>[Aa]uthorization${SEP}(?:(?:Bearer|Basic|Token|bearer|basic|token)\\s+)?)[A-Za-z0-9._~+/-]{8,}=*`,
  },
  // A bearer token must hold a digit: "bearer of bad news" and "bearer instruments" stay.
  { name: 'Bearer token', source: '(?<keepBearer>\\b[Bb]earer\\s+)(?=[A-Za-z._~+/-]*[0-9])[A-Za-z0-9._~+/-]{12,}=*' },
  {
    name: 'Private key (PEM block)',
    source: '(?<keepPem>-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----)(?:[\\s\\S]*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----|[A-Za-z0-9+/=\\s\\\\]*)',
  },
  // Up to the last `@` of the authority, as URL parsers read `user:p@ss@host`. Found from its
  // `://` (not from the scheme): a scan from every word's start costs more than the rest together.
  { name: 'Password in a URL', source: `(?<keepUrl>:\\/\\/[^\\s:/?#@"'<>\\\\]*:)[^\\s/?#"'<>\\\\]+(?=@)` },
  { name: 'password= parameter', source: `(?<keepParam>[?&;](?:password|passwd|pwd)=)[^\\s&#"'<>\\\\]+` },
];

/** Every shape in one global pattern (a fresh object per call: a global regex carries `lastIndex`). */
export function keyShapesPattern(): RegExp {
  return new RegExp(KEY_SHAPES.map((shape) => shape.source).join('|'), 'g');
}

/** One shared instance for replace / matchAll (both reset `lastIndex` themselves). */
export const KEY_SHAPES_PATTERN = keyShapesPattern();

/** The same alternation without the global flag, for a stateless yes/no `test`. */
export const ANY_KEY_SHAPE = new RegExp(KEY_SHAPES_PATTERN.source);

/** The kept prefix of a match of {@link KEY_SHAPES_PATTERN} (`''` when the whole match is secret). */
export function keptPrefix(groups: Record<string, string | undefined> | undefined): string {
  if (groups === undefined) return '';
  for (const key in groups) {
    const value = groups[key];
    if (value !== undefined) return value;
  }
  return '';
}
