// cpu kernels of the fused batch norm over [N, C, *] inputs: per-channel statistics (float64
// accumulators, two passes), the normalisation, and its training-mode input gradient.
import type { TypedArray } from '../../dtype.js';
import type { Kernel, KernelInput } from '../backend.js';
import { denseStrides, forEachRow } from './strided.js';

type Buf = TypedArray;
type In = KernelInput<Buf>;

/**
 * Calls `row` for every run of one channel's elements in each of `ts` (same shape [N, C, *]) and
 * in the dense output layout (the last offset): the channel's sub-tensor [N, *] walked row by row.
 */
function forEachChannelRow(
  ts: readonly In[],
  c: number,
  row: (offsets: number[], n: number, strides: number[]) => void,
): void {
  const shape = ts[0]!.shape;
  const dense = denseStrides(shape);
  const all = [...ts.map((t) => t.strides), dense];
  const drop1 = (s: readonly number[]) => s.filter((_, i) => i !== 1);
  // [N, *] with a trailing pseudo-dim of 1 when there is no spatial dim
  const rest = drop1(shape);
  const trail = rest.length === 1;
  const walk = {
    shape: trail ? [...rest, 1] : rest,
    strides: all.map((s) => (trail ? [...drop1(s), 0] : drop1(s))),
  };
  const start = [...ts.map((t) => t.offset + c * t.strides[1]!), c * dense[1]!];
  const inner = walk.strides.map((s) => s[s.length - 1]!);
  forEachRow(walk, start, (offs, n) => row(offs, n, inner));
}

const at = (t: In, i: number, j: number) =>
  t.buffer[t.offset + i * t.strides[0]! + j * t.strides[1]!]!;

/** Per channel: mean (row 0) and biased variance (row 1), each in float64 and rounded once. */
export const batchNormStatsKernel: Kernel<Buf, 'batchNormStats'> = (out, [x]) => {
  const C = x!.shape[1]!;
  const n = x!.shape.reduce((a, b) => a * b, 1) / C;
  const X = x!.buffer;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    forEachChannelRow([x!], c, ([o], len, [s]) => {
      for (let i = 0, p = o!; i < len; i++, p += s!) sum += X[p]!;
    });
    const mean = sum / n;
    let sq = 0;
    forEachChannelRow([x!], c, ([o], len, [s]) => {
      for (let i = 0, p = o!; i < len; i++, p += s!) sq += (X[p]! - mean) ** 2;
    });
    out.buffer[c] = mean;
    out.buffer[C + c] = sq / n;
  }
};

/** Per channel: Σ g (row 0) and Σ g·(x − mean) (row 1), mean = stats[0, c], in float64. */
export const batchNormGradStatsKernel: Kernel<Buf, 'batchNormGradStats'> = (out, [g, x, stats]) => {
  const C = x!.shape[1]!;
  const [G, X] = [g!.buffer, x!.buffer];
  for (let c = 0; c < C; c++) {
    const mean = at(stats!, 0, c);
    let sg = 0;
    let sgx = 0;
    forEachChannelRow([g!, x!], c, ([og, ox], len, [sG, sX]) => {
      for (let i = 0, p = og!, q = ox!; i < len; i++, p += sG!, q += sX!) {
        sg += G[p]!;
        sgx += G[p]! * (X[q]! - mean);
      }
    });
    out.buffer[c] = sg;
    out.buffer[C + c] = sgx;
  }
};

/** y = (x − mean)·(w·rsqrt(var + eps)) + b per channel, in float64 and rounded once. */
export const batchNormKernel: Kernel<Buf, 'batchNorm'> = (out, [x, stats, ...affine], p) => {
  const C = x!.shape[1]!;
  const X = x!.buffer;
  const O = out.buffer;
  const w = p.weight ? affine[0]! : null;
  const b = p.bias ? affine[p.weight ? 1 : 0]! : null;
  for (let c = 0; c < C; c++) {
    const mean = at(stats!, 0, c);
    const scale =
      (w === null ? 1 : w.buffer[w.offset + c * w.strides[0]!]!) /
      Math.sqrt(at(stats!, 1, c) + p.eps);
    const shift = b === null ? 0 : b.buffer[b.offset + c * b.strides[0]!]!;
    forEachChannelRow([x!], c, ([ox, oo], len, [sX, sO]) => {
      for (let i = 0, q = ox!, r = oo!; i < len; i++, q += sX!, r += sO!)
        O[r] = (X[q]! - mean) * scale + shift;
    });
  }
};

/** dx = k·(g − Σg/n − (x − mean)·invstd²·Σg(x − mean)/n), k = w·invstd, in float64. */
export const batchNormBackwardKernel: Kernel<Buf, 'batchNormBackward'> = (
  out,
  [g, x, stats, gs, w],
  p,
) => {
  const C = x!.shape[1]!;
  const n = x!.shape.reduce((a, b) => a * b, 1) / C;
  const [G, X, O] = [g!.buffer, x!.buffer, out.buffer];
  for (let c = 0; c < C; c++) {
    const mean = at(stats!, 0, c);
    const invStd = 1 / Math.sqrt(at(stats!, 1, c) + p.eps);
    const k = (p.weight ? w!.buffer[w!.offset + c * w!.strides[0]!]! : 1) * invStd;
    const gMean = at(gs!, 0, c) / n;
    const proj = (invStd * invStd * at(gs!, 1, c)) / n;
    forEachChannelRow([g!, x!], c, ([og, ox, oo], len, [sG, sX, sO]) => {
      for (let i = 0, a = og!, q = ox!, r = oo!; i < len; i++, a += sG!, q += sX!, r += sO!)
        O[r] = k * (G[a]! - gMean - (X[q]! - mean) * proj);
    });
  }
};
