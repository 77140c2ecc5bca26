// The safetensors header: the length prefix, the JSON index and every check the loader makes before reading a byte of data.
import { SafetensorsError } from '../errors.js';
import {
  dtypeSize,
  isSafetensorsDType,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
} from './safetensors_dtypes.js';

/** The reference implementation's limit on the JSON header (checked before anything is allocated). */
export const MAX_HEADER_SIZE = 100_000_000;

/** Where one tensor lives in the data section, and what it holds. */
export interface TensorInfo {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** [begin, end) in bytes, relative to the start of the data section (after the header). */
  readonly dataOffsets: readonly [number, number];
}

/** A validated header: the index of a file whose layout has been checked end to end. */
export interface SafetensorsHeader {
  /** N: the length of the JSON header (padding included). */
  readonly headerLength: number;
  /** 8 + N: where the data section starts in the file. */
  readonly dataStart: number;
  /** The length of the data section; the file is exactly dataStart + dataLength bytes. */
  readonly dataLength: number;
  /** Tensors in data order (the order the reference writer lays them out). */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** `__metadata__`, a null-prototype object of strings, or null when the file has none. */
  readonly metadata: Readonly<Record<string, string>> | null;
}

/** Throws a SafetensorsError: every validation failure of the format goes through here. */
export const fail = (code: SafetensorsError['code'], message: string): never => {
  throw new SafetensorsError(code, message);
};

/** Reads and checks the 8-byte little-endian length prefix against the file's size. */
export function readHeaderLength(prefix: Uint8Array, fileLength: number): number {
  if (fileLength < 8 || prefix.length < 8)
    fail('too_short', `file is ${fileLength} bytes: too short for a safetensors header (8 bytes)`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_SIZE) {
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    fail('header_too_large', `header length ${n} exceeds the limit of ${MAX_HEADER_SIZE} bytes`);
  }
  if (8 + lo > fileLength)
    fail(
      'header_out_of_bounds',
      `header length ${lo} runs past the end of the file (${fileLength} bytes)`,
    );
  return lo;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string is well-formed UTF-16 (so it survives UTF-8 unchanged). */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * Checks what JSON.parse cannot: duplicate keys in any object (JSON.parse keeps the last one
 * silently) and that shapes and offsets are written as plain non-negative integers (no 1.0, 1e3
 * or -0). The text is valid JSON already; the scan is iterative, so nesting depth cannot overflow.
 */
function scanJson(text: string): void {
  interface Frame {
    readonly keys: Set<string> | null; // null for arrays
    readonly key: string | null; // the key this container sits under
    expectKey: boolean;
    lastKey: string | null;
  }
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x22) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j += 2;
        } else if (d === 0x22) break;
        else j++;
      }
      if (top?.keys && top.expectKey) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) {
          const what = stack.length === 1 ? 'tensor name' : 'key';
          fail('duplicate_key', `duplicate ${what} ${JSON.stringify(key)} in the header`);
        }
        top.keys.add(key);
        top.expectKey = false;
        top.lastKey = key;
      }
      i = j + 1;
    } else if (c === 0x7b || c === 0x5b) {
      const key = top?.keys ? top.lastKey : null;
      stack.push({
        keys: c === 0x7b ? new Set() : null,
        key,
        expectKey: c === 0x7b,
        lastKey: null,
      });
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      i++;
    } else if (c === 0x2c) {
      if (top?.keys) top.expectKey = true;
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < n && /[0-9eE.+-]/.test(text[j]!)) j++;
      const literal = text.slice(i, j);
      const owner = stack[1]?.key;
      if (
        stack.length === 3 &&
        !top?.keys &&
        owner !== '__metadata__' &&
        !/^(0|[1-9][0-9]*)$/.test(literal)
      ) {
        if (top?.key === 'shape')
          fail(
            'invalid_shape',
            `shape entry ${literal} of tensor ${JSON.stringify(owner)} is not a non-negative integer`,
          );
        if (top?.key === 'data_offsets')
          fail(
            'invalid_offsets',
            `data offset ${literal} of tensor ${JSON.stringify(owner)} is not a non-negative integer`,
          );
      }
      i = j;
    } else i++;
  }
}

/** serde_json's recursion limit: the reference parser rejects deeper nesting, and so does this one. */
const MAX_DEPTH = 128;

/** Rejects nesting deeper than MAX_DEPTH before JSON.parse spends time (and memory) on it. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH)
        fail('invalid_json', `the header nests deeper than ${MAX_DEPTH} levels`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** An own property only: never a value found on a prototype. */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

function parseMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value))
    fail(
      'invalid_metadata',
      `__metadata__ must be an object of strings, got ${JSON.stringify(value)}`,
    );
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string')
      fail(
        'invalid_metadata',
        `__metadata__ value for ${JSON.stringify(k)} is not a string: ${JSON.stringify(v)}`,
      );
    if (!isWellFormed(k) || !isWellFormed(v as string))
      fail('invalid_metadata', `__metadata__ entry ${JSON.stringify(k)} contains a lone surrogate`);
    out[k] = v as string;
  }
  return out;
}

function parseShape(name: string, value: unknown): number[] {
  if (!Array.isArray(value))
    fail('invalid_shape', `tensor ${JSON.stringify(name)}: shape must be an array`);
  const shape = value as unknown[];
  for (const s of shape) {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0)
      fail(
        'invalid_shape',
        `tensor ${JSON.stringify(name)}: shape entry ${JSON.stringify(s)} is not a non-negative safe integer`,
      );
  }
  return shape as number[];
}

