// webgpu sorting kernels: sort (a bitonic sort per line in workgroup memory) and kthIndex
// (PyTorch's quickselect, one thread per line), both in the cpu oracle's order among ties.
import type { DType } from '../../dtype.js';
import type { KernelInput } from '../backend.js';
import { gpuBytes, type WebgpuBuffer } from './buffer.js';
import type { GpuKernel } from './index.js';
import { Params, grid } from './runtime.js';
import { PRELUDE, entry } from './wgsl.js';

type In = KernelInput<WebgpuBuffer>;

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A storage array of 32-bit words (every GPU dtype is one word per element). */
const words = (i: number, name: string, type: string, write = false) =>
  `@group(0) @binding(${i}) var<storage, ${write ? 'read_write' : 'read'}> ${name}: array<${type}>;`;

/** The compute type of sort keys: float32 as f32, int32 and bool as i32 (bool words are 0 or 1). */
const keyType = (dtype: DType): 'f32' | 'i32' => (dtype === 'float32' ? 'f32' : 'i32');

/**
 * The lines of a sort or kth index: P is [n (line length), lines, nd, dim, inner (the output's
 * line stride), x offset, descending, x shape × nd, x strides × nd]; nb_line_base(line) is the
 * offset of the line's first element in x. The key type's comparisons: nb_cmp (NaN the largest,
 * −0 = 0) and PyTorch's quickselect order nb_above.
 */
const LINES = (key: 'f32' | 'i32') => `${PRELUDE}
fn nb_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn nb_line_base(line: u32) -> u32 {
  let nd = P[2];
  let dim = P[3];
  var rem = line;
  var o = pi(5u);
  var d = nd;
  loop {
    if (d == 0u) { break; }
    d = d - 1u;
    if (d == dim) { continue; }
    let s = P[7u + d];
    o = o + i32(rem % s) * pi(7u + nd + d);
    rem = rem / s;
  }
  return u32(o);
}
fn nb_key(w: u32) -> ${key} { return bitcast<${key}>(w); }
fn nb_cmp(a: ${key}, b: ${key}) -> i32 {
  ${
    key === 'f32'
      ? `let na = nb_isnan(a);
  let nb = nb_isnan(b);
  if (na || nb) { return select(select(-1, 1, na), 0, na == nb); }`
      : ''
  }
  return select(select(0, 1, a > b), -1, a < b);
}
fn nb_above(a: ${key}, b: ${key}) -> bool {
  ${key === 'f32' ? 'if (nb_isnan(a) && !nb_isnan(b)) { return true; }' : ''}
  return a > b;
}
`;

/** The longest line sort sorts in workgroup memory (8 KiB of keys and positions). */
const SORT_MAX = 1024;

/**
 * sort: one workgroup per line; the line's (key, position) pairs padded to a power of two are
 * bitonic-sorted in workgroup memory, ties broken by position, so the order is the cpu's stable
 * one; pads (positions ≥ n) sort last. The positions go out as int32.
 */
const SORT = (key: 'f32' | 'i32') => `${LINES(key)}
${words(1, 'y', 'i32', true)}
${words(2, 'x', 'u32')}
var<workgroup> kv: array<u32, ${SORT_MAX}>;
var<workgroup> ki: array<u32, ${SORT_MAX}>;
fn nb_before(va: u32, ia: u32, vb: u32, ib: u32) -> bool {
  let n = P[0];
  if (ia >= n || ib >= n) { return ia < ib; }
  var c = nb_cmp(nb_key(va), nb_key(vb));
  if (P[6] != 0u) { c = -c; }
  if (c != 0) { return c < 0; }
  return ia < ib;
}
const WG: u32 = 256u;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) w: vec3u, @builtin(num_workgroups) g: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let line = w.y * g.x + w.x;
  if (line >= P[1]) { return; }
  let n = P[0];
  var p2 = 1u;
  loop { if (p2 >= n) { break; } p2 = p2 * 2u; }
  let base = nb_line_base(line);
  let step = pi(7u + P[2] + P[3]);
  for (var t = lid; t < p2; t = t + WG) {
    if (t < n) { kv[t] = x[u32(i32(base) + i32(t) * step)]; }
    ki[t] = t;
  }
  workgroupBarrier();
  for (var k = 2u; k <= p2; k = k * 2u) {
    for (var j = k / 2u; j > 0u; j = j / 2u) {
      for (var t = lid; t < p2; t = t + WG) {
        let l = t ^ j;
        if (l > t) {
          let up = (t & k) == 0u;
          let first = nb_before(kv[l], ki[l], kv[t], ki[t]);
          let second = nb_before(kv[t], ki[t], kv[l], ki[l]);
          if ((up && first) || (!up && second)) {
            let v = kv[t];
            kv[t] = kv[l];
            kv[l] = v;
            let i = ki[t];
            ki[t] = ki[l];
            ki[l] = i;
          }
        }
      }
      workgroupBarrier();
    }
  }
  let inner = P[4];
  let obase = (line / inner) * n * inner + line % inner;
  for (var t = lid; t < n; t = t + WG) { y[obase + t * inner] = i32(ki[t]); }
}`;

