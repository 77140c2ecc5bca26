// Elementwise functions: arithmetic, comparisons, logic, unary math, clamp and where, with scalar operands.
import { isFloating, type Scalar } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { argsAfterOptions, defineOptions, isOptionsObject } from '../options.js';
import { apply } from '../ops/apply.js';
import { asTensor } from '../ops/call.js';
import type { BinaryPrimitive, UnaryPrimitive } from '../primitives.js';
import type { Tensor } from '../tensor.js';
import { isTensor } from '../tensor_class.js';

export type TensorOrScalar = Tensor | Scalar;

export { asTensor };

function binary(op: BinaryPrimitive, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const both = [a, b];
  return apply(op, [asTensor(a, both), asTensor(b, both)], {});
}

function unary(op: UnaryPrimitive, x: Tensor): Tensor {
  return apply(op, [x], {});
}

export interface AlphaOptions {
  readonly alpha?: number;
}

const ADD = defineOptions<AlphaOptions>('add', { alpha: 'number' });
const SUB = defineOptions<AlphaOptions>('sub', { alpha: 'number' });

/** a + alpha · b */
export function add(a: TensorOrScalar, b: TensorOrScalar, opts?: AlphaOptions): Tensor {
  const alpha = ADD.check(opts)?.alpha;
  return binary('add', a, alpha === undefined || alpha === 1 ? b : mul(b, alpha));
}

/** a − alpha · b */
export function sub(a: TensorOrScalar, b: TensorOrScalar, opts?: AlphaOptions): Tensor {
  const alpha = SUB.check(opts)?.alpha;
  return binary('sub', a, alpha === undefined || alpha === 1 ? b : mul(b, alpha));
}

export function mul(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('mul', a, b);
}

export interface DivOptions {
  /**
   * undefined or null: true division (integer inputs give float32); 'trunc': rounded towards
   * zero; 'floor': rounded down (Python's //). The rounded forms keep integer dtypes, and an
   * integer division by zero raises.
   */
  readonly roundingMode?: 'trunc' | 'floor' | null;
}

// NOTE: the mode's values are checked below, with PyTorch's message.
const DIV = defineOptions<DivOptions>('div', { roundingMode: ['string', 'null'] });

/** a / b, true or rounded (opts.roundingMode), as torch.div. */
export function div(a: TensorOrScalar, b: TensorOrScalar, opts?: DivOptions): Tensor {
  DIV.check(opts);
  const mode = opts?.roundingMode ?? null;
  if (mode === null) return binary('div', a, b);
  if (mode === 'trunc') return binary('divTrunc', a, b);
  if (mode === 'floor') return binary('divFloor', a, b);
  throw new ArgumentError(
    `div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '${String(mode)}'`,
  );
}

export function pow(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  // (an integral number is an integer scalar here, as x.add(1) stays int32)
  if (isTensor(a) && !isFloating(a.dtype) && typeof b === 'number' && Number.isInteger(b) && b < 0)
    throw new ArgumentError('Integers to negative integer powers are not allowed.');
  return binary('pow', a, b);
}

export const maximum = (a: Tensor, b: TensorOrScalar): Tensor => binary('maximum', a, b);
export const minimum = (a: Tensor, b: TensorOrScalar): Tensor => binary('minimum', a, b);
export const eq = (a: Tensor, b: TensorOrScalar) => binary('eq', a, b) as Tensor<'bool'>;
export const ne = (a: Tensor, b: TensorOrScalar) => binary('ne', a, b) as Tensor<'bool'>;
export const lt = (a: Tensor, b: TensorOrScalar) => binary('lt', a, b) as Tensor<'bool'>;
export const le = (a: Tensor, b: TensorOrScalar) => binary('le', a, b) as Tensor<'bool'>;
export const gt = (a: Tensor, b: TensorOrScalar) => binary('gt', a, b) as Tensor<'bool'>;
export const ge = (a: Tensor, b: TensorOrScalar) => binary('ge', a, b) as Tensor<'bool'>;
export const logicalAnd = (a: Tensor, b: TensorOrScalar) =>
  binary('logicalAnd', a, b) as Tensor<'bool'>;
export const logicalOr = (a: Tensor, b: TensorOrScalar) =>
  binary('logicalOr', a, b) as Tensor<'bool'>;
export const logicalXor = (a: Tensor, b: TensorOrScalar) =>
  binary('logicalXor', a, b) as Tensor<'bool'>;

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const sign = (x: Tensor): Tensor => unary('sign', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
export const sin = (x: Tensor): Tensor => unary('sin', x);
export const cos = (x: Tensor): Tensor => unary('cos', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const erf = (x: Tensor): Tensor => unary('erf', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const floor = (x: Tensor): Tensor => unary('floor', x);
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/** Rounds half to even, as torch.round does. */
export const round = (x: Tensor): Tensor => unary('round', x);
export const logicalNot = (x: Tensor) => unary('logicalNot', x) as Tensor<'bool'>;

export function square(x: Tensor): Tensor {
  return mul(x, x);
}

export function reciprocal(x: Tensor): Tensor {
  return div(1, x);
}

export interface ClampOptions {
  readonly min?: TensorOrScalar | null;
  readonly max?: TensorOrScalar | null;
}

const CLAMP = defineOptions<ClampOptions>('clamp', {
  min: ['number', 'boolean', 'tensor', 'null'],
  max: ['number', 'boolean', 'tensor', 'null'],
});

/**
 * clamp(x, min?, max?), or clamp(x, { min, max }) as PyTorch's keywords: scalar bounds run as
 * one primitive; tensor bounds compose maximum/minimum.
 */
export function clamp(
  x: Tensor,
  min?: TensorOrScalar | ClampOptions | null,
  max?: TensorOrScalar | null,
): Tensor {
  if (isOptionsObject(min)) {
    if (max !== undefined) throw argsAfterOptions('clamp');
    const o = CLAMP.checkGiven(min);
    return clampBetween(x, o.min ?? undefined, o.max ?? undefined);
  }
  CLAMP.checkArg('min', min);
  CLAMP.checkArg('max', max);
  return clampBetween(x, min ?? undefined, max ?? undefined);
}

function clampBetween(x: Tensor, lo: TensorOrScalar | undefined, hi: TensorOrScalar | undefined) {
  if (lo === undefined && hi === undefined) {
    throw new ArgumentError("torch.clamp: At least one of 'min' or 'max' must not be None");
  }
  if (isTensor(lo) || isTensor(hi)) {
    // NOTE: PyTorch's tensor-bound clamp passes the gradient where min <= x <= max; where() does the same.
    let y = x;
    if (lo !== undefined) y = where(lt(x, lo), asTensor(lo, [x, lo]), y);
    if (hi !== undefined) y = where(gt(y, hi), asTensor(hi, [x, hi]), y);
    return y;
  }
  return apply('clamp', [x], {
    min: lo === undefined ? undefined : Number(lo),
    max: hi === undefined ? undefined : Number(hi),
  });
}

/** where(condition, a, b): a where condition is true, else b; broadcasts all three. */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const ab = [a, b];
  return apply('where', [cond, asTensor(a, [...ab, cond]), asTensor(b, [...ab, cond])], {});
}

/** Converts to a dtype (a copy that autograd sees through when both dtypes are floating). */
export function cast(x: Tensor, dtype: Tensor['dtype']): Tensor {
  return x.dtype === dtype ? x : apply('cast', [x], { dtype });
}
