// Pointwise math in PyTorch's names: trigonometric, hyperbolic, log2/log10/exp2, lerp, copysign, logaddexp, hypot, remainder/fmod, bitwise ops and the float tests.
import { isFloating, notImplementedFor, resultType, toFloating, type DType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { apply } from '../ops/apply.js';
import type { BinaryPrimitive, UnaryPrimitive } from '../primitives.js';
import type { Tensor } from '../tensor.js';
import { isTensor } from '../tensor_class.js';
import { fullLike } from './creation.js';
import {
  abs,
  add,
  asTensor,
  cast,
  eq,
  exp,
  floor,
  log1p,
  logicalAnd,
  logicalOr,
  lt,
  maximum,
  mul,
  neg,
  pow,
  sub,
  where,
  type TensorOrScalar,
} from './elementwise.js';

function binary(op: BinaryPrimitive, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const both = [a, b];
  return apply(op, [asTensor(a, both), asTensor(b, both)], {});
}

function unary(op: UnaryPrimitive, x: Tensor): Tensor {
  return apply(op, [x], {});
}

/** The dtype a binary op computes in, as PyTorch promotes (wrapped numbers count less). */
function promoted(a: TensorOrScalar, b: TensorOrScalar): DType {
  const operand = (x: TensorOrScalar) =>
    isTensor(x) ? { dtype: x.dtype, ndim: x.shape.length } : x;
  return resultType([operand(a), operand(b)]);
}

function floatingOnly(kernel: string, dtype: DType): void {
  if (!isFloating(dtype)) throw notImplementedFor(kernel, dtype);
}

// ---- unary ----

export const tan = (x: Tensor): Tensor => unary('tan', x);
export const asin = (x: Tensor): Tensor => unary('asin', x);
export const acos = (x: Tensor): Tensor => unary('acos', x);
export const atan = (x: Tensor): Tensor => unary('atan', x);
export const sinh = (x: Tensor): Tensor => unary('sinh', x);
export const cosh = (x: Tensor): Tensor => unary('cosh', x);
export const asinh = (x: Tensor): Tensor => unary('asinh', x);
export const acosh = (x: Tensor): Tensor => unary('acosh', x);
export const atanh = (x: Tensor): Tensor => unary('atanh', x);
export const log2 = (x: Tensor): Tensor => unary('log2', x);
export const log10 = (x: Tensor): Tensor => unary('log10', x);
/** ~x: bitwise not of integers, logical not of bool. */
export const bitwiseNot = (x: Tensor): Tensor => unary('bitwiseNot', x);

/** 2ˣ, as pow(2, x): exact at integers; integer inputs give float, as torch.exp2. */
export function exp2(x: Tensor): Tensor {
  return pow(2, cast(x, toFloating(x.dtype)));
}

/** Rounds towards zero (−0 stays −0); integers come back as they are. */
export function trunc(x: Tensor): Tensor {
  if (x.dtype === 'bool') throw new DTypeError(`"trunc_vml_cpu" not implemented for 'Bool'`);
  if (!isFloating(x.dtype)) return floor(x);
  // NOTE: −floor(−x), not ceil(x): the C ceil kernel gives +0 for ceil(−0.7), where libm gives −0
  return where(lt(x, 0), neg(floor(neg(x))), floor(x));
}

/** True where x is NaN (never for integers or bool). */
export function isnan(x: Tensor): Tensor<'bool'> {
  if (!isFloating(x.dtype)) return fullLike(x, false, { dtype: 'bool' }) as Tensor<'bool'>;
  return apply('ne', [x, x], {}) as Tensor<'bool'>;
}

/** True where x is +inf or −inf. */
export function isinf(x: Tensor): Tensor<'bool'> {
  if (!isFloating(x.dtype)) return fullLike(x, false, { dtype: 'bool' }) as Tensor<'bool'>;
  return logicalOr(eq(x, Infinity), eq(x, -Infinity));
}

/** True where x is neither NaN nor infinite. */
export function isfinite(x: Tensor): Tensor<'bool'> {
  if (!isFloating(x.dtype)) return fullLike(x, true, { dtype: 'bool' }) as Tensor<'bool'>;
  return lt(abs(x.detach()), Infinity);
}

// ---- binary ----

/** atan2(a, b): the angle of (b, a), in (−π, π]; integers are promoted to float. */
export const atan2 = (a: Tensor, b: TensorOrScalar): Tensor => binary('atan2', a, b);
/** |a| with the sign bit of b (−0 and negative NaNs count as negative). */
export const copysign = (a: Tensor, b: TensorOrScalar): Tensor => binary('copysign', a, b);

/** √(a² + b²) without overflow or underflow; floating inputs only, as torch.hypot. */
export const hypot = (a: Tensor, b: TensorOrScalar): Tensor => binary('hypot', a, b);

/** Python's modulus: a − b·floor(a/b), with the sign of the divisor. */
export const remainder = (a: TensorOrScalar, b: TensorOrScalar): Tensor =>
  binary('remainder', a, b);
/** C's fmod: a − b·trunc(a/b), with the sign of the dividend. */
export const fmod = (a: Tensor, b: TensorOrScalar): Tensor => binary('fmod', a, b);

export const bitwiseAnd = (a: Tensor, b: TensorOrScalar): Tensor => binary('bitwiseAnd', a, b);
export const bitwiseOr = (a: Tensor, b: TensorOrScalar): Tensor => binary('bitwiseOr', a, b);
export const bitwiseXor = (a: Tensor, b: TensorOrScalar): Tensor => binary('bitwiseXor', a, b);
export const bitwiseLeftShift = (a: Tensor, b: TensorOrScalar): Tensor =>
  binary('bitwiseLeftShift', a, b);
/** Arithmetic shift: the sign bit fills in. */
export const bitwiseRightShift = (a: Tensor, b: TensorOrScalar): Tensor =>
  binary('bitwiseRightShift', a, b);

/** log(eᵃ + eᵇ) in the stable form max + log1p(e^(−|a − b|)), as PyTorch computes it. */
export function logaddexp(a: Tensor, b: TensorOrScalar): Tensor {
  floatingOnly('logaddexp_cpu', promoted(a, b));
  const y = add(maximum(a, b), log1p(exp(neg(abs(sub(a, b))))));
  // equal infinities: a − b would be NaN
  return where(logicalAnd(isinf(a), eq(a, b)), a, y);
}

/**
 * start + weight·(end − start), in PyTorch's two forms: from start when |weight| < 0.5, from end
 * (end − (end − start)·(1 − weight)) otherwise, so that weight 1 gives end exactly.
 */
export function lerp(start: Tensor, end: Tensor, weight: Tensor | number): Tensor {
  const scalar = !isTensor(weight);
  floatingOnly(scalar ? 'lerp_kernel_scalar' : 'lerp_kernel_tensor', start.dtype);
  for (const [what, t] of [
    ['end', end],
    ['weight', weight],
  ] as const) {
    if (isTensor(t) && t.dtype !== start.dtype) {
      throw new DTypeError(
        `expected dtype ${start.dtype} for \`${what}\` but got dtype ${t.dtype}`,
      );
    }
  }
  const diff = sub(end, start);
  const w = asTensor(weight, [start, weight]);
  const fromStart = () => add(start, mul(w, diff));
  const fromEnd = () => sub(end, mul(diff, sub(1, w)));
  if (scalar) return Math.abs(weight) < 0.5 ? fromStart() : fromEnd();
  return where(lt(abs(w), 0.5), fromStart(), fromEnd());
}
