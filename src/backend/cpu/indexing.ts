// cpu kernels that move data by position: cat, slice-scatter, gather, scatter and scatter-add.
import { isFloating, type TypedArray } from '../../dtype.js';
import { IndexError } from '../../errors.js';
import type { Kernel, KernelInput, KernelOutput } from '../backend.js';
import { copyStrided, denseStrides } from './strided.js';

type Buf = TypedArray;

export const catKernel: Kernel<Buf, 'cat'> = (out, inputs, { dim }) => {
  const outStrides = denseStrides(out.shape);
  let at = 0;
  for (const x of inputs) {
    const size = x.shape[dim]!;
    if (size === 0) continue;
    copyStrided(
      out.buffer,
      out.dtype,
      outStrides,
      at * outStrides[dim]!,
      x.buffer,
      x.strides,
      x.offset,
      x.shape,
    );
    at += size;
  }
};

function copyIntoOut(out: KernelOutput<Buf>, x: KernelInput<Buf>): number[] {
  const strides = denseStrides(out.shape);
  copyStrided(out.buffer, out.dtype, strides, 0, x.buffer, x.strides, x.offset, x.shape);
  return strides;
}

export const sliceScatterKernel: Kernel<Buf, 'sliceScatter'> = (out, [base, src], p) => {
  const strides = copyIntoOut(out, base!);
  const s = src!;
  const dstStrides = strides.map((st, d) => (d === p.dim ? st * p.step : st));
  copyStrided(
    out.buffer,
    out.dtype,
    dstStrides,
    p.start * strides[p.dim]!,
    s.buffer,
    s.strides,
    s.offset,
    s.shape,
  );
};

/**
 * Visits every position of `index` in row-major order. For each it passes the index value (checked
 * against `size` along `dim`, negatives wrapped) and the offset of the same coordinates in each of
 * `others`; those walk with stride 0 along `dim`, so `offset + idx * stride[dim]` selects the slot.
 */
function forEachIndexed(
  index: KernelInput<Buf>,
  dim: number,
  size: number,
  others: readonly { readonly strides: readonly number[]; readonly offset: number }[],
  visit: (idx: number, offsets: readonly number[]) => void,
): void {
  const shape = index.shape;
  const nd = shape.length;
  let total = 1;
  for (const s of shape) total *= s;
  if (total === 0) return;
  const coord = new Array<number>(nd).fill(0);
  const offs = others.map((o) => o.offset);
  let io = index.offset;
  const ib = index.buffer;
  for (let at = 0; at < total; at++) {
    let idx = ib[io]!;
    if (idx < -size || idx >= size) {
      throw new IndexError(`index ${idx} is out of bounds for dimension ${dim} with size ${size}`);
    }
    if (idx < 0) idx += size;
    visit(idx, offs);
    for (let d = nd - 1; d >= 0; d--) {
      coord[d]!++;
      io += index.strides[d]!;
      for (let k = 0; k < others.length; k++) offs[k]! += others[k]!.strides[d]!;
      if (coord[d]! < shape[d]!) break;
      io -= index.strides[d]! * shape[d]!;
      for (let k = 0; k < others.length; k++) offs[k]! -= others[k]!.strides[d]! * shape[d]!;
      coord[d] = 0;
    }
  }
}

/**
 * A target's strides for the index walk: 0 along `dim` (the index value picks the slot). A 0-d
 * target (PyTorch treats it as one element along a single dim) stays put over every index position.
 */
function alongDim(strides: readonly number[], dim: number, indexRank: number): number[] {
  if (strides.length === 0) return new Array<number>(indexRank).fill(0);
  return strides.map((s, d) => (d === dim ? 0 : s));
}

