// Builds dist/pglite-template.tar.gz: an embedded database with every migration applied, made
// once at build time. A new .llm-lab/db is then unpacked from it (src/extract-template.ts)
// instead of running PostgreSQL's initdb in WebAssembly on the user's first run (3–7 s).
//
// It is kept small, since every byte is written to disk again for each new database (writing
// files is most of a new database's cost):
// - WAL segments of 1 MB instead of 16 MB (postgresql.conf gets min/max_wal_size scaled to match,
//   5 MB / 64 MB); databases made from older templates keep their 16 MB segments and open the same;
// - no template0 and template1 databases (LLM Lab never runs CREATE DATABASE), 14 MB;
// - only the WAL segments from the last checkpoint's redo point on (PostgreSQL makes the others
//   again when it needs them).
// 31 MB of files became ~9 MB.
import { mkdtemp, readdir, rename, rm, stat, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { extractTar } from '../dist/extract-template.js';

const migrationsFolder = fileURLToPath(new URL('../migrations/', import.meta.url));
const target = fileURLToPath(new URL('../dist/pglite-template.tar.gz', import.meta.url));

const client = await PGlite.create({ initDbStartParams: ['--wal-segsize=1'] });
await migrate(drizzle({ client }), { migrationsFolder, migrationsSchema: 'drizzle' });
await client.exec(`UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')`);
await client.exec('DROP DATABASE template0');
await client.exec('DROP DATABASE template1');
await client.exec('CHECKPOINT');
const {
  rows: [wal],
} = await client.query('SELECT pg_walfile_name(redo_lsn) AS first, pg_walfile_name(pg_current_wal_lsn()) AS last FROM pg_control_checkpoint()');
const dump = await client.dumpDataDir('none');
await client.close();

const work = await mkdtemp(join(tmpdir(), 'llm-lab-template-'));
try {
  await extractTar(
    (async function* () {
      yield Buffer.from(await dump.arrayBuffer());
    })(),
    work,
  );
  // WAL segment names sort in WAL order within a timeline.
  for (const name of await readdir(join(work, 'pg_wal'))) {
    if (/^[0-9A-F]{24}$/.test(name) && (name < wal.first || name > wal.last)) await rm(join(work, 'pg_wal', name));
  }
  await rm(join(work, 'postmaster.pid'), { force: true });
  await writeFile(`${target}.part`, gzipSync(await tarOf(work), { level: 9 }));
  await rename(`${target}.part`, target);
} finally {
  await rm(work, { recursive: true, force: true });
}

/** A ustar archive of `root`'s folders and files (names relative to it, folders before their contents). */
async function tarOf(root) {
  const blocks = [];
  const walk = async (relative) => {
    const entries = (await readdir(join(root, relative), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const info = await stat(join(root, name));
      if (entry.isDirectory()) {
        blocks.push(header(`${name}/`, info.mode & 0o777, 0, '5'));
        await walk(name);
      } else if (entry.isFile()) {
        const data = await readFile(join(root, name));
        blocks.push(header(name, info.mode & 0o777, data.length, '0'), data, Buffer.alloc((512 - (data.length % 512)) % 512));
      }
    }
  };
  await walk('');
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function header(name, mode, size, type) {
  if (Buffer.byteLength(name) > 100) throw new Error(`template entry name too long for a plain ustar header: ${name}`);
  const block = Buffer.alloc(512);
  const octal = (value, length) => value.toString(8).padStart(length - 1, '0') + '\0';
  block.write(name, 0, 100, 'utf8');
  block.write(octal(mode, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  block.write(octal(size, 12), 124, 'latin1');
  block.write(octal(0, 12), 136, 'latin1');
  block.write('        ', 148, 'latin1');
  block.write(type, 156, 'latin1');
  block.write('ustar\0' + '00', 257, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 'latin1');
  return block;
}
