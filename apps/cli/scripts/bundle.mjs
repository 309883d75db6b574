// Bundles the built CLI (dist/bin.js, as tsc wrote it, and everything it imports) into
// dist/llm-lab.js plus dist/chunks/: the `llm-lab` command then loads a few files instead of
// ~520 modules, which was most of its start-up time (a 1-case run on PostgreSQL: 0.8 → 0.55 s
// wall, 0.9 → 0.6 s CPU, measured side by side). Dynamic imports stay lazy: each becomes a
// chunk loaded when it is first needed (a vendor SDK, YAML, Parquet), as before.
//
// Left outside the bundle, and so dependencies of this package:
// - @llm-lab/storage: it finds its own files beside its code (the embedded database's worker
//   script, the template database, the migrations), and brings pg, drizzle-orm and PGlite.
// - pg-boss (CommonJS, with its own pg): the queue of run --distributed and worker, loaded only by them.
// - ajv, ioredis: loaded with require() at run time, only when configured.
// - node-llama-cpp: native code, optional, loaded only for GGUF models.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

// Chunk names carry a content hash: clear the old ones so they do not pile up across builds.
rmSync(join(dist, 'chunks'), { recursive: true, force: true });

await build({
  entryPoints: { 'llm-lab': join(dist, 'bin.js') },
  outdir: dist,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['@llm-lab/storage', 'pg-boss', 'ajv', 'ioredis', 'node-llama-cpp', '@node-llama-cpp/*', 'bufferutil', 'utf-8-validate'],
  // CommonJS dependencies inside the bundle call require(); ES modules have none of their own.
  banner: { js: "import { createRequire as __llmLabCreateRequire } from 'node:module'; const require = __llmLabCreateRequire(import.meta.url);" },
});

// `llm-lab plugin create` writes the provider-plugin example's sources and tests, renamed, from
// one JSON file (a package's src/ and test/ folders are kept out of published tarballs); the tools
// its project needs are pinned to the versions this workspace's catalog uses.
const example = join(root, '..', '..', 'examples', 'provider-plugin');
const files = {};
for (const folder of ['src', 'test']) {
  for (const name of readdirSync(join(example, folder)).sort()) files[`${folder}/${name}`] = readFileSync(join(example, folder, name), 'utf8');
}
const { parse } = await import('yaml');
const { catalog } = parse(readFileSync(join(root, '..', '..', 'pnpm-workspace.yaml'), 'utf8'));
const tools = ['@jest/globals', '@swc/core', '@swc/jest', '@types/node', 'jest', 'typescript'];
writeFileSync(join(dist, 'plugin-template.json'), `${JSON.stringify({ versions: Object.fromEntries(tools.map((name) => [name, catalog[name]])), files })}\n`);
