/**
 * Helpers that keep database passwords out of anything shown to a person.
 */

/**
 * The connection URL with its password removed (both `user:password@` and a `password=` query
 * parameter), for display. An unparseable URL is never echoed back.
 */
export function describeConnectionUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'postgres://<unparseable DATABASE_URL>';
  }
  parsed.password = '';
  parsed.searchParams.delete('password');
  return parsed.toString();
}

/** The password in a connection URL, if any (to scrub it from driver messages). */
export function passwordOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const password = parsed.password ? decodeURIComponent(parsed.password) : parsed.searchParams.get('password');
    return password || undefined;
  } catch {
    return undefined;
  }
}

/** `text` with every occurrence of `secret` (raw and URL-encoded) replaced by `***`. */
export function scrubSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.replaceAll(secret, '***').replaceAll(encodeURIComponent(secret), '***');
}
