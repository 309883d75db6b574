import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Small GGUF writers for tests (format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md).
 * No npm package writes GGUF files; these write only what the tests need: string and uint32
 * metadata values, and a copy of a real model with metadata added.
 */

const u32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
};
const u64 = (value: number) => {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
};
const ggufString = (value: string) => Buffer.concat([u64(Buffer.byteLength(value)), Buffer.from(value)]);

/** One metadata entry: a string value (type 8) or a uint32 (type 4). */
function metadataEntry(key: string, value: string | number): Buffer {
  return typeof value === 'string' ? Buffer.concat([ggufString(key), u32(8), ggufString(value)]) : Buffer.concat([ggufString(key), u32(4), u32(value)]);
}

/** Writes a minimal GGUF header (no tensors) with the given string and uint32 keys, plus a token array to skip. */
export function writeGgufFixture(path: string, entries: Array<[string, string | number]>): void {
  const parts: Buffer[] = [Buffer.from('GGUF'), u32(3), u64(0), u64(entries.length + 1)];
  for (const [key, value] of entries) parts.push(metadataEntry(key, value));
  // tokenizer.ggml.tokens: an array of 3 strings, which the reader must skip
  parts.push(ggufString('tokenizer.ggml.tokens'), u32(9), u32(8), u64(3), ggufString('<s>'), ggufString('</s>'), ggufString('hello'));
  writeFileSync(path, Buffer.concat(parts));
}

const SCALAR_SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Walks a GGUF file's header, giving the byte ranges the copy needs. */
class HeaderWalker {
  offset = 0;
  constructor(readonly data: Buffer) {}
  u32(): number {
    const value = this.data.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }
  u64(): number {
    const value = Number(this.data.readBigUInt64LE(this.offset));
    this.offset += 8;
    return value;
  }
  string(): string {
    const length = this.u64();
    const value = this.data.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  value(type: number): unknown {
    if (type === 8) return this.string();
    if (type === 9) {
      const itemType = this.u32();
      const count = this.u64();
      for (let index = 0; index < count; index++) this.value(itemType);
      return undefined;
    }
    const size = SCALAR_SIZES[type];
    if (size === undefined) throw new Error(`unknown GGUF value type ${type}`);
    const value = type === 4 ? this.data.readUInt32LE(this.offset) : undefined;
    this.offset += size;
    return value;
  }
}

/**
 * Copies the GGUF model at `source` to `destination` with metadata entries added (an existing key
 * is replaced): the header is rewritten, the tensor descriptions and tensor data are copied
 * byte for byte (tensor offsets are relative to the data section, which stays aligned).
 */
export function copyGgufWithMetadata(source: string, destination: string, entries: Record<string, string | number>): void {
  const data = readFileSync(source);
  const walker = new HeaderWalker(data);
  if (data.toString('latin1', 0, 4) !== 'GGUF') throw new Error(`${source} is not a GGUF file`);
  walker.offset = 4;
  const version = walker.u32();
  const tensorCount = walker.u64();
  const entryCount = walker.u64();
  const kept: Buffer[] = [];
  let alignment = 32;
  for (let index = 0; index < entryCount; index++) {
    const start = walker.offset;
    const key = walker.string();
    const value = walker.value(walker.u32());
    if (key === 'general.alignment' && typeof value === 'number') alignment = value;
    if (!(key in entries)) kept.push(data.subarray(start, walker.offset));
  }
  const tensorsStart = walker.offset;
  for (let index = 0; index < tensorCount; index++) {
    walker.string();
    const dimensions = walker.u32();
    walker.offset += 8 * dimensions + 4 + 8; // dimensions, type, offset
  }
  const tensorInfos = data.subarray(tensorsStart, walker.offset);
  const dataStart = Math.ceil(walker.offset / alignment) * alignment;
  const added = Object.entries(entries).map(([key, value]) => metadataEntry(key, value));
  const header = Buffer.concat([Buffer.from('GGUF'), u32(version), u64(tensorCount), u64(kept.length + added.length), ...kept, ...added, tensorInfos]);
  const padding = Buffer.alloc((alignment - (header.length % alignment)) % alignment);
  writeFileSync(destination, Buffer.concat([header, padding, data.subarray(dataStart)]));
}
