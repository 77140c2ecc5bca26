// webgpu batch norm: the per-channel statistics (one workgroup per channel, compensated sums, two
// passes) and the per-channel affine maps of the forward and of training's input gradient (one
// thread per element), over strided float32 inputs, as the cpu kernels in src/backend/cpu/norm.ts.
import type { GpuKernel } from './index.js';
import { COMMON, WG, padTo, type In, type Out } from './reduce_common.js';
import { Params, grid, type GpuRuntime } from './runtime.js';
import { binding, entry, walkCode, walkParams } from './wgsl.js';

/** Words before the walk in the parameter blocks below. */
const HEAD = 24;

/** A [N, C, *] input's walk over every dim but the channels (a trailing 1 when there is none). */
function channelWalk(x: In): { shape: number[]; strides: number[] } {
  const shape = x.shape.filter((_, i) => i !== 1);
  const strides = x.strides.filter((_, i) => i !== 1);
  return shape.length === 1
    ? { shape: [...shape, 1], strides: [...strides, 0] }
    : { shape, strides };
}

/**
 * Statistics, one workgroup per channel. P: [C, M (elements per channel), grad mode, stride of x
 * along C, stride of g along C, stats offset, stats column stride, 0…, then the walk of x and g
 * over [N, *]]. Without g: mean and biased variance (two passes); with g: Σg and Σg·(x − mean).
 */
function statsShader(grad: boolean): string {
  return `${COMMON}
${binding(1, 'y', 'float32', true)}
${binding(2, 'x', 'float32')}
${
  grad
    ? `${binding(3, 'g', 'float32')}
${binding(4, 'st', 'float32')}`
    : ''
}
${walkCode(2, HEAD)}
var<workgroup> sa: array<f32, ${WG}>;
var<workgroup> sb: array<f32, ${WG}>;
fn xAt(j: u32, c: u32) -> f32 { return x[u32(i32(at(j, 0u)) + i32(c) * pi(3u))]; }
${grad ? 'fn gAt(j: u32, c: u32) -> f32 { return g[u32(i32(at(j, 1u)) + i32(c) * pi(4u))]; }' : ''}
fn tree() {
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (nb_lid < s) { sa[nb_lid] = sa[nb_lid] + sa[nb_lid + s]; sb[nb_lid] = sb[nb_lid] + sb[nb_lid + s]; }
    workgroupBarrier();
  }
}
${entry(
  `let c = nb_wid.y * nb_nwg.x + nb_wid.x;
  let live = c < P[0];
  let m = P[1];
  var s = 0.0; var cs = 0.0; var t = 0.0; var ct = 0.0;
  ${
    grad
      ? `var mean = 0.0;
  if (live) { mean = st[u32(pi(5u) + i32(c) * pi(6u))]; }
  if (live) {
    for (var j = nb_lid; j < m; j = j + WG) {
      let gv = gAt(j, c);
      kahan(&s, &cs, gv);
      kahan(&t, &ct, gv * (xAt(j, c) - mean));
    }
  }
  sa[nb_lid] = s; sb[nb_lid] = t;
  tree();
  if (live && nb_lid == 0u) { y[c] = sa[0]; y[P[0] + c] = sb[0]; }`
      : `if (live) { for (var j = nb_lid; j < m; j = j + WG) { kahan(&s, &cs, xAt(j, c)); } }
  sa[nb_lid] = s; sb[nb_lid] = 0.0;
  tree();
  var mean = nb_nan();
  if (m > 0u) { mean = sa[0] / f32(m); }
  workgroupBarrier();
  if (live) {
    for (var j = nb_lid; j < m; j = j + WG) { let d = xAt(j, c) - mean; kahan(&t, &ct, d * d); }
  }
  sa[nb_lid] = 0.0; sb[nb_lid] = t;
  tree();
  if (live && nb_lid == 0u) { y[c] = mean; y[P[0] + c] = select(nb_nan(), sb[0] / f32(max(m, 1u)), m > 0u); }`
  }`,
  WG,
)}`;
}

function stats(rt: GpuRuntime, out: Out, x: In, g: In | null, st: In | null): void {
  const c = x.shape[1]!;
  const m = x.shape.reduce((a, b) => a * b, 1) / Math.max(c, 1);
  if (c === 0) return;
  const gg = g ?? x;
  const params = new Params()
    .u32(c, m, g === null ? 0 : 1)
    .i32(x.strides[1]!, gg.strides[1]!, st?.offset ?? 0, st?.strides[1] ?? 0);
  padTo(params, HEAD);
  const w = channelWalk(x);
  walkParams(params, w.shape, [
    { offset: x.offset, strides: w.strides },
    { offset: gg.offset, strides: channelWalk(gg).strides },
  ]);
  const grad = g !== null;
  rt.dispatch({
    pipeline: rt.pipeline(`batchNormStats:${grad ? 'grad' : 'x'}`, () => statsShader(grad)),
    buffers: grad
      ? [out.buffer.device, x.buffer.device, gg.buffer.device, st!.buffer.device]
      : [out.buffer.device, x.buffer.device],
    params,
    workgroups: grid(c * WG),
  });
}

