// cpu kernel of sort: each line along the dim sorted stably, NaN ordered as the largest value.
import type { TypedArray } from '../../dtype.js';
import type { Kernel } from '../backend.js';

type Buf = TypedArray;

/** Ascending order with NaN last (PyTorch's); 0 for ties, so a stable sort keeps their order. */
function ascending(a: number, b: number): number {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na === nb ? 0 : na ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const sortKernel: Kernel<Buf, 'sort'> = (out, [input], { dim, descending }) => {
  const x = input!;
  const shape = x.shape;
  const nd = shape.length;
  const n = nd === 0 ? 1 : shape[dim]!;
  const step = nd === 0 ? 0 : x.strides[dim]!;
  let total = 1;
  for (const s of shape) total *= s;
  if (total === 0) return;
  const lines = total / n;
  // the output is contiguous: a line's elements are `inner` apart
  let inner = 1;
  for (let d = dim + 1; d < nd; d++) inner *= shape[d]!;
  const values = new Float64Array(n);
  const order = Array.from({ length: n }, (_, i) => i);
  const cmp = descending
    ? (i: number, j: number) => ascending(values[j]!, values[i]!)
    : (i: number, j: number) => ascending(values[i]!, values[j]!);
  const o = out.buffer;
  const coord = new Array<number>(nd).fill(0);
  for (let line = 0; line < lines; line++) {
    // coordinates of the line's first element (the dim's coordinate stays 0)
    let rem = line;
    let src = x.offset;
    for (let d = nd - 1; d >= 0; d--) {
      if (d === dim) continue;
      coord[d] = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
      src += coord[d]! * x.strides[d]!;
    }
    for (let i = 0; i < n; i++) {
      values[i] = Number(x.buffer[src + i * step]);
      order[i] = i;
    }
    order.sort(cmp); // Array.prototype.sort is stable
    const base = Math.floor(line / inner) * n * inner + (line % inner);
    for (let i = 0; i < n; i++) o[base + i * inner] = order[i]!;
  }
};
