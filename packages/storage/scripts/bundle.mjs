// Bundles what a process loads module by module before its database can open, each into one
// file beside tsc's output:
// - dist/pglite-worker.bundle.js: the embedded database's worker (pglite-worker.js, with
//   drizzle-orm and the storage code it imports), which worker-storage.ts starts. A worker
//   thread loads its modules itself, one at a time, before PGlite can open: ~120 modules took
//   ~0.1 s of the time every embedded command waits for its database (a warm 5,000-case run:
//   1.63 → 1.54 s; `runs list`: 0.75 → 0.68 s, side by side).
// - dist/postgres-backend.bundle.js: what opening a PostgreSQL server loads (drizzle-orm's
//   node-postgres driver and migrator, the storage on top), which open-storage.ts imports.
// PGlite and pg stay outside: PGlite finds its WebAssembly and data files beside its own code,
// and pg (CommonJS, a handful of files) loads its optional native driver by name.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

await build({
  entryPoints: {
    'pglite-worker.bundle': join(dist, 'pglite-worker.js'),
    'postgres-backend.bundle': join(dist, 'postgres-backend.js'),
  },
  outdir: dist,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['@electric-sql/pglite', 'pg'],
});
