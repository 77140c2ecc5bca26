// softmax in its stable form, composed from primitives (its gradient comes free), and logSoftmax, a primitive.
import { isFloating } from '../dtype.js';
import { apply } from '../ops/apply.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad_mode.js';
import { abs, cast, div, eq, exp, sub, where } from './elementwise.js';
import { reduce } from './reduction.js';

function floating(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : cast(x, 'float32');
}

/**
 * log_softmax(x, dim) = (x − max) − log Σ exp(x − max): exact for large inputs (e.g. [1000, 0] →
 * [0, −1000]). NOTE: the max is subtracted before the log-sum is added, as PyTorch does, so that
 * x − max is exact instead of rounding through logsumexp's large value. One primitive (one pass
 * per row in C; its backward is g − exp(y)·Σg), not the nine ops of the composite.
 */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return apply('logSoftmax', [floating(x)], { dim: normalizeDim(dim, x.ndim) });
}

/** The max along dim (keepdim), without gradient; ±inf becomes 0 as in PyTorch. */
function detachedMax(xf: Tensor, d: number): Tensor {
  return noGrad(() => {
    const mx = reduce('amax', xf, d, true);
    return where(eq(abs(mx), Infinity), 0, mx);
  });
}

/** softmax(x, dim) = exp(x − max) / Σ exp(x − max). */
export function softmax(x: Tensor, dim: number): Tensor {
  const xf = floating(x);
  const d = normalizeDim(dim, x.ndim);
  const e = exp(sub(xf, detachedMax(xf, d)));
  return div(e, reduce('sum', e, d, true));
}
