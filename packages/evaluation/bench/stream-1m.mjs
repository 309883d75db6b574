#!/usr/bin/env node
/**
 * Streams a generated 1,000,000-row JSONL dataset and prints rows/s and peak RSS, to show that
 * dataset memory stays flat. Run after `pnpm run build`: `pnpm run bench:stream [rows]`.
 * Each phase runs in its own process, so each peak RSS (process.resourceUsage().maxRSS) is its own:
 *   1. openDataset: every case iterated (ids hashed, duplicate detector on);
 *   2. openDataset with idField, filter and a seeded sample of 1,000;
 *   3. runEvaluation with the core mock provider (echo) and an in-memory store that keeps nothing.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const [phase, file, rowsArgument] = process.argv.slice(2);

const megabytes = (kilobytes) => `${(kilobytes / 1024).toFixed(0)} MB`;

async function generate(target, rows) {
  const out = createWriteStream(target);
  const subjects = ['algebra', 'physics', 'history', 'art'];
  for (let i = 0; i < rows; i++) {
    const line = `{"id":"case-${i}","subject":"${subjects[i % 4]}","question":"What is ${i} + ${i}? Please answer with a number only.","answer":"${2 * i}"}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function runPhase() {
  const rows = Number(rowsArgument);
  const started = performance.now();
  let count = 0;
  if (phase === 'dataset' || phase === 'sample') {
    const { openDataset } = await import('../dist/datasets/index.js');
    const config =
      phase === 'dataset'
        ? { path: file, onInvalidRow: 'skip' }
        : { path: file, idField: 'id', onInvalidRow: 'skip', filter: { subject: ['algebra', 'physics'] }, sample: { size: 1000, seed: 1 } };
    for await (const _case of openDataset(config, { baseDir: '/' }).cases) count++;
  } else {
    const { runEvaluation } = await import('../dist/index.js');
    const { labConfigSchema, MockProvider } = await import('@llm-lab/core');
    const config = labConfigSchema.parse({
      providers: ['mock:echo'],
      prompts: ['{{question}}'],
      dataset: { path: file, idField: 'id' },
      run: { concurrency: 64 },
    });
    const store = {
      async insertResults(results) {
        count += results.length;
        return results.length;
      },
      async completedKeys() {
        return new Set();
      },
    };
    await runEvaluation({
      runId: 'bench',
      config,
      baseDir: '/',
      providers: [{ label: 'mock:echo', provider: new MockProvider('echo', {}), settings: {} }],
      store,
    });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({ phase, rows, yielded: count, seconds: Number(seconds.toFixed(2)), rowsPerSecond: Math.round(rows / seconds), peakRssKb: process.resourceUsage().maxRSS }),
  );
}

async function main() {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const dir = await mkdtemp(join(tmpdir(), 'llm-lab-bench-'));
  const target = join(dir, 'cases.jsonl');
  try {
    await generate(target, rows);
    console.log(`generated ${rows.toLocaleString('en')} rows in ${target}`);
    for (const name of ['dataset', 'sample', 'engine']) {
      const child = spawnSync(process.execPath, [here, name, target, String(rows)], { encoding: 'utf8' });
      const line = child.stdout.trim().split('\n').pop() ?? '';
      if (child.status !== 0 || !line.startsWith('{')) {
        console.log(`${name}: failed (exit ${child.status})\n${child.stderr.split('\n').slice(0, 8).join('\n')}`);
        continue;
      }
      const result = JSON.parse(line);
      console.log(
        `${name.padEnd(8)} ${result.yielded.toLocaleString('en').padStart(9)} out · ${result.rowsPerSecond.toLocaleString('en')} rows/s · ` +
          `${result.seconds}s · peak RSS ${megabytes(result.peakRssKb)}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (phase === 'dataset' || phase === 'sample' || phase === 'engine') await runPhase();
else await main();
