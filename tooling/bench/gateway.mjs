#!/usr/bin/env node
// LLM Lab's gateway against Portkey's, side by side in one run: the added latency of each in
// front of the same fast OpenAI-compatible server, at fixed request rates.
//
//   pnpm bench:gateway                                   (rates 200,400,1000; 10 s each; 20 ms server)
//   pnpm bench:gateway -- --rates 400 --duration 20 --stream --skip-peer
//   pnpm bench:gateway -- --rates 400 --profile /tmp/prof    (writes a .cpuprofile of the gateway)
//   pnpm bench:gateway -- --requests 20000 [--stream]         (closed loop: CPU µs per request, memory)
//   pnpm bench:gateway -- --memory [--stream]                 (the same over 200,000 requests)
//
// For each rate: ../shared/bench/fake-openai-server.mjs is started, `llm-lab gateway` is put in
// front of it, and ../shared/bench/gateway-load.mjs (open loop: requests on a fixed schedule,
// latency from the scheduled start) measures the server alone ("direct") and through LLM Lab;
// then ../shared/bench/gateway-peer.sh measures the server alone and through Portkey the same
// way; then the floor (gateway-floor.mjs, `--skip-floor` leaves it out): the server alone, through
// a TCP relay and through the least HTTP proxy Node makes, what any process in the middle adds
// here. Added latency = a percentile through it - the direct one of the same set. CPU and memory
// are read from /proc. Without ../shared (a user's clone), it says so and stops.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs, haveShared, root, sharedBench } from './bench-server.mjs';
import { steadyState } from './gateway-steady.mjs';

const args = benchArgs({
  rates: { type: 'string', default: '200,400,1000' },
  duration: { type: 'string', default: '10' },
  latency: { type: 'string', default: '20' },
  stream: { type: 'boolean', default: false },
  'skip-peer': { type: 'boolean', default: false },
  'skip-floor': { type: 'boolean', default: false },
  profile: { type: 'string' },
  json: { type: 'string' },
  requests: { type: 'string' },
  memory: { type: 'boolean', default: false },
  warmup: { type: 'string', default: '5000' },
  connections: { type: 'string', default: '32' },
});

if (!haveShared) {
  console.log(`Skipped: ${sharedBench} not found. The gateway benchmark needs ../shared/bench (its load generator, fake server and the Portkey peer).`);
  process.exit(0);
}
const cli = join(root, 'apps', 'cli', 'dist', 'llm-lab.js');
const rates = args.rates.split(',').map(Number);
const DURATION = Number(args.duration);
const LATENCY = Number(args.latency);
const load = join(sharedBench, 'gateway-load.mjs');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
async function waitFor(url) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(50);
  }
  throw new Error(`${url} did not come up`);
}

/** CPU seconds (user + system) and resident memory (MB) of a process, from /proc. */
function procStats(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    return { cpuS: ticks / 100, rssMb: rss, peakMb: hwm };
  } catch {
    return undefined;
  }
}

