// safetensors element types: sizes, the writer's order, and conversion of raw little-endian bytes to and from nabla arrays.
import type { DType, TypedArray } from '../dtype.js';
import { SafetensorsError } from '../errors.js';

/** The safetensors dtypes nabla reads and writes. */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL';

interface DTypeInfo {
  readonly size: number;
  /** The position in the reference's Dtype enum: its writer puts higher ones first (alignment). */
  readonly rank: number;
  readonly kind: 'bool' | 'int' | 'float';
  /** The nabla dtype this one is read into. */
  readonly reads: DType;
}

// NOTE: a Map, never an object: a dtype string such as "constructor" must not find a prototype member.
const INFO = new Map<string, DTypeInfo>([
  ['BOOL', { size: 1, rank: 0, kind: 'bool', reads: 'bool' }],
  ['U8', { size: 1, rank: 1, kind: 'int', reads: 'int32' }],
  ['F16', { size: 2, rank: 2, kind: 'float', reads: 'float32' }],
  ['BF16', { size: 2, rank: 3, kind: 'float', reads: 'float32' }],
  ['I32', { size: 4, rank: 4, kind: 'int', reads: 'int32' }],
  ['F32', { size: 4, rank: 5, kind: 'float', reads: 'float32' }],
  ['F64', { size: 8, rank: 6, kind: 'float', reads: 'float64' }],
  ['I64', { size: 8, rank: 7, kind: 'int', reads: 'int32' }],
]);

export const SAFETENSORS_DTYPES: readonly SafetensorsDType[] = [
  ...INFO.keys(),
] as SafetensorsDType[];

export function isSafetensorsDType(x: unknown): x is SafetensorsDType {
  return typeof x === 'string' && INFO.has(x);
}

function info(d: SafetensorsDType): DTypeInfo {
  return INFO.get(d)!;
}

export function dtypeSize(d: SafetensorsDType): number {
  return info(d).size;
}

/** The reference writer's order: larger alignment first (its enum order, descending). */
export function dtypeRank(d: SafetensorsDType): number {
  return info(d).rank;
}

/** The nabla dtype a safetensors dtype is read into. */
export function readsAs(d: SafetensorsDType): DType {
  return info(d).reads;
}

/** The safetensors dtype a nabla tensor is written as by default (int32 stands in for int64). */
export function defaultTarget(d: DType): SafetensorsDType {
  return d === 'float32' ? 'F32' : d === 'float64' ? 'F64' : d === 'int32' ? 'I64' : 'BOOL';
}

/** Whether a nabla dtype may be written as `target` without losing its kind (no float to int). */
export function canWrite(from: DType, target: SafetensorsDType): boolean {
  const kind = info(target).kind;
  if (from === 'bool') return true;
  if (from === 'int32') return kind !== 'bool';
  return kind === 'float';
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each `size`-byte element in place (only needed on big-endian hosts). */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (LITTLE_ENDIAN || size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

// ---- half precision ----

let halfTable: Float32Array | null = null;

/** All 65536 halves as float32 (each is exact), NaN payloads kept. */
function halfToFloatTable(): Float32Array {
  if (halfTable !== null) return halfTable;
  const bits = new Uint32Array(65536);
  const one = new Float32Array(1);
  const oneBits = new Uint32Array(one.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) {
      one[0] = frac * 2 ** -24;
      bits[h] = (sign | oneBits[0]!) >>> 0;
    } else if (exp === 31) {
      bits[h] = (sign | 0x7f800000 | (frac << 13)) >>> 0;
    } else {
      bits[h] = (sign | ((exp - 15 + 127) << 23) | (frac << 13)) >>> 0;
    }
  }
  halfTable = new Float32Array(bits.buffer);
  return halfTable;
}

/** Rounds q ≥ 0 to the nearest integer, ties to even. */
function roundHalfEven(q: number): number {
  const r = Math.round(q);
  return r - q === 0.5 && r % 2 === 1 ? r - 1 : r;
}

/**
 * The bits of x rounded (to nearest, ties to even, directly from the double: no double rounding)
 * to a 16-bit float with `mant` fraction bits and exponent bias `bias`.
 */
function toFloat16Bits(x: number, mant: number, bias: number, nan: number): number {
  const expMax = (1 << (15 - mant)) - 1;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  if (Number.isNaN(x)) return nan;
  const a = Math.abs(x);
  if (a === 0) return sign;
  const emax = expMax - 1 - bias;
  if (a >= 2 ** (emax + 1)) return sign | (expMax << mant);
  const emin = 1 - bias;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  // Subnormal: a multiple of 2^(emin - mant); a rounded-up 2^mant is the smallest normal's encoding.
  if (e < emin) return sign | roundHalfEven(a * 2 ** (mant - emin));
  const r = roundHalfEven(a * 2 ** (mant - e)); // in [2^mant, 2^(mant+1)]
  const bits = ((e + bias) << mant) + (r - (1 << mant));
  return sign | Math.min(bits, expMax << mant);
}

/** float → IEEE half, round to nearest even; NaN keeps its sign as PyTorch's conversion does. */
export function floatToHalfBits(x: number): number {
  return toFloat16Bits(x, 10, 15, Number.isNaN(x) ? 0x7e00 : 0);
}

/** float → bfloat16, round to nearest even; NaN becomes 0x7FC0 as in PyTorch. */
export function floatToBFloat16Bits(x: number): number {
  return toFloat16Bits(x, 7, 127, 0x7fc0);
}

export function halfBitsToFloat(h: number): number {
  return halfToFloatTable()[h & 0xffff]!;
}

export function bfloat16BitsToFloat(h: number): number {
  const u = new Uint32Array([(h & 0xffff) << 16]);
  return new Float32Array(u.buffer)[0]!;
}

// ---- decoding ----

/**
 * Converts one tensor's bytes (little-endian, exactly numel × size of them) into the array of the
 * nabla dtype it is read into. I64 values outside int32 are an error, never silently wrapped.
 */
export function decodeData(
  d: SafetensorsDType,
  raw: Uint8Array,
  numel: number,
  name: string,
): TypedArray {
  const size = dtypeSize(d);
  // A fresh, aligned copy: the caller's bytes may sit at any offset (and belong to a file buffer).
  const bytes = new Uint8Array(numel * size);
  bytes.set(raw.subarray(0, numel * size));
  swapBytes(bytes, size);
  const buf = bytes.buffer;
  switch (d) {
    case 'F32':
      return new Float32Array(buf);
    case 'F64':
      return new Float64Array(buf);
    case 'I32':
      return new Int32Array(buf);
    case 'U8':
      return Int32Array.from(bytes);
    case 'BOOL': {
      // NOTE: bytes other than 0 and 1 are read as true (PyTorch would keep the raw byte).
      for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i] !== 0 ? 1 : 0;
      return bytes;
    }
    case 'F16': {
      const table = halfToFloatTable();
      const h = new Uint16Array(buf);
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = table[h[i]!]!;
      return out;
    }
    case 'BF16': {
      const h = new Uint16Array(buf);
      const out = new Uint32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = h[i]! << 16;
      return new Float32Array(out.buffer);
    }
    case 'I64': {
      const w = new Int32Array(buf);
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) {
        const lo = w[2 * i]!;
        const hi = w[2 * i + 1]!;
        if (hi !== lo >> 31) {
          const v = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
          throw new SafetensorsError(
            'value_out_of_range',
            `tensor "${name}": I64 value ${v} at index ${i} does not fit in int32 (nabla's integer dtype)`,
          );
        }
        out[i] = lo;
      }
      return out;
    }
  }
}

