// Op definitions of cumprod, logcumsumexp and the cummax/cummin indices, with their vector-Jacobian products.
import { DTypeError } from '../../errors.js';
import { isFloating } from '../../dtype.js';
import type { Tensor } from '../../tensor.js';
import {
  abs,
  add,
  apply,
  cast,
  div,
  eq,
  exp,
  flip,
  gt,
  log,
  logicalAnd,
  lt,
  mul,
  sub,
  where,
} from '../call.js';
import type { KernelOpDef } from '../op.js';

/** Σ_{j ≥ i} tⱼ along dim. */
function reverseCumsum(t: Tensor, dim: number): Tensor {
  return flip(apply('cumsum', [flip(t, dim)], { dim }), dim);
}

export const cumprodDef: KernelOpDef<'cumprod'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
  save: (c) => [c.inputs[0]!, c.output],
  // ∂yᵢ/∂xₖ = Π_{j≤i, j≠k} xⱼ: Σ_{i≥k} gᵢyᵢ/xₖ where xₖ ≠ 0; at the first zero the products
  // with that zero left out (a cumprod with it set to 1); 0 at later zeros (as PyTorch)
  backward: (g, c) => {
    if (g.ndim === 0) return [g];
    const [x, y] = c.saved as [Tensor, Tensor];
    const d = c.params.dim;
    const zero = eq(x, 0);
    const first = logicalAnd(zero, eq(apply('cumsum', [cast(zero, 'int32')], { dim: d }), 1));
    const nonzero = div(reverseCumsum(mul(g, y), d), where(zero, 1, x));
    const skipped = apply('cumprod', [where(first, 1, x)], { dim: d });
    const atFirst = reverseCumsum(mul(g, skipped), d);
    return [where(zero, where(first, atFirst, 0), nonzero)];
  },
};

/** The lowest finite value of a float dtype: log(0) stand-in of PyTorch's logcumsumexp backward. */
const lowest = (t: Tensor) => (t.dtype === 'float32' ? -3.4028234663852886e38 : -Number.MAX_VALUE);

export const logcumsumexpDef: KernelOpDef<'logcumsumexp'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x]) => {
    if (!isFloating(x!.dtype)) {
      throw new DTypeError(`"logcumsumexp_out_cpu" not implemented for '${x!.dtype}'`);
    }
    return { shape: x!.shape, dtype: x!.dtype };
  },
  save: (c) => [c.inputs[0]!, c.output],
  // ∂yᵢ/∂xₖ = exp(xₖ − yᵢ) for i ≥ k, summed in log space for the positive and the negative
  // parts of g separately, as PyTorch does: exp(revlogcumsumexp(log g± − y) + x)
  backward: (g, c) => {
    if (g.ndim === 0) return [g];
    const [x, y] = c.saved as [Tensor, Tensor];
    const d = c.params.dim;
    const reverse = (t: Tensor) => flip(apply('logcumsumexp', [flip(t, d)], { dim: d }), d);
    const logAbs = log(abs(g));
    const min = lowest(g);
    const part = (mask: Tensor) => exp(add(reverse(sub(where(mask, logAbs, min), y)), x));
    return [sub(part(gt(g, 0)), part(lt(g, 0)))];
  },
};

export const cumExtremeIndexDef: KernelOpDef<'cumExtremeIndex'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x]) => ({ shape: x!.shape, dtype: 'int32' }),
};
