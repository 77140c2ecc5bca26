// Dtypes, their storage arrays, and PyTorch's type-promotion rules (int32 stands in for int64).
import { DTypeError, OutOfMemoryError } from './errors.js';

export type DType = 'float32' | 'float64' | 'int32' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** The JavaScript array that stores one dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

interface TypedArrayCtor {
  new (n: number): TypedArray;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray;
}

const ARRAY_CTOR: { readonly [D in DType]: TypedArrayCtor } = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
};

const ITEM_SIZE: { readonly [D in DType]: number } = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** The dtype tensors get when none is given and the data are plain numbers. */
export const DEFAULT_FLOAT: DType = 'float32';

export function allocArray<D extends DType>(dtype: D, n: number): TypedArrayOf[D] {
  try {
    return new ARRAY_CTOR[dtype](n) as TypedArrayOf[D];
  } catch (e) {
    // past the typed-array length limit, or out of memory
    if (e instanceof RangeError) throw outOfMemory(dtype, n, e);
    throw e;
  }
}

/** PyTorch's allocation failure, for `n` elements of `dtype`. */
export function outOfMemory(dtype: DType, n: number, cause?: unknown): OutOfMemoryError {
  return new OutOfMemoryError(
    `can't allocate memory: you tried to allocate ${n * itemSize(dtype)} bytes (${n} elements of ${dtype})`,
    { cause },
  );
}

/** A `dtype` array of `n` elements over `buffer`, from its start. */
export function arrayOver<D extends DType>(
  dtype: D,
  buffer: ArrayBuffer,
  n: number,
): TypedArrayOf[D] {
  return new ARRAY_CTOR[dtype](buffer, 0, n) as TypedArrayOf[D];
}

export function itemSize(dtype: DType): number {
  return ITEM_SIZE[dtype];
}

export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

export function assertDType(x: unknown): DType {
  if (!isDType(x))
    throw new DTypeError(`unknown dtype '${String(x)}' (expected one of ${DTYPES.join(', ')})`);
  return x;
}

/** The dtype whose storage array this is. */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}

type Category = 0 | 1 | 2; // bool, integral, floating

function category(d: DType): Category {
  return d === 'bool' ? 0 : d === 'int32' ? 1 : 2;
}

const RANK: { readonly [D in DType]: number } = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** torch.promote_types: the smallest dtype both can be cast to safely. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** torch.can_cast: casting is allowed unless it lowers the category (float to int, int to bool). */
export function canCast(from: DType, to: DType): boolean {
  return category(from) <= category(to);
}

/** A JavaScript number or boolean used as an operand: PyTorch's "wrapped number". */
export type Scalar = number | boolean;

/** The dtype a wrapped number contributes: bool, int32 for integers, the default float otherwise. */
export function scalarDType(x: Scalar): DType {
  if (typeof x === 'boolean') return 'bool';
  return Number.isInteger(x) ? 'int32' : DEFAULT_FLOAT;
}

export interface DTypeOperand {
  readonly dtype: DType;
  readonly ndim: number;
}

function combineCategories(higher: DType | undefined, lower: DType | undefined): DType | undefined {
  if (higher === undefined) return lower;
  if (lower === undefined) return higher;
  if (isFloating(higher)) return higher;
  if (higher === 'bool' || isFloating(lower)) return promoteTypes(higher, lower);
  return higher;
}

/**
 * torch.result_type: dimensioned tensors decide within their category; zero-dim tensors and then
 * wrapped numbers only decide when they belong to a higher category.
 */
export function resultType(operands: readonly (DTypeOperand | Scalar)[]): DType {
  let dim: DType | undefined;
  let zero: DType | undefined;
  let wrapped: DType | undefined;
  const up = (acc: DType | undefined, d: DType) => (acc === undefined ? d : promoteTypes(acc, d));
  for (const op of operands) {
    if (typeof op === 'number' || typeof op === 'boolean') wrapped = up(wrapped, scalarDType(op));
    else if (op.ndim === 0) zero = up(zero, op.dtype);
    else dim = up(dim, op.dtype);
  }
  const result = combineCategories(dim, combineCategories(zero, wrapped));
  if (result === undefined) throw new DTypeError('result_type: no operands');
  return result;
}

/** The float dtype an op that needs floats computes in: integral and bool inputs become float32. */
export function toFloating(d: DType): DType {
  return isFloating(d) ? d : DEFAULT_FLOAT;
}

/**
 * Converts a number the user gave for a new tensor's elements (tensor(), full(), fill_) to the
 * value `dtype` stores, raising where PyTorch's checked conversion does: an int32 from NaN, ±inf
 * or a value outside [-2^31, 2^31 - 1]. Other values truncate toward zero, as castScalar.
 */
export function checkedScalar(x: number, dtype: DType): number {
  if (dtype === 'int32' && !(x >= -2147483648 && x <= 2147483647)) {
    throw new DTypeError(`value cannot be converted to type int32 without overflow`);
  }
  return castScalar(x, dtype);
}

/**
 * Converts a JavaScript number to the value that a dtype stores. NOTE: unchecked: an int32 from a
 * value outside its range wraps modulo 2^32 and NaN/±inf give 0 (as casts of tensors do).
 */
export function castScalar(x: number, dtype: DType): number {
  switch (dtype) {
    case 'float32':
      return Math.fround(x);
    case 'float64':
      return x;
    case 'int32':
      return Number.isFinite(x) ? Math.trunc(x) | 0 : 0;
    case 'bool':
      return x !== 0 ? 1 : 0;
  }
}

/** PyTorch's type names, as its "not implemented for" messages write them. */
const TORCH_TYPE_NAMES: { readonly [D in DType]: string } = {
  float32: 'Float',
  float64: 'Double',
  int32: 'Int',
  bool: 'Bool',
};

/** PyTorch's refusal of a dtype that one of its kernels (named as in PyTorch) has no loop for. */
export function notImplementedFor(kernel: string, dtype: DType): DTypeError {
  return new DTypeError(`"${kernel}" not implemented for '${TORCH_TYPE_NAMES[dtype]}'`);
}
