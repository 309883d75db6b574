import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGateway, type Gateway } from '@llm-lab/gateway';
import { createLab, type Lab } from '@llm-lab/lab';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import OpenAI from 'openai';
import { SMTPServer } from 'smtp-server';
import { parseMonitorConfig, startMonitor, verifyWebhook, type Monitor } from '../src/index.js';
import { Clock } from './live-helpers.js';

const KEY = 'sk-monitor-test-0123456789';
const HOOK_SECRET = 'whsec-monitor-e2e';
const SMTP_PASSWORD = 'smtp-e2e-pass';

/**
 * The "done when": the gateway (real HTTP, the official OpenAI SDK) in front of two fake
 * OpenAI servers; the monitor watches the gateway's calls on a simulated clock. After a normal
 * period one provider slows fivefold and fails 20% of its calls; exactly one alert reaches the
 * SMTP server and the webhook receiver, then one resolved message after it recovers; the normal
 * periods (with their noise: 2% failures, real latency jitter) send nothing.
 */
describe('monitoring the gateway end to end', () => {
  let primary: FakeOpenAIServer;
  let secondary: FakeOpenAIServer;
  let lab: Lab;
  let gateway: Gateway;
  let monitor: Monitor;
  let smtp: SMTPServer;
  let hookServer: Server;
  const clock = new Clock();
  const mails: string[] = [];
  const hooks: Array<{ body: string; headers: IncomingMessage['headers']; receivedAt: number }> = [];

  beforeAll(async () => {
    // Normal: 30 ms and 2% failures (a seeded draw, so the same calls fail on every run).
    [primary, secondary] = await Promise.all([
      startFakeOpenAIServer({ apiKey: KEY, latencyMs: 30, faultRate: 0.02, seed: 11 }),
      startFakeOpenAIServer({ apiKey: KEY, latencyMs: 30, faultRate: 0.02, seed: 12 }),
    ]);
    smtp = new SMTPServer({
      authMethods: ['PLAIN', 'LOGIN'],
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, callback) => (auth.password === SMTP_PASSWORD ? callback(null, { user: auth.username }) : callback(new Error('bad login'))),
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push(Buffer.concat(chunks).toString('utf8'));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    hookServer = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        hooks.push({ body: Buffer.concat(chunks).toString('utf8'), headers: request.headers, receivedAt: clock.time });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));

    lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-monitor-')) });
    // One try per call and no breaker: each failure the fake server draws is a failure the client sees.
    const route = (label: string, url: string) => ({ id: 'openai:gpt-4o-mini', label, config: { baseURL: url, apiKey: KEY, maxRetries: 0 }, retry: { maxAttempts: 1 }, breaker: { enabled: false } });
    gateway = await startGateway({ lab, config: { providers: [route('primary', primary.url), route('secondary', secondary.url)] }, port: 0, metrics: false });
    const config = parseMonitorConfig({
      alerts: {
        for: '2m',
        resolveAfter: '3m',
        rules: [
          { type: 'anomaly', name: 'slow', metric: 'latency_p50', minChange: 1.5, minCount: 8 },
          { type: 'threshold', name: 'failing', metric: 'error_rate', above: 0.1, minCount: 8 },
        ],
      },
      channels: {
        mail: { type: 'email', smtp: { host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, user: 'alerts', password: '${SMTP_PASSWORD}' }, from: 'monitor@example.com', to: 'oncall@example.com' },
        hook: { type: 'webhook', url: `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/alerts`, secret: '${HOOK_SECRET}' },
      },
    });
    monitor = await startMonitor({ config, source: lab, now: clock.now, interval: false, env: { SMTP_PASSWORD, HOOK_SECRET }, onError: (error) => { throw error; } });
  }, 120_000);

  afterAll(async () => {
    await monitor?.close();
    await gateway?.close();
    await lab?.close();
    await Promise.all([primary?.close(), secondary?.close()]);
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    await new Promise((resolve) => hookServer?.close(resolve));
  });

  /** Plays `minutes` of traffic: 12 chat calls a minute per route through the SDK, then the minute ends and is judged. */
  async function play(minutes: number): Promise<void> {
    const client = new OpenAI({ apiKey: 'unused', baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    for (let m = 0; m < minutes; m++) {
      for (const model of ['primary', 'secondary']) {
        for (let batch = 0; batch < 3; batch++) {
          await Promise.all(
            Array.from({ length: 4 }, (_, i) => client.chat.completions.create({ model, messages: [{ role: 'user', content: `call ${m}.${batch}.${i}` }] }).catch((error: unknown) => error)),
          );
        }
      }
      clock.nextMinute();
      await monitor.tick();
    }
  }

  it('pages once for the incident, once when it is over, and never for normal noise', async () => {
    const start = clock.time;
    await play(35);
    expect({ mails: mails.length, hooks: hooks.length }).toEqual({ mails: 0, hooks: 0 });

    // The primary provider slows fivefold and fails a fifth of its calls.
    const incidentStart = clock.time;
    primary.setConditions({ latencyMs: 150, faultRate: 0.2 });
    await play(10);
    primary.setConditions({ latencyMs: 30, faultRate: 0.02 });
    await play(10);
    // A quiet period after recovery: nothing more.
    await play(20);

    expect(mails).toHaveLength(2);
    expect(hooks).toHaveLength(2);
    expect(mails[0]).toMatch(/^Subject: \[FIRING\] provider:primary/m);
    expect(mails[1]).toMatch(/^Subject: \[RESOLVED\] provider:primary/m);
    const [firing, resolved] = hooks.map((hook) => {
      expect(verifyWebhook({ body: hook.body, headers: hook.headers, secret: HOOK_SECRET, now: hook.receivedAt })).toEqual({ ok: true });
      return JSON.parse(hook.body) as { kind: string; key: string; at: number; episode: string; rules: string[] };
    });
    expect(firing).toMatchObject({ kind: 'firing', key: 'provider:primary' });
    expect(resolved).toMatchObject({ kind: 'resolved', key: 'provider:primary', episode: firing!.episode });
    // Within the configured window: `for` (2 minutes) after the first bad minute, judged when that minute closes.
    expect(firing!.at - incidentStart).toBeLessThanOrEqual(3 * 60_000);
    // Both rules saw it, and it is one incident: one message.
    expect([...firing!.rules].sort()).toEqual(['failing', 'slow']);
    expect(clock.time - start).toBe(75 * 60_000);
  }, 600_000);
});
