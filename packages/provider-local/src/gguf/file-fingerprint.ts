import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** How much of each end of a model file {@link fileFingerprint} reads. */
export const FINGERPRINT_EDGE_BYTES = 1024 * 1024;

/**
 * A cheap fingerprint of a (multi-gigabyte) model file, for cache keys: the sha256 of its size,
 * its modification time, and its first and last MiB. Hashing a whole GGUF takes seconds per GB;
 * this reads 2 MiB. The first MiB holds the GGUF header and metadata (architecture, quantisation,
 * tokenizer), the last the final tensors, and the size changes with nearly any other
 * re-quantisation or conversion; the modification time catches a file rewritten in place at the
 * same size. A file copied with its time reset and the same ends and size would collide: a
 * case we accept for a cache key (`--no-cache` or clearing the cache covers it).
 */
export function fileFingerprint(path: string): string {
  const descriptor = openSync(path, 'r');
  try {
    const { size, mtimeMs } = fstatSync(descriptor);
    const hash = createHash('sha256').update(`${size}:${Math.trunc(mtimeMs)}:`);
    const edge = Math.min(FINGERPRINT_EDGE_BYTES, size);
    const buffer = Buffer.alloc(edge);
    hash.update(buffer.subarray(0, readSync(descriptor, buffer, 0, edge, 0)));
    if (size > edge) hash.update(buffer.subarray(0, readSync(descriptor, buffer, 0, edge, Math.max(edge, size - edge))));
    return `sha256:${hash.digest('hex')}`;
  } finally {
    closeSync(descriptor);
  }
}
