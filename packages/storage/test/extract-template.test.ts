import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from '@jest/globals';
import { PGlite } from '@electric-sql/pglite';
import {
  TarError,
  UNPACKING_DIR_NAME,
  extractTar,
  extractTarGz,
  recoverInterruptedUnpack,
  unpackTemplate,
} from '../src/extract-template.js';
import { LOCK_FILE_NAME } from '../src/pglite-lock.js';
import { PGLITE_SETTINGS, pgliteStartParams } from '../src/open-pglite.js';

const workDir = mkdtempSync(join(tmpdir(), 'llm-lab-extract-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
/** The template the build makes (`pnpm run build` first). */
const builtTemplate = fileURLToPath(new URL('../dist/pglite-template.tar.gz', import.meta.url));

let folderCounter = 0;
const freshFolder = (): string => {
  folderCounter += 1;
  const folder = join(workDir, `f${folderCounter}`);
  mkdirSync(folder);
  return folder;
};

interface Entry {
  name: string;
  type?: string;
  mode?: number;
  data?: string | Buffer;
  prefix?: string;
}

/** A ustar header as dumpDataDir (tinytar) writes it; `corrupt` spoils the checksum. */
function header(entry: Entry, size: number, corrupt = false): Buffer {
  const block = Buffer.alloc(512);
  block.write(entry.name, 0, 100, 'utf8');
  block.write(`${(entry.mode ?? 0o640).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
  block.write(entry.type ?? '0', 156, 'latin1');
  block.write('ustar\u000000', 257, 'latin1');
  if (entry.prefix) block.write(entry.prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${(sum + (corrupt ? 1 : 0)).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** An uncompressed tar of `entries`, with the two zero blocks that end it unless `end` is false. */
function tar(entries: Entry[], options: { end?: boolean; corruptIndex?: number } = {}): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, index) => {
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : (entry.data ?? Buffer.alloc(0));
    parts.push(header(entry, data.length, index === options.corruptIndex), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  });
  if (options.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** `buffer` delivered in pieces of `size` bytes (headers then straddle chunk boundaries). */
async function* inChunks(buffer: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}

const writeGz = (name: string, content: Buffer): string => {
  const path = join(workDir, name);
  writeFileSync(path, gzipSync(content));
  return path;
};

/** Relative paths of every file and folder under `folder`, sorted. */
const listTree = (folder: string): string[] => (readdirSync(folder, { recursive: true }) as string[]).sort();

const big = Buffer.from(Array.from({ length: 70_000 }, (_, index) => (index * 7919) % 251));
const sample: Entry[] = [
  { name: '/', type: '5', mode: 0o750 },
  { name: '/pg_wal', type: '5', mode: 0o750 },
  { name: '/pg_wal/000000010000000000000001', mode: 0o600, data: big },
  { name: '/PG_VERSION', data: '18\n' },
  { name: '/global/pg_control', mode: 0o600, data: 'control' }, // its folder has no entry of its own
  { name: '/global', type: '5', mode: 0o750 }, // …until afterwards
  { name: '/empty', mode: 0o600, data: '' },
  { name: 'relative/name', data: 'no leading slash' },
  { name: '1213', prefix: 'base/1', data: 'ustar prefix' },
  { name: '/old-style', type: '\0', data: 'type NUL' },
];

describe('extractTar', () => {
  it.each([1, 7, 511, 512, 513, 65_536])('unpacks files and folders from chunks of %i bytes', async (size) => {
    const target = freshFolder();
    const stats = await extractTar(inChunks(tar(sample), size), target);
    expect(stats).toEqual({ files: 7, directories: 3, bytes: big.length + 3 + 7 + 16 + 12 + 8 });
    expect(listTree(target)).toEqual(
      [
        'PG_VERSION',
        'base',
        join('base', '1'),
        join('base', '1', '1213'),
        'empty',
        'global',
        join('global', 'pg_control'),
        'old-style',
        'pg_wal',
        join('pg_wal', '000000010000000000000001'),
        'relative',
        join('relative', 'name'),
      ].sort(),
    );
    expect(readFileSync(join(target, 'pg_wal', '000000010000000000000001')).equals(big)).toBe(true);
    expect(readFileSync(join(target, 'PG_VERSION'), 'utf8')).toBe('18\n');
    expect(readFileSync(join(target, 'base', '1', '1213'), 'utf8')).toBe('ustar prefix');
    expect(readFileSync(join(target, 'empty'), 'utf8')).toBe('');
    if (process.platform !== 'win32') {
      const umask = process.umask();
      expect(statSync(join(target, 'pg_wal', '000000010000000000000001')).mode & 0o777).toBe(0o600 & ~umask);
      expect(statSync(join(target, 'pg_wal')).mode & 0o777).toBe(0o750 & ~umask);
      expect(statSync(join(target, 'global')).mode & 0o777).toBe(0o750 & ~umask);
    }
  });

  it('ignores what follows the end-of-archive marker', async () => {
    const target = freshFolder();
    const archive = Buffer.concat([tar([{ name: '/a', data: 'a' }]), header({ name: '/after-the-end', data: 'x' }, 1)]);
    await extractTar(inChunks(archive, 4096), target);
    expect(listTree(target)).toEqual(['a']);
  });

  it.each([
    ['../escape', /leaves the target folder/],
    ['/../escape', /leaves the target folder/],
    ['a/../../escape', /leaves the target folder/],
    ['a\\..\\..\\escape', /unsafe name/],
  ])('refuses the path %s and writes nothing outside the target', async (name, message) => {
    const target = freshFolder();
    const archive = tar([{ name: '/fine', data: 'ok' }, { name, data: 'evil' }]);
    await expect(extractTar(inChunks(archive, 512), target)).rejects.toThrow(message);
    expect(readdirSync(target)).toEqual(['fine']);
    expect(existsSync(join(workDir, 'escape'))).toBe(false);
  });

  it.each([
    ['2', 'a symbolic link'],
    ['1', 'a hard link'],
    ['L', 'a GNU long name'],
    ['x', 'a pax header'],
  ])("refuses entry type '%s' (%s)", async (type) => {
    const archive = tar([{ name: '/link', type, data: 'target' }]);
    const failure = extractTar(inChunks(archive, 512), freshFolder());
    await expect(failure).rejects.toBeInstanceOf(TarError);
    await expect(failure).rejects.toThrow(`unsupported tar entry type '${type}'`);
  });

  it('refuses a header whose checksum does not match', async () => {
    const archive = tar([{ name: '/a', data: 'a' }, { name: '/b', data: 'b' }], { corruptIndex: 1 });
    await expect(extractTar(inChunks(archive, 512), freshFolder())).rejects.toThrow('checksum mismatch');
  });

  it('refuses an archive that is cut short, in a file or before the end marker', async () => {
    const whole = tar([{ name: '/a', data: big }]);
    await expect(extractTar(inChunks(whole.subarray(0, 40_000), 4096), freshFolder())).rejects.toThrow('ends before its end-of-archive marker');
    const unended = tar([{ name: '/a', data: 'a' }], { end: false });
    await expect(extractTar(inChunks(unended, 4096), freshFolder())).rejects.toThrow('ends before its end-of-archive marker');
  });
});

describe('extractTarGz', () => {
  it('unpacks a .tar.gz file', async () => {
    const target = freshFolder();
    await extractTarGz(writeGz('sample.tar.gz', tar(sample)), target);
    expect(readFileSync(join(target, 'pg_wal', '000000010000000000000001')).equals(big)).toBe(true);
    expect(listTree(target)).toContain(join('base', '1', '1213'));
  });

  it('rejects a damaged or missing archive', async () => {
    const damaged = join(workDir, 'damaged.tar.gz');
    writeFileSync(damaged, Buffer.from('definitely not gzip'));
    await expect(extractTarGz(damaged, freshFolder())).rejects.toThrow();
    await expect(extractTarGz(join(workDir, 'missing.tar.gz'), freshFolder())).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('unpackTemplate', () => {
  it('makes the folder a database, keeping the lock file and leaving no unpacking folder', async () => {
    const folder = freshFolder();
    writeFileSync(join(folder, LOCK_FILE_NAME), '{}');
    await unpackTemplate(writeGz('db.tar.gz', tar(sample)), folder);
    expect(readdirSync(folder).sort()).toEqual(
      ['PG_VERSION', 'base', 'empty', 'global', LOCK_FILE_NAME, 'old-style', 'pg_wal', 'relative'].sort(),
    );
  });

  it('leaves only the lock file when the archive fails half-way', async () => {
    const folder = freshFolder();
    writeFileSync(join(folder, LOCK_FILE_NAME), '{}');
    const whole = gzipSync(tar(sample));
    const truncated = join(workDir, 'truncated.tar.gz');
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(unpackTemplate(truncated, folder)).rejects.toThrow();
    expect(readdirSync(folder)).toEqual([LOCK_FILE_NAME]);
  });

  it('refuses an archive without PG_VERSION, and removes what it unpacked', async () => {
    const folder = freshFolder();
    await expect(unpackTemplate(writeGz('no-version.tar.gz', tar([{ name: '/base/1', data: 'x' }])), folder)).rejects.toThrow('no PG_VERSION');
    expect(readdirSync(folder)).toEqual([]);
  });

  it('unpacks the built template into a database PGlite opens with our settings', async () => {
    expect(existsSync(builtTemplate)).toBe(true); // run `pnpm run build` first
    const folder = freshFolder();
    await unpackTemplate(builtTemplate, folder);
    const client = await PGlite.create(folder, { relaxedDurability: true, startParams: pgliteStartParams(PGlite.defaultStartParams) });
    try {
      const settings = await client.query<{ name: string; setting: string }>(
        "SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name IN ('shared_buffers', 'wal_segment_size')",
      );
      expect(Object.fromEntries(settings.rows.map((row) => [row.name, row.setting]))).toEqual({
        shared_buffers: PGLITE_SETTINGS.find((setting) => setting.startsWith('shared_buffers='))?.split('=')[1],
        wal_segment_size: '1MB',
      });
      const journal = JSON.parse(readFileSync(join(fileURLToPath(new URL('../migrations/meta/_journal.json', import.meta.url))), 'utf8')) as {
        entries: unknown[];
      };
      const applied = await client.query<{ count: number }>('SELECT count(*)::int AS count FROM drizzle.__drizzle_migrations');
      expect(applied.rows[0]?.count).toBe(journal.entries.length);
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe('recoverInterruptedUnpack', () => {
  it('empties a folder whose unpacking was cut short before PG_VERSION, except the lock file', () => {
    const folder = freshFolder();
    writeFileSync(join(folder, LOCK_FILE_NAME), '{}');
    mkdirSync(join(folder, UNPACKING_DIR_NAME, 'base'), { recursive: true });
    mkdirSync(join(folder, 'global'));
    writeFileSync(join(folder, 'postgresql.conf'), '');
    recoverInterruptedUnpack(folder, LOCK_FILE_NAME);
    expect(readdirSync(folder)).toEqual([LOCK_FILE_NAME]);
  });

  it('only removes the leftover unpacking folder once PG_VERSION is in place', () => {
    const folder = freshFolder();
    mkdirSync(join(folder, UNPACKING_DIR_NAME));
    writeFileSync(join(folder, 'PG_VERSION'), '18\n');
    mkdirSync(join(folder, 'base'));
    recoverInterruptedUnpack(folder, LOCK_FILE_NAME);
    expect(readdirSync(folder).sort()).toEqual(['PG_VERSION', 'base']);
  });

  it('leaves a folder without an unpacking folder alone', () => {
    const folder = freshFolder();
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    recoverInterruptedUnpack(folder, LOCK_FILE_NAME);
    expect(readdirSync(folder)).toEqual(['notes.txt']);
  });
});
