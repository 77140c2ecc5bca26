// webgpu sliding-window primitives (unfold, fold, max-pool indices, convolution).
import type { WindowParams } from '../../primitives.js';
import type { KernelInput, KernelOutput } from '../backend.js';
import type { WebgpuBuffer } from './buffer.js';
import { GEMM_HEAD, SKINNY_OUTPUTS, gemmHead, gemmShader, skinnyShader } from './gemm.js';
import type { GpuKernel } from './index.js';
import { Params, grid, type GpuRuntime } from './runtime.js';
import { SKINNY_FILL, fillsTiles } from './matmul.js';
import { MATH, PRELUDE, binding, entry, epilogueWgsl } from './wgsl.js';

type In = KernelInput<WebgpuBuffer>;
type Out = KernelOutput<WebgpuBuffer>;

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Convolutions take the skinny kernel (one thread per output, the whole reduction in a loop) only
 * up to this reduction length: the weight gradient's runs over every image and position.
 */
const SKINNY_CONV_K = 4096;

/** The image [N, C, H, W] sizes and strides of a 3-d (unbatched) or 4-d view. */
function image4(x: In): { shape: number[]; strides: number[] } {
  return x.shape.length === 4
    ? { shape: [...x.shape], strides: [...x.strides] }
    : { shape: [1, ...x.shape], strides: [0, ...x.strides] };
}

/** How many windows fit along one dim of `size` elements (cpu/window.ts's blocks). */
const blocks = (size: number, k: number, d: number, p: number, s: number) =>
  Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

/** The window geometry words: [kh, kw, dh, dw, ph, pw, sh, sw]. */
const geometry = (p: WindowParams) => [...p.kernelSize, ...p.dilation, ...p.padding, ...p.stride];

/**
 * The one-thread-per-output window shaders share their parameter block: [count, C, H, W, kh, kw,
 * dh, dw, ph, pw, sh, sw, gH, gW, input offset, 4 input strides], (H, W) the image and (gH, gW)
 * the window grid. WGSL names for them:
 */
const WINDOW_WORDS = `
fn C_() -> u32 { return P[1]; }
fn H_() -> i32 { return pi(2u); }
fn W_() -> i32 { return pi(3u); }
fn kh() -> u32 { return P[4]; }
fn kw() -> u32 { return P[5]; }
fn dh() -> i32 { return pi(6u); }
fn dw() -> i32 { return pi(7u); }
fn ph() -> i32 { return pi(8u); }
fn pw() -> i32 { return pi(9u); }
fn sh() -> i32 { return pi(10u); }
fn sw() -> i32 { return pi(11u); }
fn gH() -> u32 { return P[12]; }
fn gW() -> u32 { return P[13]; }
fn xat(s0: u32, s1: u32, s2: i32, s3: i32) -> u32 {
  return u32(pi(14u) + i32(s0) * pi(15u) + i32(s1) * pi(16u) + s2 * pi(17u) + s3 * pi(18u));
}`;

/** Dispatches one thread per output element of a window shader (see WINDOW_WORDS). */
function runWindow(
  rt: GpuRuntime,
  key: string,
  body: string,
  out: Out,
  x: In,
  words: { C: number; H: number; W: number; gH: number; gW: number },
  p: WindowParams,
  xOffset: number,
  xStrides: readonly number[],
): void {
  const total = numel(out.shape);
  if (total === 0) return;
  const pipeline = rt.pipeline(
    key,
    () => `${PRELUDE}${MATH}
${binding(1, 'Y', out.dtype, true)}
${binding(2, 'X', 'float32')}
${WINDOW_WORDS}
${entry(`let o = gid();
  if (o >= P[0]) { return; }
  ${body}`)}`,
  );
  const params = new Params()
    .u32(total, words.C)
    .i32(words.H, words.W, ...geometry(p))
    .u32(words.gH, words.gW)
    .i32(xOffset, ...xStrides);
  rt.dispatch({
    pipeline,
    buffers: [out.buffer.device, x.buffer.device],
    params,
    workgroups: grid(total),
  });
}

