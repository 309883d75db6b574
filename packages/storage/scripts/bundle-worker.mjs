// Bundles the embedded database's worker (dist/pglite-worker.js, as tsc wrote it, with
// drizzle-orm and the storage code it imports) into dist/pglite-worker.bundle.js, which
// worker-storage.ts starts. A worker thread loads its modules itself, one at a time, before
// PGlite can open: ~120 modules took ~0.1 s of the time every embedded command waits for its
// database (a warm 5,000-case run: 1.63 → 1.54 s; `runs list`: 0.75 → 0.68 s, side by side).
// PGlite stays outside: it finds its WebAssembly and data files beside its own code.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

await build({
  entryPoints: [join(dist, 'pglite-worker.js')],
  outfile: join(dist, 'pglite-worker.bundle.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['@electric-sql/pglite'],
});
