import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { cleanEnv, runCli, type CliResult } from './helpers.js';

jest.setTimeout(120_000);

const WORDS = Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ');

/** Reads an SSE body frame by frame, calling `onFrame` with each `data:` payload. */
async function readFrames(body: ReadableStream<Uint8Array>, onFrame: (data: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (frame.startsWith('data: ')) onFrame(frame.slice(6));
    }
  }
}

describe('llm-lab gateway as a child process', () => {
  let server: FakeOpenAIServer;
  let dir: string;
  beforeAll(async () => {
    // Each streamed word comes 100 ms after the last: the stream is still going when SIGTERM arrives.
    server = await startFakeOpenAIServer({ apiKey: 'sk-cli-gateway', streamChunkDelayMs: 100 });
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-cli-gateway-'));
    await writeFile(
      join(dir, 'gateway.yaml'),
      `providers:\n  - id: openai:gpt-4o-mini\n    label: fast\n    config:\n      baseURL: ${server.url}\n      apiKey: sk-cli-gateway\n`,
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers, and on SIGTERM finishes the stream in flight before it exits 0', async () => {
    let child: ChildProcess | undefined;
    let announce: (url: string) => void = () => undefined;
    const listening = new Promise<string>((resolve) => (announce = resolve));
    const exited: Promise<CliResult> = runCli(['gateway', 'gateway.yaml', '--port', '0'], {
      cwd: dir,
      env: cleanEnv({ LLM_LAB_HOME: join(dir, '.llm-lab') }),
      onStderr: (text, spawned) => {
        child = spawned;
        const match = /listening on (http:\/\/\S+)\/v1/.exec(text);
        if (match) announce(match[1]!);
      },
    });
    const url = await Promise.race([listening, exited.then((result) => Promise.reject(new Error(`the gateway exited: ${result.stderr}`)))]);

    const whole = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'ping' }] }),
    });
    expect(whole.status).toBe(200);
    expect(((await whole.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content).toBe('ping');

    const streamed = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', stream: true, messages: [{ role: 'user', content: WORDS }] }),
    });
    expect(streamed.status).toBe(200);
    let text = '';
    let done = false;
    let signalled = false;
    await readFrames(streamed.body!, (data) => {
      if (data === '[DONE]') {
        done = true;
        return;
      }
      const chunk = JSON.parse(data) as { choices: Array<{ delta: { content?: string } }>; error?: unknown };
      expect(chunk.error).toBeUndefined();
      text += chunk.choices[0]?.delta.content ?? '';
      // The first word is in: stop the gateway while the other 39 are still to come.
      if (!signalled && text.length > 0) {
        signalled = true;
        child!.kill('SIGTERM');
      }
    });
    expect(signalled).toBe(true);
    expect(done).toBe(true);
    expect(text).toBe(WORDS);

    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/SIGTERM: shutting down, 1 call\(s\) in flight/);
    expect(result.stderr).toMatch(/llm-lab gateway stopped/);
    // Stopped: nothing listens any more.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('serves /metrics only with the token from LLM_LAB_METRICS_TOKEN, and refuses an empty --metrics-token', async () => {
    let child: ChildProcess | undefined;
    let announce: (url: string) => void = () => undefined;
    const listening = new Promise<string>((resolve) => (announce = resolve));
    let stderr = '';
    const exited: Promise<CliResult> = runCli(['gateway', 'gateway.yaml', '--port', '0'], {
      cwd: dir,
      env: cleanEnv({ LLM_LAB_HOME: join(dir, '.llm-lab'), LLM_LAB_METRICS_TOKEN: 'scrape-token-123' }),
      onStderr: (text, spawned) => {
        child = spawned;
        stderr += text;
        const match = /listening on (http:\/\/\S+)\/v1/.exec(stderr);
        if (match && stderr.includes('\n', match.index + match[0].length)) announce(match[1]!);
      },
    });
    const url = await Promise.race([listening, exited.then((result) => Promise.reject(new Error(`the gateway exited: ${result.stderr}`)))]);
    try {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const scraped = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer scrape-token-123' } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('llm_lab_gateway_in_flight');
    } finally {
      child!.kill('SIGTERM');
    }
    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('metrics: /metrics needs Authorization: Bearer <metrics token>');
    expect(result.stderr).not.toContain('scrape-token-123');

    const empty = await runCli(['gateway', 'gateway.yaml', '--port', '0', '--metrics-token', ' '], { cwd: dir, env: cleanEnv({ LLM_LAB_HOME: join(dir, '.llm-lab') }) });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--metrics-token is empty');
  });

  it('refuses a config without providers, naming the file and the key', async () => {
    await writeFile(join(dir, 'empty.yaml'), 'providers: []\n');
    const result = await runCli(['gateway', 'empty.yaml', '--port', '0'], { cwd: dir, env: cleanEnv({ LLM_LAB_HOME: join(dir, '.llm-lab') }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/empty\.yaml/);
    expect(result.stderr).toMatch(/providers/);
  });
});
