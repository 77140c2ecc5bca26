// Op definitions of the views that combine strides: diagonal and windows (Tensor.unfold), with their VJPs.
import type { Shape } from '../../shape.js';
import { apply, expand, padZeros, permute, reshape, where, zeros } from '../call.js';
import { fromArray } from '../create.js';
import type { ViewOpDef } from '../op.js';

interface DiagonalGeometry {
  /** The dims other than dim1 and dim2, in order. */
  readonly rest: number[];
  /** The diagonal's length. */
  readonly length: number;
}

function diagonalGeometry(
  shape: Shape,
  { offset, dim1, dim2 }: { offset: number; dim1: number; dim2: number },
): DiagonalGeometry {
  const n = shape[dim1]!;
  const m = shape[dim2]!;
  const length = Math.max(0, offset >= 0 ? Math.min(n, m - offset) : Math.min(n + offset, m));
  return { rest: shape.map((_, i) => i).filter((i) => i !== dim1 && i !== dim2), length };
}

export const diagonalDef: ViewOpDef<'diagonal'> = {
  kind: 'view',
  infer: ([x], p) => {
    const { rest, length } = diagonalGeometry(x!.shape, p);
    return { shape: [...rest.map((i) => x!.shape[i]!), length], dtype: x!.dtype };
  },
  view: (input, p) => {
    const { rest, length } = diagonalGeometry(input.shape, p);
    const s1 = input.strides[p.dim1]!;
    const s2 = input.strides[p.dim2]!;
    const start = length === 0 ? 0 : p.offset >= 0 ? p.offset * s2 : -p.offset * s1;
    return {
      shape: [...rest.map((i) => input.shape[i]!), length],
      strides: [...rest.map((i) => input.strides[i]!), s1 + s2],
      offset: input.offset + start,
    };
  },
  // the gradient goes back on the diagonal of zeros: g padded to a row (or column) of the
  // matrix, broadcast across it and kept where j − i = offset, then the dims put back in place
  backward: (g, c) => {
    const x = c.inputs[0]!;
    const { offset, dim1, dim2 } = c.params;
    const { rest, length } = diagonalGeometry(x.shape, c.params);
    const n = x.shape[dim1]!;
    const m = x.shape[dim2]!;
    const lead = rest.map((i) => x.shape[i]!);
    const byRow = offset >= 0;
    const line = padZeros(g, [0, (byRow ? n : m) - length]);
    const spread = reshape(line, byRow ? [...lead, n, 1] : [...lead, 1, m]);
    const mask = new Uint8Array(n * m);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) mask[i * m + j] = j - i === offset ? 1 : 0;
    const onDiagonal = fromArray(mask, [n, m], 'bool', { device: g.device });
    const full = where(onDiagonal, spread, zeros([], g.dtype, g.device));
    const order = [...rest, dim1, dim2];
    const inverse = new Array<number>(order.length);
    order.forEach((d, i) => (inverse[d] = i));
    return [permute(full, inverse)];
  },
};

const windowCount = (size: number, { size: k, step }: { size: number; step: number }) =>
  Math.floor((size - k) / step) + 1;

function windowShape(shape: Shape, p: { dim: number; size: number; step: number }): number[] {
  return [...shape.map((s, i) => (i === p.dim ? windowCount(s, p) : s)), p.size];
}

export const windowsDef: ViewOpDef<'windows'> = {
  kind: 'view',
  infer: ([x], p) => ({ shape: windowShape(x!.shape, p), dtype: x!.dtype }),
  view: (input, p) => ({
    shape: windowShape(input.shape, p),
    strides: [
      ...input.strides.map((s, i) => (i === p.dim ? s * p.step : s)),
      input.strides[p.dim]!,
    ],
    offset: input.offset,
  }),
  // each element gets the sum of its gradients over the windows it is in: the windows laid out
  // along dim again and scatter-added at the positions they were taken from
  backward: (g, c) => {
    const x = c.inputs[0]!;
    const { dim, size, step } = c.params;
    const count = windowCount(x.shape[dim]!, c.params);
    const last = g.ndim - 1;
    const order = g.shape.map((_, i) => i).filter((i) => i !== last);
    order.splice(dim + 1, 0, last);
    const laid = reshape(
      permute(g, order),
      x.shape.map((s, i) => (i === dim ? count * size : s)),
    );
    const index = new Int32Array(count * size);
    for (let w = 0; w < count; w++)
      for (let j = 0; j < size; j++) index[w * size + j] = w * step + j;
    const shaped = reshape(
      fromArray(index, [count * size], 'int32', { device: g.device }),
      x.shape.map((_, i) => (i === dim ? count * size : 1)),
    );
    const base = zeros(x.shape, g.dtype, g.device);
    return [apply('scatterAdd', [base, expand(shaped, laid.shape), laid], { dim })];
  },
};