function runLoad(url, rate, duration, extra = []) {
  const result = spawnSync(process.execPath, [load, url, '--rate', String(rate), '--duration', String(duration), ...(args.stream ? ['--stream'] : []), ...extra], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (result.status !== 0) throw new Error(`gateway-load failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

/** The fake server and `llm-lab gateway` in front of it; `stop()` ends both. */
async function startLlmLab() {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lab-bench-gateway-'));
  const upstreamPort = await freePort();
  const upstream = spawn(process.execPath, [join(sharedBench, 'fake-openai-server.mjs')], {
    env: { ...process.env, PORT: String(upstreamPort), LATENCY_MS: String(LATENCY) },
    stdio: 'ignore',
  });
  const config = join(dir, 'gateway.yaml');
  writeFileSync(
    config,
    `providers:\n  - id: openai:gpt-4o-mini\n    config:\n      baseURL: http://127.0.0.1:${upstreamPort}/v1\n      apiKey: sk-bench-upstream\n    retry:\n      maxAttempts: 1\n`,
  );
  const port = await freePort();
  const nodeFlags = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
  const gateway = spawn(process.execPath, [...nodeFlags, cli, 'gateway', config, '--port', String(port)], {
    cwd: dir,
    env: { ...process.env, LLM_LAB_HOME: join(dir, '.llm-lab') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    // A gateway that already exited (it could not listen: a port taken between freePort and its start) is not waited for.
    if (gateway.exitCode === null && gateway.signalCode === null) {
      const exited = new Promise((resolve) => gateway.once('exit', resolve));
      gateway.kill('SIGTERM');
      await exited;
    }
    upstream.kill();
  };
  try {
    await waitFor(`http://127.0.0.1:${upstreamPort}/healthz`);
    await waitFor(`http://127.0.0.1:${port}/readyz`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { gateway, port, upstreamPort, stop };
}

async function measureLlmLab(rate) {
  const { gateway, port, upstreamPort, stop } = await startLlmLab();
  try {
    const gatewayUrl = `http://127.0.0.1:${port}/v1/chat/completions`;
    runLoad(`http://127.0.0.1:${upstreamPort}/v1/chat/completions`, rate, 2);
    runLoad(gatewayUrl, rate, 2);
    const direct = runLoad(`http://127.0.0.1:${upstreamPort}/v1/chat/completions`, rate, DURATION);
    const before = procStats(gateway.pid);
    const through = runLoad(gatewayUrl, rate, DURATION);
    const after = procStats(gateway.pid);
    const cpuS = before && after ? after.cpuS - before.cpuS : null;
    return {
      direct,
      llmLab: {
        ...through,
        peak_rss_mb: after ? Math.round(after.peakMb) : null,
        rss_before_mb: before ? Math.round(before.rssMb) : null,
        rss_after_mb: after ? Math.round(after.rssMb) : null,
        cpu_s: cpuS === null ? null : Math.round(cpuS * 100) / 100,
        cpu_ms_per_request: cpuS === null || through.requests === 0 ? null : Math.round((cpuS * 1000 * 1000) / through.requests) / 1000,
      },
    };
  } finally {
    await stop();
  }
}

/**
 * The floor (gateway-floor.mjs): the server alone, then through a TCP relay and through the least
 * HTTP proxy Node makes, at the same rate: what any process in the middle adds on this machine.
 */
async function measureFloor(rate) {
  const upstreamPort = await freePort();
  const upstream = spawn(process.execPath, [join(sharedBench, 'fake-openai-server.mjs')], {
    env: { ...process.env, PORT: String(upstreamPort), LATENCY_MS: String(LATENCY) },
    stdio: 'ignore',
  });
  const floors = [];
  try {
    await waitFor(`http://127.0.0.1:${upstreamPort}/healthz`);
    const direct = runLoad(`http://127.0.0.1:${upstreamPort}/v1/chat/completions`, rate, DURATION);
    for (const mode of ['relay', 'proxy']) {
      const port = await freePort();
      const child = spawn(process.execPath, [join(root, 'tooling', 'bench', 'gateway-floor.mjs'), mode, String(port), String(upstreamPort)], { stdio: 'ignore' });
      try {
        await waitFor(`http://127.0.0.1:${port}/healthz`);
        const url = `http://127.0.0.1:${port}/v1/chat/completions`;
        runLoad(url, rate, 2);
        const before = procStats(child.pid);
        const through = runLoad(url, rate, DURATION);
        const after = procStats(child.pid);
        const cpuS = before && after ? after.cpuS - before.cpuS : null;
        floors.push({ name: mode === 'relay' ? 'floor: tcp relay' : 'floor: node proxy', measured: { ...through, cpu_ms_per_request: cpuS === null || through.requests === 0 ? null : Math.round((cpuS * 1e6) / through.requests) / 1000 } });
      } finally {
        child.kill();
      }
    }
    return { direct, floors };
  } finally {
    upstream.kill();
  }
}

function measurePortkey(rate) {
  const result = spawnSync('bash', [join(sharedBench, 'gateway-peer.sh'), String(rate), String(DURATION), String(LATENCY), ...(args.stream ? ['--stream'] : [])], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (result.status !== 0) {
    console.error(`gateway-peer.sh failed (${result.status}): ${result.stderr.slice(-500)}`);
    return undefined;
  }
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
  return { direct: lines.find((line) => line.target === 'direct'), portkey: lines.find((line) => line.target === 'portkey') };
}

const fmt = (value, digits = 2) => (value === null || value === undefined ? '—' : Number(value).toFixed(digits));
const steadyTotal = args.memory ? 200_000 : args.requests ? Number(args.requests) : undefined;
if (steadyTotal !== undefined) {
  console.log(`Gateway steady state: ${args.warmup} warm-up requests, then ${steadyTotal} measured, closed loop over ${args.connections} connections, ${LATENCY} ms server, ${args.stream ? 'streamed' : 'whole'} answers.`);
  const { gateway, port, stop } = await startLlmLab();
  try {
    const result = await steadyState({
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      metricsUrl: `http://127.0.0.1:${port}/metrics`,
      pid: gateway.pid,
      stats: procStats,
      total: steadyTotal,
      warmup: Number(args.warmup),
      stream: args.stream,
      connections: Number(args.connections),
      log: (line) => console.log(line),
    });
    console.log(JSON.stringify(result));
    if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stop();
  }
  process.exit(0);
}

const rows = [];
console.log(`Gateway benchmark: ${DURATION} s per rate, ${LATENCY} ms server, ${args.stream ? 'streamed' : 'whole'} answers. The load generator, the server and the gateway share this machine's cores.`);
for (const rate of rates) {
  const ours = await measureLlmLab(rate);
  const peer = args['skip-peer'] ? undefined : measurePortkey(rate);
  const floor = args['skip-floor'] ? undefined : await measureFloor(rate);
  const line = (name, measured, direct) => ({
    rate,
    target: name,
    rps: measured.rps,
    errors: measured.errors + measured.non2xx,
    p50_ms: measured.p50_ms,
    p99_ms: measured.p99_ms,
    added_p50_ms: direct ? Math.round((measured.p50_ms - direct.p50_ms) * 100) / 100 : null,
    added_p99_ms: direct ? Math.round((measured.p99_ms - direct.p99_ms) * 100) / 100 : null,
    cpu_ms_per_request: measured.cpu_ms_per_request ?? (measured.cpu_s && measured.requests ? Math.round((measured.cpu_s * 1e6) / measured.requests) / 1000 : null),
    peak_rss_mb: measured.peak_rss_mb ?? null,
    ...(measured.rss_before_mb !== undefined ? { rss_before_mb: measured.rss_before_mb, rss_after_mb: measured.rss_after_mb } : {}),
  });
  rows.push(line('direct', ours.direct));
  rows.push(line('llm-lab', ours.llmLab, ours.direct));
  if (peer?.direct && peer.portkey) {
    rows.push(line('direct (peer run)', peer.direct));
    rows.push(line('portkey', peer.portkey, peer.direct));
  }
  if (floor) {
    rows.push(line('direct (floor run)', floor.direct));
    for (const each of floor.floors) rows.push(line(each.name, each.measured, floor.direct));
  }
  console.log(`\nrate ${rate}/s`);
  console.log('target              achieved/s  errors   p50 ms   p99 ms  added p50  added p99  CPU ms/req  peak MB  RSS before→after');
  for (const row of rows.filter((each) => each.rate === rate)) {
    console.log(
      `${row.target.padEnd(18)} ${String(row.rps).padStart(10)} ${String(row.errors).padStart(7)} ${fmt(row.p50_ms).padStart(8)} ${fmt(row.p99_ms).padStart(8)} ${fmt(row.added_p50_ms).padStart(10)} ${fmt(row.added_p99_ms).padStart(10)} ${fmt(row.cpu_ms_per_request, 3).padStart(11)} ${fmt(row.peak_rss_mb, 0).padStart(8)}  ${row.rss_before_mb !== undefined ? `${row.rss_before_mb}→${row.rss_after_mb} MB` : ''}`,
    );
  }
}
if (args.json) writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
