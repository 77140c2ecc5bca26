// Shared pieces of the webgpu reduction, scan and loss kernels: the compute types, the WGSL helpers
// (strided walks read from P, exp/log with PyTorch's edge cases, the Kahan step), parameter-block
// building, and the lines along one dim that the scans and log_softmax walk.
import type { DType } from '../../dtype.js';
import type { KernelInput, KernelOutput } from '../backend.js';
import { coalesce } from '../cpu/strided.js';
import type { WebgpuBuffer } from './buffer.js';
import { Params, WORKGROUP, grid, type GpuRuntime } from './runtime.js';
import { MATH, PRELUDE, STORAGE_TYPE } from './wgsl.js';

export type In = KernelInput<WebgpuBuffer>;
export type Out = KernelOutput<WebgpuBuffer>;

/** The type a kernel computes in: f32 for float32, i32 for int32 and bool. */
export type Compute = 'f32' | 'i32';
export const computeOf = (dtype: DType): Compute => (dtype === 'float32' ? 'f32' : 'i32');

export const WG = WORKGROUP;

/**
 * Shared WGSL: `walk(i, base)` is the element offset of the flat (row-major) position i of a
 * strided walk stored in P at word `base` as [ndim, shape × ndim, strides × ndim] (nb_exp and
 * nb_log of MATH keep exp(−inf) = 0 and NaN); the Kahan step adds v to (s, c) and drops the compensation once s is
 * not finite (inf − inf would turn it into NaN).
 */
export const COMMON = `${PRELUDE}${MATH}
fn walk(i: u32, base: u32) -> i32 {
  let nd = P[base];
  var rem = i;
  var o = 0i;
  var d = nd;
  loop {
    if (d == 0u) { break; }
    d = d - 1u;
    let s = P[base + 1u + d];
    o = o + i32(rem % s) * pi(base + 1u + nd + d);
    rem = rem / s;
  }
  return o;
}
fn kahan(s: ptr<function, f32>, c: ptr<function, f32>, v: f32) {
  let y = v - *c;
  let t = *s + y;
  if (nb_isinf(t) || nb_isnan(t)) { *c = 0.0; } else { *c = (t - *s) - y; }
  *s = t;
}
`;

/** Appends a walk (see COMMON's walk) to `params`; returns the word where it starts. */
export function pushWalk(
  params: Params,
  shape: readonly number[],
  strides: readonly number[],
): number {
  const base = params.words.length;
  params.u32(shape.length, ...shape);
  params.i32(...strides);
  return base;
}

/** Pads `params` with zeros up to `words` words (fixed heads before the walks). */
export function padTo(params: Params, words: number): Params {
  while (params.words.length < words) params.words.push(0);
  return params;
}

/** Lanes (a power of two ≤ WG) that share one output: about 4 elements each, 1 for short lines. */
export function lanesFor(n: number): number {
  if (n <= 4) return 1;
  return Math.min(WG, 2 ** Math.ceil(Math.log2(Math.ceil(n / 4))));
}

/** Stores a value of compute type `from` as `dtype` (bool: non-zero). */
export function store(dtype: DType, v: string, from: Compute): string {
  if (dtype === 'bool')
    return from === 'f32' ? `select(0u, 1u, nb_nonzero_f(${v}))` : `select(0u, 1u, ${v} != 0i)`;
  return STORAGE_TYPE[dtype] === from ? v : `${STORAGE_TYPE[dtype]}(${v})`;
}

/** Loads x at element index `idx` in the compute type. */
export function load(x: DType, t: Compute, idx: string): string {
  return STORAGE_TYPE[x] === t ? `x[${idx}]` : `${t}(x[${idx}])`;
}

/** Words before the walks in the reduction and line kernels' P (see reduce.ts and linesOf). */
export const HEAD = 8;

/**
 * The lines along `dim` of an output of `shape` (dense) and of x (strided): P of the line kernels
 * is [nLines, len, lanes, x offset, inner, x stride along dim, 0, 0, then the walk of x over the
 * other dims]. Line o's element j is at (o / inner)·len·inner + o % inner + j·inner in the output.
 */
export function linesOf(shape: readonly number[], x: In, dim: number) {
  if (shape.length === 0) {
    return { nLines: 1, len: 1, inner: 1, sa: 0, kept: { shape: [] as number[], strides: [] } };
  }
  const kept = shape.filter((_, d) => d !== dim);
  const w = coalesce(kept, [x.strides.filter((_, d) => d !== dim)]);
  return {
    nLines: kept.reduce((a, b) => a * b, 1),
    len: shape[dim]!,
    inner: shape.slice(dim + 1).reduce((a, b) => a * b, 1),
    sa: x.strides[dim]!,
    kept: { shape: w.shape, strides: w.strides[0]! },
  };
}

/** Dispatches a line kernel (one thread per line, or `lanes` threads per line). */
export function lineRun(
  rt: GpuRuntime,
  key: string,
  code: () => string,
  out: Out,
  x: In,
  dim: number,
  perLine: (len: number) => number,
): void {
  const l = linesOf(out.shape, x, dim);
  if (l.nLines === 0 || l.len === 0) return;
  const lanes = perLine(l.len);
  const params = new Params().u32(l.nLines, l.len, lanes).i32(x.offset).u32(l.inner).i32(l.sa);
  padTo(params, HEAD);
  pushWalk(params, l.kept.shape, l.kept.strides);
  rt.dispatch({
    pipeline: rt.pipeline(key, code),
    buffers: [out.buffer.device, x.buffer.device],
    params,
    workgroups: grid(l.nLines, WG / lanes),
  });
}

/** The group of `lanes` threads that owns line o, and the line's first input and output places. */
export const LINE_HEAD = `
  let lanes = P[2];
  let lane = nb_lid % lanes;
  let o = (nb_wid.y * nb_nwg.x + nb_wid.x) * (WG / lanes) + nb_lid / lanes;
  let live = o < P[0];
  let len = P[1];
  let inner = P[4];
  let sa = pi(5u);
  var base = 0i;
  var ob = 0u;
  if (live) {
    base = pi(3u) + walk(o, ${HEAD}u);
    ob = (o / inner) * len * inner + o % inner;
  }`;