/** im2col: out[n, (c·kh + ki)·kw + kj, oh·gW + ow] = x[n, c, ih, iw], 0 in the padding. */
const unfoldGpu: GpuKernel<'unfold'> = (rt, out, [input], p) => {
  const x = input!;
  if (x.dtype !== 'float32') return false;
  const { shape, strides } = image4(x);
  const [, C, H, W] = shape as [number, number, number, number];
  const gH = blocks(H, p.kernelSize[0], p.dilation[0], p.padding[0], p.stride[0]);
  const gW = blocks(W, p.kernelSize[1], p.dilation[1], p.padding[1], p.stride[1]);
  const body = `
  let L = gH() * gW();
  let lw = o % L;
  let row = (o / L) % (C_() * kh() * kw());
  let img = o / (L * C_() * kh() * kw());
  let c = row / (kh() * kw());
  let ki = (row / kw()) % kh();
  let kj = row % kw();
  let ih = i32(lw / gW()) * sh() - ph() + i32(ki) * dh();
  let iw = i32(lw % gW()) * sw() - pw() + i32(kj) * dw();
  if (ih < 0 || iw < 0 || ih >= H_() || iw >= W_()) { Y[o] = 0.0; return; }
  Y[o] = X[xat(img, c, ih, iw)];`;
  runWindow(rt, 'unfold', body, out, x, { C, H, W, gH, gW }, p, x.offset, strides);
  return true;
};

/**
 * col2im as a gather: each output pixel sums the columns of the windows that cover it (no
 * atomics), taps in the cpu kernel's order. Here (H, W) is the output size, the input is read as
 * [N, C·kh·kw, L] through strides [sN, sK, sL, 0].
 */
const foldGpu: GpuKernel<'fold'> = (rt, out, [input], p) => {
  const cols = input!;
  if (cols.dtype !== 'float32') return false;
  const batched = cols.shape.length === 3;
  const [H, W] = p.outputSize;
  const [kh, kw] = p.kernelSize;
  const C = cols.shape[batched ? 1 : 0]! / (kh * kw);
  const gH = blocks(H, kh, p.dilation[0], p.padding[0], p.stride[0]);
  const gW = blocks(W, kw, p.dilation[1], p.padding[1], p.stride[1]);
  const strides = batched ? [...cols.strides, 0] : [0, ...cols.strides, 0];
  const body = `
  let x = i32(o % u32(W_()));
  let y = i32((o / u32(W_())) % u32(H_()));
  let c = (o / u32(W_() * H_())) % C_();
  let img = o / (u32(W_() * H_()) * C_());
  var acc = 0.0;
  for (var ki = 0u; ki < kh(); ki = ki + 1u) {
    let ty = y + ph() - i32(ki) * dh();
    if (ty < 0 || ty % sh() != 0 || u32(ty / sh()) >= gH()) { continue; }
    for (var kj = 0u; kj < kw(); kj = kj + 1u) {
      let tx = x + pw() - i32(kj) * dw();
      if (tx < 0 || tx % sw() != 0 || u32(tx / sw()) >= gW()) { continue; }
      let lw = u32(ty / sh()) * gW() + u32(tx / sw());
      acc = acc + X[xat(img, (c * kh() + ki) * kw() + kj, i32(lw), 0)];
    }
  }
  Y[o] = acc;`;
  runWindow(rt, 'fold', body, out, cols, { C, H, W, gH, gW }, p, cols.offset, strides);
  return true;
};

