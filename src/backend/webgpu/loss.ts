// webgpu log_softmax (one group of lanes per line) and nll_loss with its input gradient, as the
// cpu kernels in src/backend/cpu/loss.ts (ignoreIndex, class weights, the three reductions).
import type { GpuKernel } from './index.js';
import {
  COMMON,
  LINE_HEAD,
  WG,
  lanesFor,
  lineRun,
  padTo,
  pushWalk,
  type In,
} from './reduce_common.js';
import { Params, grid } from './runtime.js';
import { binding, entry } from './wgsl.js';

/**
 * log_softmax, one group of lanes per line: the max (NaN if any; 0 where it is ±inf), the
 * compensated sum of exp(x − max), then x − max − log(sum), as the cpu kernel.
 */
function logSoftmaxShader(): string {
  return `${COMMON}
${binding(1, 'y', 'float32', true)}
${binding(2, 'x', 'float32')}
var<workgroup> sv: array<f32, ${WG}>;
${entry(
  `${LINE_HEAD}
  var m = -nb_inf();
  if (live) {
    for (var j = lane; j < len; j = j + lanes) { m = nb_max(m, x[u32(base + i32(j) * sa)]); }
  }
  sv[nb_lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (s < lanes && lane < s) { sv[nb_lid] = nb_max(sv[nb_lid], sv[nb_lid + s]); }
    workgroupBarrier();
  }
  m = sv[nb_lid - lane];
  workgroupBarrier();
  if (nb_isinf(m)) { m = 0.0; }
  var sum = 0.0;
  var comp = 0.0;
  if (live) {
    for (var j = lane; j < len; j = j + lanes) { kahan(&sum, &comp, nb_exp(x[u32(base + i32(j) * sa)] - m)); }
  }
  sv[nb_lid] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (s < lanes && lane < s) { sv[nb_lid] = sv[nb_lid] + sv[nb_lid + s]; }
    workgroupBarrier();
  }
  let lse = nb_log(sv[nb_lid - lane]);
  if (live) {
    for (var j = lane; j < len; j = j + lanes) {
      y[ob + j * inner] = x[u32(base + i32(j) * sa)] - m - lse;
    }
  }`,
  WG,
)}`;
}

export const logSoftmaxKernel: GpuKernel<'logSoftmax'> = (rt, out, [x], { dim }) => {
  if (x!.dtype !== 'float32') return false;
  lineRun(rt, 'logSoftmax', logSoftmaxShader, out, x!, dim, lanesFor);
  return true;
};

/**
 * nll_loss and its input gradient. P: [count, classes C, positions per sample S, ignoreIndex,
 * has weight, weight offset, weight stride, x (or g) offset, target offset, x (or g) walk base,
 * mean, per target (g), counted weight only, 0…, then the target's walk at word 16 and the x (g) walk]. Bindings: y, x (or g), the
 * targets, the weights (x again when there are none), and for the gradient the counted weight.
 * NOTE: a target outside [0, C) (not ignored) makes a NaN term (the forward) or writes nothing (the
 * gradient): the cpu raises IndexError, which a GPU kernel cannot.
 */
const NLL_HEAD = 16;

type NllMode = 'none' | 'reduce' | 'backward';

function nllShader(mode: NllMode): string {
  const common = `${COMMON}
${binding(1, 'y', 'float32', true)}
${binding(2, 'x', 'float32')}
${binding(3, 't', 'int32')}
${binding(4, 'w', 'float32')}
${mode === 'backward' ? binding(5, 'total', 'float32') : ''}
fn classOf(p: u32) -> i32 { return t[u32(pi(8u) + walk(p, ${NLL_HEAD}u))]; }
fn weightOf(c: i32) -> f32 {
  if (P[4] == 0u) { return 1.0; }
  return w[u32(pi(5u) + c * pi(6u))];
}
fn counted(c: i32) -> bool { return c != pi(3u); }
fn inRange(c: i32) -> bool { return c >= 0i && c < i32(P[1]); }
// the place of target p's class c in [N, C, S]
fn place(p: u32, c: i32) -> u32 {
  let n = p / P[2];
  return (n * P[1] + u32(c)) * P[2] + (p - n * P[2]);
}
fn term(p: u32) -> f32 {
  let c = classOf(p);
  if (!counted(c)) { return 0.0; }
  if (!inRange(c)) { return nb_nan(); }
  return -weightOf(c) * x[u32(pi(7u) + walk(place(p, c), P[9]))];
}
var<workgroup> sv: array<f32, ${WG}>;
var<workgroup> sw: array<f32, ${WG}>;`;
  if (mode === 'none') {
    return `${common}
${entry(`let p = gid();
  if (p >= P[0]) { return; }
  y[p] = term(p);`)}`;
  }
  if (mode === 'backward') {
    return `${common}
${entry(`let p = gid();
  if (p >= P[0]) { return; }
  let c = classOf(p);
  if (!counted(c) || !inRange(c)) { return; }
  // the gradient's element: per target ('none'), else its one value
  let k = select(0u, p, P[11] == 1u);
  let g = x[u32(pi(7u) + walk(k, P[9]))];
  let scale = select(1.0, 1.0 / total[0], P[10] == 1u);
  y[place(p, c)] = -weightOf(c) * g * scale;`)}`;
  }
  // one workgroup: the compensated sums of the terms and of the counted weights, then a tree
  return `${common}
${entry(`var s = 0.0;
  var cs = 0.0;
  var ws = 0.0;
  var cw = 0.0;
  for (var p = nb_lid; p < P[0]; p = p + WG) {
    if (P[12] == 0u) { kahan(&s, &cs, term(p)); }
    let c = classOf(p);
    if (counted(c)) { kahan(&ws, &cw, select(nb_nan(), weightOf(c), inRange(c))); }
  }
  sv[nb_lid] = s;
  sw[nb_lid] = ws;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k >> 1u) {
    if (nb_lid < k) {
      sv[nb_lid] = sv[nb_lid] + sv[nb_lid + k];
      sw[nb_lid] = sw[nb_lid] + sw[nb_lid + k];
    }
    workgroupBarrier();
  }
  if (nb_lid == 0u) {
    let total = sv[0];
    let weight = sw[0];
    if (P[12] == 1u) { y[0] = weight; }
    else if (P[10] == 0u) { y[0] = total; }
    else if (total == 0.0 && weight == 0.0) { y[0] = nb_nan(); }
    else { y[0] = total / weight; }
  }`)}`;
}

