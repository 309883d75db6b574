import type { ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { verifyWebhook } from '@llm-lab/monitoring';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { cleanEnv, runCli, type CliResult } from './helpers.js';

jest.setTimeout(180_000);

const SECRET = 'whsec-cli-monitor';

describe('llm-lab monitor start and gateway --monitor', () => {
  let dir: string;
  let server: FakeOpenAIServer;
  let receiver: Server;
  const hooks: Array<{ body: string; headers: IncomingMessage['headers'] }> = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-cli-monitor-'));
    // Every call fails: the gateway's monitor sees a 100% error rate.
    server = await startFakeOpenAIServer({ apiKey: 'sk-cli-monitor', faultRate: 1 });
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        hooks.push({ body: Buffer.concat(chunks).toString('utf8'), headers: request.headers });
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await writeFile(
      join(dir, 'monitor.yaml'),
      [
        'alerts:',
        '  rules:',
        '    - { name: failing, type: threshold, metric: error_rate, above: 0.5, minCount: 1, for: 0s }',
        'channels:',
        `  hook: { type: webhook, url: "${hookUrl}", secret: "\${HOOK_SECRET}" }`,
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'bad.yaml'), 'alerts:\n  rules:\n    - { name: x, type: threshold, metric: latency, above: 1 }\n');
    await writeFile(
      join(dir, 'gateway.yaml'),
      `providers:\n  - id: openai:gpt-4o-mini\n    label: fast\n    retry: { maxAttempts: 1 }\n    config:\n      baseURL: ${server.url}\n      apiKey: sk-cli-monitor\n      maxRetries: 0\n`,
    );
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const env = (extra: Record<string, string> = {}) => cleanEnv({ LLM_LAB_HOME: join(dir, '.llm-lab'), ...extra });

  it('refuses a wrong config with the field and what it may be (exit 2)', async () => {
    const result = await runCli(['monitor', 'start', 'bad.yaml'], { cwd: dir, env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.yaml is not a valid monitor config:\n\s+alerts\.rules\.0\.metric: .*"error_rate"/);
    const missing = await runCli(['monitor', 'start', 'monitor.yaml'], { cwd: dir, env: env() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/channel hook: secret: the environment variable HOOK_SECRET is not set/);
  });

  it('runs until SIGTERM, then stops and exits 0', async () => {
    const result: CliResult = await runCli(['monitor', 'start', 'monitor.yaml'], {
      cwd: dir,
      env: env({ HOOK_SECRET: SECRET }),
      onStderr: (text, child) => {
        if (text.includes('llm-lab monitor running') && !child.killed) child.kill('SIGTERM');
      },
    });
    expect(result.stderr).toMatch(/monitor: 1 alert rule, channels: hook; messages claimed in memory/);
    expect(result.stderr).toMatch(/llm-lab monitor stopped/);
    expect(result.code).toBe(0);
  });

  it('inside the gateway: watches its calls and sends one signed alert for them', async () => {
    hooks.length = 0;
    let announce: (url: string) => void = () => undefined;
    const listening = new Promise<string>((resolve) => (announce = resolve));
    let child: ChildProcess | undefined;
    const exited = runCli(['gateway', 'gateway.yaml', '--port', '0', '--monitor', 'monitor.yaml'], {
      cwd: dir,
      env: env({ HOOK_SECRET: SECRET }),
      onStderr: (text, spawned) => {
        child = spawned;
        const match = /listening on (http:\/\/\S+)\/v1/.exec(text);
        if (match) announce(match[1]!);
      },
    });
    const url = await Promise.race([listening, exited.then((result) => Promise.reject(new Error(`the gateway exited: ${result.stderr}`)))]);
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(response.status).toBeGreaterThanOrEqual(500);
    }
    // On SIGTERM the monitor judges the minute in progress: the failures fire the rule, once.
    child!.kill('SIGTERM');
    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/monitor: sent \[FIRING\] provider:fast/);
    expect(hooks).toHaveLength(1);
    expect(verifyWebhook({ body: hooks[0]!.body, headers: hooks[0]!.headers, secret: SECRET })).toEqual({ ok: true });
    expect(JSON.parse(hooks[0]!.body)).toMatchObject({ kind: 'firing', key: 'provider:fast' });
  });
});
