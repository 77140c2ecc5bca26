// cpu kernels for elementwise primitives: unary, binary, cast, clamp and where over strided inputs.
import type { TypedArray } from '../../dtype.js';
import type { BinaryPrimitive, UnaryPrimitive } from '../../primitives.js';
import type { Kernel, KernelInput, KernelOutput } from '../backend.js';
import { ArgumentError } from '../../errors.js';
import { erf } from '../../math.js';
import { coalesce, copyStrided, denseStrides, forEachRow, isDense } from './strided.js';

type Buf = TypedArray;

/** Round half to even, as torch.round (C's nearbyint) does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const UNARY_FNS: { readonly [P in UnaryPrimitive]: (x: number) => number } = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), // NOTE: sign(NaN) = 0, as torch.sign
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  erf,
  relu: (x) => (x < 0 ? 0 : x), // NaN and -0 pass, as PyTorch's
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  logicalNot: (x) => (x !== 0 ? 0 : 1),
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  log2: Math.log2,
  log10: Math.log10,
  bitwiseNot: (x) => ~x, // (bool: logicalNot, see unaryKernel)
};

const scratch = new Float64Array(1);
const scratchHigh = new Uint32Array(scratch.buffer, 4, 1);

/** The sign bit, as C's signbit: set for −0 and for NaNs that carry it. */
function signbit(x: number): boolean {
  if (x !== 0 && x === x) return x < 0;
  scratch[0] = x;
  return scratchHigh[0]! >>> 31 === 1;
}

const exact = (x: number): number => x;

/**
 * Python's float floor division (PyTorch's div_floor_floating): floor(a/b) without a/b's
 * rounding, each step rounded by `r` (Math.fround repeats PyTorch's float32 arithmetic).
 */
function divFloor(a: number, b: number, r: (x: number) => number = exact): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let d = r(r(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) d = r(d - 1);
  if (d === 0) return 0 * (a / b); // ±0 with the quotient's sign
  const f = Math.floor(d);
  return r(d - f) > 0.5 ? f + 1 : f;
}

/** Python's remainder (PyTorch's remainder): the sign of the divisor. */
function remainder(a: number, b: number): number {
  const mod = a % b;
  return mod !== 0 && b < 0 !== mod < 0 ? mod + b : mod;
}

export const BINARY_FNS: { readonly [P in BinaryPrimitive]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: Math.max,
  minimum: Math.min,
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  logicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  logicalXor: (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0),
  atan2: Math.atan2,
  copysign: (a, b) => (signbit(b) ? -Math.abs(a) : Math.abs(a)),
  hypot: Math.hypot,
  divTrunc: (a, b) => Math.trunc(a / b),
  divFloor: (a, b) => divFloor(a, b),
  remainder,
  fmod: (a, b) => a % b,
  bitwiseAnd: (a, b) => a & b,
  bitwiseOr: (a, b) => a | b,
  bitwiseXor: (a, b) => a ^ b,
  // NOTE: shifts past the width (or negative) are undefined in C; these follow PyTorch 2's choice.
  bitwiseLeftShift: (a, b) => (b < 0 || b >= 32 ? 0 : a << b),
  bitwiseRightShift: (a, b) => a >> (b < 0 || b >= 32 ? 31 : b),
  reluBackward: (g, y) => (y <= 0 ? 0 : g), // a NaN y passes g, as PyTorch's threshold_backward
};

/**
 * The integer division ops: exact in float64 for int32 operands (a non-integral quotient is at
 * least 1/|b| from an integer, more than its rounding error), but a zero divisor raises, as in PyTorch.
 */
const INT_DIVISION: Partial<Record<BinaryPrimitive, string>> = {
  divTrunc: 'div',
  divFloor: 'div',
  remainder: 'remainder',
  fmod: 'fmod',
};

/**
 * float32 forms of the rounded divisions: PyTorch rounds the quotient to float32 before it
 * rounds it to an integer (7 / 0.1f is 69.99999895..., which is 70 in float32).
 */
const FLOAT32_FNS: Partial<Record<BinaryPrimitive, (a: number, b: number) => number>> = {
  divTrunc: (a, b) => Math.trunc(Math.fround(a / b)),
  divFloor: (a, b) => divFloor(a, b, Math.fround),
};

function integerDivision(op: BinaryPrimitive, f: (a: number, b: number) => number) {
  return (a: number, b: number): number => {
    if (b === 0) {
      throw new ArgumentError(`ZeroDivisionError: integer ${INT_DIVISION[op]!} by zero (${op})`);
    }
    return f(a, b);
  };
}

/** Bool outputs store 0 or 1, whatever the arithmetic gave. */
function boolify<F extends (...xs: number[]) => number>(out: KernelOutput<Buf>, f: F): F {
  return out.dtype === 'bool'
    ? (((...xs: number[]) => (f(...xs) !== 0 ? 1 : 0)) as unknown as F)
    : f;
}

/** out[i] = f(x[i]) over a strided input. */
function mapStrided(out: KernelOutput<Buf>, a: KernelInput<Buf>, f: (x: number) => number): void {
  const o = out.buffer;
  const src = a.buffer;
  const walk = coalesce(out.shape, [denseStrides(out.shape), a.strides]);
  const sa = walk.strides[1]![walk.shape.length - 1]!;
  forEachRow(walk, [0, a.offset], (offs, n) => {
    let p = offs[0]!;
    let q = offs[1]!;
    for (let i = 0; i < n; i++, q += sa) o[p++] = f(src[q]!);
  });
}

