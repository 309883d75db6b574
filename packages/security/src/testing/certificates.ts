import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A self-signed certificate and its private key, PEM. */
export interface SelfSignedCertificate {
  cert: string;
  key: string;
}

/**
 * A self-signed certificate for `localhost` and 127.0.0.1 (its own CA: pass `cert` as `ca` to
 * trust it), made with the `openssl` command, for tests of TLS paths. Needs OpenSSL 1.1.1 or later.
 */
export async function makeSelfSignedCertificate(options: { commonName?: string; days?: number } = {}): Promise<SelfSignedCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-lab-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256',
      '-days', String(options.days ?? 2),
      '-subj', `/CN=${options.commonName ?? 'localhost'}`,
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', keyFile, '-out', certFile,
    ]);
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('makeSelfSignedCertificate needs the openssl command on the PATH (apt-get install openssl).', { cause: error });
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
