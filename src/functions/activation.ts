// softmax in its stable form, composed from primitives (its gradient comes free), and logSoftmax, a primitive.
import { isFloating, notImplementedFor, type DType } from '../dtype.js';
import { checkOptions } from '../options.js';
import { apply } from '../ops/apply.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad_mode.js';
import { abs, cast, div, eq, exp, sub, where } from './elementwise.js';
import { reduce } from './reduction.js';

/** softmax's, softmin's and logSoftmax's options: the dtype to cast the input to first. */
export interface SoftmaxOptions {
  readonly dtype?: DType;
}

/**
 * The input of softmax or logSoftmax along dim `d`: cast to opts.dtype first, as PyTorch's
 * `dtype=` (refused with PyTorch's words unless floating), else integral inputs as float32.
 */
export function softmaxInput(
  op: 'softmax' | 'log_softmax',
  x: Tensor,
  d: number,
  opts?: SoftmaxOptions,
): Tensor {
  checkOptions(op, opts, ['dtype']);
  const dtype = opts?.dtype;
  if (dtype === undefined) return isFloating(x.dtype) ? x : cast(x, 'float32');
  if (!isFloating(dtype)) {
    const lastDim = x.ndim === 0 || d === x.ndim - 1;
    const kernel = op === 'log_softmax' ? 'log_softmax' : 'softmax';
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
export function logSoftmax(x: Tensor, dim: number, opts?: SoftmaxOptions): Tensor {
  const d = normalizeDim(dim, x.ndim);
  return apply('logSoftmax', [softmaxInput('log_softmax', x, d, opts)], { dim: d });
}

/** The max along dim (keepdim), without gradient; ±inf becomes 0 as in PyTorch. */
function detachedMax(xf: Tensor, d: number): Tensor {
  return noGrad(() => {
    const mx = reduce('amax', xf, d, true);
    return where(eq(abs(mx), Infinity), 0, mx);
  });
}

/** softmax(x, dim, { dtype }?) = exp(x − max) / Σ exp(x − max), x cast to dtype first if given. */
export function softmax(x: Tensor, dim: number, opts?: SoftmaxOptions): Tensor {
  const d = normalizeDim(dim, x.ndim);
  const xf = softmaxInput('softmax', x, d, opts);
  const e = exp(sub(xf, detachedMax(xf, d)));
  return div(e, reduce('sum', e, d, true));
}
