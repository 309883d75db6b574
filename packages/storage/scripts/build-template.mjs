// Builds dist/pglite-template.tar.gz: an embedded database with every migration applied, dumped
// once at build time. A new .llm-lab/db is then unpacked from it (src/extract-template.ts, ~0.15 s)
// instead of running PostgreSQL's initdb in WebAssembly on the user's first run (3–7 s).
// WAL segments of 1 MB instead of 16 MB: a new database holds 7 MB of WAL instead of 16 MB, and
// its postgresql.conf gets min/max_wal_size scaled to match (5 MB / 64 MB). Databases made from
// older templates keep their 16 MB segments; both open the same way.
import { writeFile, rename } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';

const migrationsFolder = fileURLToPath(new URL('../migrations/', import.meta.url));
const target = fileURLToPath(new URL('../dist/pglite-template.tar.gz', import.meta.url));

const client = await PGlite.create({ initDbStartParams: ['--wal-segsize=1'] });
await migrate(drizzle({ client }), { migrationsFolder, migrationsSchema: 'drizzle' });
const dump = await client.dumpDataDir('gzip');
await client.close();
await writeFile(`${target}.part`, Buffer.from(await dump.arrayBuffer()));
await rename(`${target}.part`, target);
