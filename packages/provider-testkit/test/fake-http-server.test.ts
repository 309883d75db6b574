import { afterEach, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { createFakeHttpServer, fakeServerHandle, RequestWindow, writeBody, type FakeHttpServer, type FakeHttpServerOptions } from '../src/index.js';

/** A fake built on the base the way a plugin author would: echo the JSON body, take faults. */
async function startEchoServer(options: FakeHttpServerOptions = {}) {
  const http = createFakeHttpServer(options);
  await http.listen(async ({ record, response, parseError }) => {
    if (record.path === '/boom') throw new Error('handler broke');
    if (record.path === '/stream') return http.writeStream(response, { 'content-type': 'text/plain' }, ['a', 'b', 'c'], { delayMs: 5 });
    const fault = http.nextFault();
    if (fault) {
      return http.applyFault(fault, response, {
        latencyMs: 0,
        httpError: (httpFault) => writeBody(response, httpFault.status, '{"error":"injected"}', { 'content-type': 'application/json' }),
        invalidJson: () => writeBody(response, 200, '{"broken', { 'content-type': 'application/json' }),
        truncate: (afterChunks) => http.writeStream(response, {}, ['1', '2', '3', '4'].slice(0, afterChunks), { cut: true }),
      });
    }
    writeBody(response, 200, JSON.stringify({ echoed: record.body ?? null, parseError: parseError ?? null, query: record.query }), { 'content-type': 'application/json' });
  });
  return { http, handle: fakeServerHandle(http, { label: 'echo' }) };
}

const servers: FakeHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('createFakeHttpServer', () => {
  it('records requests with method, path, query, headers and the parsed body, and counts them', async () => {
    const { http, handle } = await startEchoServer();
    servers.push(http);
    const response = await fetch(`${handle.url}/echo?x=1`, { method: 'POST', headers: { 'x-test': 'yes' }, body: JSON.stringify({ hello: 'there' }) });
    expect(await response.json()).toEqual({ echoed: { hello: 'there' }, parseError: null, query: { x: '1' } });
    expect(handle.requests).toHaveLength(1);
    expect(handle.requests[0]).toMatchObject({ method: 'POST', path: '/echo', query: { x: '1' }, body: { hello: 'there' }, rawBody: '{"hello":"there"}' });
    expect(handle.requests[0]?.headers['x-test']).toBe('yes');
    expect(handle.stats).toMatchObject({ requests: 1, maxInFlight: 1 });
    expect(handle.label).toBe('echo');
    expect(handle.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    handle.reset();
    expect(handle.requests).toHaveLength(0);
    expect(handle.stats.requests).toBe(0);
  });

  it('says why a body is not JSON', async () => {
    const { http } = await startEchoServer();
    servers.push(http);
    const answer = (await (await fetch(http.url, { method: 'POST', body: '{not json' })).json()) as { parseError: string | null };
    expect(answer.parseError).toEqual(expect.any(String));
  });

  it('applies queued faults in order, then answers normally', async () => {
    const { http, handle } = await startEchoServer();
    servers.push(http);
    handle.enqueueFault({ type: 'http-error', status: 503 });
    handle.enqueueFault({ type: 'invalid-json' });
    expect((await fetch(http.url)).status).toBe(503);
    expect(await (await fetch(http.url)).text()).toBe('{"broken');
    expect((await fetch(http.url)).status).toBe(200);
  });

  it('draws faults at a seeded rate, the same sequence after reset', async () => {
    const http = createFakeHttpServer({ faultRate: 0.5, seed: 7 });
    const draws = () => Array.from({ length: 20 }, () => (http.nextFault() ? 1 : 0));
    const first = draws();
    http.reset();
    expect(draws()).toEqual(first);
    expect(first.some((drawn) => drawn === 1) && first.some((drawn) => drawn === 0)).toBe(true);
  });

  it('a truncated answer loses its connection; a hanging one is ended by close()', async () => {
    const { http, handle } = await startEchoServer();
    handle.enqueueFault({ type: 'truncate-stream', afterChunks: 2 });
    await expect(fetch(http.url).then((response) => response.text())).rejects.toThrow();
    handle.enqueueFault({ type: 'hang' });
    const hanging = new Promise<string>((resolve) => {
      const outgoing = httpRequest(http.url, (response) => response.resume());
      outgoing.on('error', (error) => resolve(error.message));
      outgoing.end();
    });
    // Wait until the server holds it (a fixed delay can pass before it arrives on a busy machine).
    while (handle.stats.inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(handle.stats.inFlight).toBe(1);
    await http.close();
    expect(await hanging).toMatch(/socket hang up|ECONNRESET/);
  });

  it('streams frames with a delay, and answers a handler that throws with a 500', async () => {
    const { http } = await startEchoServer();
    servers.push(http);
    expect(await (await fetch(`${http.url}/stream`)).text()).toBe('abc');
    const failed = await fetch(`${http.url}/boom`);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toContain('handler broke');
  });
});

describe('RequestWindow', () => {
  it('admits up to the limit per window, then says how long to wait', () => {
    const window = new RequestWindow(2, 1000);
    expect(window.admit(0)).toBeUndefined();
    expect(window.admit(100)).toBeUndefined();
    expect(window.admit(200)).toBe(800);
    expect(window.used).toBe(2);
    expect(window.admit(1000)).toBeUndefined();
    expect(new RequestWindow(undefined).admit()).toBeUndefined();
  });
});