/** For each window, h·W + w of its first maximum; a NaN beats any number and the last NaN wins. */
const maxPoolIndicesGpu: GpuKernel<'maxPoolIndices'> = (rt, out, [input], p) => {
  const x = input!;
  if (x.dtype !== 'float32') return false;
  const { shape, strides } = image4(x);
  const [, C, H, W] = shape as [number, number, number, number];
  const [gH, gW] = p.grid;
  const body = `
  let ow = i32(o % gW());
  let oh = i32((o / gW()) % gH());
  let c = (o / (gW() * gH())) % C_();
  let img = o / (gW() * gH() * C_());
  let h0 = oh * sh() - ph();
  let w0 = ow * sw() - pw();
  // the first tap inside the image (or past it): the index of a window of -inf only
  let ih0 = select(h0, h0 + ((-h0 + dh() - 1) / dh()) * dh(), h0 < 0);
  let iw0 = select(w0, w0 + ((-w0 + dw() - 1) / dw()) * dw(), w0 < 0);
  var best = -nb_inf();
  var at = ih0 * W_() + iw0;
  for (var ki = 0u; ki < kh(); ki = ki + 1u) {
    let ih = h0 + i32(ki) * dh();
    if (ih < 0 || ih >= H_()) { continue; }
    for (var kj = 0u; kj < kw(); kj = kj + 1u) {
      let iw = w0 + i32(kj) * dw();
      if (iw < 0 || iw >= W_()) { continue; }
      let v = X[xat(img, c, ih, iw)];
      if (v > best || nb_isnan(v)) {
        best = v;
        at = ih * W_() + iw;
      }
    }
  }
  Y[o] = at;`;
  runWindow(rt, 'maxPoolIndices', body, out, x, { C, H, W, gH, gW }, p, x.offset, strides);
  return true;
};

/**
 * The convolutions as implicit GEMMs (gemm.ts) whose loaders gather image patches on the fly.
 * P from GEMM_HEAD: [C, H, W, kh, kw, dh, dw, ph, pw, sh, sw, gH, gW] (the image, the window and
 * its output grid), then two operands' [offset, 4 strides] at words +13 and +18, then [has bias,
 * bias offset, bias stride]. The operands are bound at 2 and 3, the bias at 4, the output at 1.
 */
const CONV_WORDS = `
${binding(1, 'Y', 'float32', true)}
${binding(2, 'U', 'float32')}
${binding(3, 'V', 'float32')}
fn cw(i: u32) -> i32 { return pi(${GEMM_HEAD}u + i); }
fn cu(i: u32) -> u32 { return P[${GEMM_HEAD}u + i]; }
/** Element of operand U (word 13) or V (word 18) at [a, b, c, d]. */
fn uat(a: u32, b: u32, c: i32, d: i32) -> u32 {
  return u32(cw(13u) + i32(a) * cw(14u) + i32(b) * cw(15u) + c * cw(16u) + d * cw(17u));
}
fn vat(a: u32, b: u32, c: i32, d: i32) -> u32 {
  return u32(cw(18u) + i32(a) * cw(19u) + i32(b) * cw(20u) + c * cw(21u) + d * cw(22u));
}
/** The tap p = (c·kh + ki)·kw + kj as (c, ki, kj). */
fn tap(p: u32) -> vec3u {
  let khw = cu(3u) * cu(4u);
  let r = p % khw;
  return vec3u(p / khw, r / cu(4u), r % cu(4u));
}
/** The image pixel (ih, iw) tap t of output position l reads (may lie in the padding). */
fn pixel(l: u32, t: vec3u) -> vec2i {
  let ih = i32(l / cu(12u)) * cw(9u) - cw(7u) + i32(t.y) * cw(5u);
  let iw = i32(l % cu(12u)) * cw(10u) - cw(8u) + i32(t.z) * cw(6u);
  return vec2i(ih, iw);
}
fn inside(q: vec2i) -> bool { return q.x >= 0 && q.y >= 0 && q.x < cw(1u) && q.y < cw(2u); }
fn setup(b: u32) {}
`;

/**
 * conv2d: per image b, Y[b] (O × L) = weight (O × C·kh·kw) @ patches of x[b] (C·kh·kw × L), plus
 * the bias, through the activation; U is x, V the weight.
 */
const CONV2D = (activation: 'relu' | undefined) => `${CONV_WORDS}
${activation === undefined ? '' : MATH}${epilogueWgsl(activation)}
${binding(4, 'Bias', 'float32')}
fn loadA(b: u32, i: u32, p: u32) -> f32 {
  let t = tap(p);
  return V[vat(i, t.x, i32(t.y), i32(t.z))];
}
fn loadB(b: u32, p: u32, j: u32) -> f32 {
  let t = tap(p);
  let q = pixel(j, t);
  if (!inside(q)) { return 0.0; }
  return U[uat(b, t.x, q.x, q.y)];
}
fn storeC(b: u32, i: u32, j: u32, v: f32) {
  var r = v;
  if (cu(23u) != 0u) { r = r + Bias[u32(cw(24u) + i32(i) * cw(25u))]; }
  Y[(b * P[0] + i) * P[1] + j] = nb_act(r);
}`;

