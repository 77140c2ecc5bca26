// Op definitions of gather, scatter, scatterAdd and scatterReduce, and their vector-Jacobian products.
import { DTypeError, ShapeError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { apply, cast, div, eq, expand, logicalAnd, mul, narrow, padZeros, where } from '../call.js';
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
    const last = x.shape.length - 1;
    // NOTE: along the last dim with the index spanning x's other dims (max pooling's values are
    // such a gather), one pass writes the zeros and the sums: maxPoolBackward
    if (
      c.params.dim === last &&
      index.shape.length === x.shape.length &&
      index.shape.every((s, d) => d === last || s === x.shape[d])
    ) {
      return [apply('maxPoolBackward', [g, index], { size: x.shape[last]! }), null];
    }
    return [apply('scatterAdd', [zerosView(x.shape, g), index, g], c.params), null];
  },
};

export const maxPoolBackwardDef: KernelOpDef<'maxPoolBackward'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([g, index], { size }): Inferred => {
    if (index!.dtype !== 'int32')
      throw new DTypeError(
        `max_pool_backward(): Expected dtype int32 for index, got ${index!.dtype}`,
      );
    const s = g!.shape;
    if (
      s.length === 0 ||
      s.length !== index!.shape.length ||
      s.some((d, i) => d !== index!.shape[i])
    )
      throw new ShapeError(
        `max_pool_backward(): gradient [${s.join(', ')}] and index [${index!.shape.join(', ')}] must have one shape of at least 1 dim`,
      );
    if (!(Number.isInteger(size) && size >= 0))
      throw new ShapeError(`max_pool_backward(): bad input size ${size}`);
    return { shape: [...s.slice(0, -1), size], dtype: g!.dtype };
  },
  save: (c) => [c.inputs[1]!],
  // linear in g: gg gathered at the same indices (PyTorch's max_pool2d_with_indices_backward)
  backward: (g, c) => [apply('gather', [g, c.saved[0]!], { dim: g.shape.length - 1 }), null],
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

/** The leading index-shaped block of src (src may be larger than the index along every dim). */
function cropToIndex(src: Tensor, index: Tensor): Tensor {
  let s = src;
  for (let d = 0; d < index.shape.length; d++) {
    if (s.shape[d] !== index.shape[d]) s = narrow(s, d, 0, index.shape[d]!);
  }
  return s;
}

export const scatterReduceDef: KernelOpDef<'scatterReduce'> = {
  kind: 'kernel',
  overwrites: true,
  infer: scatterInfer('scatter_reduce'),
  save: (c) => [c.inputs[0]!, c.inputs[1]!, c.inputs[2]!, c.output],
  // PyTorch's scatter_reduce_backward, formula for formula (FunctionsManual.cpp)
  backward: (g, c) => {
    const [self, index, srcFull, result] = c.saved as [Tensor, Tensor, Tensor, Tensor];
    const { dim, reduce, includeSelf } = c.params;
    const src = cropToIndex(srcFull, index);
    const gather = (t: Tensor) => apply('gather', [t, index], { dim });
    const addAt = (t: Tensor, s: Tensor) => apply('scatterAdd', [t, index, s], { dim });
    const ones = (t: Tensor) => expand(scalarTensor(1, t.dtype, t.device), t.shape);
    let gradSelf: Tensor;
    let gradSrc: Tensor;
    if (reduce === 'sum') {
      // ∂/∂self = 1, ∂/∂src = 1 at its target
      gradSelf = g;
      gradSrc = gather(g);
    } else if (reduce === 'prod') {
      // ∂/∂xᵢ = the product of the others, computed without dividing by zero
      const maskedSelf = where(eq(self, 0), 1, self);
      const maskedSelfResult = apply('scatterReduce', [maskedSelf, index, src], c.params);
      gradSelf = div(mul(g, maskedSelfResult), maskedSelf);
      const srcZero = eq(src, 0);
      const zeroCount = gather(addAt(zerosView(self.shape, g), cast(srcZero, self.dtype)));
      const singleZero = logicalAnd(srcZero, eq(zeroCount, 1));
      const maskedSrc = where(singleZero, 1, src);
      const maskedSrcResult = apply('scatterReduce', [self, index, maskedSrc], c.params);
      gradSrc = where(
        singleZero,
        gather(mul(g, maskedSrcResult)),
        div(gather(mul(g, result)), where(srcZero, 1, src)),
      );
    } else if (reduce === 'mean') {
      // each contribution's share: 1 / (the number of values averaged into its slot)
      const base = includeSelf ? ones(g) : zerosView(g.shape, g);
      const counts = addAt(base, ones(src));
      const n = where(eq(counts, 0), 1, counts);
      gradSelf = div(g, n);
      gradSrc = div(gather(g), gather(n));
    } else {
      // amax / amin: the gradient shared evenly among the values equal to the result
      const value = gather(result);
      const selfIs = eq(self, result);
      const srcIs = eq(src, value);
      const count = addAt(cast(selfIs, self.dtype), cast(srcIs, self.dtype));
      const shared = div(g, count);
      gradSelf = mul(cast(selfIs, g.dtype), shared);
      gradSrc = mul(cast(srcIs, g.dtype), gather(shared));
    }
    if (!includeSelf) {
      gradSelf = apply('scatter', [gradSelf, index, zerosView(index.shape, g)], { dim });
    }
    return [
      c.needsInputGrad[0] ? gradSelf : null,
      null,
      c.needsInputGrad[2] ? padTo(gradSrc, srcFull.shape) : null,
    ];
  },
};

/** Zero-pads an index-shaped gradient up to the source's shape. */
function padTo(t: Tensor, shape: readonly number[]): Tensor {
  const pads: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) pads.push(0, shape[d]! - t.shape[d]!);
  return pads.some((v) => v !== 0) ? padZeros(t, pads) : t;
}
