// A Parquet file's footer, read without the file: the last 8 bytes say how long the footer is
// (little-endian u32, then "PAR1"), a second ranged read fetches it, and this decodes the
// FileMetaData it holds (Thrift compact protocol) into a schema and a row-group summary.
// Only the fields the preview shows are picked out; everything else is skipped, so newer
// writers' extra fields do no harm. Malformed input throws a ParquetError, never loops.

export class ParquetError extends Error {}

export interface ParquetColumn { path: string; depth: number; physical: string; logical: string; repetition: string; }
export interface ParquetRowGroup { rows: number; bytes: number; compressed: number; codecs: string[]; }
export interface ParquetSummary {
  rows: number;
  version: number;
  createdBy: string | null;
  columns: ParquetColumn[];
  rowGroups: ParquetRowGroup[];
  footerBytes: number;
}

/** The footer length a file's last 8 bytes announce. */
export function footerLength(tail: Uint8Array): number {
  if (tail.length !== 8) throw new ParquetError('need the last 8 bytes of the file');
  if (String.fromCharCode(...tail.subarray(4)) !== 'PAR1') throw new ParquetError('not a Parquet file (no PAR1 at its end)');
  return new DataView(tail.buffer, tail.byteOffset, 8).getUint32(0, true);
}

// Thrift compact protocol: a struct is a map from field id to value.
type Value = number | bigint | boolean | Uint8Array | Value[] | Struct | Map<Value, Value>;
type Struct = Map<number, Value>;
const MAX_DEPTH = 64;

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new ParquetError('footer ends in the middle of a value');
    return this.buf[this.pos++] as number;
  }
  varint(): bigint {
    let out = 0n, shift = 0n;
    for (;;) {
      const b = this.byte();
      out |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return out;
      shift += 7n;
      if (shift > 63n) throw new ParquetError('varint longer than 64 bits');
    }
  }
  zigzag(): bigint { const v = this.varint(); return (v >> 1n) ^ -(v & 1n); }
  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) throw new ParquetError('a length points past the footer');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  value(type: number, depth: number): Value {
    if (depth > MAX_DEPTH) throw new ParquetError('values nested too deeply');
    switch (type) {
      case 1: return true;
      case 2: return false;
      case 3: return (this.byte() << 24) >> 24;
      case 4: case 5: return Number(this.zigzag());
      case 6: return this.zigzag();
      case 7: this.bytes(8); return 0; // doubles: no field the preview reads
      case 8: return this.bytes(Number(this.varint()));
      case 9: case 10: {
        const head = this.byte();
        const size = head >> 4 === 15 ? Number(this.varint()) : head >> 4;
        const et = head & 15;
        if (size > this.buf.length - this.pos) throw new ParquetError('a list longer than the footer');
        const out: Value[] = [];
        // Booleans in a list are one byte each, 1 for true.
        for (let i = 0; i < size; i++) out.push(et === 1 || et === 2 ? this.byte() === 1 : this.value(et, depth + 1));
        return out;
      }
      case 11: {
        const size = Number(this.varint());
        const out = new Map<Value, Value>();
        if (size === 0) return out;
        if (size > this.buf.length - this.pos) throw new ParquetError('a map longer than the footer');
        const kv = this.byte();
        for (let i = 0; i < size; i++) out.set(this.value(kv >> 4, depth + 1), this.value(kv & 15, depth + 1));
        return out;
      }
      case 12: return this.struct(depth + 1);
      default: throw new ParquetError(`unknown Thrift type ${type}`);
    }
  }
  struct(depth = 0): Struct {
    const out: Struct = new Map();
    let id = 0;
    for (;;) {
      const head = this.byte();
      if (head === 0) return out;
      const delta = head >> 4;
      id = delta ? id + delta : Number(this.zigzag());
      out.set(id, this.value(head & 15, depth));
    }
  }
}

const PHYSICAL = ['BOOLEAN', 'INT32', 'INT64', 'INT96', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY'];
const REPETITION = ['required', 'optional', 'repeated'];
const CODEC = ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'LZO', 'BROTLI', 'LZ4', 'ZSTD', 'LZ4_RAW'];
const CONVERTED = ['UTF8', 'MAP', 'MAP_KEY_VALUE', 'LIST', 'ENUM', 'DECIMAL', 'DATE', 'TIME_MILLIS', 'TIME_MICROS',
  'TIMESTAMP_MILLIS', 'TIMESTAMP_MICROS', 'UINT_8', 'UINT_16', 'UINT_32', 'UINT_64', 'INT_8', 'INT_16', 'INT_32',
  'INT_64', 'JSON', 'BSON', 'INTERVAL'];
