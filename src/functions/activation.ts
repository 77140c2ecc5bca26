// softmax and logSoftmax in their stable forms, composed from primitives (their gradients come free).
import { isFloating } from '../dtype.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad_mode.js';
import { abs, cast, div, eq, exp, sub, where } from './elementwise.js';
import { logsumexp, reduce } from './reduction.js';

function floating(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : cast(x, 'float32');
}

/** log_softmax(x, dim) = x − logsumexp(x, dim): exact for large inputs (e.g. [1000, 0] → [0, −1000]). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const xf = floating(x);
  const d = normalizeDim(dim, x.ndim);
  return sub(xf, logsumexp(xf, d, true));
}

/** softmax(x, dim) = exp(x − max) / Σ exp(x − max). */
export function softmax(x: Tensor, dim: number): Tensor {
  const xf = floating(x);
  const d = normalizeDim(dim, x.ndim);
  const m = noGrad(() => {
    const mx = reduce('amax', xf, d, true);
    return where(eq(abs(mx), Infinity), 0, mx);
  });
  const e = exp(sub(xf, m));
  return div(e, reduce('sum', e, d, true));
}
