// softmax in its stable form, composed from primitives (its gradient comes free), and logSoftmax, a primitive.
import { isFloating, notImplementedFor, type DType } from '../dtype.js';
import { OptionError } from '../errors.js';
import { defineOptions, DTYPE, type OptionSchema, type Spec } from '../options.js';
import { apply } from '../ops/apply.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad_mode.js';
import { abs, cast, div, eq, exp, sub, where } from './elementwise.js';
import { dimKeywords, reduce } from './reduction.js';

/** A `dim` given positionally or as PyTorch's keyword: `softmax(x, 1)` or `softmax(x, { dim: 1 })`. */
export interface DimOptions {
  readonly dim?: number;
}

/** softmax's, softmin's and logSoftmax's keywords: dim, and the dtype to cast the input to first. */
export interface SoftmaxOptions extends DimOptions {
  readonly dtype?: DType;
}

export const SOFTMAX_SPEC: Spec<SoftmaxOptions> = { dim: 'integer', dtype: DTYPE };
const SOFTMAX = defineOptions<SoftmaxOptions>('softmax', SOFTMAX_SPEC);
const LOG_SOFTMAX = defineOptions<SoftmaxOptions>('logSoftmax', SOFTMAX_SPEC);

/**
 * The dim of (dim, opts?) or ({ dim, dtype }) once the keywords `o` are read (by dimKeywords);
 * refuses an options object without dim.
 */
export function dimOf(
  schema: OptionSchema<SoftmaxOptions>,
  dim: number | SoftmaxOptions,
  o: SoftmaxOptions | undefined,
): number {
  if (typeof dim === 'number') return dim;
  if (o?.dim === undefined) throw new OptionError(`${schema.name}(): missing option 'dim'`);
  return o.dim;
}

/**
 * The input of softmax or logSoftmax along dim `d`: cast to dtype first if given, as PyTorch's
 * `dtype=` (refused with PyTorch's words unless floating), else integral inputs as float32.
 */
function softmaxInput(
  kernel: 'softmax' | 'log_softmax',
  x: Tensor,
  d: number,
  dtype: DType | undefined,
): Tensor {
  if (dtype === undefined) return isFloating(x.dtype) ? x : cast(x, 'float32');
  if (!isFloating(dtype)) {
    const lastDim = x.ndim === 0 || d === x.ndim - 1;
    throw notImplementedFor(
      lastDim ? `${kernel}_lastdim_kernel_impl` : 'softmax_kernel_impl',
      dtype,
    );
  }
  return cast(x, dtype);
}

/**
 * log_softmax(x, dim, { dtype }?) = (x − max) − log Σ exp(x − max), x cast to dtype first if given:
 * exact for large inputs (e.g. [1000, 0] → [0, −1000]). NOTE: the max is subtracted before the
 * log-sum is added, as PyTorch does, so that x − max is exact instead of rounding through
 * logsumexp's large value. One primitive (one pass per row in C; its backward is g − exp(y)·Σg),
 * not the nine ops of the composite.
 */
export function logSoftmax(x: Tensor, dim: number | SoftmaxOptions, opts?: SoftmaxOptions): Tensor {
  const o = dimKeywords(LOG_SOFTMAX, dim, opts);
  const d = normalizeDim(dimOf(LOG_SOFTMAX, dim, o), x.ndim);
  return apply('logSoftmax', [softmaxInput('log_softmax', x, d, o?.dtype)], { dim: d });
}

/** The max along dim (keepdim), without gradient; ±inf becomes 0 as in PyTorch. */
function detachedMax(xf: Tensor, d: number): Tensor {
  return noGrad(() => {
    const mx = reduce('amax', xf, d, true);
    return where(eq(abs(mx), Infinity), 0, mx);
  });
}

/** softmax(x, dim, { dtype }?) = exp(x − max) / Σ exp(x − max), x cast to dtype first if given. */
export function softmax(x: Tensor, dim: number | SoftmaxOptions, opts?: SoftmaxOptions): Tensor {
  const o = dimKeywords(SOFTMAX, dim, opts);
  const d = normalizeDim(dimOf(SOFTMAX, dim, o), x.ndim);
  const xf = softmaxInput('softmax', x, d, o?.dtype);
  const e = exp(sub(xf, detachedMax(xf, d)));
  return div(e, reduce('sum', e, d, true));
}
