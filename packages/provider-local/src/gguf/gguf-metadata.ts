import { closeSync, openSync, readSync } from 'node:fs';

/** The facts LLM Lab reads from a GGUF file's header. */
export interface GgufMetadata {
  /** GGUF format version. */
  version: number;
  /** `general.architecture`, e.g. `llama`. */
  architecture?: string;
  /** `general.name`. */
  name?: string;
  /** `<architecture>.context_length`: the context the model was trained with, in tokens. */
  contextLength?: number;
  /** Whether `tokenizer.chat_template` is present (a chat model's Jinja template; `promptFormat: chat-template` needs it). */
  hasChatTemplate?: boolean;
}

const VALUE_SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Reads a file front to back through a small buffer. */
class SequentialReader {
  private buffer = Buffer.alloc(0);
  private position = 0;
  constructor(private readonly fd: number) {}

  private need(bytes: number): void {
    if (this.buffer.length >= bytes) return;
    const chunk = Buffer.alloc(Math.max(bytes - this.buffer.length, 64 * 1024));
    const read = readSync(this.fd, chunk, 0, chunk.length, this.position);
    this.position += read;
    this.buffer = Buffer.concat([this.buffer, chunk.subarray(0, read)]);
    if (this.buffer.length < bytes) throw new Error('the file ends inside its GGUF header');
  }

  take(bytes: number): Buffer {
    this.need(bytes);
    const taken = this.buffer.subarray(0, bytes);
    this.buffer = this.buffer.subarray(bytes);
    return taken;
  }

  u32(): number {
    return this.take(4).readUInt32LE(0);
  }

  u64(): number {
    return Number(this.take(8).readBigUInt64LE(0));
  }

  string(): string {
    return this.take(this.u64()).toString('utf8');
  }

  skip(bytes: number): void {
    while (bytes > 0) {
      const step = Math.min(bytes, 1024 * 1024);
      this.take(step);
      bytes -= step;
    }
  }
}

function readValue(reader: SequentialReader, type: number): unknown {
  switch (type) {
    case 0: return reader.take(1).readUInt8(0);
    case 1: return reader.take(1).readInt8(0);
    case 2: return reader.take(2).readUInt16LE(0);
    case 3: return reader.take(2).readInt16LE(0);
    case 4: return reader.u32();
    case 5: return reader.take(4).readInt32LE(0);
    case 6: return reader.take(4).readFloatLE(0);
    case 7: return reader.take(1).readUInt8(0) !== 0;
    case 8: return reader.string();
    case 10: return reader.u64();
    case 11: return Number(reader.take(8).readBigInt64LE(0));
    case 12: return reader.take(8).readDoubleLE(0);
    case 9: {
      const itemType = reader.u32();
      const length = reader.u64();
      const size = VALUE_SIZES[itemType];
      if (size !== undefined) reader.skip(size * length);
      else for (let index = 0; index < length; index++) readValue(reader, itemType);
      return undefined; // arrays (vocabularies) are skipped, not kept
    }
    default:
      throw new Error(`unknown GGUF value type ${type}`);
  }
}

/**
 * Reads the architecture, name, training context length and whether there is a chat template from
 * a GGUF file's header without loading the model (and without node-llama-cpp): every metadata entry
 * is read, arrays (the vocabulary) skipped, the tensors not at all. Throws an
 * Error saying why when the file is not GGUF.
 */
export function readGgufMetadata(path: string): GgufMetadata {
  const fd = openSync(path, 'r');
  try {
    const reader = new SequentialReader(fd);
    const magic = reader.take(4).toString('latin1');
    if (magic !== 'GGUF') throw new Error(`'${path}' is not a GGUF file (it starts with ${JSON.stringify(magic)}, not "GGUF")`);
    const metadata: GgufMetadata = { version: reader.u32() };
    reader.u64(); // tensor count
    const count = reader.u64();
    for (let index = 0; index < count; index++) {
      const key = reader.string();
      const value = readValue(reader, reader.u32());
      if (key === 'general.architecture' && typeof value === 'string') metadata.architecture = value;
      else if (key === 'general.name' && typeof value === 'string') metadata.name = value;
      else if (key === 'tokenizer.chat_template') metadata.hasChatTemplate = true;
      else if (key.endsWith('.context_length') && typeof value === 'number' && (metadata.architecture === undefined || key === `${metadata.architecture}.context_length`)) {
        metadata.contextLength = value;
      }
    }
    metadata.hasChatTemplate ??= false;
    return metadata;
  } finally {
    closeSync(fd);
  }
}
