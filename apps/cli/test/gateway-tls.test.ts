import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { makeSelfSignedCertificate, type SelfSignedCertificate } from '@llm-lab/security/testing';
import { cleanEnv, runCli, type CliResult } from './helpers.js';

jest.setTimeout(120_000);

function getModels(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/models`, { ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('llm-lab gateway --tls-cert --tls-key', () => {
  let server: FakeOpenAIServer;
  let dir: string;
  let certificate: SelfSignedCertificate;
  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: 'sk-cli-gateway-tls' });
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-cli-gateway-tls-'));
    certificate = await makeSelfSignedCertificate();
    await writeFile(join(dir, 'cert.pem'), certificate.cert);
    await writeFile(join(dir, 'key.pem'), certificate.key);
    await writeFile(join(dir, 'gateway.yaml'), `providers:\n  - id: openai:gpt-4o-mini\n    label: fast\n    config:\n      baseURL: ${server.url}\n      apiKey: sk-cli-gateway-tls\n`);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves HTTPS with the given certificate, then stops on SIGTERM', async () => {
    let child: ChildProcess | undefined;
    let announce: (url: string) => void = () => undefined;
    const listening = new Promise<string>((resolve) => (announce = resolve));
    const exited: Promise<CliResult> = runCli(['gateway', 'gateway.yaml', '--port', '0', '--tls-cert', 'cert.pem', '--tls-key', 'key.pem'], {
      cwd: dir,
      env: cleanEnv({ LLM_LAB_HOME: join(dir, '.llm-lab') }),
      onStderr: (text, spawned) => {
        child = spawned;
        const match = /listening on (https?:\/\/\S+)\/v1/.exec(text);
        if (match) announce(match[1]!);
      },
    });
    const url = await Promise.race([listening, exited.then((result) => Promise.reject(new Error(`the gateway exited: ${result.stderr}`)))]);
    expect(url).toMatch(/^https:\/\//);
    const models = await getModels(url, certificate.cert);
    expect(models.status).toBe(200);
    expect(models.body).toContain('"fast"');
    child?.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it('refuses --tls-cert without --tls-key, and a key file that is not PEM', async () => {
    const alone = await runCli(['gateway', 'gateway.yaml', '--port', '0', '--tls-cert', 'cert.pem'], { cwd: dir, env: cleanEnv({ LLM_LAB_HOME: join(dir, '.llm-lab') }) });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--tls-cert needs --tls-key');
    const notPem = await runCli(['gateway', 'gateway.yaml', '--port', '0', '--tls-cert', 'cert.pem', '--tls-key', 'gateway.yaml'], { cwd: dir, env: cleanEnv({ LLM_LAB_HOME: join(dir, '.llm-lab') }) });
    expect(notPem.code).toBe(2);
    expect(notPem.stderr).toContain(`The TLS key ${join(dir, 'gateway.yaml')} is not a PEM private key`);
  });
});
