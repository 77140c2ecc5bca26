// Op definitions of the reductions, the p-norm and cumsum, with their vector-Jacobian products.
import { isFloating } from '../../dtype.js';
import { IndexError, DTypeError } from '../../errors.js';
import type { ReduceParams, ReducePrimitive } from '../../primitives.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import {
  apply,
  abs,
  cast,
  div,
  eq,
  expand,
  flip,
  mul,
  pow,
  reshape,
  sign,
  sub,
  where,
  zerosLike,
} from '../call.js';
import type { Inferred, KernelOpDef, TensorMeta } from '../op.js';

function reducedShape(shape: Shape, { dims, keepdim }: ReduceParams): number[] {
  return keepdim
    ? shape.map((s, i) => (dims.includes(i) ? 1 : s))
    : shape.filter((_, i) => !dims.includes(i));
}

/** The output gradient with the reduced dims put back as size 1, ready to broadcast. */
function keepdimGrad(g: Tensor, input: TensorMeta, p: ReduceParams): Tensor {
  return p.keepdim
    ? g
    : reshape(
        g,
        input.shape.map((s, i) => (p.dims.includes(i) ? 1 : s)),
      );
}

/** The reduction's output viewed with keepdim: size-1 dims where the input was reduced. */
const keepdimOut = keepdimGrad;

function reduceInfer(op: ReducePrimitive) {
  return ([x]: readonly TensorMeta[], p: ReduceParams): Inferred => {
    const shape = reducedShape(x!.shape, p);
    if (op === 'amax' || op === 'amin' || op === 'argmax' || op === 'argmin') {
      for (const d of p.dims) {
        if (x!.shape[d] === 0) {
          throw new IndexError(`${op}(): Expected reduction dim ${d} to have non-zero size.`);
        }
      }
      if (x!.shape.length > 0 && p.dims.length === 0 && x!.shape.some((s) => s === 0)) {
        throw new IndexError(
          `${op}(): Expected reduction dim to be specified for input.numel() == 0.`,
        );
      }
    }
    if (op === 'argmax' || op === 'argmin') return { shape, dtype: 'int32' };
    if (op === 'all' || op === 'any') return { shape, dtype: 'bool' };
    return { shape, dtype: x!.dtype };
  };
}

/** Among ties for the extreme, the gradient is shared evenly. */
function extremumBackward(
  g: Tensor,
  c: { saved: readonly (Tensor | null)[]; inputs: readonly TensorMeta[]; params: ReduceParams },
) {
  const [x, y] = c.saved as [Tensor, Tensor];
  const p = c.params;
  const mask = cast(eq(x, keepdimOut(y, c.inputs[0]!, p)), x.dtype);
  const count = apply('sum', [mask], { dims: p.dims, keepdim: true });
  return [div(mul(keepdimGrad(g, c.inputs[0]!, p), mask), count)];
}

export function reduceDef(op: ReducePrimitive): KernelOpDef<ReducePrimitive> {
  const base: KernelOpDef<ReducePrimitive> = {
    kind: 'kernel',
    overwrites: true,
    infer: reduceInfer(op),
  };
  switch (op) {
    case 'sum':
      // ∂(Σx)/∂x = 1: the gradient broadcasts back over the reduced dims
      return {
        ...base,
        backward: (g, c) => [expand(keepdimGrad(g, c.inputs[0]!, c.params), c.inputs[0]!.shape)],
      };
    case 'prod':
      return {
        ...base,
        save: (c) => [c.inputs[0]!],
        // ∂(Πx)/∂xᵢ = Π_{j≠i} xⱼ, computed without dividing by zero
        backward: (g, c) => {
          const x = c.saved[0]!;
          const p = c.params;
          const zero = eq(x, 0);
          const nZeros = apply('sum', [cast(zero, 'int32')], { dims: p.dims, keepdim: true });
          const nonzero = where(zero, 1, x);
          const prodNonzero = apply('prod', [nonzero], { dims: p.dims, keepdim: true });
          // NOTE: zsum is the sum of the zero entries: 0 in value, but it carries their gradient, so
          // that Π_{j≠i} xⱼ stays right to first order (double backward) with one or two zeros.
          const zsum = apply('sum', [where(zero, x, 0)], { dims: p.dims, keepdim: true });
          const atZero = where(
            eq(nZeros, 1),
            prodNonzero,
            where(eq(nZeros, 2), mul(sub(zsum, x), prodNonzero), 0),
          );
          const factor = where(eq(nZeros, 0), 1, where(eq(nZeros, 1), zsum, 0));
          const others = where(zero, atZero, mul(factor, div(prodNonzero, nonzero)));
          return [mul(keepdimGrad(g, c.inputs[0]!, p), others)];
        },
      };
    case 'amax':
    case 'amin':
      return { ...base, save: (c) => [c.inputs[0]!, c.output], backward: extremumBackward };
    default:
      return base;
  }
}

export const normDef: KernelOpDef<'norm'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x], p) => {
    if (!isFloating(x!.dtype))
      throw new DTypeError(`norm(): input dtype should be floating point, got ${x!.dtype}`);
    return { shape: reducedShape(x!.shape, p), dtype: x!.dtype };
  },
  save: (c) => [c.inputs[0]!, c.output],
  backward: (g, c) => {
    const [x, n] = c.saved as [Tensor, Tensor];
    const p = c.params.p;
    const gk = keepdimGrad(g, c.inputs[0]!, c.params);
    const nk = keepdimOut(n, c.inputs[0]!, c.params);
    if (p === 0) return [zerosLike(x)];
    // ∂‖x‖₁ = sign(x)
    if (p === 1) return [mul(gk, sign(x))];
    if (p === Infinity || p === -Infinity) {
      // like max |x|: shared among the elements that reach it
      const mask = cast(eq(abs(x), nk), x.dtype);
      const count = apply('sum', [mask], { dims: c.params.dims, keepdim: true });
      return [mul(mul(sign(x), mask), div(gk, count))];
    }
    // ∂‖x‖ₚ = x·|x|^(p−2) / ‖x‖ₚ^(p−1), and 0 where the norm is 0
    const zero = eq(nk, 0);
    const safe = where(zero, 1, nk);
    const scale = p === 2 ? div(gk, safe) : div(gk, pow(safe, p - 1));
    const local = p === 2 ? x : mul(x, pow(abs(x), p - 2));
    return [where(zero, 0, mul(local, scale))];
  },
};

export const cumsumDef: KernelOpDef<'cumsum'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
  // ∂yⱼ/∂xᵢ = 1 for j ≥ i: a reversed cumulative sum of the gradient
  backward: (g, c) => {
    if (g.ndim === 0) return [g];
    const d = c.params.dim;
    return [flip(apply('cumsum', [flip(g, d)], { dim: d }), d)];
  },
};
