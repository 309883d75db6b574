// Builds dist/pglite-template.tar.gz: an embedded database with every migration applied, dumped
// once at build time. A new .llm-lab/db is then unpacked from it (~1 s) instead of running
// PostgreSQL's initdb in WebAssembly on the user's first run (3–7 s).
import { writeFile, rename } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';

const migrationsFolder = fileURLToPath(new URL('../migrations/', import.meta.url));
const target = fileURLToPath(new URL('../dist/pglite-template.tar.gz', import.meta.url));

const client = await PGlite.create();
await migrate(drizzle({ client }), { migrationsFolder, migrationsSchema: 'drizzle' });
const dump = await client.dumpDataDir('gzip');
await client.close();
await writeFile(`${target}.part`, Buffer.from(await dump.arrayBuffer()));
await rename(`${target}.part`, target);