/**
 * The per-channel affine maps, one thread per element of the dense output [N, C, S]. P: [total, C,
 * S, has weight, has bias, stats offset, stats row stride, stats column stride, weight offset,
 * stride, bias offset, stride, gradStats offset, row stride, column stride, eps, n, 0…, then the
 * walk of x and g]. Forward: y = (x − mean)·w·invstd + b; backward: dx = w·invstd·(g − Σg/n −
 * (x − mean)·invstd²·Σg(x − mean)/n).
 */
function applyShader(backward: boolean): string {
  return `${COMMON}
${binding(1, 'y', 'float32', true)}
${binding(2, 'x', 'float32')}
${binding(3, 'st', 'float32')}
${binding(4, 'wt', 'float32')}
${binding(5, 'b', 'float32')}
${backward ? binding(6, 'g', 'float32') : ''}
${walkCode(2, HEAD)}
${entry(`let i = gid();
  if (i >= P[0]) { return; }
  let c = (i / P[2]) % P[1];
  let mean = st[u32(pi(5u) + i32(c) * pi(7u))];
  let invstd = 1.0 / sqrt(st[u32(pi(5u) + pi(6u) + i32(c) * pi(7u))] + pf(15u));
  var k = invstd;
  if (P[3] == 1u) { k = k * wt[u32(pi(8u) + i32(c) * pi(9u))]; }
  let xc = x[at(i, 0u)] - mean;
  ${
    backward
      ? `let cnt = pf(16u);
  let sg = b[u32(pi(12u) + i32(c) * pi(14u))];
  let sgx = b[u32(pi(12u) + pi(13u) + i32(c) * pi(14u))];
  y[i] = k * (g[at(i, 1u)] - sg / cnt - xc * (invstd * invstd * sgx / cnt));`
      : `var shift = 0.0;
  if (P[4] == 1u) { shift = b[u32(pi(10u) + i32(c) * pi(11u))]; }
  y[i] = xc * k + shift;`
  }`)}`;
}

function applyRun(
  rt: GpuRuntime,
  out: Out,
  x: In,
  st: In,
  w: In | null,
  b: In | null,
  g: In | null,
  gs: In | null,
  eps: number,
): void {
  const total = out.shape.reduce((a, s) => a * s, 1);
  if (total === 0) return;
  const c = x.shape[1]!;
  const params = new Params()
    .u32(total, c, total / (x.shape[0]! * c), w === null ? 0 : 1, b === null ? 0 : 1)
    .i32(st.offset, st.strides[0]!, st.strides[1]!)
    .i32(w?.offset ?? 0, w?.strides[0] ?? 0, b?.offset ?? 0, b?.strides[0] ?? 0)
    .i32(gs?.offset ?? 0, gs?.strides[0] ?? 0, gs?.strides[1] ?? 0)
    .f32(eps, total / c);
  padTo(params, HEAD);
  walkParams(params, x.shape, [x, g ?? x]);
  const backward = g !== null;
  rt.dispatch({
    pipeline: rt.pipeline(`batchNorm:${backward ? 'backward' : 'forward'}`, () =>
      applyShader(backward),
    ),
    buffers: [
      out.buffer.device,
      x.buffer.device,
      st.buffer.device,
      (w ?? x).buffer.device,
      (gs ?? b ?? x).buffer.device,
      ...(g === null ? [] : [g.buffer.device]),
    ],
    params,
    workgroups: grid(total),
  });
}

const f32 = (...ts: (In | undefined)[]) =>
  ts.every((t) => t === undefined || t.dtype === 'float32');

export const NORM_KERNELS = {
  batchNormStats: ((rt, out, [x]) => {
    if (!f32(x)) return false;
    stats(rt, out, x!, null, null);
    return true;
  }) as GpuKernel<'batchNormStats'>,
  batchNormGradStats: ((rt, out, [g, x, st]) => {
    if (!f32(g, x, st)) return false;
    stats(rt, out, x!, g!, st!);
    return true;
  }) as GpuKernel<'batchNormGradStats'>,
  batchNorm: ((rt, out, [x, st, ...affine], p) => {
    if (!f32(x, st, ...affine)) return false;
    const w = p.weight ? affine[0]! : null;
    const b = p.bias ? affine[p.weight ? 1 : 0]! : null;
    applyRun(rt, out, x!, st!, w, b, null, null, p.eps);
    return true;
  }) as GpuKernel<'batchNorm'>,
  batchNormBackward: ((rt, out, [g, x, st, gs, w], p) => {
    if (!f32(g, x, st, gs, w)) return false;
    applyRun(rt, out, x!, st!, p.weight ? w! : null, null, g!, gs!, p.eps);
    return true;
  }) as GpuKernel<'batchNormBackward'>,
};