// ---- encoding ----

/** Converts a nabla array to `target`'s little-endian bytes (int32 to I64 sign-extends). */
export function encodeData(target: SafetensorsDType, data: TypedArray, name: string): Uint8Array {
  const n = data.length;
  let out: TypedArray | Uint16Array;
  switch (target) {
    case 'F32':
      out = data instanceof Float32Array ? data : Float32Array.from(data);
      break;
    case 'F64':
      out = data instanceof Float64Array ? data : Float64Array.from(data);
      break;
    case 'I32':
      out = data instanceof Int32Array ? data : Int32Array.from(data);
      break;
    case 'BOOL':
      out = Uint8Array.from(data, (v) => (v !== 0 ? 1 : 0));
      break;
    case 'U8': {
      const u = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = data[i]!;
        if (v < 0 || v > 255)
          throw new SafetensorsError(
            'value_out_of_range',
            `tensor "${name}": value ${v} at index ${i} does not fit in U8`,
          );
        u[i] = v;
      }
      out = u;
      break;
    }
    case 'I64': {
      const w = new Int32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const v = data[i]! | 0;
        w[2 * i] = v;
        w[2 * i + 1] = v >> 31;
      }
      out = w;
      break;
    }
    case 'F16':
    case 'BF16': {
      out = data instanceof Float32Array ? float32To16(target, data) : otherTo16(target, data);
      break;
    }
  }
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const copy = bytes.slice();
  swapBytes(copy, out.BYTES_PER_ELEMENT);
  return copy;
}

/** float32 → F16/BF16 on the bits (fast; the same results as floatToHalfBits / floatToBFloat16Bits). */
function float32To16(target: 'F16' | 'BF16', data: Float32Array): Uint16Array {
  const n = data.length;
  const h = new Uint16Array(n);
  const words = new Uint32Array(data.buffer, data.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const x = words[i]!;
    const abs = x & 0x7fffffff;
    if (target === 'BF16') {
      // NaN: the top half, quietened, so canonical NaN gives PyTorch's 0x7FC0.
      h[i] = abs > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
      continue;
    }
    const sign = (x >>> 16) & 0x8000;
    if (abs >= 0x7f800000) h[i] = sign | (abs > 0x7f800000 ? 0x7e00 : 0x7c00);
    else if (abs >= 0x477ff000)
      h[i] = sign | 0x7c00; // ≥ 65520 rounds to infinity
    else if (abs < 0x38800000) h[i] = sign | roundHalfEven(Math.abs(data[i]!) * 2 ** 24);
    else {
      const rem = abs & 0x1fff;
      const t = (abs >>> 13) - (112 << 10); // rebias the exponent, keep 10 fraction bits
      h[i] = sign | (rem > 0x1000 || (rem === 0x1000 && (t & 1) === 1) ? t + 1 : t);
    }
  }
  return h;
}

/** float64 / int / bool → F16/BF16, rounded once from the double. */
function otherTo16(target: 'F16' | 'BF16', data: TypedArray): Uint16Array {
  const n = data.length;
  const h = new Uint16Array(n);
  const enc = target === 'F16' ? floatToHalfBits : floatToBFloat16Bits;
  for (let i = 0; i < n; i++) h[i] = enc(data[i]!);
  // A float64 NaN's sign lives only in its bits: F16 keeps it, as PyTorch does.
  if (target === 'F16' && data instanceof Float64Array) {
    const words = new Uint32Array(data.buffer, data.byteOffset, 2 * n);
    const high = LITTLE_ENDIAN ? 1 : 0;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(data[i]!) && words[2 * i + high]! >>> 31 === 1) h[i] = h[i]! | 0x8000;
    }
  }
  return h;
}