function parseOffsets(name: string, value: unknown): [number, number] {
  const bad = (why: string) =>
    fail('invalid_offsets', `tensor ${JSON.stringify(name)}: data_offsets ${why}`);
  if (!Array.isArray(value) || value.length !== 2) bad('must be an array [begin, end]');
  const [b, e] = value as unknown[];
  for (const o of [b, e]) {
    if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0)
      bad(`entry ${JSON.stringify(o)} is not a non-negative safe integer`);
  }
  if ((e as number) < (b as number)) bad(`end ${e} is before begin ${b}`);
  return [b as number, e as number];
}

function parseTensor(name: string, value: unknown): TensorInfo {
  const q = JSON.stringify(name);
  if (!isWellFormed(name)) fail('invalid_header', `tensor name ${q} contains a lone surrogate`);
  if (!isPlainObject(value))
    fail('invalid_header', `tensor ${q}: expected an object {dtype, shape, data_offsets}`);
  const entry = value as Record<string, unknown>;
  const dtype = own(entry, 'dtype');
  if (typeof dtype !== 'string') fail('invalid_header', `tensor ${q}: dtype must be a string`);
  if (!isSafetensorsDType(dtype))
    fail(
      'unknown_dtype',
      `tensor ${q}: dtype ${JSON.stringify(dtype)} is not supported (supported: ${SAFETENSORS_DTYPES.join(', ')})`,
    );
  const st = dtype as SafetensorsDType;
  const shape = parseShape(name, own(entry, 'shape'));
  const dataOffsets = parseOffsets(name, own(entry, 'data_offsets'));
  // The element count, multiplied in order as the reference does (an overflow before a 0 is still one).
  let numel = 1;
  for (const s of shape) {
    numel *= s;
    if (!Number.isSafeInteger(numel))
      fail('size_overflow', `tensor ${q}: shape [${shape.join(', ')}] overflows`);
  }
  const nbytes = numel * dtypeSize(st);
  if (!Number.isSafeInteger(nbytes))
    fail('size_overflow', `tensor ${q}: shape [${shape.join(', ')}] of ${st} overflows`);
  const length = dataOffsets[1] - dataOffsets[0];
  if (length !== nbytes)
    fail(
      'size_mismatch',
      `tensor ${q}: ${length} bytes for shape [${shape.join(', ')}] of ${st}, which needs ${nbytes}`,
    );
  return { dtype: st, shape, dataOffsets };
}

/** Checks the offsets tile the data section exactly: from 0, no overlaps, no gaps, nothing after. */
function checkLayout(tensors: [string, TensorInfo][], dataLength: number): void {
  let expected = 0;
  let prev = '';
  for (const [
    name,
    {
      dataOffsets: [b, e],
    },
  ] of tensors) {
    const q = JSON.stringify(name);
    if (b > expected) {
      if (expected === 0)
        fail(
          'offsets_not_zero',
          `the data section does not start at 0: the first tensor, ${q}, begins at ${b}`,
        );
      fail(
        'offsets_gap',
        `a gap of ${b - expected} bytes between tensors ${JSON.stringify(prev)} and ${q}`,
      );
    }
    if (b < expected)
      fail(
        'offsets_overlap',
        `tensor ${q} [${b}, ${e}) overlaps tensor ${JSON.stringify(prev)}, which ends at ${expected}`,
      );
    expected = e;
    prev = name;
  }
  if (expected > dataLength)
    fail(
      'offsets_out_of_bounds',
      `tensors need ${expected} bytes of data but the file has ${dataLength} (truncated?)`,
    );
  if (expected < dataLength)
    fail(
      'trailing_bytes',
      `${dataLength - expected} bytes after the last tensor: the data section must end at the end of the file`,
    );
}

/** Parses and validates the JSON header (its N bytes) for a data section of `dataLength` bytes. */
export function parseHeaderJson(headerBytes: Uint8Array, dataLength: number): SafetensorsHeader {
  let text: string;
  try {
    text = decoder.decode(headerBytes);
  } catch {
    return fail('header_not_utf8', 'the header is not valid UTF-8');
  }
  if (text.charCodeAt(0) !== 0x7b) fail('invalid_header', `the header must start with "{"`);
  // The reference writer pads with spaces (its reader takes any JSON whitespace); NULs after the
  // object are the C-string mistake, reported as such. Anything else fails in JSON.parse.
  if (text.slice(text.lastIndexOf('}') + 1).includes('\0'))
    fail('invalid_padding', 'the header is padded with NUL bytes; only spaces may follow the JSON');
  checkDepth(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return fail('invalid_json', `the header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(parsed)) return fail('invalid_header', 'the header must be a JSON object');
  scanJson(text);
  let metadata: Record<string, string> | null = null;
  const entries: [string, TensorInfo][] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') metadata = parseMetadata(value);
    else entries.push([name, parseTensor(name, value)]);
  }
  entries.sort(
    (x, y) =>
      x[1].dataOffsets[0] - y[1].dataOffsets[0] || x[1].dataOffsets[1] - y[1].dataOffsets[1],
  );
  checkLayout(entries, dataLength);
  const headerLength = headerBytes.length;
  return {
    headerLength,
    dataStart: 8 + headerLength,
    dataLength,
    tensors: new Map(entries),
    metadata,
  };
}

/** Parses and validates the header of a whole file held in memory. */
export function parseHeader(bytes: Uint8Array | ArrayBuffer): SafetensorsHeader {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const n = readHeaderLength(u8, u8.length);
  return parseHeaderJson(u8.subarray(8, 8 + n), u8.length - 8 - n);
}