/** The line parameters of sort and kthIndex (see LINES) for x along dim. */
function lineParams(x: In, dim: number, n: number, descending: boolean): Params {
  const shape = x.shape.length === 0 ? [1] : x.shape;
  const strides = x.shape.length === 0 ? [0] : x.strides;
  let inner = 1;
  for (let d = dim + 1; d < shape.length; d++) inner *= shape[d]!;
  return new Params()
    .u32(n, numel(shape) / n, shape.length, dim, inner)
    .i32(x.offset)
    .u32(descending ? 1 : 0, ...shape)
    .i32(...strides);
}

/** Lines longer than SORT_MAX run on the host (the cpu merge sort): no global-memory sort yet. */
export const sortGpu: GpuKernel<'sort'> = (rt, out, [x], { dim, descending }) => {
  const n = x!.shape.length === 0 ? 1 : x!.shape[dim]!;
  if (n > SORT_MAX) return false;
  const total = numel(x!.shape);
  if (total === 0) return true;
  const key = keyType(x!.dtype);
  rt.dispatch({
    pipeline: rt.pipeline(`ix:sort:${key}`, () => SORT(key)),
    buffers: [out.buffer.device, x!.buffer.device],
    params: lineParams(x!, dim, n, descending),
    workgroups: grid(total / n, 1),
  });
  return true;
};

/**
 * kthIndex: one thread per line runs PyTorch's quickselect (median-of-three pivot, Hoare
 * partition) step for step as the cpu kernel does, on the line copied to scratch buffers of keys
 * and positions, so that among equal values it picks the same position.
 */
const KTH = (key: 'f32' | 'i32') => `${LINES(key)}
${words(1, 'y', 'i32', true)}
${words(2, 'x', 'u32')}
${words(3, 'sv', 'u32', true)}
${words(4, 'si', 'i32', true)}
fn nb_swap(i: u32, j: u32) {
  let v = sv[i];
  sv[i] = sv[j];
  sv[j] = v;
  let t = si[i];
  si[i] = si[j];
  si[j] = t;
}
fn nb_gt(i: u32, j: u32) -> bool { return nb_above(nb_key(sv[i]), nb_key(sv[j])); }
${entry(`let line = gid();
  if (line >= P[1]) { return; }
  let len = P[0];
  let base = nb_line_base(line);
  let step = pi(7u + P[2] + P[3]);
  let s0 = line * len;
  for (var t = 0u; t < len; t = t + 1u) {
    sv[s0 + t] = x[u32(i32(base) + i32(t) * step)];
    si[s0 + t] = i32(t);
  }
  let k = s0 + P[6];
  var lo = s0;
  var hi = s0 + len - 1u;
  loop {
    if (hi <= lo) { break; }
    if (hi == lo + 1u) {
      if (nb_gt(lo, hi)) { nb_swap(lo, hi); }
      break;
    }
    nb_swap(lo + ((hi - lo) >> 1u), lo + 1u);
    if (nb_gt(lo + 1u, hi)) { nb_swap(lo + 1u, hi); }
    if (nb_gt(lo, hi)) { nb_swap(lo, hi); }
    if (nb_gt(lo + 1u, lo)) { nb_swap(lo + 1u, lo); }
    var i = lo + 1u;
    var j = hi;
    let pivot = nb_key(sv[lo]);
    loop {
      loop { i = i + 1u; if (!nb_above(pivot, nb_key(sv[i]))) { break; } }
      loop { j = j - 1u; if (!nb_above(nb_key(sv[j]), pivot)) { break; } }
      if (j < i) { break; }
      nb_swap(i, j);
    }
    nb_swap(lo, j);
    if (j <= k) { lo = i; }
    if (j >= k) { hi = j - 1u; }
  }
  y[line] = si[k];`)}`;

export const kthIndexGpu: GpuKernel<'kthIndex'> = (rt, out, [x], { dim, k }) => {
  const n = x!.shape.length === 0 ? 1 : x!.shape[dim]!;
  const total = numel(x!.shape);
  if (total === 0) return true;
  const key = keyType(x!.dtype);
  const values = rt.take(gpuBytes(total));
  const positions = rt.take(gpuBytes(total));
  // the descending word carries k − 1 here
  const params = lineParams(x!, dim, n, false);
  params.words[6] = k - 1;
  rt.dispatch({
    pipeline: rt.pipeline(`ix:kth:${key}`, () => KTH(key)),
    buffers: [out.buffer.device, x!.buffer.device, values, positions],
    params,
    workgroups: grid(total / n),
  });
  rt.give(values);
  rt.give(positions);
  return true;
};
