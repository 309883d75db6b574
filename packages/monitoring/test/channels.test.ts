import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SMTPServer } from 'smtp-server';
import { KeyManager } from '@llm-lab/security';
import { startFakeVault } from '@llm-lab/security/testing';
import { channelsFromConfig, EmailChannel, parseMonitorConfig, resolveSecret, signWebhook, SlackChannel, verifyWebhook, WebhookChannel, type Notification } from '../src/index.js';

const notification: Notification = {
  kind: 'firing',
  key: 'provider:gpt',
  episode: '1765094400000',
  severity: 'warning',
  title: '[FIRING] provider:gpt: errors: error_rate 20.0% above 10.0%',
  text: 'errors: error_rate 20.0% above 10.0% on gpt',
  at: Date.UTC(2026, 11, 7, 8, 5),
  startedAt: Date.UTC(2026, 11, 7, 8, 3),
  rules: ['errors'],
  lines: ['errors: error_rate 20.0% above 10.0% on gpt'],
};

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP server that answers each POST with the next scripted answer (then 200 `ok`). */
async function scriptedServer(answers: Array<{ status: number; body: string; headers?: Record<string, string> }>) {
  const received: Received[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers.shift() ?? { status: 200, body: 'ok' };
      response.writeHead(answer.status, { 'content-type': 'text/html', ...answer.headers });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const servers = (globalThis as { __servers?: Server[] }).__servers ?? [];
  servers.push(server);
  (globalThis as { __servers?: Server[] }).__servers = servers;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

afterAll(async () => {
  for (const server of (globalThis as { __servers?: Server[] }).__servers ?? []) await new Promise((resolve) => server.close(resolve));
});

/** Back-off that records the waits instead of waiting. */
function recordedSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('Slack channel (@slack/webhook against a server that answers as Slack documents)', () => {
  it('posts the message and its colour bar', async () => {
    const slack = await scriptedServer([]);
    await new SlackChannel({ name: 'ops', url: `${slack.url}/services/T000/B000/XXXX` }).send(notification);
    const body = JSON.parse(slack.received[0]!.body);
    expect(body.text).toBe(notification.title);
    expect(body.attachments[0].text).toBe(notification.text);
    expect(body.attachments[0].color).toBe('#d93f0b');
  });

  it.each([
    [400, 'invalid_payload', /refused the message as malformed/],
    [403, 'action_prohibited', /admin restricted posting/],
    [404, 'no_service', /not valid.*make a new one/],
    [410, 'channel_is_archived', /channel of this webhook is archived/],
  ])('fails at once on %i %s with what it means', async (status, body, meaning) => {
    const slack = await scriptedServer([{ status, body }]);
    const retry = recordedSleep();
    const url = `${slack.url}/services/T000/B000/SECRETPART`;
    const error = (await new SlackChannel({ name: 'ops', url, retry }).send(notification).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(meaning);
    expect(error.message).not.toContain('SECRETPART');
    expect(slack.received).toHaveLength(1);
    expect(retry.waits).toEqual([]);
  });

  it('waits out a 429 for its Retry-After and backs off on a 500, then delivers', async () => {
    const slack = await scriptedServer([
      { status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } },
      { status: 500, body: 'internal_error' },
    ]);
    const retry = recordedSleep();
    await new SlackChannel({ name: 'ops', url: `${slack.url}/services/T/B/X`, retry: { ...retry, baseDelayMs: 100 } }).send(notification);
    expect(slack.received).toHaveLength(3);
    expect(retry.waits[0]).toBe(7_000);
    // The second try's back-off: 100 ms doubled once, with ±25% jitter.
    expect(retry.waits[1]).toBeGreaterThanOrEqual(150);
    expect(retry.waits[1]).toBeLessThanOrEqual(250);
  });

  it('gives up after its tries and says so', async () => {
    const slack = await scriptedServer([{ status: 503, body: 'x' }, { status: 503, body: 'x' }]);
    const retry = recordedSleep();
    const error = (await new SlackChannel({ name: 'ops', url: `${slack.url}/services/T/B/X`, retry: { ...retry, attempts: 2 } }).send(notification).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/gave up after 2 tries/);
  });
});

describe('e-mail channel (nodemailer against a local SMTP server with AUTH)', () => {
  const mails: Array<{ from: string; to: string[]; data: string; user: string | undefined }> = [];
  let server: SMTPServer;
  let port = 0;
  let failNext = 0;
  beforeAll(async () => {
    server = new SMTPServer({
      authMethods: ['PLAIN', 'LOGIN'],
      // No certificate here: the test server offers no STARTTLS and takes AUTH in the clear.
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'alerts' && auth.password === 'smtp-pass-123') return callback(null, { user: auth.username });
        return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (failNext > 0) {
            failNext -= 1;
            return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          }
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8'), user: session.user as string | undefined });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const channel = (password: string, retry = recordedSleep()) =>
    new EmailChannel({ name: 'mail', host: '127.0.0.1', port, user: 'alerts', password, from: 'llm-lab@example.com', to: ['oncall@example.com', 'lead@example.com'], retry });

  it('logs in and delivers the message to every recipient', async () => {
    mails.length = 0;
    const mail = channel('smtp-pass-123');
    await mail.send(notification);
    mail.close();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.user).toBe('alerts');
    expect(mails[0]!.to).toEqual(['oncall@example.com', 'lead@example.com']);
    expect(mails[0]!.data).toContain(`Subject: ${notification.title}`);
    expect(mails[0]!.data).toMatch(/^X-LLM-Lab-Incident: provider:gpt$/im);
    expect(mails[0]!.data).toContain('error_rate 20.0%');
  });

  it('tries a temporary 451 again, and fails at once on a refused login', async () => {
    mails.length = 0;
    failNext = 1;
    const retry = recordedSleep();
    const mail = channel('smtp-pass-123', retry);
    await mail.send(notification);
    mail.close();
    expect(mails).toHaveLength(1);
    expect(retry.waits).toHaveLength(1);
    const wrong = channel('wrong', retry);
    const error = (await wrong.send(notification).catch((e: unknown) => e)) as Error;
    wrong.close();
    expect(error.message).toMatch(/refused the login/);
    expect(retry.waits).toHaveLength(1);
  });
});

describe('signed webhook', () => {
  const secret = 'whsec-test-secret';
  it('signs each try with a timestamp, retries a 503, and the receiver verifies it', async () => {
    const receiver = await scriptedServer([{ status: 503, body: 'busy' }]);
    const retry = recordedSleep();
    const now = Date.UTC(2026, 11, 7, 8, 5);
    await new WebhookChannel({ name: 'hook', url: `${receiver.url}/alerts`, secret, retry, now: () => now }).send(notification);
    expect(receiver.received).toHaveLength(2);
    const last = receiver.received[1]!;
    expect(last.headers['x-llm-lab-timestamp']).toBe(String(now / 1000));
    expect(verifyWebhook({ body: last.body, headers: last.headers, secret, now })).toEqual({ ok: true });
    expect(JSON.parse(last.body)).toMatchObject({ version: 1, kind: 'firing', key: 'provider:gpt' });
  });

  it('rejects a replay, a changed body and a wrong secret', () => {
    const now = Date.UTC(2026, 11, 7, 8, 5);
    const body = JSON.stringify({ kind: 'firing' });
    const headers = signWebhook(body, secret, now / 1000);
    expect(verifyWebhook({ body, headers, secret, now: now + 301_000 })).toEqual({ ok: false, reason: expect.stringMatching(/replay/) });
    expect(verifyWebhook({ body: body.replace('firing', 'resolved'), headers, secret, now })).toEqual({ ok: false, reason: 'the signature does not match' });
    expect(verifyWebhook({ body, headers, secret: 'other', now })).toEqual({ ok: false, reason: 'the signature does not match' });
    expect(verifyWebhook({ body, headers: {}, secret, now }).ok).toBe(false);
  });

  it('fails at once on a 4xx that is not 429', async () => {
    const receiver = await scriptedServer([{ status: 401, body: 'bad signature' }]);
    const retry = recordedSleep();
    await expect(new WebhookChannel({ name: 'hook', url: receiver.url, secret, retry }).send(notification)).rejects.toThrow(/answered 401 bad signature/);
    expect(retry.waits).toEqual([]);
  });
});

describe('channel secrets', () => {
  it('come from the environment, and a missing variable or key-manager reference says what to do', async () => {
    expect(await resolveSecret('${HOOK_SECRET}', { env: { HOOK_SECRET: 's3' } })).toBe('s3');
    expect(await resolveSecret({ from: 'env', name: 'HOOK_SECRET' }, { env: { HOOK_SECRET: 's3' } })).toBe('s3');
    await expect(resolveSecret('${NOPE}', { env: {}, what: 'channel hook: secret' })).rejects.toThrow(/channel hook: secret: the environment variable NOPE is not set/);
    await expect(resolveSecret({ from: 'vault', path: 'secret/data/slack', field: 'url' }, { env: {} })).rejects.toThrow(/needs the key manager/);
    expect(await resolveSecret({ from: 'vault', path: 'secret/data/slack', field: 'url' }, { resolver: async (ref) => `from-${ref.from}` })).toBe('from-vault');
  });

  it("signs a webhook with a secret read from Vault by the key manager (llm-lab monitor start's wiring)", async () => {
    const vault = await startFakeVault();
    try {
      vault.setSecret('secret/data/alerts/hook', { secret: 'whsec-from-vault-0000000001' });
      const keys = new KeyManager({ vault: { address: vault.url, token: vault.rootToken }, env: {} });
      const receiver = await scriptedServer([]);
      const config = parseMonitorConfig({ channels: { hook: { type: 'webhook', url: `${receiver.url}/alerts`, secret: { from: 'vault', path: 'secret/data/alerts/hook', field: 'secret' } } } });
      const [hook] = await channelsFromConfig(config.channels, { env: {}, resolver: (reference) => keys.get(reference) });
      await hook!.send(notification);
      const got = receiver.received[0]!;
      expect(verifyWebhook({ body: got.body, headers: got.headers, secret: 'whsec-from-vault-0000000001' })).toEqual({ ok: true });
      expect(JSON.stringify(config)).not.toContain('whsec-from-vault');
      // A reference in the wrong shape is refused when the config is read, naming the forms.
      expect(() => parseMonitorConfig({ channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:1/x', secret: { from: 'vault', name: 'x' } } } })).toThrow(/channels\.hook\.secret/);
    } finally {
      await vault.close();
    }
  });

  it('builds every channel of a config with its secret resolved', async () => {
    const config = parseMonitorConfig({
      channels: {
        slack: { type: 'slack', url: '${SLACK_URL}' },
        mail: { type: 'email', smtp: { host: '127.0.0.1', port: 2525, user: 'a', password: { from: 'env', name: 'SMTP_PASSWORD' } }, from: 'a@b.c', to: 'd@e.f' },
        hook: { type: 'webhook', url: 'http://127.0.0.1:1/x', secret: '${HOOK_SECRET}' },
      },
    });
    const channels = await channelsFromConfig(config.channels, { env: { SLACK_URL: 'http://127.0.0.1:1/s', SMTP_PASSWORD: 'p', HOOK_SECRET: 'h' } });
    expect(channels.map((c) => c.name)).toEqual(['slack', 'mail', 'hook']);
    for (const channel of channels) (channel as { close?: () => void }).close?.();
    await expect(channelsFromConfig(config.channels, { env: {} })).rejects.toThrow(/channel slack: url: the environment variable SLACK_URL is not set/);
  });
});