/**
 * conv2d's weight gradient: dW (O × C·kh·kw) = dY (O × N·L) @ patches (N·L × C·kh·kw), the
 * reduction running over images and positions; U is x, V is dY.
 */
const CONV2D_WEIGHT_GRAD = `${CONV_WORDS}
fn loadA(b: u32, i: u32, p: u32) -> f32 {
  let L = cu(11u) * cu(12u);
  let l = p % L;
  return V[vat(p / L, i, i32(l / cu(12u)), i32(l % cu(12u)))];
}
fn loadB(b: u32, p: u32, j: u32) -> f32 {
  let L = cu(11u) * cu(12u);
  let t = tap(j);
  let q = pixel(p % L, t);
  if (!inside(q)) { return 0.0; }
  return U[uat(p / L, t.x, q.x, q.y)];
}
fn storeC(b: u32, i: u32, j: u32, v: f32) { Y[i * P[1] + j] = v; }`;

/**
 * conv2d's input gradient: per image b, dX[b] (C × H·W) = weightᵀ-by-tap (C × O·kh·kw) @ the dY
 * entries whose windows cover each pixel (O·kh·kw × H·W), a gather (no atomics); U is dY, V the
 * weight.
 */
const CONV2D_INPUT_GRAD = `${CONV_WORDS}
/** (o, ki, kj) of reduction index p = (o·kh + ki)·kw + kj. */
fn otap(p: u32) -> vec3u { return tap(p); }
fn loadA(b: u32, i: u32, p: u32) -> f32 {
  let t = otap(p);
  return V[vat(t.x, i, i32(t.y), i32(t.z))];
}
fn loadB(b: u32, p: u32, j: u32) -> f32 {
  let t = otap(p);
  let ty = i32(j / cu(2u)) + cw(7u) - i32(t.y) * cw(5u);
  let tx = i32(j % cu(2u)) + cw(8u) - i32(t.z) * cw(6u);
  if (ty < 0 || tx < 0 || ty % cw(9u) != 0 || tx % cw(10u) != 0) { return 0.0; }
  let bh = ty / cw(9u);
  let bw = tx / cw(10u);
  if (bh >= cw(11u) || bw >= cw(12u)) { return 0.0; }
  return U[uat(b, t.x, bh, bw)];
}
fn storeC(b: u32, i: u32, j: u32, v: f32) { Y[(b * P[0] + i) * P[1] + j] = v; }`;

/** Records one implicit-GEMM convolution dispatch (see CONV_WORDS for the parameter block). */
function runConv(
  rt: GpuRuntime,
  key: string,
  loaders: string,
  gemm: { m: number; n: number; k: number; batches: number; aAlongK: boolean; bAlongK: boolean },
  image: { C: number; H: number; W: number; gH: number; gW: number },
  p: WindowParams,
  u: { offset: number; strides: readonly number[] },
  v: { offset: number; strides: readonly number[] },
  buffers: readonly WebgpuBuffer[],
  bias: In | undefined,
): void {
  if (gemm.m * gemm.n * gemm.batches === 0) return;
  const head = gemmHead(gemm.m, gemm.n, gemm.k, gemm.batches, gemm.aAlongK, gemm.bAlongK);
  const skinny = fillsTiles(gemm.m, gemm.n) < SKINNY_FILL && gemm.k <= SKINNY_CONV_K;
  const params = new Params()
    .u32(...head.words)
    .u32(image.C)
    .i32(image.H, image.W, ...geometry(p), image.gH, image.gW)
    .i32(u.offset, ...u.strides, v.offset, ...v.strides)
    .i32(bias ? 1 : 0, bias?.offset ?? 0, bias?.strides[0] ?? 0);
  rt.dispatch({
    pipeline: skinny
      ? rt.pipeline(`${key}-skinny`, () => skinnyShader('f32', loaders))
      : rt.pipeline(key, () => gemmShader('f32', loaders)),
    buffers: buffers.map((b) => b.device),
    params,
    workgroups: skinny
      ? grid(Math.ceil((gemm.m * gemm.n * gemm.batches) / SKINNY_OUTPUTS), 1)
      : grid(head.workgroups, 1),
  });
}

