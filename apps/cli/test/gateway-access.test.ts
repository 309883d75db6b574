/**
 * `llm-lab gateway` with its keys and traffic record wired, as a user runs it: child processes
 * on one embedded database (the gateway owns it, `gateway keys` and `gateway traffic` connect to
 * it), the testkit's fake OpenAI server as the provider, the official `openai` SDK as the client.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { openStorage } from '@llm-lab/storage';
import OpenAI from 'openai';
import { cleanEnv, runCli, type CliResult } from './helpers.js';

jest.setTimeout(300_000);

/** A running `llm-lab gateway`: its URL, its standard error so far, and its exit. */
interface RunningGateway {
  url: string;
  stderr: () => string;
  child: ChildProcess;
  exited: Promise<CliResult>;
}

describe('llm-lab gateway with keys and the traffic record on the embedded database', () => {
  let server: FakeOpenAIServer;
  let dir: string;
  const dataDir = () => join(dir, 'db');
  const env = () => cleanEnv({ LLM_LAB_HOME: join(dir, '.llm-lab') });
  const cli = (...args: string[]) => runCli(['gateway', ...args, '--data-dir', dataDir()], { cwd: dir, env: env() });

  /** Gateways started, stopped in afterAll if a failed test left one running. */
  const started: ChildProcess[] = [];

  function startGateway(...extra: string[]): Promise<RunningGateway> {
    let child: ChildProcess | undefined;
    let stderr = '';
    let announce: (url: string) => void = () => undefined;
    const ready = new Promise<string>((resolve) => (announce = resolve));
    const exited = runCli(['gateway', 'gateway.yaml', '--port', '0', '--data-dir', dataDir(), ...extra], {
      cwd: dir,
      env: env(),
      onStderr: (text, spawned) => {
        if (child === undefined) started.push(spawned);
        child = spawned;
        stderr = text;
        const match = /listening on (http:\/\/\S+)\/v1[^\n]*\nkeys: [^\n]*\n/.exec(text);
        if (match) announce(match[1]!);
      },
    });
    const failed = exited.then((result) => Promise.reject(new Error(`the gateway exited before it was ready: ${result.stderr}`)));
    // Once ready, the gateway's (later) exit is awaited through `exited`, not this.
    failed.catch(() => undefined);
    return Promise.race([ready.then((url) => ({ url, stderr: () => stderr, child: child!, exited })), failed]);
  }

  const client = (url: string, apiKey: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 });
  /** The status a call got: 200 with the answer's text checked, else the SDK error's status. */
  async function call(url: string, apiKey: string, model = 'fast', stream = false): Promise<number> {
    try {
      const messages = [{ role: 'user' as const, content: 'ping' }];
      if (stream) {
        let text = '';
        for await (const chunk of await client(url, apiKey).chat.completions.create({ model, messages, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
        expect(text).toBe('ping');
        return 200;
      }
      const answer = await client(url, apiKey).chat.completions.create({ model, messages });
      expect(answer.choices[0]?.message.content).toBe('ping');
      return 200;
    } catch (error) {
      if (error instanceof OpenAI.APIError && error.status !== undefined) return error.status;
      throw error;
    }
  }

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: 'sk-cli-access' });
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-cli-gateway-access-'));
    const entry = (label: string) => `  - id: openai:gpt-4o-mini\n    label: ${label}\n    config:\n      baseURL: ${server.url}\n      apiKey: sk-cli-access\n`;
    await writeFile(join(dir, 'gateway.yaml'), `providers:\n${entry('fast')}${entry('smart')}`);
  });
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is open until a key is made, then requires keys; refuses other models and revoked keys; records every call', async () => {
    const statuses: number[] = [];
    const record = (status: number) => {
      statuses.push(status);
      return status;
    };
    const gateway = await startGateway('--keep-bodies', 'fast');
    expect(gateway.stderr()).toContain('keys: off — anyone who can reach this port can call it; create one with llm-lab gateway keys create');
    expect(gateway.stderr()).toContain('traffic: recorded, with request and response bodies for fast');

    // No key made yet: any client gets an answer.
    expect(record(await call(gateway.url, 'unused'))).toBe(200);

    // A key made while the gateway runs (this process connects to the database the gateway owns).
    const created = await cli('keys', 'create', '--name', 'app', '--models', 'fast');
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    // A call with the new key is checked against it at once: the key table is read again for an unknown key.
    expect(record(await call(gateway.url, key))).toBe(200);
    expect(record(await call(gateway.url, key, 'smart'))).toBe(403);
    // Calls without a key are refused once the gateway's key table is read again (within its 5 s TTL).
    let anonymous = 200;
    for (let attempt = 0; attempt < 120 && anonymous === 200; attempt += 1) {
      anonymous = record(await call(gateway.url, 'unused'));
      if (anonymous === 200) await sleep(250);
    }
    expect(anonymous).toBe(401);
    expect(gateway.stderr()).toContain('gateway keys: a key was made: calls need a key from now on');

    // A revoked key is refused (within the TTL, for a gateway that read it while it was live).
    const other = (await cli('keys', 'create', '--name', 'other')).stdout.trim();
    expect((await cli('keys', 'revoke', 'other')).code).toBe(0);
    let revoked = 200;
    for (let attempt = 0; attempt < 120 && revoked === 200; attempt += 1) {
      revoked = record(await call(gateway.url, other));
      if (revoked === 200) await sleep(250);
    }
    expect(revoked).toBe(401);
    expect(record(await call(gateway.url, key, 'fast', true))).toBe(200);

    // /metrics has the traffic record's series beside the gateway's.
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/llm_lab_gateway_traffic_records_dropped_total 0/);

    gateway.child.kill('SIGTERM');
    const exit = await gateway.exited;
    expect(exit.code).toBe(0);

    // SIGTERM flushed the record: every call is there, with its status.
    const traffic = await cli('traffic', '--json');
    expect(traffic.code).toBe(0);
    const groups = (JSON.parse(traffic.stdout) as { groups: Array<{ route: string; keyName: string | null; requests: number; errors: number }> }).groups;
    const total = groups.reduce((sum, group) => ({ requests: sum.requests + group.requests, errors: sum.errors + group.errors }), { requests: 0, errors: 0 });
    expect(total).toEqual({ requests: statuses.length, errors: statuses.filter((status) => status !== 200).length });
    const ofApp = (route: string) => groups.find((group) => group.route === route && group.keyName === 'app');
    expect(ofApp('fast')).toMatchObject({ requests: 2, errors: 0 });
    expect(ofApp('smart')).toMatchObject({ requests: 1, errors: 1 });

    // Bodies were kept for "fast" only, for calls let through.
    const storage = await openStorage({ dataDir: dataDir(), env: {} });
    try {
      const { requests } = await storage.listRequests({ source: 'gateway', limit: 500 });
      expect(requests).toHaveLength(statuses.length);
      const kept = requests.filter((request) => request.requestBody !== null && request.requestBody !== undefined);
      expect(kept.length).toBe(statuses.filter((status) => status === 200).length);
      // The streamed call's kept response is the completion its chunks added up to.
      expect(kept.filter((request) => (request.requestBody as { stream?: boolean }).stream === true)).toHaveLength(1);
      for (const request of kept) {
        expect(request.requestBody).toMatchObject({ model: 'fast', messages: [{ role: 'user', content: 'ping' }] });
        expect(request.responseBody).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'ping' } }] });
      }
      expect(requests.filter((request) => request.httpStatus === 403).every((request) => request.requestBody === null || request.requestBody === undefined)).toBe(true);
    } finally {
      await storage.close();
    }

    // Started again, the gateway says keys are required and how many there are.
    const again = await startGateway();
    expect(again.stderr()).toContain('keys: required (1 live key, 1 revoked)');
    expect(await call(again.url, 'unused')).toBe(401);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  });

  it('with --require-keys refuses calls while no key exists, and names an unknown --keep-bodies model', async () => {
    const gateway = await startGateway('--require-keys', '--data-dir', join(dir, 'empty-db'));
    expect(gateway.stderr()).toContain('keys: required (0 live keys)');
    expect(await call(gateway.url, 'unused')).toBe(401);
    gateway.child.kill('SIGTERM');
    expect((await gateway.exited).code).toBe(0);

    const bad = await runCli(['gateway', 'gateway.yaml', '--port', '0', '--data-dir', dataDir(), '--keep-bodies', 'fast,nope'], { cwd: dir, env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--keep-bodies: Cannot keep the bodies of "nope": not a model this gateway serves (it serves: fast, smart).');
  });
});
