import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '@llm-lab/lab';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { makeSelfSignedCertificate, type SelfSignedCertificate } from '@llm-lab/security/testing';
import { startGateway } from '../src/index.js';

const KEY = 'sk-gateway-tls-test-0123456789';

/** POSTs a chat completion over HTTPS trusting `ca`, and returns the status and the answer text. */
function chatOverHttps(url: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'over tls' }] });
    const req = httpsRequest(`${url}/v1/chat/completions`, { method: 'POST', ca, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the gateway over HTTPS', () => {
  let certificate: SelfSignedCertificate;
  let vendor: FakeOpenAIServer;
  let lab: Lab;
  let dir: string;

  beforeAll(async () => {
    certificate = await makeSelfSignedCertificate();
    vendor = await startFakeOpenAIServer({ apiKey: KEY });
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-gateway-tls-'));
    await writeFile(join(dir, 'cert.pem'), certificate.cert);
    await writeFile(join(dir, 'key.pem'), certificate.key);
    lab = createLab({ cwd: dir });
  });
  afterAll(async () => {
    await lab.close();
    await vendor.close();
  });

  const providers = () => [{ id: 'openai:gpt-4o-mini', label: 'gpt', config: { baseURL: vendor.url, apiKey: KEY } }];

  it('serves HTTPS with a certificate given as files, answering a client that trusts it, and refuses plain HTTP', async () => {
    const gateway = await startGateway({ lab, config: { providers: providers() }, port: 0, metrics: false, tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } });
    try {
      expect(gateway.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await chatOverHttps(gateway.url, certificate.cert);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text).choices[0].message.content).toContain('over tls');
      // A client that does not trust the certificate is refused by its own TLS check.
      await expect(chatOverHttps(gateway.url, (await makeSelfSignedCertificate()).cert)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
      // Plain HTTP to the same port gets no HTTP answer.
      const plain = await new Promise<string>((resolve) => {
        const req = httpRequest(`http://127.0.0.1:${gateway.port}/v1/models`, (res) => resolve(`status ${res.statusCode}`));
        req.on('error', (error) => resolve(`error ${error.message}`));
        req.end();
      });
      expect(plain).not.toBe('status 200');
    } finally {
      await gateway.close();
    }
  });

  it("takes the certificate from the config's security.tls, relative to the config file", async () => {
    const file = join(dir, 'gateway.json');
    await writeFile(file, JSON.stringify({ providers: providers(), security: { tls: { cert: 'cert.pem', key: 'key.pem' } } }));
    const gateway = await startGateway({ lab, config: file, port: 0, metrics: false });
    try {
      expect(gateway.url.startsWith('https://')).toBe(true);
      expect((await chatOverHttps(gateway.url, certificate.cert)).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('says which file is missing or is not PEM', async () => {
    await writeFile(join(dir, 'not-a-cert.pem'), 'hello');
    await expect(startGateway({ lab, config: { providers: providers() }, port: 0, tls: { certFile: join(dir, 'nope.pem'), keyFile: join(dir, 'key.pem') } })).rejects.toThrow(
      `Cannot read the TLS certificate ${join(dir, 'nope.pem')} (ENOENT). Give a PEM file.`,
    );
    await expect(startGateway({ lab, config: { providers: providers() }, port: 0, tls: { certFile: join(dir, 'not-a-cert.pem'), keyFile: join(dir, 'key.pem') } })).rejects.toThrow(
      `The TLS certificate ${join(dir, 'not-a-cert.pem')} is not a PEM certificate`,
    );
  });
});
