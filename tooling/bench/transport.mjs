#!/usr/bin/env node
// CPU per call of the OpenAI provider's transports, side by side in one run:
//
//   pnpm bench:transport                         (N=5000 calls, C=64 in flight, 20 ms latency)
//   node tooling/bench/transport.mjs --n 2000 --c 16
//
// Each way of calling runs in a child process of its own (so its memory is its own) against the
// same benchmark server:
//   bare            a plain node:http POST of the same body: the floor for any client
//   provider        @llm-lab/provider-openai's generate over its node:http transport (the default)
//   provider-fetch  the same with httpClient: fetch (Node's built-in fetch under the SDK)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchArgs, root, startBenchServer } from './bench-server.mjs';

const args = benchArgs({
  n: { type: 'string', default: '5000' },
  c: { type: 'string', default: '64' },
  latency: { type: 'string', default: '20' },
  mode: { type: 'string' },
  url: { type: 'string' },
});
const N = Number(args.n);
const C = Number(args.c);
const providerEntry = join(root, 'packages', 'provider-openai', 'dist', 'index.js');

if (args.mode) {
  // A child: make N calls C at a time, print one JSON line.
  const http = await import('node:http');
  const base = new URL(args.url);
  const body = (i) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `term${i} is what? Reply briefly.` }], temperature: 0, max_tokens: 16 });
  let call;
  if (args.mode === 'bare') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    call = (i) =>
      new Promise((resolve, reject) => {
        const request = http.request(
          { agent, host: base.hostname, port: base.port, path: `${base.pathname}/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dummy' } },
          (response) => {
            const chunks = [];
            response.on('data', (chunk) => chunks.push(chunk));
            response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()).choices[0].message.content));
          },
        );
        request.on('error', reject);
        request.end(JSON.stringify(body(i)));
      });
  } else {
    const { createOpenAI } = await import(providerEntry);
    const model = createOpenAI({ baseURL: args.url, apiKey: 'dummy', httpClient: args.mode === 'provider-fetch' ? 'fetch' : 'node' }).chat('gpt-4o-mini');
    const signal = new AbortController().signal;
    call = async (i) => (await model.generate({ messages: body(i).messages, temperature: 0, maxTokens: 16 }, { signal })).text;
  }
  await call(-1); // connection and lazy imports out of the way
  const started = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  let wrong = 0;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N) {
        const i = next++;
        if ((await call(i)) !== `Answer: term${i}`) wrong++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ mode: args.mode, wall_s: (performance.now() - started) / 1000, cpu_ms_per_call: (used.user + used.system) / 1000 / N, rss_mb: Math.round(process.memoryUsage().rss / 1048576), wrong }));
  process.exit(0);
}

if (!existsSync(providerEntry)) {
  console.error(`Build first: ${providerEntry} is missing (pnpm build).`);
  process.exit(2);
}
const server = await startBenchServer(Number(args.latency));
try {
  console.error(`Transports: N=${N} calls, ${C} in flight, server latency ${args.latency} ms`);
  const rows = [];
  for (const mode of ['bare', 'provider', 'provider-fetch']) {
    const child = spawnSync(process.execPath, [process.argv[1], '--mode', mode, '--url', server.url, '--n', String(N), '--c', String(C)], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`${mode} failed:\n${child.stderr}`);
    rows.push(JSON.parse(child.stdout.trim().split('\n').at(-1)));
  }
  const bare = rows[0].cpu_ms_per_call;
  console.log(['mode'.padEnd(16), 'wall (s)', 'CPU per call (ms)', 'vs bare', 'RSS (MB)', 'wrong answers'].join('  '));
  for (const row of rows) {
    console.log(
      [row.mode.padEnd(16), row.wall_s.toFixed(2).padStart(8), row.cpu_ms_per_call.toFixed(3).padStart(17), `${(row.cpu_ms_per_call / bare).toFixed(2)}×`.padStart(7), String(row.rss_mb).padStart(8), String(row.wrong).padStart(13)].join('  '),
    );
  }
} finally {
  server.stop();
}
