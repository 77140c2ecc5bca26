// cpu kernels of the fused loss pieces: logSoftmax along a dim, nllLoss and its input gradient (float64 arithmetic).
import type { TypedArray } from '../../dtype.js';
import { IndexError } from '../../errors.js';
import type { NllParams } from '../../primitives.js';
import type { Kernel, KernelInput } from '../backend.js';
import { coalesce, denseStrides, forEachRow, isDense } from './strided.js';

type Buf = TypedArray;

export const logSoftmaxKernel: Kernel<Buf, 'logSoftmax'> = (out, [x], { dim }) => {
  const a = x!;
  const o = out.buffer;
  const src = a.buffer;
  if (out.shape.length === 0) {
    o[0] = logSoftmaxRow(src, a.offset, 1, 1, o, 0, 1);
    return;
  }
  const len = out.shape[dim]!;
  const outStrides = denseStrides(out.shape);
  const walk = coalesce(
    out.shape.map((s, d) => (d === dim ? 1 : s)),
    [outStrides, a.strides],
  );
  const so = outStrides[dim]!;
  const sa = a.strides[dim]!;
  const last = walk.shape.length - 1;
  const wo = walk.strides[0]![last]!;
  const wa = walk.strides[1]![last]!;
  forEachRow(walk, [0, a.offset], (offs, n) => {
    for (let i = 0; i < n; i++)
      logSoftmaxRow(src, offs[1]! + i * wa, sa, len, o, offs[0]! + i * wo, so);
  });
};

/**
 * One row: m = max (NaN if any is NaN; 0 where it is ±inf), then (x − m) − log Σ exp(x − m).
 * Returns the last value written (the 0-d case reads it).
 */
function logSoftmaxRow(
  src: Buf,
  p: number,
  sp: number,
  len: number,
  o: Buf,
  q: number,
  sq: number,
): number {
  let m = -Infinity;
  for (let j = 0, i = p; j < len; j++, i += sp) {
    const v = src[i]!;
    if (v !== v) {
      m = v;
      break;
    }
    if (v > m) m = v;
  }
  if (m === Infinity || m === -Infinity) m = 0;
  let s = 0;
  for (let j = 0, i = p; j < len; j++, i += sp) s += Math.exp(src[i]! - m);
  const lse = Math.log(s);
  let y = 0;
  for (let j = 0, i = p, k = q; j < len; j++, i += sp, k += sq) o[k] = y = src[i]! - m - lse;
  return y;
}

/** The element offsets of a view, in row-major order (null when it is dense: offset + i). */
function offsetsOf(v: KernelInput<Buf>): Float64Array | null {
  if (isDense(v.shape, v.strides)) return null;
  const walk = coalesce(v.shape, [v.strides]);
  const n = v.shape.reduce((a, b) => a * b, 1);
  const offs = new Float64Array(n);
  const last = walk.shape.length - 1;
  const step = last < 0 ? 0 : walk.strides[0]![last]!;
  let k = 0;
  forEachRow(walk, [v.offset], (at, len) => {
    for (let i = 0; i < len; i++) offs[k++] = at[0]! + i * step;
  });
  return offs;
}

/** The targets of an nll input of `shape`: per target its class, its weight and its place. */
interface NllLayout {
  /** Targets (N·S of them), classes C, positions per sample S. */
  readonly count: number;
  readonly classes: number;
  readonly spatial: number;
  readonly target: (p: number) => number;
  readonly weight: (t: number) => number;
}

function nllLayout(shape: readonly number[], target: KernelInput<Buf>, weight?: KernelInput<Buf>) {
  const classDim = shape.length === 1 ? 0 : 1;
  const classes = shape[classDim]!;
  const spatial = shape.slice(2).reduce((a, b) => a * b, 1);
  const tOffs = offsetsOf(target);
  const tb = target.buffer;
  const t0 = target.offset;
  const wb = weight?.buffer;
  const w0 = weight?.offset ?? 0;
  const ws = weight?.strides[0] ?? 0;
  const layout: NllLayout = {
    count: target.shape.reduce((a, b) => a * b, 1),
    classes,
    spatial,
    target: tOffs === null ? (p) => tb[t0 + p]! : (p) => tb[tOffs[p]!]!,
    weight: wb === undefined ? () => 1 : (t) => wb[w0 + t * ws]!,
  };
  return layout;
}

/** Σ w[t] over the counted targets ('mean' divides by it). */
function countedWeight(l: NllLayout, ignoreIndex: number): number {
  let total = 0;
  for (let p = 0; p < l.count; p++) {
    const t = l.target(p);
    if (t !== ignoreIndex) total += l.weight(t);
  }
  return total;
}

function checkClass(t: number, classes: number): void {
  if (t < 0 || t >= classes) throw new IndexError(`Target ${t} is out of bounds.`);
}

export const nllLossKernel: Kernel<Buf, 'nllLoss'> = (out, [x, target, weight], params) => {
  const a = x!;
  const l = nllLayout(a.shape, target!, weight);
  const xOffs = offsetsOf(a);
  const o = out.buffer;
  const { ignoreIndex, reduction } = params;
  let total = 0;
  for (let p = 0; p < l.count; p++) {
    const t = l.target(p);
    let term = 0;
    if (t !== ignoreIndex) {
      checkClass(t, l.classes);
      const n = Math.floor(p / l.spatial);
      const s = p - n * l.spatial;
      const k = (n * l.classes + t) * l.spatial + s;
      term = -l.weight(t) * a.buffer[xOffs === null ? a.offset + k : xOffs[k]!]!;
    }
    if (reduction === 'none') o[p] = term;
    else total += term;
  }
  if (reduction === 'sum') o[0] = total;
  else if (reduction === 'mean') o[0] = total / countedWeight(l, ignoreIndex);
};

export const nllLossBackwardKernel: Kernel<Buf, 'nllLossBackward'> = (
  out,
  [g, target, weight],
  params: NllParams & { readonly shape: readonly number[] },
) => {
  const l = nllLayout(params.shape, target!, weight);
  const gOffs = offsetsOf(g!);
  const gb = g!.buffer;
  const o = out.buffer;
  o.fill(0);
  const { ignoreIndex, reduction } = params;
  const scale = reduction === 'mean' ? 1 / countedWeight(l, ignoreIndex) : 1;
  for (let p = 0; p < l.count; p++) {
    const t = l.target(p);
    if (t === ignoreIndex) continue;
    checkClass(t, l.classes);
    const n = Math.floor(p / l.spatial);
    const s = p - n * l.spatial;
    const k = reduction === 'none' ? p : 0;
    const gv = gb[gOffs === null ? g!.offset + k : gOffs[k]!]!;
    o[(n * l.classes + t) * l.spatial + s] = -l.weight(t) * gv * scale;
  }
};
