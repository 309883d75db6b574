import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** The first bytes of every gzip stream (RFC 1952). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;
/** The first (and last) bytes of every Parquet file. */
const PARQUET_MAGIC = 'PAR1';

/** The first `count` bytes of `file` (fewer when the file is shorter). */
export async function peekBytes(file: string, count: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(count);
    const { bytesRead } = await handle.read(buffer, 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** True when `head` starts with the gzip magic bytes. */
export function isGzipHeader(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/** True when `head` starts with the Parquet magic bytes. */
export function isParquetHeader(head: Uint8Array): boolean {
  return head.length >= 4 && Buffer.from(head.subarray(0, 4)).toString('latin1') === PARQUET_MAGIC;
}

/**
 * The bytes of `file` as a stream, decompressed through a zlib gunzip stream when the file starts
 * with the gzip magic bytes (whatever its extension says). Read errors and corrupt gzip data are
 * emitted as stream errors. Destroying the returned stream closes the file.
 */
export async function openByteStream(file: string): Promise<Readable> {
  const gzipped = isGzipHeader(await peekBytes(file, 2));
  const input = createReadStream(file);
  if (!gzipped) return input;
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => input.destroy());
  return input.pipe(gunzip);
}