// LogicalType is a union: the id of its one field names it.
const LOGICAL: Record<number, string> = { 1: 'STRING', 2: 'MAP', 3: 'LIST', 4: 'ENUM', 5: 'DECIMAL', 6: 'DATE', 7: 'TIME',
  8: 'TIMESTAMP', 10: 'INTEGER', 11: 'NULL', 12: 'JSON', 13: 'BSON', 14: 'UUID', 15: 'FLOAT16', 16: 'VARIANT', 17: 'GEOMETRY', 18: 'GEOGRAPHY' };
const UNITS: Record<number, string> = { 1: 'ms', 2: 'µs', 3: 'ns' };

const num = (v: Value | undefined): number | null => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null);
const text = (v: Value | undefined): string | null => (v instanceof Uint8Array ? new TextDecoder().decode(v) : null);
const list = (v: Value | undefined): Value[] => (Array.isArray(v) ? v : []);
const struct = (v: Value | undefined): Struct | null => (v instanceof Map && ![...v.keys()].some((k) => typeof k !== 'number') ? (v as Struct) : null);
const named = (names: readonly string[], v: Value | undefined) => { const n = num(v); return n === null ? '' : names[n] ?? `#${n}`; };

function logical(el: Struct): string {
  const lt = struct(el.get(10));
  if (lt && lt.size) {
    const [id, body] = [...lt.entries()][0] as [number, Value];
    const name = LOGICAL[id] ?? `#${id}`;
    const b = struct(body);
    if (id === 8 && b) { // TIMESTAMP(isAdjustedToUTC, unit)
      const unit = struct(b.get(2));
      const u = unit && unit.size ? UNITS[[...unit.keys()][0] as number] ?? '' : '';
      return `TIMESTAMP(${u}${b.get(1) === true ? ', UTC' : ''})`;
    }
    if (id === 10 && b) return `INT(${num(b.get(1)) ?? '?'}, ${b.get(2) === true ? 'signed' : 'unsigned'})`;
    if (id === 5 && b) return `DECIMAL(${num(b.get(2)) ?? '?'}, ${num(b.get(1)) ?? '?'})`;
    return name;
  }
  const c = el.get(6);
  return c === undefined ? '' : named(CONVERTED, c);
}

/** Decodes a FileMetaData footer (the bytes between the data and the final length + "PAR1"). */
export function parseFooter(footer: Uint8Array): ParquetSummary {
  const fm = new Reader(footer).struct();
  const schema = list(fm.get(2)).map((v) => struct(v)).filter((s): s is Struct => s !== null);
  if (!schema.length) throw new ParquetError('the footer has no schema');
  // The schema is a depth-first flattening of a tree: num_children says how many follow.
  const columns: ParquetColumn[] = [];
  const stack: { left: number; path: string }[] = [];
  for (const [i, el] of schema.entries()) {
    const name = text(el.get(4)) ?? '?';
    const children = num(el.get(5)) ?? 0;
    while (stack.length && stack[stack.length - 1]?.left === 0) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) parent.left--;
    if (i === 0) { stack.push({ left: children, path: '' }); continue; } // the root: the file itself
    const path = parent?.path ? `${parent.path}.${name}` : name;
    columns.push({
      path,
      depth: stack.length - 1,
      physical: children ? 'group' : named(PHYSICAL, el.get(1)),
      logical: logical(el),
      repetition: named(REPETITION, el.get(3)),
    });
    if (children) stack.push({ left: children, path });
  }
  const rowGroups = list(fm.get(4)).map((v) => struct(v)).filter((s): s is Struct => s !== null).map((rg) => {
    const codecs = new Set<string>();
    for (const cc of list(rg.get(1))) {
      const md = struct(struct(cc)?.get(3));
      if (md) codecs.add(named(CODEC, md.get(4)));
    }
    return { rows: num(rg.get(3)) ?? 0, bytes: num(rg.get(2)) ?? 0, compressed: num(rg.get(6)) ?? 0, codecs: [...codecs] };
  });
  return {
    rows: num(fm.get(3)) ?? 0,
    version: num(fm.get(1)) ?? 0,
    createdBy: text(fm.get(6)),
    columns,
    rowGroups,
    footerBytes: footer.length,
  };
}