/** The P of the nll kernels for values (x or g) `v`, targets `target` and weights `weight`. */
function nllParams(
  shape: readonly number[],
  v: In,
  target: In,
  weight: In | undefined,
  ignoreIndex: number,
  mean: boolean,
  perTarget: boolean,
): { params: Params; count: number } {
  const classDim = shape.length === 1 ? 0 : 1;
  const count = target.shape.reduce((a, b) => a * b, 1);
  const params = new Params()
    .u32(
      count,
      shape[classDim]!,
      shape.slice(2).reduce((a, b) => a * b, 1),
    )
    .i32(Math.max(-2147483648, Math.min(2147483647, ignoreIndex)))
    .u32(weight === undefined ? 0 : 1)
    .i32(weight?.offset ?? 0, weight?.strides[0] ?? 0, v.offset, target.offset)
    .u32(0, mean ? 1 : 0, perTarget ? 1 : 0, 0);
  padTo(params, NLL_HEAD);
  pushWalk(params, target.shape, target.strides);
  params.words[9] = pushWalk(params, v.shape, v.strides);
  return { params, count };
}

export const nllLossKernel: GpuKernel<'nllLoss'> = (rt, out, [x, target, weight], p) => {
  if (x!.dtype !== 'float32' || (weight !== undefined && weight.dtype !== 'float32')) return false;
  if (!Number.isInteger(p.ignoreIndex)) return false;
  const mode: NllMode = p.reduction === 'none' ? 'none' : 'reduce';
  const { params, count } = nllParams(
    x!.shape,
    x!,
    target!,
    weight,
    p.ignoreIndex,
    p.reduction === 'mean',
    true,
  );
  if (mode === 'none' && count === 0) return true;
  rt.dispatch({
    pipeline: rt.pipeline(`nll:${mode}`, () => nllShader(mode)),
    buffers: [
      out.buffer.device,
      x!.buffer.device,
      target!.buffer.device,
      (weight ?? x)!.buffer.device,
    ],
    params,
    workgroups: mode === 'none' ? grid(count) : [1, 1, 1],
  });
  return true;
};

export const nllLossBackwardKernel: GpuKernel<'nllLossBackward'> = (
  rt,
  out,
  [g, target, weight],
  p,
) => {
  if (g!.dtype !== 'float32' || (weight !== undefined && weight.dtype !== 'float32')) return false;
  if (!Number.isInteger(p.ignoreIndex)) return false;
  rt.clear(out.buffer.device);
  const mean = p.reduction === 'mean';
  const { params, count } = nllParams(
    p.shape,
    g!,
    target!,
    weight,
    p.ignoreIndex,
    mean,
    p.reduction === 'none',
  );
  if (count === 0) return true;
  const w = (weight ?? g)!.buffer.device;
  const total = rt.take(4);
  if (mean) {
    // the reduce kernel with P[12] = 1: the counted weight only
    const only = new Params();
    only.words.push(...params.words);
    only.words[12] = 1;
    rt.dispatch({
      pipeline: rt.pipeline('nll:reduce', () => nllShader('reduce')),
      buffers: [total, g!.buffer.device, target!.buffer.device, w],
      params: only,
      workgroups: [1, 1, 1],
    });
  }
  rt.dispatch({
    pipeline: rt.pipeline('nll:backward', () => nllShader('backward')),
    buffers: [out.buffer.device, g!.buffer.device, target!.buffer.device, w, total],
    params,
    workgroups: grid(count),
  });
  rt.give(total);
  return true;
};
