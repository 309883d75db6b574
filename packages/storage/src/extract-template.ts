import { chmodSync, closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';

/**
 * The folder, inside a new data folder, that the template is unpacked into before its entries
 * are moved into place (PG_VERSION last). While it exists the data folder is not a complete
 * database: a process that died half-way leaves it behind, and the next open starts over.
 */
export const UNPACKING_DIR_NAME = 'llm-lab.unpacking';

const BLOCK = 512;

/** An archive this reader cannot or will not unpack. */
export class TarError extends Error {
  override name = 'TarError';
}

/** The text of a NUL-terminated header field. */
function field(header: Buffer, start: number, length: number): string {
  const end = header.indexOf(0, start);
  return header.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

/** A numeric header field: octal digits, padded with spaces or NULs. */
function octal(header: Buffer, start: number, length: number, what: string): number {
  if ((header[start] ?? 0) & 0x80) throw new TarError(`unsupported base-256 ${what} in a tar header`);
  const text = field(header, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`invalid ${what} "${text}" in a tar header`);
  return Number.parseInt(text, 8);
}

/** The header's checksum: the sum of its bytes with the checksum field read as spaces. */
function checksumMatches(header: Buffer): boolean {
  let sum = 0;
  for (let index = 0; index < BLOCK; index += 1) sum += index >= 148 && index < 156 ? 0x20 : header[index]!;
  return sum === octal(header, 148, 8, 'checksum');
}

/**
 * The entry's path relative to the target, with leading slashes removed (dumpDataDir writes
 * `/global/1213`). Refuses paths that would leave the target: `..` segments or, after the strip,
 * anything that still resolves elsewhere (a drive letter on Windows, say).
 */
function safeRelativePath(name: string, target: string): string {
  if (name.includes('\\')) throw new TarError(`refusing tar entry with an unsafe name: ${JSON.stringify(name)}`);
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.length === 0) return '';
  if (segments.includes('..')) throw new TarError(`refusing tar entry that leaves the target folder: ${JSON.stringify(name)}`);
  const relative = segments.join(sep);
  const root = resolve(target);
  if (!resolve(root, relative).startsWith(root + sep)) {
    throw new TarError(`refusing tar entry that leaves the target folder: ${JSON.stringify(name)}`);
  }
  return relative;
}

/**
 * Unpacks a gzip-compressed ustar archive into `target`, streaming (the archive is never held
 * in memory whole); see {@link extractTar}. The inflating runs on libuv's thread pool.
 */
export async function extractTarGz(archive: string, target: string): Promise<ExtractStats> {
  const input = createReadStream(archive, { highWaterMark: 256 * 1024 });
  const gunzip = createGunzip({ chunkSize: 128 * 1024 });
  input.on('error', (error) => gunzip.destroy(error));
  try {
    return await extractTar(input.pipe(gunzip), target);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

/** What {@link extractTar} wrote. */
export interface ExtractStats {
  files: number;
  directories: number;
  bytes: number;
}

/**
 * Unpacks an uncompressed ustar archive, read as a sequence of chunks of any sizes, into
 * `target` (an existing folder). Handles what PGlite's dumpDataDir writes: regular files ('0',
 * or NUL in old archives) and directories ('5'), with leading slashes stripped, and the ustar
 * name prefix. Permission bits are kept (at least owner read/write, and search on folders; the
 * umask applies); owners and times are not. Any other entry type (links, devices, GNU long
 * names, pax headers: the dump has none) is refused with a {@link TarError}, as are paths that
 * leave `target`, bad header checksums and archives cut short. Files are written with
 * synchronous calls, one small write per chunk.
 */
export async function extractTar(chunks: AsyncIterable<Buffer>, target: string): Promise<ExtractStats> {
  const root = resolve(target);
  const made = new Set<string>([root]);
  const ensureDirectory = (path: string, mode = 0o700): void => {
    if (made.has(path)) return;
    mkdirSync(path, { recursive: true, mode });
    made.add(path);
  };
  const stats: ExtractStats = { files: 0, directories: 0, bytes: 0 };

  let header = Buffer.alloc(0); // a partly received header
  let descriptor: number | undefined; // the file being written
  let remaining = 0; // data bytes of the current file still to come
  let padding = 0; // bytes after the data up to the next block
  let ended = false;

  const finishFile = (): void => {
    if (descriptor !== undefined) closeSync(descriptor);
    descriptor = undefined;
  };

  const startEntry = (block: Buffer): void => {
    if (block.every((byte) => byte === 0)) {
      ended = true; // end-of-archive marker
      return;
    }
    if (!checksumMatches(block)) throw new TarError('tar header checksum mismatch: the archive is damaged');
    const type = String.fromCharCode(block[156]!);
    const magic = block.toString('latin1', 257, 262);
    const prefix = magic === 'ustar' ? field(block, 345, 155) : '';
    const name = prefix === '' ? field(block, 0, 100) : `${prefix}/${field(block, 0, 100)}`;
    const size = octal(block, 124, 12, 'size');
    const mode = octal(block, 100, 8, 'mode') & 0o777;
    if (type !== '0' && type !== '\0' && type !== '5') {
      throw new TarError(`unsupported tar entry type '${type}' for ${JSON.stringify(name)} (only files and folders are unpacked)`);
    }
    const relative = safeRelativePath(name, root);
    const path = relative === '' ? root : join(root, relative);
    if (type === '5') {
      if (made.has(path) && path !== root) chmodSync(path, mode | 0o700); // made earlier as a parent
      else ensureDirectory(path, mode | 0o700);
      stats.directories += 1;
      return;
    }
    if (relative === '') throw new TarError('tar file entry without a name');
    ensureDirectory(dirname(path));
    descriptor = openSync(path, 'w', mode | 0o600);
    remaining = size;
    padding = (BLOCK - (size % BLOCK)) % BLOCK;
    stats.files += 1;
    stats.bytes += size;
    if (remaining === 0) finishFile();
  };

  try {
    for await (const chunk of chunks) {
      let offset = 0;
      while (offset < chunk.length && !ended) {
        if (remaining > 0) {
          const take = Math.min(remaining, chunk.length - offset);
          let written = 0;
          while (written < take) written += writeSync(descriptor!, chunk, offset + written, take - written);
          offset += take;
          remaining -= take;
          if (remaining === 0) finishFile();
        } else if (padding > 0) {
          const skip = Math.min(padding, chunk.length - offset);
          offset += skip;
          padding -= skip;
        } else if (header.length === 0 && chunk.length - offset >= BLOCK) {
          startEntry(chunk.subarray(offset, offset + BLOCK));
          offset += BLOCK;
        } else {
          const take = Math.min(BLOCK - header.length, chunk.length - offset);
          header = Buffer.concat([header, chunk.subarray(offset, offset + take)]);
          offset += take;
          if (header.length === BLOCK) {
            const block = header;
            header = Buffer.alloc(0);
            startEntry(block);
          }
        }
      }
      if (ended) break; // whatever follows the end-of-archive marker is ignored
    }
  } finally {
    finishFile();
  }
  if (!ended) throw new TarError('the tar archive ends before its end-of-archive marker: it is incomplete');
  return stats;
}

/**
 * Makes `folder` (empty apart from the lock file) a database by unpacking the template
 * `archive`: into {@link UNPACKING_DIR_NAME} first, then each entry renamed into `folder`, with
 * PG_VERSION (what marks a folder as a database) last. On failure everything it put there is
 * removed again; if the process dies instead, {@link recoverInterruptedUnpack} cleans up on the
 * next open. Nothing is fsynced: PGlite runs PostgreSQL with fsync off (`-F`) in any case.
 */
export async function unpackTemplate(archive: string, folder: string): Promise<void> {
  const staging = join(folder, UNPACKING_DIR_NAME);
  const moved: string[] = [];
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { mode: 0o700 });
  try {
    await extractTarGz(archive, staging);
    const names = readdirSync(staging);
    if (!names.includes('PG_VERSION')) throw new TarError('the template holds no PG_VERSION: it is not a database');
    for (const name of [...names.filter((entry) => entry !== 'PG_VERSION'), 'PG_VERSION']) {
      if (existsSync(join(folder, name))) throw new Error(`${join(folder, name)} is in the way of the new database`);
      renameSync(join(staging, name), join(folder, name));
      moved.push(name);
    }
  } catch (error) {
    for (const name of moved) rmSync(join(folder, name), { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  rmSync(staging, { recursive: true, force: true });
}

/**
 * Cleans up after a process that died while unpacking the template into `folder` (its
 * {@link UNPACKING_DIR_NAME} is still there). Without PG_VERSION the database was never
 * complete: every entry but `keep` (the lock file, held by the caller) is removed, so the folder
 * is new again. With PG_VERSION only the emptied unpacking folder remained; it is removed.
 */
export function recoverInterruptedUnpack(folder: string, keep: string | readonly string[] | ((name: string) => boolean)): void {
  if (!existsSync(join(folder, UNPACKING_DIR_NAME))) return;
  const kept = typeof keep === 'function' ? keep : (name: string) => (typeof keep === 'string' ? [keep] : keep).includes(name);
  if (!existsSync(join(folder, 'PG_VERSION'))) {
    for (const name of readdirSync(folder)) if (!kept(name)) rmSync(join(folder, name), { recursive: true, force: true });
  }
  rmSync(join(folder, UNPACKING_DIR_NAME), { recursive: true, force: true });
}
