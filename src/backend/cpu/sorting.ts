// cpu kernels of sort (each line along the dim sorted stably, NaN the largest) and kthIndex (PyTorch's quickselect).
import type { TypedArray } from '../../dtype.js';
import type { Kernel, KernelInput } from '../backend.js';

type Buf = TypedArray;

/** Ascending order with NaN last (PyTorch's); 0 for ties, so a stable sort keeps their order. */
function ascending(a: number, b: number): number {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na === nb ? 0 : na ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Calls `visit` with each line of x along dim (its values as float64) and the output offset and
 * stride its results go to, for an output whose dim has `outAlong` elements per line.
 */
function forEachLine(
  x: KernelInput<Buf>,
  dim: number,
  outAlong: number,
  visit: (values: Float64Array, base: number, stride: number) => void,
): void {
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
  for (let line = 0; line < lines; line++) {
    // the offset of the line's first element (the dim's coordinate stays 0)
    let rem = line;
    let src = x.offset;
    for (let d = nd - 1; d >= 0; d--) {
      if (d === dim) continue;
      src += (rem % shape[d]!) * x.strides[d]!;
      rem = Math.floor(rem / shape[d]!);
    }
    for (let i = 0; i < n; i++) values[i] = Number(x.buffer[src + i * step]);
    visit(values, Math.floor(line / inner) * outAlong * inner + (line % inner), inner);
  }
}

/**
 * Sorts the positions 0..n−1 of `values` stably into `order` (`spare` is scratch of the same
 * length): a bottom-up merge sort whose merge takes from the right run only when its value comes
 * strictly first, so equal values keep their order. `sign` −1 sorts descending (NaN first).
 */
function stableOrder(
  values: Float64Array,
  order: Int32Array,
  spare: Int32Array,
  sign: number,
): void {
  const n = values.length;
  for (let i = 0; i < n; i++) order[i] = i;
  let src = order;
  let dst = spare;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        const r = src[j]!;
        if (sign * ascending(values[r]!, values[src[i]!]!) < 0) {
          dst[k++] = r;
          j++;
        } else dst[k++] = src[i++]!;
      }
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== order) order.set(src);
}

export const sortKernel: Kernel<Buf, 'sort'> = (out, [input], { dim, descending }) => {
  const x = input!;
  const n = x.shape.length === 0 ? 1 : x.shape[dim]!;
  const order = new Int32Array(n);
  const spare = new Int32Array(n);
  const o = out.buffer;
  forEachLine(x, dim, n, (values, base, stride) => {
    stableOrder(values, order, spare, descending ? -1 : 1);
    for (let i = 0; i < n; i++) o[base + i * stride] = order[i]!;
  });
};

/** PyTorch's order for quickselect: a NaN above every number, else plain >. */
const above = (a: number, b: number): boolean => (Number.isNaN(a) && !Number.isNaN(b)) || a > b;

/**
 * Partially orders `values` (with `index` alongside) so that position k holds the k-th smallest:
 * PyTorch's quick_select_template (median-of-three pivot, Hoare partition), step for step, so
 * that among equal values the same index ends up at k.
 */
function quickSelect(values: Float64Array, index: Int32Array, k: number): void {
  const swap = (i: number, j: number) => {
    const v = values[i]!;
    values[i] = values[j]!;
    values[j] = v;
    const t = index[i]!;
    index[i] = index[j]!;
    index[j] = t;
  };
  let lo = 0;
  let hi = values.length - 1;
  for (;;) {
    if (hi <= lo) return;
    if (hi === lo + 1) {
      if (above(values[lo]!, values[hi]!)) swap(lo, hi);
      return;
    }
    swap(lo + ((hi - lo) >> 1), lo + 1);
    if (above(values[lo + 1]!, values[hi]!)) swap(lo + 1, hi);
    if (above(values[lo]!, values[hi]!)) swap(lo, hi);
    if (above(values[lo + 1]!, values[lo]!)) swap(lo + 1, lo);
    let i = lo + 1;
    let j = hi;
    const pivot = values[lo]!;
    for (;;) {
      do i++;
      while (above(pivot, values[i]!));
      do j--;
      while (above(values[j]!, pivot));
      if (j < i) break;
      swap(i, j);
    }
    swap(lo, j);
    if (j <= k) lo = i;
    if (j >= k) hi = j - 1;
  }
}

export const kthIndexKernel: Kernel<Buf, 'kthIndex'> = (out, [input], { dim, k }) => {
  const x = input!;
  const n = x.shape.length === 0 ? 1 : x.shape[dim]!;
  const index = new Int32Array(n);
  const o = out.buffer;
  forEachLine(x, dim, 1, (values, base) => {
    for (let i = 0; i < n; i++) index[i] = i;
    quickSelect(values, index, k - 1);
    o[base] = index[k - 1]!;
  });
};
