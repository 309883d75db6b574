/**
 * The connection URL as shown to a person (a password in any other text is the sanitiser's job).
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
