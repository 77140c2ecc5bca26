// Op definitions of the fused loss pieces: logSoftmax, and nllLoss with its input gradient.
import { isFloating } from '../../dtype.js';
import { DTypeError, ShapeError } from '../../errors.js';
import type { NllParams } from '../../primitives.js';
import { apply, exp, mul, sub } from '../call.js';
import type { Inferred, KernelOpDef, TensorMeta } from '../op.js';

export const logSoftmaxDef: KernelOpDef<'logSoftmax'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x], { dim }): Inferred => {
    if (!isFloating(x!.dtype)) {
      throw new DTypeError(`"log_softmax" not implemented for '${x!.dtype}'`);
    }
    if (x!.shape.length > 0 && !(dim >= 0 && dim < x!.shape.length)) {
      throw new ShapeError(`logSoftmax: dim ${dim} out of range for ${x!.shape.length} dims`);
    }
    return { shape: x!.shape, dtype: x!.dtype };
  },
  save: (c) => [c.output],
  // y = x − logΣexp(x): ∂L/∂x = g − softmax(x)·Σg, with softmax(x) = exp(y)
  backward: (g, c) => {
    const y = c.saved[0]!;
    if (y.ndim === 0) return [sub(g, mul(exp(y), g))];
    return [sub(g, mul(exp(y), apply('sum', [g], { dims: [c.params.dim], keepdim: true })))];
  },
};

/** The weight input (third), cast to the log-probabilities' dtype; the target stays int32. */
function nllInfer(op: string, values: TensorMeta, target: TensorMeta, weight?: TensorMeta) {
  if (!isFloating(values.dtype)) {
    throw new DTypeError(`"${op}" not implemented for '${values.dtype}'`);
  }
  if (target.dtype !== 'int32') {
    throw new DTypeError(`expected scalar type int32 but found ${target.dtype}`);
  }
  return weight === undefined ? [undefined, undefined] : [undefined, undefined, values.dtype];
}

export const nllLossDef: KernelOpDef<'nllLoss'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x, target, weight], { reduction }): Inferred => ({
    shape: reduction === 'none' ? target!.shape : [],
    dtype: x!.dtype,
    inputDTypes: nllInfer('nll_loss', x!, target!, weight),
  }),
  save: (c) => [c.inputs[1]!, c.inputs[2] ?? null],
  // −w[t]·x[t] per target: the gradient is −w[t]·g (÷ the counted weight for 'mean') at [n, t]
  backward: (g, c) => {
    const [target, weight] = c.saved;
    const params = { ...pick(c.params), shape: c.inputs[0]!.shape };
    const ins = weight === null ? [g, target!] : [g, target!, weight!];
    return [apply('nllLossBackward', ins, params), null, null];
  },
};

export const nllLossBackwardDef: KernelOpDef<'nllLossBackward'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([g, target, weight], { shape }): Inferred => ({
    shape,
    dtype: g!.dtype,
    inputDTypes: nllInfer('nll_loss_backward', g!, target!, weight),
  }),
  save: (c) => [c.inputs[1]!, c.inputs[2] ?? null],
  // linear in g: its adjoint reads the incoming gradient at [n, t] as nllLoss reads its input
  backward: (gg, c) => {
    const [target, weight] = c.saved;
    const ins = weight === null ? [gg, target!] : [gg, target!, weight!];
    return [apply('nllLoss', ins, pick(c.params)), null, null];
  },
};

function pick(p: NllParams): NllParams {
  return { ignoreIndex: p.ignoreIndex, reduction: p.reduction };
}
