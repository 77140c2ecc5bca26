// Op definitions of views (view, permute, expand, slice) and of copies by position (sliceScatter, cat).
import { promoteTypes } from '../../dtype.js';
import { ShapeError } from '../../errors.js';
import type { SliceParams } from '../../primitives.js';
import { broadcastView, numel, shapeStr, viewStrides, type Shape } from '../../shape.js';
import { apply, narrow, permute, reshape, sumToShape, zeros } from '../call.js';
import type { KernelOpDef, TensorMeta, ViewOpDef } from '../op.js';

export const viewDef: ViewOpDef<'view'> = {
  kind: 'view',
  infer: ([x], { shape }) => {
    if (numel(shape) !== numel(x!.shape)) {
      throw new ShapeError(
        `shape '${shapeStr(shape)}' is invalid for input of size ${numel(x!.shape)}`,
      );
    }
    return { shape, dtype: x!.dtype };
  },
  view: (input, { shape }) => {
    const strides = viewStrides(input, shape);
    if (strides === undefined)
      throw new ShapeError("view size is not compatible with input tensor's size and stride");
    return { shape, strides, offset: input.offset };
  },
  // a reshape moves no values: reshape the gradient back
  backward: (g, c) => [reshape(g, c.inputs[0]!.shape)],
};

export const permuteDef: ViewOpDef<'permute'> = {
  kind: 'view',
  infer: ([x], { dims }) => ({ shape: dims.map((d) => x!.shape[d]!), dtype: x!.dtype }),
  view: (input, { dims }) => ({
    shape: dims.map((d) => input.shape[d]!),
    strides: dims.map((d) => input.strides[d]!),
    offset: input.offset,
  }),
  // the inverse permutation
  backward: (g, { params: { dims } }) => {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => (inverse[d] = i));
    return [permute(g, inverse)];
  },
};

export const expandDef: ViewOpDef<'expand'> = {
  kind: 'view',
  infer: ([x], { shape }) => {
    broadcastView({ shape: x!.shape, strides: x!.shape.map(() => 0), offset: 0 }, shape);
    return { shape, dtype: x!.dtype };
  },
  view: (input, { shape }) => broadcastView(input, shape),
  // each input element was copied to many outputs: sum their gradients
  backward: (g, c) => [sumToShape(g, c.inputs[0]!.shape)],
};

function sliceLength({ start, end, step }: SliceParams): number {
  return Math.max(0, Math.ceil((end - start) / step));
}

function slicedShape(shape: Shape, p: SliceParams): number[] {
  return shape.map((s, i) => (i === p.dim ? sliceLength(p) : s));
}

export const sliceDef: ViewOpDef<'slice'> = {
  kind: 'view',
  infer: ([x], p) => ({ shape: slicedShape(x!.shape, p), dtype: x!.dtype }),
  view: (input, p) => ({
    shape: slicedShape(input.shape, p),
    strides: input.strides.map((s, i) => (i === p.dim ? s * p.step : s)),
    offset: input.offset + p.start * input.strides[p.dim]!,
  }),
  // the gradient lands in the sliced positions of a zero tensor
  backward: (g, c) => [
    apply('sliceScatter', [zeros(c.inputs[0]!.shape, g.dtype, g.device), g], c.params),
  ],
};

export const sliceScatterDef: KernelOpDef<'sliceScatter'> = {
  kind: 'kernel',
  overwrites: true,
  infer: ([base, src], p) => {
    const expected = slicedShape(base!.shape, p);
    if (src!.shape.length !== expected.length || src!.shape.some((s, i) => s !== expected[i])) {
      throw new ShapeError(
        `slice_scatter: expected src to have a size equal to the slice of self. src size = ${shapeStr(src!.shape)}, slice size = ${shapeStr(expected)}`,
      );
    }
    return { shape: base!.shape, dtype: base!.dtype, inputDTypes: [undefined, base!.dtype] };
  },
  // base keeps its gradient outside the slice; src receives the slice of it
  backward: (g, c) => [
    c.needsInputGrad[0]
      ? apply('sliceScatter', [g, zeros(c.inputs[1]!.shape, g.dtype, g.device)], c.params)
      : null,
    c.needsInputGrad[1] ? apply('slice', [g], c.params) : null,
  ],
};

export const catDef: KernelOpDef<'cat'> = {
  kind: 'kernel',
  overwrites: true,
  infer: (inputs: readonly TensorMeta[], { dim }) => {
    const ref = inputs[0]!;
    const total = inputs.reduce((n, t) => n + t.shape[dim]!, 0);
    const dtype = inputs.reduce((d, t) => promoteTypes(d, t.dtype), ref.dtype);
    return {
      shape: ref.shape.map((s, i) => (i === dim ? total : s)),
      dtype,
      inputDTypes: inputs.map(() => dtype),
    };
  },
  // each input gets back its own stretch of the gradient
  backward: (g, c) => {
    let at = 0;
    return c.inputs.map((t, i) => {
      const size = t.shape[c.params.dim]!;
      const part = c.needsInputGrad[i] ? narrow(g, c.params.dim, at, size) : null;
      at += size;
      return part;
    });
  },
};