/** out[n, o, l] = b[o] + Σ_taps w[o, tap]·x[n, tap at l], as an implicit GEMM per image. */
const conv2dGpu: GpuKernel<'conv2d'> = (rt, out, [x, weight, bias], p) => {
  if ([x, weight, bias].some((t) => t !== undefined && t.dtype !== 'float32')) return false;
  const [N, C, H, W] = x!.shape as [number, number, number, number];
  const [O, , kh, kw] = weight!.shape as [number, number, number, number];
  const [gH, gW] = [out.shape[2]!, out.shape[3]!];
  runConv(
    rt,
    `conv2d:${p.activation ?? ''}`,
    CONV2D(p.activation),
    {
      m: O,
      n: gH * gW,
      k: C * kh * kw,
      batches: N,
      aAlongK: weight!.strides[3] === 1,
      bAlongK: false,
    },
    { C, H, W, gH, gW },
    { ...p, kernelSize: [kh, kw] },
    x!,
    weight!,
    // without a bias, binding 4 is the weight again (never read)
    [out.buffer, x!.buffer, weight!.buffer, (bias ?? weight!).buffer],
    bias,
  );
  return true;
};

/** out[o, tap] = Σ_{n, l} dY[n, o, l]·x[n, tap at l], the reduction over every image at once. */
const conv2dWeightGradGpu: GpuKernel<'conv2dWeightGrad'> = (rt, out, [gy, x], p) => {
  if (gy!.dtype !== 'float32' || x!.dtype !== 'float32') return false;
  const [N, C, H, W] = x!.shape as [number, number, number, number];
  const [O, , kh, kw] = out.shape as [number, number, number, number];
  const [gH, gW] = [gy!.shape[2]!, gy!.shape[3]!];
  runConv(
    rt,
    'conv2dWeightGrad',
    CONV2D_WEIGHT_GRAD,
    {
      m: O,
      n: C * kh * kw,
      k: N * gH * gW,
      batches: 1,
      aAlongK: gy!.strides[3] === 1,
      bAlongK: true,
    },
    { C, H, W, gH, gW },
    { ...p, kernelSize: [kh, kw] },
    x!,
    gy!,
    [out.buffer, x!.buffer, gy!.buffer],
    undefined,
  );
  return true;
};

/** out[n, c, pixel] = Σ over (o, tap) whose window covers the pixel of w[o, c, tap]·dY[n, o, l]. */
const conv2dInputGradGpu: GpuKernel<'conv2dInputGrad'> = (rt, out, [gy, weight], p) => {
  if (gy!.dtype !== 'float32' || weight!.dtype !== 'float32') return false;
  const [N, C, H, W] = out.shape as [number, number, number, number];
  const [O, , kh, kw] = weight!.shape as [number, number, number, number];
  const [gH, gW] = [gy!.shape[2]!, gy!.shape[3]!];
  runConv(
    rt,
    'conv2dInputGrad',
    CONV2D_INPUT_GRAD,
    {
      m: C,
      n: H * W,
      k: O * kh * kw,
      batches: N,
      aAlongK: weight!.strides[3] === 1,
      bAlongK: false,
    },
    { C, H, W, gH, gW },
    { ...p, kernelSize: [kh, kw] },
    gy!,
    weight!,
    [out.buffer, gy!.buffer, weight!.buffer],
    undefined,
  );
  return true;
};

export const LINALG_KERNELS = {
  unfold: unfoldGpu,
  fold: foldGpu,
  maxPoolIndices: maxPoolIndicesGpu,
  conv2d: conv2dGpu,
  conv2dWeightGrad: conv2dWeightGradGpu,
  conv2dInputGrad: conv2dInputGradGpu,
};