export function unaryKernel(op: UnaryPrimitive): Kernel<Buf, UnaryPrimitive> {
  const base = UNARY_FNS[op];
  // ~ on bool is logical not (~1 would be −2, which is true)
  const boolBase = op === 'bitwiseNot' ? UNARY_FNS.logicalNot : base;
  return (out, [x]) => mapStrided(out, x!, boolify(out, out.dtype === 'bool' ? boolBase : base));
}

type Row = (
  o: Buf,
  p: number,
  a: Buf,
  q: number,
  sa: number,
  b: Buf,
  r: number,
  sb: number,
  n: number,
) => void;

// NOTE: the four arithmetic ops get loops of their own: a loop calling `f(a, b)` through a shared
// closure is a megamorphic call per element, several times slower than inlined arithmetic.
const ARITH_ROWS: Partial<Record<BinaryPrimitive, Row>> = {
  add: (o, p, a, q, sa, b, r, sb, n) => {
    for (let i = 0; i < n; i++, q += sa, r += sb) o[p + i] = a[q]! + b[r]!;
  },
  sub: (o, p, a, q, sa, b, r, sb, n) => {
    for (let i = 0; i < n; i++, q += sa, r += sb) o[p + i] = a[q]! - b[r]!;
  },
  mul: (o, p, a, q, sa, b, r, sb, n) => {
    for (let i = 0; i < n; i++, q += sa, r += sb) o[p + i] = a[q]! * b[r]!;
  },
  div: (o, p, a, q, sa, b, r, sb, n) => {
    for (let i = 0; i < n; i++, q += sa, r += sb) o[p + i] = a[q]! / b[r]!;
  },
};

export function binaryKernel(op: BinaryPrimitive): Kernel<Buf, BinaryPrimitive> {
  const base = BINARY_FNS[op];
  const fast = ARITH_ROWS[op];
  return (out, [x, y]) => {
    const a = x!;
    const b = y!;
    const o = out.buffer;
    const ab = a.buffer;
    const bb = b.buffer;
    if (
      fast !== undefined &&
      (out.dtype === 'float32' || out.dtype === 'float64') &&
      isDense(out.shape, a.strides) &&
      isDense(out.shape, b.strides)
    ) {
      // NOTE: same-shape dense operands (most small tensors): one row, no walk to build.
      let n = 1;
      for (const d of out.shape) n *= d;
      fast(o, 0, ab, a.offset, 1, bb, b.offset, 1, n);
      return;
    }
    const walk = coalesce(out.shape, [denseStrides(out.shape), a.strides, b.strides]);
    const last = walk.shape.length - 1;
    const sa = walk.strides[1]![last]!;
    const sb = walk.strides[2]![last]!;
    // Float outputs of + − × ÷ take the inlined rows; int32 × needs Math.imul, bool outputs 0/1.
    if (fast !== undefined && (out.dtype === 'float32' || out.dtype === 'float64')) {
      forEachRow(walk, [0, a.offset, b.offset], (offs, n) =>
        fast(o, offs[0]!, ab, offs[1]!, sa, bb, offs[2]!, sb, n),
      );
      return;
    }
    const f =
      op === 'mul' && out.dtype === 'int32'
        ? Math.imul
        : out.dtype === 'int32' && INT_DIVISION[op] !== undefined
          ? integerDivision(op, base)
          : out.dtype === 'float32' && FLOAT32_FNS[op] !== undefined
            ? FLOAT32_FNS[op]
            : boolify(out, base);
    forEachRow(walk, [0, a.offset, b.offset], (offs, n) => {
      let p = offs[0]!;
      let q = offs[1]!;
      let r = offs[2]!;
      for (let i = 0; i < n; i++, q += sa, r += sb) o[p++] = f(ab[q]!, bb[r]!);
    });
  };
}

export const castKernel: Kernel<Buf, 'cast'> = (out, [x]) => {
  const a = x!;
  copyStrided(
    out.buffer,
    out.dtype,
    denseStrides(out.shape),
    0,
    a.buffer,
    a.strides,
    a.offset,
    out.shape,
  );
};

export const clampKernel: Kernel<Buf, 'clamp'> = (out, [x], { min, max }) => {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  // min(max(v, lo), hi): NaN fails both comparisons and passes through; lo > hi gives hi, as in PyTorch.
  mapStrided(out, x!, (v) => {
    const up = v < lo ? lo : v;
    return up > hi ? hi : up;
  });
};

export const whereKernel: Kernel<Buf, 'where'> = (out, inputs) => {
  const [c, a, b] = inputs as readonly [KernelInput<Buf>, KernelInput<Buf>, KernelInput<Buf>];
  const o = out.buffer;
  const walk = coalesce(out.shape, [denseStrides(out.shape), c.strides, a.strides, b.strides]);
  const last = walk.shape.length - 1;
  const [sc, sa, sb] = [1, 2, 3].map((k) => walk.strides[k]![last]!) as [number, number, number];
  const cb = c.buffer;
  const abuf = a.buffer;
  const bbuf = b.buffer;
  forEachRow(walk, [0, c.offset, a.offset, b.offset], (offs, n) => {
    let p = offs[0]!;
    let qc = offs[1]!;
    let qa = offs[2]!;
    let qb = offs[3]!;
    for (let i = 0; i < n; i++, qc += sc, qa += sa, qb += sb) {
      o[p++] = cb[qc] !== 0 ? abuf[qa]! : bbuf[qb]!;
    }
  });
};
