// isclose and allclose: |a − b| ≤ atol + rtol·|b| elementwise, in PyTorch's order of operations.
import { isFloating, type DType } from '../dtype.js';
import { ArgumentError, DTypeError } from '../errors.js';
import { defineOptions, type OptionSchema } from '../options.js';
import type { Tensor } from '../tensor.js';
import { abs, cast, eq, lt, logicalAnd, logicalOr, ne, sub } from './elementwise.js';
import { all } from './reduction.js';

export interface IscloseOptions {
  /** Relative tolerance (default 1e-5). */
  readonly rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  readonly atol?: number;
  /** NaN counts as equal to NaN (default false). */
  readonly equalNan?: boolean;
}

const CLOSENESS_SPEC = { rtol: 'number', atol: 'number', equalNan: 'boolean' } as const;
const ISCLOSE = defineOptions<IscloseOptions>('isclose', CLOSENESS_SPEC);
const ALLCLOSE = defineOptions<IscloseOptions>('allclose', CLOSENESS_SPEC);

/** PyTorch's scalar type names, for its "Float did not match Double" message. */
const TORCH_NAME: { readonly [D in DType]: string } = {
  float32: 'Float',
  float64: 'Double',
  int32: 'Int',
  bool: 'Bool',
};

/**
 * isclose(a, b, { rtol, atol, equalNan }): a == b, or |a − b| finite and ≤ atol + |rtol·b|
 * (broadcast; a and b must have the same dtype). Integer and bool inputs are compared in float32,
 * as PyTorch's default dtype.
 */
export function isclose(a: Tensor, b: Tensor, opts?: IscloseOptions): Tensor<'bool'> {
  return closeness(ISCLOSE, a, b, opts);
}

/** allclose(a, b, { rtol, atol, equalNan }): whether isclose holds everywhere. */
export function allclose(a: Tensor, b: Tensor, opts?: IscloseOptions): boolean {
  return all(closeness(ALLCLOSE, a, b, opts)).item();
}

function closeness(
  schema: OptionSchema<IscloseOptions>,
  a: Tensor,
  b: Tensor,
  opts: IscloseOptions | undefined,
): Tensor<'bool'> {
  schema.check(opts);
  const rtol = opts?.rtol ?? 1e-5;
  const atol = opts?.atol ?? 1e-8;
  if (a.dtype !== b.dtype)
    throw new DTypeError(`${TORCH_NAME[a.dtype]} did not match ${TORCH_NAME[b.dtype]}`);
  if (!(rtol >= 0))
    throw new ArgumentError(`rtol must be greater than or equal to zero, but got ${rtol}`);
  if (!(atol >= 0))
    throw new ArgumentError(`atol must be greater than or equal to zero, but got ${atol}`);
  let close = eq(a, b);
  if ((opts?.equalNan ?? false) && isFloating(a.dtype))
    close = logicalOr(close, logicalAnd(ne(a, a), ne(b, b)));
  if (rtol === 0 && atol === 0) return close;
  const x = isFloating(a.dtype) ? a : cast(a, 'float32');
  const y = isFloating(b.dtype) ? b : cast(b, 'float32');
  const allowed = abs(y.mul(rtol)).add(atol);
  const actual = abs(sub(x, y));
  const finite = lt(actual, Infinity);
  return logicalOr(close, logicalAnd(finite, actual.le(allowed)));
}