export const gatherKernel: Kernel<Buf, 'gather'> = (out, [x, index], { dim }) => {
  const a = x!;
  const o = out.buffer;
  const src = a.buffer;
  const scalar = a.shape.length === 0;
  const size = scalar ? 1 : a.shape[dim]!;
  const sd = scalar ? 0 : a.strides[dim]!;
  let at = 0;
  forEachIndexed(
    index!,
    dim,
    size,
    [{ strides: alongDim(a.strides, dim, index!.shape.length), offset: a.offset }],
    (i, offs) => {
      o[at++] = src[offs[0]! + i * sd]!;
    },
  );
};

function scatterKernel(accumulate: boolean): Kernel<Buf, 'scatter' | 'scatterAdd'> {
  return (out, [x, index, source], { dim }) => {
    const strides = copyIntoOut(out, x!);
    const o = out.buffer;
    const src = source!;
    const sb = src.buffer;
    const scalar = out.shape.length === 0;
    const size = scalar ? 1 : out.shape[dim]!;
    const sd = scalar ? 0 : strides[dim]!;
    const others = [{ strides: alongDim(strides, dim, index!.shape.length), offset: 0 }, src];
    forEachIndexed(index!, dim, size, others, (i, offs) => {
      const po = offs[0]! + i * sd;
      o[po] = accumulate ? o[po]! + sb[offs[1]!]! : sb[offs[1]!]!;
    });
  };
}

/** Zeros of [..., size], then g added at index along the last dim (in index order). */
export const maxPoolBackwardKernel: Kernel<Buf, 'maxPoolBackward'> = (
  out,
  [g, index],
  { size },
) => {
  const o = out.buffer;
  o.fill(0);
  const last = out.shape.length - 1;
  const strides = alongDim(denseStrides(out.shape), last, index!.shape.length);
  const gb = g!.buffer;
  forEachIndexed(index!, last, size, [{ strides, offset: 0 }, g!], (i, offs) => {
    const po = offs[0]! + i;
    o[po] = o[po]! + gb[offs[1]!]!;
  });
};

export const scatterReplaceKernel = scatterKernel(false);
export const scatterAddKernel = scatterKernel(true);

/**
 * scatter_reduce: a copy of x with each source element reduced into the slot its index picks.
 * Without includeSelf a slot's own value is left out (its first source element replaces it);
 * 'mean' divides by the count at the end (flooring for integers); NaN propagates through amax and
 * amin.
 */
export const scatterReduceKernel: Kernel<Buf, 'scatterReduce'> = (out, inputs, params) => {
  const [x, index, source] = inputs as [KernelInput<Buf>, KernelInput<Buf>, KernelInput<Buf>];
  const { dim, reduce, includeSelf } = params;
  const strides = copyIntoOut(out, x);
  const o = out.buffer;
  const sb = source.buffer;
  const scalar = out.shape.length === 0;
  const size = scalar ? 1 : out.shape[dim]!;
  const sd = scalar ? 0 : strides[dim]!;
  const integral = !isFloating(out.dtype);
  const counts = reduce === 'mean' || !includeSelf ? new Int32Array(o.length) : null;
  const others = [{ strides: alongDim(strides, dim, index.shape.length), offset: 0 }, source];
  forEachIndexed(index, dim, size, others, (i, offs) => {
    const po = offs[0]! + i * sd;
    const v = Number(sb[offs[1]!]);
    const first = counts !== null && counts[po] === 0 && !includeSelf;
    if (counts !== null) counts[po]!++;
    const cur = Number(o[po]);
    let r: number;
    if (first) r = v;
    else if (reduce === 'sum' || reduce === 'mean') r = cur + v;
    else if (reduce === 'prod') r = cur * v;
    else if (Number.isNaN(cur) || Number.isNaN(v)) r = Number.NaN;
    else r = reduce === 'amax' ? Math.max(cur, v) : Math.min(cur, v);
    o[po] = r;
  });
  if (reduce !== 'mean') return;
  for (let po = 0; po < o.length; po++) {
    const n = counts![po]! + (includeSelf ? 1 : 0);
    if (counts![po] === 0) continue;
    const q = Number(o[po]) / n;
    o[po] = integral ? Math.floor(q) : q;
  }
};
