// The IDX format (MNIST's): parses and validates the bytes of an (already decompressed) IDX file.
import { DataError } from '../errors.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export type IdxData =
  Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** An IDX array: its element type, dimensions and values (row-major, host byte order; uint8 and int8 values view the parsed bytes). */
export interface IdxArray {
  readonly type: IdxType;
  readonly shape: readonly number[];
  readonly data: IdxData;
}

export interface IdxExpect {
  /** Require this many dimensions. */
  readonly ndim?: number;
  /** Require this element type. */
  readonly type?: IdxType;
}

const TYPES: Readonly<Record<number, readonly [IdxType, number]>> = {
  0x08: ['uint8', 1],
  0x09: ['int8', 1],
  0x0b: ['int16', 2],
  0x0c: ['int32', 4],
  0x0d: ['float32', 4],
  0x0e: ['float64', 8],
};

const CODES: Readonly<Record<IdxType, number>> = {
  uint8: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
};

function hex(n: number, width: number): string {
  return '0x' + n.toString(16).padStart(width, '0');
}

/**
 * Parses an IDX file: a 4-byte magic number (two zero bytes, the type code — 0x08 uint8, 0x09 int8,
 * 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64 — and the number of dimensions), one big-endian
 * uint32 per dimension, then exactly the product of the dimensions in big-endian values. Anything
 * else (bad magic, unknown type, truncated or oversized data, unexpected dimensions) is a DataError
 * naming `name`.
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data', expect: IdxExpect = {}): IdxArray {
  if (bytes.length < 4) {
    throw new DataError(`${name}: truncated IDX header (${bytes.length} bytes, need at least 4)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const code = bytes[2]!;
  const ndim = bytes[3]!;
  const info = TYPES[code];
  if (bytes[0] !== 0 || bytes[1] !== 0 || info === undefined) {
    throw new DataError(
      `${name}: bad magic number ${hex(magic, 8)}: not an IDX file (expected 0x0000 followed by a type code 08, 09, 0B, 0C, 0D or 0E and the number of dimensions)`,
    );
  }
  const [type, itemSize] = info;
  if (expect.type !== undefined && expect.type !== type) {
    throw new DataError(`${name}: expected IDX elements of type ${expect.type}, found ${type}`);
  }
  if (expect.ndim !== undefined && expect.ndim !== ndim) {
    throw new DataError(
      `${name}: expected a ${expect.ndim}-dimensional IDX array, found ${ndim} dimensions (magic ${hex(magic, 8)})`,
    );
  }
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize) {
    throw new DataError(
      `${name}: truncated IDX header: ${ndim} dimensions need ${headerSize} bytes, the file has ${bytes.length}`,
    );
  }
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const size = view.getUint32(4 + 4 * d);
    shape.push(size);
    count *= size;
  }
  const expected = headerSize + count * itemSize;
  if (!Number.isSafeInteger(expected)) {
    throw new DataError(`${name}: IDX dimensions [${shape.join(', ')}] are impossibly large`);
  }
  if (bytes.length < expected) {
    throw new DataError(
      `${name}: truncated IDX data: dimensions [${shape.join(', ')}] of ${type} need ${expected} bytes, the file has ${bytes.length}`,
    );
  }
  if (bytes.length > expected) {
    throw new DataError(
      `${name}: IDX file has ${bytes.length - expected} unexpected trailing bytes after the ${expected} that dimensions [${shape.join(', ')}] of ${type} need`,
    );
  }
  return { type, shape, data: readValues(view, headerSize, count, type, bytes) };
}

function readValues(
  view: DataView,
  offset: number,
  count: number,
  type: IdxType,
  bytes: Uint8Array,
): IdxData {
  switch (type) {
    // Bytes need no conversion: the result views the input (no copy of a 47 MB image file).
    case 'uint8':
      return new Uint8Array(bytes.buffer, bytes.byteOffset + offset, count);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count);
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i);
      return out;
    }
  }
}

/** Encodes an IDX file (big-endian), the inverse of parseIdx: for writing fixtures and exports. */
export function encodeIdx(array: IdxArray): Uint8Array {
  const code = CODES[array.type];
  const itemSize = TYPES[code]![1];
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) {
    throw new DataError(
      `encodeIdx: shape [${array.shape.join(', ')}] holds ${count} values, data has ${array.data.length}`,
    );
  }
  const header = 4 + 4 * array.shape.length;
  const out = new Uint8Array(header + count * itemSize);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = array.shape.length;
  array.shape.forEach((s, d) => view.setUint32(4 + 4 * d, s));
  const setters: Record<IdxType, (o: number, v: number) => void> = {
    uint8: (o, v) => view.setUint8(o, v),
    int8: (o, v) => view.setInt8(o, v),
    int16: (o, v) => view.setInt16(o, v),
    int32: (o, v) => view.setInt32(o, v),
    float32: (o, v) => view.setFloat32(o, v),
    float64: (o, v) => view.setFloat64(o, v),
  };
  const set = setters[array.type];
  for (let i = 0; i < count; i++) set(header + i * itemSize, array.data[i]!);
  return out;
}
