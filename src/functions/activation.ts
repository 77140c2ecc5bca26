// softmax in its stable form, composed from primitives (its gradient comes free), and logSoftmax, a primitive.
import { OptionError } from '../errors.js';
import { defineOptions, type OptionSchema } from '../options.js';
import { isFloating } from '../dtype.js';
import { apply } from '../ops/apply.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad_mode.js';
import { abs, cast, div, eq, exp, sub, where } from './elementwise.js';
import { reduce } from './reduction.js';

/** A `dim` given positionally or as PyTorch's keyword: `softmax(x, 1)` or `softmax(x, { dim: 1 })`. */
export interface DimOptions {
  readonly dim?: number;
}

const SOFTMAX = defineOptions<DimOptions>('softmax', { dim: 'integer' });
const LOG_SOFTMAX = defineOptions<DimOptions>('logSoftmax', { dim: 'integer' });

/** The dim of `dim` (a number passes straight through: the hot path allocates and checks nothing). */
export function dimArg(schema: OptionSchema<DimOptions>, dim: number | DimOptions): number {
  if (typeof dim === 'number') return dim;
  const d = schema.checkGiven(dim).dim;
  if (d === undefined) throw new OptionError(`${schema.name}(): missing option 'dim'`);
  return d;
}

function floating(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : cast(x, 'float32');
}

/**
 * log_softmax(x, dim) = (x − max) − log Σ exp(x − max): exact for large inputs (e.g. [1000, 0] →
 * [0, −1000]). NOTE: the max is subtracted before the log-sum is added, as PyTorch does, so that
 * x − max is exact instead of rounding through logsumexp's large value. One primitive (one pass
 * per row in C; its backward is g − exp(y)·Σg), not the nine ops of the composite.
 */
export function logSoftmax(x: Tensor, dim: number | DimOptions): Tensor {
  return apply('logSoftmax', [floating(x)], {
    dim: normalizeDim(dimArg(LOG_SOFTMAX, dim), x.ndim),
  });
}

/** The max along dim (keepdim), without gradient; ±inf becomes 0 as in PyTorch. */
function detachedMax(xf: Tensor, d: number): Tensor {
  return noGrad(() => {
    const mx = reduce('amax', xf, d, true);
    return where(eq(abs(mx), Infinity), 0, mx);
  });
}

/** softmax(x, dim) = exp(x − max) / Σ exp(x − max). */
export function softmax(x: Tensor, dim: number | DimOptions): Tensor {
  const xf = floating(x);
  const d = normalizeDim(dimArg(SOFTMAX, dim), x.ndim);
  const e = exp(sub(xf, detachedMax(xf, d)));
  return div(e, reduce('sum', e, d, true));
}
