/**
 * A minimal Parquet writer for tests (hyparquet-writer and pyarrow are not installed): flat
 * schemas of string, int64, double and boolean columns, PLAIN encoding, v1 data pages, one page
 * per column chunk, uncompressed or GZIP, any number of row groups, optional (nullable) columns.
 * The file layout and Thrift compact encoding follow the Apache Parquet format spec.
 */
import { gzipSync } from 'node:zlib';

export type ParquetColumnType = 'string' | 'int64' | 'double' | 'boolean';
export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
  /** Allow nulls (an OPTIONAL column). Default false. */
  optional?: boolean;
}
export type ParquetCell = string | number | bigint | boolean | null;

const PHYSICAL_TYPE: Record<ParquetColumnType, number> = { boolean: 0, int64: 2, double: 5, string: 6 };
const CODEC = { UNCOMPRESSED: 0, GZIP: 2 } as const;

// Thrift compact protocol type ids.
const T_I32 = 5;
const T_I64 = 6;
const T_BINARY = 8;
const T_LIST = 9;
const T_STRUCT = 12;

class ThriftWriter {
  readonly bytes: number[] = [];
  private lastField: number[] = [0];

  private varint(value: bigint): void {
    let rest = value;
    while (rest >= 0x80n) {
      this.bytes.push(Number((rest & 0x7fn) | 0x80n));
      rest >>= 7n;
    }
    this.bytes.push(Number(rest));
  }

  private zigzag(value: bigint): void {
    this.varint(value >= 0n ? value << 1n : (-value << 1n) - 1n);
  }

  private header(field: number, type: number): void {
    const last = this.lastField[this.lastField.length - 1] as number;
    const delta = field - last;
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(BigInt(field));
    }
    this.lastField[this.lastField.length - 1] = field;
  }

  i32(field: number, value: number): this {
    this.header(field, T_I32);
    this.zigzag(BigInt(value));
    return this;
  }

  i64(field: number, value: number | bigint): this {
    this.header(field, T_I64);
    this.zigzag(BigInt(value));
    return this;
  }

  string(field: number, value: string): this {
    this.header(field, T_BINARY);
    const encoded = Buffer.from(value, 'utf8');
    this.varint(BigInt(encoded.length));
    this.bytes.push(...encoded);
    return this;
  }

  private listHeader(size: number, elementType: number): void {
    if (size < 15) this.bytes.push((size << 4) | elementType);
    else {
      this.bytes.push(0xf0 | elementType);
      this.varint(BigInt(size));
    }
  }

  i32List(field: number, values: number[]): this {
    this.header(field, T_LIST);
    this.listHeader(values.length, T_I32);
    for (const value of values) this.zigzag(BigInt(value));
    return this;
  }

  stringList(field: number, values: string[]): this {
    this.header(field, T_LIST);
    this.listHeader(values.length, T_BINARY);
    for (const value of values) {
      const encoded = Buffer.from(value, 'utf8');
      this.varint(BigInt(encoded.length));
      this.bytes.push(...encoded);
    }
    return this;
  }

  struct(field: number, write: (writer: this) => void): this {
    this.header(field, T_STRUCT);
    this.structBody(write);
    return this;
  }

  structList<T>(field: number, items: T[], write: (writer: this, item: T) => void): this {
    this.header(field, T_LIST);
    this.listHeader(items.length, T_STRUCT);
    for (const item of items) this.structBody((writer) => write(writer, item));
    return this;
  }

  private structBody(write: (writer: this) => void): void {
    this.lastField.push(0);
    write(this);
    this.bytes.push(0);
    this.lastField.pop();
  }

  /** Ends the top-level struct. */
  end(): Buffer {
    this.bytes.push(0);
    return Buffer.from(this.bytes);
  }
}

function plainValues(type: ParquetColumnType, values: Array<Exclude<ParquetCell, null>>): Buffer {
  switch (type) {
    case 'string':
      return Buffer.concat(
        values.map((value) => {
          const encoded = Buffer.from(String(value), 'utf8');
          const length = Buffer.alloc(4);
          length.writeUInt32LE(encoded.length);
          return Buffer.concat([length, encoded]);
        }),
      );
    case 'int64':
      return Buffer.concat(
        values.map((value) => {
          const buffer = Buffer.alloc(8);
          buffer.writeBigInt64LE(BigInt(value as number | bigint));
          return buffer;
        }),
      );
    case 'double':
      return Buffer.concat(
        values.map((value) => {
          const buffer = Buffer.alloc(8);
          buffer.writeDoubleLE(value as number);
          return buffer;
        }),
      );
    case 'boolean': {
      const buffer = Buffer.alloc(Math.ceil(values.length / 8));
      values.forEach((value, index) => {
        if (value) buffer[index >> 3] = (buffer[index >> 3] as number) | (1 << (index & 7));
      });
      return buffer;
    }
  }
}

