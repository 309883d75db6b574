import { open, type FileHandle } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import type { AsyncBuffer, Compressors, FileMetaData } from 'hyparquet';

/** hyparquet is loaded on first use: most runs read no Parquet. */
const hyparquet = () => import('hyparquet');
import type { RawRecord } from './types.js';

/** An AsyncBuffer that reads byte ranges of an open file on demand (never the whole file). */
function fileHandleBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end: number = size): Promise<ArrayBuffer> {
      const length = Math.max(0, Math.min(end, size) - start);
      const bytes = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(bytes, filled, length - filled, start + filled);
        if (bytesRead === 0) throw new Error(`the Parquet file ended early: wanted bytes ${start}-${end} of ${size}`);
        filled += bytesRead;
      }
      return bytes.buffer;
    },
  };
}

/** Decompressors beyond hyparquet's built-in Snappy, from node:zlib. */
function zlibCompressors(): Compressors {
  const compressors: Compressors = {
    GZIP: (input) => zlib.gunzipSync(input),
    BROTLI: (input) => zlib.brotliDecompressSync(input),
  };
  // node:zlib has zstd from Node 22.15; on older Node a ZSTD column fails with hyparquet's own message.
  const zstd = (zlib as unknown as { zstdDecompressSync?: (input: Uint8Array) => Buffer }).zstdDecompressSync;
  if (zstd) compressors.ZSTD = (input) => zstd(input);
  return compressors;
}

/**
 * Parquet values as plain JSON-friendly values: 64-bit integers become numbers (strings when
 * beyond 2^53), binary becomes base64, nested lists and structs are converted recursively.
 */
export function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const source = value as Record<string, unknown>;
    const plain: Record<string, unknown> = {};
    for (const key of Object.keys(source)) plain[key] = plainValue(source[key]);
    return plain;
  }
  return value;
}

/** Opens `file` and reads its footer metadata; `close` releases the file handle. */
async function openParquet(file: string): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData; close: () => Promise<void> }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = fileHandleBuffer(handle, size);
    const metadata = await (await hyparquet()).parquetMetadataAsync(buffer);
    return { buffer, metadata, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw new Error(`not a readable Parquet file (${(error as Error).message})`, { cause: error });
  }
}

/**
 * Reads a Parquet file with hyparquet, one row group at a time through a file-handle AsyncBuffer,
 * so memory holds one row group, not the file. Rows are yielded in file order; `line` is the
 * 1-based row number in the file. Values are converted with {@link plainValue}.
 */
export async function* readParquet(file: string): AsyncGenerator<RawRecord> {
  const { buffer, metadata, close } = await openParquet(file);
  try {
    const compressors = zlibCompressors();
    let rowStart = 0;
    for (const rowGroup of metadata.row_groups) {
      const rowEnd = rowStart + Number(rowGroup.num_rows);
      const rows = await (await hyparquet()).parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, compressors });
      for (const [offset, row] of rows.entries()) {
        yield { kind: 'row', line: rowStart + offset + 1, row: plainValue(row) as Record<string, unknown> };
      }
      rowStart = rowEnd;
    }
  } finally {
    await close();
  }
}

/** The row count from a Parquet file's footer (no data pages are read). */
export async function countParquetRows(file: string): Promise<number> {
  const { metadata, close } = await openParquet(file);
  await close();
  return Number(metadata.num_rows);
}
