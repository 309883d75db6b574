// The benchmark server, shared by the benchmarks here: ../shared/bench's fast OpenAI-compatible
// server when it is beside the repository, else the testkit's fake server answering the same way.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');
export const shared = process.env.LLM_LAB_SHARED_DIR ?? resolve(root, '..', 'shared');
export const sharedBench = join(shared, 'bench');
export const haveShared = existsSync(join(sharedBench, 'fake-openai-server.mjs'));

const freePort = () =>
  new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });

/** Starts the server in a child process with `latencyMs` per answer; resolves to its /v1 URL and a stop function. */
export async function startBenchServer(latencyMs) {
  const port = await freePort();
  const script = haveShared ? join(sharedBench, 'fake-openai-server.mjs') : join(here, 'testkit-server.mjs');
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, PORT: String(port), LATENCY_MS: String(latencyMs) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/v1/models`)).ok) return { url: `${url}/v1`, stop: () => child.kill() };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill();
  throw new Error('the benchmark server did not start');
}

/** The script's options, parsed; `pnpm bench -- --n 1000` hands it a leading `--`, dropped here. */
export function benchArgs(options) {
  const args = process.argv.slice(2);
  if (args[0] === '--') args.shift();
  return parseArgs({ args, options }).values;
}
