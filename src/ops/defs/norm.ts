// Op definitions of the fused batch norm: its statistics, the normalisation and its gradient pieces.
import { isFloating } from '../../dtype.js';
import { DTypeError, ShapeError } from '../../errors.js';
import { isGradEnabled } from '../../autograd/grad_mode.js';
import type { Tensor } from '../../tensor.js';
import { add, apply, div, mul, narrow, reshape, sub } from '../call.js';
import type { Inferred, KernelOpDef, TensorMeta } from '../op.js';

const dims = (s: readonly number[]) => `[${s.join(', ')}]`;

/** x must be a floating [N, C, *]; returns C. */
function channelsOf(op: string, x: TensorMeta): number {
  if (x.shape.length < 2)
    throw new ShapeError(
      `${op}: expected an input of at least 2 dims [N, C, *], got ${dims(x.shape)}`,
    );
  if (!isFloating(x.dtype)) throw new DTypeError(`"${op}" not implemented for '${x.dtype}'`);
  return x.shape[1]!;
}

/** t must be `shape` of x's dtype (what: its name in the message). */
function expectLike(
  op: string,
  what: string,
  t: TensorMeta | undefined,
  shape: number[],
  x: TensorMeta,
) {
  if (t === undefined) throw new ShapeError(`${op}: missing ${what}`);
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i]))
    throw new ShapeError(`${op}: expected ${what} of shape ${dims(shape)}, got ${dims(t.shape)}`);
  if (t.dtype !== x.dtype)
    throw new DTypeError(`${op}: expected ${what} of dtype ${x.dtype}, got ${t.dtype}`);
}

const statsShape = (c: number) => [2, c];

export const batchNormStatsDef: KernelOpDef<'batchNormStats'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x]): Inferred => ({
    shape: statsShape(channelsOf('batchNormStats', x!)),
    dtype: x!.dtype,
  }),
};

export const batchNormGradStatsDef: KernelOpDef<'batchNormGradStats'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([g, x, stats]): Inferred => {
    const c = channelsOf('batchNormGradStats', x!);
    expectLike('batchNormGradStats', 'grad', g, [...x!.shape], x!);
    expectLike('batchNormGradStats', 'stats', stats, statsShape(c), x!);
    return { shape: statsShape(c), dtype: x!.dtype };
  },
};

export const batchNormBackwardDef: KernelOpDef<'batchNormBackward'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([g, x, stats, gradStats, weight], p): Inferred => {
    const c = channelsOf('batchNormBackward', x!);
    expectLike('batchNormBackward', 'grad', g, [...x!.shape], x!);
    expectLike('batchNormBackward', 'stats', stats, statsShape(c), x!);
    expectLike('batchNormBackward', 'gradStats', gradStats, statsShape(c), x!);
    if (p.weight) expectLike('batchNormBackward', 'weight', weight, [c], x!);
    return { shape: x!.shape, dtype: x!.dtype };
  },
};

/** [1, C, 1, …] for an input of `ndim` dims. */
const channelView = (t: Tensor, ndim: number) =>
  reshape(
    t,
    Array.from({ length: ndim }, (_, i) => (i === 1 ? -1 : 1)),
  );

const sumBut1 = (t: Tensor, keepdim: boolean) =>
  apply('sum', [t], { dims: t.shape.map((_, i) => i).filter((i) => i !== 1), keepdim });

/** rsqrt(var + eps) of stats [2, C] as [C]. */
const invStdOf = (stats: Tensor, eps: number) =>
  apply('rsqrt', [add(reshape(narrow(stats, 0, 1, 1), [-1]), eps)], {});

export const batchNormDef: KernelOpDef<'batchNorm'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x, stats, ...affine], p): Inferred => {
    const c = channelsOf('batchNorm', x!);
    expectLike('batchNorm', 'stats', stats, statsShape(c), x!);
    const want = (p.weight ? 1 : 0) + (p.bias ? 1 : 0);
    if (affine.length !== want)
      throw new ShapeError(`batchNorm: expected ${want} affine inputs, got ${affine.length}`);
    if (p.weight) expectLike('batchNorm', 'weight', affine[0], [c], x!);
    if (p.bias) expectLike('batchNorm', 'bias', affine[p.weight ? 1 : 0], [c], x!);
    return { shape: x!.shape, dtype: x!.dtype };
  },
  save: (c) => [c.inputs[0]!, c.inputs[1]!, c.params.weight ? c.inputs[2]! : null],
  // y = x̂·w + b, x̂ = (x − μ)·σ̂ (σ̂ = rsqrt(var + eps)); training (μ, var from x):
  // ∂x = w·σ̂·(g − mean(g) − x̂·mean(g·x̂)), else ∂x = g·w·σ̂; ∂w = Σ g·x̂, ∂b = Σ g
  backward: (g, c) => {
    const [x, stats, weight] = c.saved as [Tensor, Tensor, Tensor | null];
    const { eps, training } = c.params;
    const needX = c.needsInputGrad[0]!;
    const iw = c.params.weight ? 2 : -1;
    const ib = c.params.bias ? (c.params.weight ? 3 : 2) : -1;
    const needW = iw >= 0 && c.needsInputGrad[iw]!;
    const needB = ib >= 0 && c.needsInputGrad[ib]!;
    const grads: (Tensor | null)[] = c.inputs.map(() => null);
    const nd = x.ndim;
    if (isGradEnabled()) {
      // NOTE: create_graph: differentiable primitives only, the statistics recomputed from x in
      // training, so that the gradients are themselves differentiable in g, x and w.
      const n = x.numel() / x.shape[1]!;
      let xhat: Tensor;
      let invStd: Tensor;
      if (training) {
        const centered = sub(x, div(sumBut1(x, true), n));
        invStd = apply('rsqrt', [add(div(sumBut1(mul(centered, centered), true), n), eps)], {});
        xhat = mul(centered, invStd);
      } else {
        invStd = channelView(invStdOf(stats, eps), nd);
        xhat = mul(sub(x, channelView(narrow(stats, 0, 0, 1), nd)), invStd);
      }
      const k = weight === null ? invStd : mul(invStd, channelView(weight, nd));
      if (needX) {
        grads[0] = training
          ? mul(
              k,
              sub(sub(g, div(sumBut1(g, true), n)), mul(xhat, div(sumBut1(mul(g, xhat), true), n))),
            )
          : mul(g, k);
      }
      if (needW) grads[iw] = sumBut1(mul(g, xhat), false);
      if (needB) grads[ib] = sumBut1(g, false);
      return grads;
    }
    const gs = training || needW || needB ? apply('batchNormGradStats', [g, x, stats], {}) : null;
    if (needX) {
      if (training) {
        const ins = weight === null ? [g, x, stats, gs!] : [g, x, stats, gs!, weight];
        grads[0] = apply('batchNormBackward', ins, { eps, weight: weight !== null });
      } else {
        const invStd = invStdOf(stats, eps);
        grads[0] = mul(g, channelView(weight === null ? invStd : mul(invStd, weight), nd));
      }
    }
    if (needW) grads[iw] = mul(reshape(narrow(gs!, 0, 1, 1), [-1]), invStdOf(stats, eps));
    if (needB) grads[ib] = reshape(narrow(gs!, 0, 0, 1), [-1]);
    return grads;
  },
};
