// The gateway's steady state: CPU per request and memory across many requests, closed loop.
//
// `pnpm bench:gateway -- --requests 20000` (CPU per request) and `pnpm bench:gateway -- --memory`
// (200,000 requests) use it. A fixed number of connections each sends its next request as soon
// as the last is answered, so the run is as fast as the machine allows and its length is set by
// the number of requests, not by time. The figures that decide are the gateway process's CPU
// time (user + system, from /proc) divided by the requests answered, which the machine's other
// load moves much less than latency, and its resident memory and V8 heap (read from its own
// `/metrics`, prom-client's default series) after the warm-up and at the end.
import http from 'node:http';

/** Sends `total` requests to `url` over `connections` keep-alive connections, each as soon as the last is answered. */
export function closedLoop(url, total, { connections = 32, stream = false, onProgress } = {}) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let sent = 0;
  let done = 0;
  let errors = 0;
  let non2xx = 0;
  return new Promise((resolve) => {
    const next = () => {
      if (sent >= total) {
        if (done >= total) {
          agent.destroy();
          resolve({ requests: done, errors, non2xx });
        }
        return;
      }
      const body = JSON.stringify({ model: 'gpt-4o-mini', stream, max_tokens: 16, messages: [{ role: 'user', content: `term${sent} is what? Reply briefly.` }] });
      sent++;
      const settle = () => {
        done++;
        if (onProgress && done % 10_000 === 0) onProgress(done);
        next();
      };
      const request = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-not-a-key', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          if (response.statusCode < 200 || response.statusCode >= 300) non2xx++;
          response.resume();
          response.once('end', settle);
          response.once('error', () => {
            errors++;
          });
        },
      );
      request.setTimeout(30_000, () => request.destroy(new Error('timeout')));
      request.once('error', () => {
        errors++;
        settle();
      });
      request.end(body);
    };
    for (let i = 0; i < connections; i++) next();
  });
}

/** The gateway's V8 heap (used and total, MB) from its `/metrics`, or undefined when it has none. */
export async function heapOf(metricsUrl) {
  try {
    const text = await (await fetch(metricsUrl)).text();
    const value = (name) => Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
    return { heapUsedMb: value('nodejs_heap_size_used_bytes'), heapTotalMb: value('nodejs_heap_size_total_bytes') };
  } catch {
    return undefined;
  }
}

/**
 * Warms the gateway up with `warmup` requests, then measures `total` more: CPU µs per request,
 * resident memory and heap after the warm-up and at the end (after a 2 s pause, so what the
 * requests left behind is collectable). `stats(pid)` reads /proc.
 */
export async function steadyState({ url, metricsUrl, pid, stats, total, warmup, stream, connections, log }) {
  await closedLoop(url, warmup, { stream, connections });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const before = stats(pid);
  const heapBefore = await heapOf(metricsUrl);
  const startedAt = performance.now();
  const run = await closedLoop(url, total, { stream, connections, onProgress: (done) => log?.(`  ${done} requests, RSS ${Math.round(stats(pid)?.rssMb ?? 0)} MB`) });
  const seconds = (performance.now() - startedAt) / 1000;
  const afterCpu = stats(pid);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = stats(pid);
  const heapAfter = await heapOf(metricsUrl);
  const round = (value, digits = 1) => (value === undefined || Number.isNaN(value) ? null : Math.round(value * 10 ** digits) / 10 ** digits);
  return {
    requests: run.requests,
    errors: run.errors + run.non2xx,
    rps: Math.round(run.requests / seconds),
    cpu_us_per_request: before && afterCpu ? Math.round(((afterCpu.cpuS - before.cpuS) * 1e6) / run.requests) : null,
    rss_before_mb: round(before?.rssMb),
    rss_after_mb: round(after?.rssMb),
    heap_used_before_mb: round(heapBefore?.heapUsedMb),
    heap_used_after_mb: round(heapAfter?.heapUsedMb),
    heap_total_before_mb: round(heapBefore?.heapTotalMb),
    heap_total_after_mb: round(heapAfter?.heapTotalMb),
  };
}
