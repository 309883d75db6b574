import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

/**
 * TLS query parameters of a Redis URL, named as redis-py's `from_url` names them (the form Redis
 * users already write): `ssl_ca_certs` (a PEM file of the CA to trust, e.g. a self-signed
 * server's), `ssl_certfile` and `ssl_keyfile` (a client certificate), `ssl_cert_reqs=none` (do
 * not verify the server: for tests only), `ssl_check_hostname=false`.
 */
const TLS_PARAMETERS = ['ssl_ca_certs', 'ssl_certfile', 'ssl_keyfile', 'ssl_cert_reqs', 'ssl_check_hostname'] as const;

/**
 * The URL ioredis is given (the TLS parameters taken out) and the `tls` options they mean.
 * `rediss://` turns TLS on (ioredis does so too); the parameters add a CA, a client certificate,
 * or turn verification off. A file that cannot be read is an error naming the parameter.
 */
export function redisConnection(url: string): { url: string; tls?: ConnectionOptions } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  const present = TLS_PARAMETERS.filter((name) => parsed.searchParams.has(name));
  if (parsed.protocol !== 'rediss:') {
    if (present.length > 0) throw new Error(`${present.join(', ')} in a Redis URL needs TLS: write rediss:// instead of ${parsed.protocol}//.`);
    return { url };
  }
  const tls: ConnectionOptions = {};
  const file = (name: (typeof TLS_PARAMETERS)[number]) => {
    const path = parsed.searchParams.get(name) as string;
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(`${name}=${path} in the Redis URL cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}). Give a PEM file.`, { cause: error });
    }
  };
  if (parsed.searchParams.has('ssl_ca_certs')) tls.ca = file('ssl_ca_certs');
  if (parsed.searchParams.has('ssl_certfile')) tls.cert = file('ssl_certfile');
  if (parsed.searchParams.has('ssl_keyfile')) tls.key = file('ssl_keyfile');
  const requirement = parsed.searchParams.get('ssl_cert_reqs');
  if (requirement !== null) {
    if (!['none', 'optional', 'required'].includes(requirement)) throw new Error(`ssl_cert_reqs=${requirement} in the Redis URL: expected none, optional or required.`);
    if (requirement === 'none') tls.rejectUnauthorized = false;
  }
  if (parsed.searchParams.get('ssl_check_hostname') === 'false') tls.checkServerIdentity = () => undefined;
  for (const name of present) parsed.searchParams.delete(name);
  return { url: parsed.toString(), tls };
}
