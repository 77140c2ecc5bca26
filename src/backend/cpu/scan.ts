// cpu kernels for the scans along one dim besides cumsum: cumprod, logcumsumexp, cummax/cummin indices.
import type { TypedArray } from '../../dtype.js';
import type { Kernel, KernelInput, KernelOutput } from '../backend.js';
import { coalesce, denseStrides, forEachRow } from './strided.js';

type Buf = TypedArray;

/**
 * Calls `line(p, q, so, sa, len)` once per line along `dim`: p and q are the output's and the
 * input's offsets of the line's first element, so and sa their strides along dim.
 */
function forEachLine(
  out: KernelOutput<Buf>,
  a: KernelInput<Buf>,
  dim: number,
  line: (p: number, q: number, so: number, sa: number, len: number) => void,
): void {
  if (out.shape.length === 0) {
    line(0, a.offset, 0, 0, 1);
    return;
  }
  const outStrides = denseStrides(out.shape);
  const shape = out.shape.map((s, d) => (d === dim ? 1 : s));
  const walk = coalesce(shape, [outStrides, a.strides]);
  const last = walk.shape.length - 1;
  const wo = walk.strides[0]![last]!;
  const wa = walk.strides[1]![last]!;
  const len = out.shape[dim]!;
  const so = outStrides[dim]!;
  const sa = a.strides[dim]!;
  forEachRow(walk, [0, a.offset], (offs, n) => {
    for (let i = 0; i < n; i++) line(offs[0]! + i * wo, offs[1]! + i * wa, so, sa, len);
  });
}

/** The running product, accumulated in float64 (integers wrap as int32 multiplication does). */
export const cumprodKernel: Kernel<Buf, 'cumprod'> = (out, [x], { dim }) => {
  const src = x!.buffer;
  const o = out.buffer;
  const integral = out.dtype === 'int32';
  forEachLine(out, x!, dim, (p, q, so, sa, len) => {
    let acc = 1;
    for (let j = 0; j < len; j++, p += so, q += sa) {
      acc = integral ? Math.imul(acc, src[q]!) : acc * src[q]!;
      o[p] = acc;
    }
  });
};

/** log(eˣ + eʸ) as PyTorch's _log_add_exp_helper: NaN propagates, equal infinities stay. */
function logAddExp(x: number, y: number): number {
  const lo = Number.isNaN(y) ? y : y < x ? y : x;
  const hi = Number.isNaN(y) ? y : x < y ? y : x;
  if (lo !== hi || Number.isFinite(lo)) return Math.log1p(Math.exp(lo - hi)) + hi;
  return x;
}

export const logcumsumexpKernel: Kernel<Buf, 'logcumsumexp'> = (out, [x], { dim }) => {
  const src = x!.buffer;
  const o = out.buffer;
  forEachLine(out, x!, dim, (p, q, so, sa, len) => {
    let acc = -Infinity;
    for (let j = 0; j < len; j++, p += so, q += sa) {
      acc = logAddExp(src[q]!, acc);
      o[p] = acc;
    }
  });
};

/**
 * The index of the running max (min): x replaces the extreme when it is NaN, or when the extreme
 * is not NaN and x ≥ it (x ≤ it), so ties take the latest index, as PyTorch's cummax/cummin.
 */
export const cumExtremeIndexKernel: Kernel<Buf, 'cumExtremeIndex'> = (out, [x], { dim, op }) => {
  const src = x!.buffer;
  const o = out.buffer;
  const isMax = op === 'max';
  forEachLine(out, x!, dim, (p, q, so, sa, len) => {
    let best = src[q]!;
    let idx = 0;
    for (let j = 0; j < len; j++, p += so, q += sa) {
      const v = src[q]!;
      if (Number.isNaN(v) || (!Number.isNaN(best) && (isMax ? v >= best : v <= best))) {
        best = v;
        idx = j;
      }
      o[p] = idx;
    }
  });
};