/** Definition levels (1 = present) as RLE runs of bit width 1, with the v1 page's 4-byte length prefix. */
function definitionLevels(cells: ParquetCell[]): Buffer {
  const runs: number[] = [];
  let index = 0;
  while (index < cells.length) {
    const level = cells[index] === null ? 0 : 1;
    let length = 0;
    while (index < cells.length && (cells[index] === null ? 0 : 1) === level) {
      length++;
      index++;
    }
    let header = length << 1;
    while (header >= 0x80) {
      runs.push((header & 0x7f) | 0x80);
      header >>>= 7;
    }
    runs.push(header, level);
  }
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(runs.length);
  return Buffer.concat([prefix, Buffer.from(runs)]);
}

/** Parquet file bytes for `rows`, split into row groups of `rowGroupSize` rows. */
export function writeParquet(
  columns: ParquetColumn[],
  rows: Array<Record<string, ParquetCell>>,
  options: { rowGroupSize?: number; codec?: keyof typeof CODEC } = {},
): Buffer {
  const rowGroupSize = options.rowGroupSize ?? Math.max(rows.length, 1);
  const codec = CODEC[options.codec ?? 'UNCOMPRESSED'];
  const parts: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const rowGroups: Array<{ rows: number; bytes: number; chunks: Array<{ column: ParquetColumn; offset: number; size: number; values: number }> }> = [];

  for (let start = 0; start < rows.length || (start === 0 && rows.length === 0); start += rowGroupSize) {
    const groupRows = rows.slice(start, start + rowGroupSize);
    const chunks = [];
    let groupBytes = 0;
    for (const column of columns) {
      const cells = groupRows.map((row) => row[column.name] ?? null);
      if (!column.optional && cells.includes(null)) throw new Error(`column ${column.name} is required but a row has no value`);
      const present = cells.filter((cell): cell is Exclude<ParquetCell, null> => cell !== null);
      const raw = Buffer.concat([column.optional ? definitionLevels(cells) : Buffer.alloc(0), plainValues(column.type, present)]);
      const body = codec === CODEC.GZIP ? gzipSync(raw) : raw;
      const header = new ThriftWriter()
        .i32(1, 0) // DATA_PAGE
        .i32(2, raw.length)
        .i32(3, body.length)
        .struct(5, (page) => page.i32(1, cells.length).i32(2, 0).i32(3, 3).i32(4, 3))
        .end();
      parts.push(header, body);
      chunks.push({ column, offset, size: header.length + body.length, values: cells.length });
      offset += header.length + body.length;
      groupBytes += header.length + body.length;
    }
    rowGroups.push({ rows: groupRows.length, bytes: groupBytes, chunks });
    if (rows.length === 0) break;
  }

  const footer = new ThriftWriter()
    .i32(1, 1)
    .structList(2, [undefined, ...columns], (element, column) => {
      if (column === undefined) {
        element.string(4, 'schema').i32(5, columns.length);
        return;
      }
      element.i32(1, PHYSICAL_TYPE[column.type]).i32(3, column.optional ? 1 : 0).string(4, column.name);
      if (column.type === 'string') element.i32(6, 0); // UTF8
    })
    .i64(3, rows.length)
    .structList(4, rowGroups, (group, rowGroup) => {
      group
        .structList(1, rowGroup.chunks, (chunk, { column, offset: chunkOffset, size, values }) => {
          chunk.i64(2, chunkOffset).struct(3, (meta) =>
            meta
              .i32(1, PHYSICAL_TYPE[column.type])
              .i32List(2, [0, 3])
              .stringList(3, [column.name])
              .i32(4, codec)
              .i64(5, values)
              .i64(6, size)
              .i64(7, size)
              .i64(9, chunkOffset),
          );
        })
        .i64(2, rowGroup.bytes)
        .i64(3, rowGroup.rows);
    })
    .string(6, 'llm-lab test parquet writer')
    .end();
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footer.length);
  parts.push(footer, length, Buffer.from('PAR1'));
  return Buffer.concat(parts);
}
