import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { faults } from '@llm-lab/provider-testkit';
import { GOOGLE_KEY, startHarness, type Harness } from './helpers.js';

jest.setTimeout(180_000);

const hi = [{ role: 'user' as const, content: 'hello metrics' }];

/** The value of one sample line of the text exposition format, by metric name and label subset. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      extraRoutes: ({ gemini }) => [
        { id: 'google:gemini-2.5-pro', label: 'fragile', config: { baseURL: gemini, apiKey: GOOGLE_KEY }, retry: { maxAttempts: 1 }, breaker: { failureThreshold: 1, cooldownMs: 600_000 } },
      ],
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('counts calls, tokens, errors and breaker state under the GenAI names, labelled by provider, model and route', async () => {
    await h.client.chat.completions.create({ model: 'gpt', messages: hi });
    await h.client.chat.completions.create({ model: 'gpt', messages: hi });
    const stream = await h.client.chat.completions.create({ model: 'claude', messages: hi, stream: true });
    for await (const _chunk of stream) {
      // drained
    }
    h.vendors.gemini.enqueueFault(faults.serverError());
    await expect(h.client.chat.completions.create({ model: 'fragile', messages: hi })).rejects.toThrow();

    const response = await fetch(`${h.gateway.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    const gpt = { provider: 'openai:gpt-4o-mini', model: 'gpt-4o-mini', route: 'gpt', key_name: '' };
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', { ...gpt, gen_ai_operation_name: 'chat' })).toBe(2);
    expect(sample(text, 'gen_ai_client_token_usage_count', { ...gpt, gen_ai_token_type: 'input' })).toBe(2);
    expect(sample(text, 'gen_ai_client_token_usage_sum', { ...gpt, gen_ai_token_type: 'output' })).toBeGreaterThan(0);
    expect(sample(text, 'llm_lab_gateway_requests_total', { route: 'claude', status: '200', stream: 'true' })).toBe(1);
    expect(sample(text, 'llm_lab_gateway_errors_total', { route: 'fragile', error_class: 'server' })).toBe(1);
    // The one failure opened the fragile route's breaker (threshold 1): 2 = open.
    expect(sample(text, 'llm_lab_provider_breaker_state', { member: 'google:gemini-2.5-pro' })).toBe(2);
    expect(text).not.toContain('sk-');
  });
});

describe('a /metrics token', () => {
  let h: Harness;
  const token = 'metrics-token-for-the-test-0123';
  beforeAll(async () => {
    h = await startHarness({ metricsToken: token });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers 401 without the token or with another, and the metrics with it', async () => {
    await h.client.chat.completions.create({ model: 'gpt', messages: hi });
    const without = await fetch(`${h.gateway.url}/metrics`);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(((await without.json()) as { error: { message: string } }).error.message).toContain('--metrics-token');
    const wrong = await fetch(`${h.gateway.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('llm_lab_gateway_requests_total');
    const right = await fetch(`${h.gateway.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(right.status).toBe(200);
    expect(sample(await right.text(), 'llm_lab_gateway_requests_total', { route: 'gpt', status: '200' })).toBe(1);
    // Only /metrics is behind the token: the model API still answers.
    expect((await h.client.models.list()).data.map((model) => model.id)).toContain('gpt');
  });
});

const prometheus = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
const havePrometheus = prometheus.status === 0;
if (!havePrometheus) console.warn('Skipping the Prometheus scrape test: no `prometheus` binary (Debian: apt-get install -y prometheus).');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

(havePrometheus ? describe : describe.skip)('a real Prometheus scraping the gateway (with a metrics token)', () => {
  let h: Harness;
  const token = 'prometheus-scrape-token-4567';
  let child: ChildProcess | undefined;
  let dir: string;
  let api: string;
  beforeAll(async () => {
    h = await startHarness({ metricsToken: token });
    dir = await mkdtemp(join(tmpdir(), 'llm-lab-prometheus-'));
    const target = new URL(h.gateway.url).host;
    await writeFile(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: gateway\n    authorization:\n      credentials: ${token}\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    child = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
  });
  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs a PromQL query until it returns `expected` (Prometheus scrapes every second), or gives up after many tries. */
  async function queryUntil(query: string, expected: number): Promise<number | undefined> {
    let last: number | undefined;
    for (let attempt = 0; attempt < 240; attempt++) {
      try {
        const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(query)}`);
        const body = (await response.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } };
        const value = body.data.result[0]?.value[1];
        last = value === undefined ? undefined : Number(value);
        if (last === expected) return last;
      } catch {
        // Prometheus is still starting.
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return last;
  }

  it('returns, over PromQL, the number of requests the test sent', async () => {
    const sent = 7;
    for (let index = 0; index < sent; index++) await h.client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: `question ${index}` }] });
    const stream = await h.client.chat.completions.create({ model: 'gemini', messages: hi, stream: true });
    for await (const _chunk of stream) {
      // drained
    }
    expect(await queryUntil('sum(llm_lab_gateway_requests_total{route="gemini",status="200"})', sent + 1)).toBe(sent + 1);
    expect(await queryUntil('sum(gen_ai_client_operation_duration_seconds_count{route="gemini",gen_ai_operation_name="chat"})', sent + 1)).toBe(sent + 1);
    expect(await queryUntil('sum(llm_lab_gateway_requests_total{route="gemini",stream="true"})', 1)).toBe(1);
  });
});
