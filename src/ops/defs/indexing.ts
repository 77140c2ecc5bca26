// Op definitions of gather, scatter and scatterAdd, and their vector-Jacobian products.
import { DTypeError, ShapeError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { apply, expand, padZeros } from '../call.js';
import { scalarTensor } from '../create.js';
import type { Inferred, KernelOpDef, TensorMeta } from '../op.js';

function checkIndex(
  op: string,
  x: TensorMeta,
  index: TensorMeta,
  dim: number,
  src?: TensorMeta,
): void {
  if (index.dtype !== 'int32')
    throw new DTypeError(`${op}(): Expected dtype int32 for index, got ${index.dtype}`);
  const nd = Math.max(x.shape.length, 1);
  if (Math.max(index.shape.length, 1) !== nd) {
    throw new ShapeError(
      `Index tensor must have the same number of dimensions as ${op === 'gather' ? 'input' : 'self'} tensor`,
    );
  }
  for (let d = 0; d < index.shape.length; d++) {
    if (d !== dim && index.shape[d]! > (x.shape[d] ?? 1)) {
      throw new ShapeError(
        `Size does not match at dimension ${d} expected index [${index.shape.join(', ')}] to be smaller than self [${x.shape.join(', ')}] apart from dimension ${dim}`,
      );
    }
    if (src && index.shape[d]! > (src.shape[d] ?? 1)) {
      throw new ShapeError(
        `Expected index [${index.shape.join(', ')}] to be smaller than self [${x.shape.join(', ')}] apart from dimension ${dim} and to be smaller size than src [${src.shape.join(', ')}]`,
      );
    }
  }
}

/** The gradient of a scatter's source: gathered at the index, zero where the index does not reach. */
/** Zeros of `shape` as a broadcast view of one cached element (a scatter copies it as a fill). */
const zerosView = (shape: readonly number[], like: Tensor): Tensor =>
  expand(scalarTensor(0, like.dtype, like.device), shape);

function sourceGrad(g: Tensor, dim: number, index: Tensor, srcShape: readonly number[]): Tensor {
  const picked = apply('gather', [g, index], { dim });
  const pads: number[] = [];
  for (let d = srcShape.length - 1; d >= 0; d--) pads.push(0, srcShape[d]! - index.shape[d]!);
  return pads.some((v) => v !== 0) ? padZeros(picked, pads) : picked;
}

export const gatherDef: KernelOpDef<'gather'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([x, index], { dim }): Inferred => {
    checkIndex('gather', x!, index!, dim);
    return { shape: index!.shape, dtype: x!.dtype };
  },
  save: (c) => [c.inputs[1]!],
  // each picked element sends its gradient back to where it came from (repeats add up)
  backward: (g, c) => {
    const index = c.saved[0]!;
    const x = c.inputs[0]!;
    return [apply('scatterAdd', [zerosView(x.shape, g), index, g], c.params), null];
  },
};

function scatterInfer(op: string) {
  return ([x, index, src]: readonly TensorMeta[], { dim }: { dim: number }): Inferred => {
    checkIndex(op, x!, index!, dim, src);
    return { shape: x!.shape, dtype: x!.dtype, inputDTypes: [undefined, undefined, x!.dtype] };
  };
}

export const scatterDef: KernelOpDef<'scatter'> = {
  kind: 'kernel',
  overwrites: true,
  infer: scatterInfer('scatter'),
  save: (c) => [c.inputs[1]!],
  // overwritten positions pass no gradient to x; src gets the gradient at its targets
  backward: (g, c) => {
    const index = c.saved[0]!;
    const zero = zerosView(index.shape, g);
    return [
      c.needsInputGrad[0] ? apply('scatter', [g, index, zero], c.params) : null,
      null,
      c.needsInputGrad[2] ? sourceGrad(g, c.params.dim, index, c.inputs[2]!.shape) : null,
    ];
  },
};

export const scatterAddDef: KernelOpDef<'scatterAdd'> = {
  kind: 'kernel',
  overwrites: true,
  infer: scatterInfer('scatter_add'),
  save: (c) => [c.inputs[1]!],
  // x passes straight through; src gets the gradient at its targets
  backward: (g, c) => [
    c.needsInputGrad[0] ? g : null,
    null,
    c.needsInputGrad[2] ? sourceGrad(g, c.params.dim, c.saved[0]!, c.inputs[2]!.shape) : null,
  ],
};
