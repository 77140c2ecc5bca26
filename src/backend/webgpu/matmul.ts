// webgpu matrix products: matmul and linear (x·Wᵀ + b), both the shared GEMM shader over strided operands.
import type { KernelInput } from '../backend.js';
import { linearProduct } from '../linear.js';
import type { WebgpuBuffer } from './buffer.js';
import {
  GEMM_HEAD,
  SKINNY_OUTPUTS,
  TILE,
  gemmHead,
  gemmShader,
  skinnyShader,
  type GemmType,
} from './gemm.js';
import type { GpuKernel } from './index.js';
import { Params, grid, type GpuRuntime } from './runtime.js';
import { MATH, binding, epilogueWgsl } from './wgsl.js';
import type { Epilogue } from '../../primitives.js';

type In = KernelInput<WebgpuBuffer>;

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * matmul's loaders: A and B through their strides (a transposed view needs no copy), batch
 * offsets from the batch index over the broadcast batch shape. P from GEMM_HEAD: [batch ndim,
 * A offset, B offset, A row stride, A k stride, B k stride, B col stride, batch shape, A batch
 * strides, B batch strides] and, with a bias, [bias offset, bias stride] (linear: C = A·B + bias
 * along j, added as each tile is stored).
 */
const MATMUL_LOADERS = (T: GemmType, bias: boolean, activation?: Epilogue) => {
  const act = (v: string) => (activation === undefined ? v : `nb_act(${v})`);
  return `
${activation === undefined ? '' : `${MATH}${epilogueWgsl(activation)}`}
${binding(1, 'C', T === 'f32' ? 'float32' : 'int32', true)}
${binding(2, 'A', T === 'f32' ? 'float32' : 'int32')}
${binding(3, 'B', T === 'f32' ? 'float32' : 'int32')}
var<private> aBase: i32;
var<private> bBase: i32;
var<private> sam: i32;
var<private> sak: i32;
var<private> sbk: i32;
var<private> sbn: i32;
fn setup(b: u32) {
  let H = ${GEMM_HEAD}u;
  let nd = P[H];
  var r = b;
  var ao = pi(H + 1u);
  var bo = pi(H + 2u);
  var d = nd;
  loop {
    if (d == 0u) { break; }
    d = d - 1u;
    let s = P[H + 7u + d];
    let idx = i32(r % s);
    r = r / s;
    ao = ao + idx * pi(H + 7u + nd + d);
    bo = bo + idx * pi(H + 7u + 2u * nd + d);
  }
  aBase = ao;
  bBase = bo;
  sam = pi(H + 3u);
  sak = pi(H + 4u);
  sbk = pi(H + 5u);
  sbn = pi(H + 6u);
}
fn loadA(b: u32, i: u32, p: u32) -> T { return A[u32(aBase + i32(i) * sam + i32(p) * sak)]; }
fn loadB(b: u32, p: u32, j: u32) -> T { return B[u32(bBase + i32(p) * sbk + i32(j) * sbn)]; }
${
  bias
    ? `${binding(4, 'Bias', 'float32')}
fn storeC(b: u32, i: u32, j: u32, v: T) {
  let at = ${GEMM_HEAD}u + 7u + 3u * P[${GEMM_HEAD}u];
  C[(b * P[0] + i) * P[1] + j] = ${act('v + Bias[u32(pi(at) + i32(j) * pi(at + 1u))]')};
}`
    : `fn storeC(b: u32, i: u32, j: u32, v: T) { C[(b * P[0] + i) * P[1] + j] = ${act('v')}; }`
}
`;
};

/**
 * Products that would fill less than this share of their GEMM tiles take the skinny kernel (a small
 * m or n, or many small matrices). NOTE: on SwiftShader at k = n = 1024 the skinny kernel runs about
 * 0.13 GFLOP per CPU-second whatever m, the tiled one 0.05 at m = 4 (tiles 1/16 full), 0.15 at
 * m = 16 (1/4) and 0.4 at m = 32; 66,000 products of 9×10 by 10×9 took 72 s on 64×64 tiles.
 */
export const SKINNY_FILL = 0.25;

/** The share of its GEMM tiles an m × n product fills. */
export const fillsTiles = (m: number, n: number) =>
  (m * n) / (Math.ceil(m / TILE) * Math.ceil(n / TILE) * TILE * TILE);

/** An operand of the product: its buffer, offset and strides over [...batch, rows, cols]. */
interface Operand {
  readonly buffer: WebgpuBuffer;
  readonly offset: number;
  readonly strides: readonly number[];
}

/**
 * C [...batch, m, n] (contiguous) = act(A·B (+ bias along n)), A and B read through their strides.
 */
function runGemm(
  rt: GpuRuntime,
  c: WebgpuBuffer,
  T: GemmType,
  size: { m: number; n: number; k: number; batch: readonly number[] },
  x: Operand,
  y: Operand,
  bias: In | undefined,
  activation?: Epilogue,
): void {
  const { m, n, k, batch } = size;
  const batches = numel(batch);
  if (m * n * batches === 0) return;
  const nd = batch.length + 2;
  const [sam, sak] = [x.strides[nd - 2]!, x.strides[nd - 1]!];
  const [sbk, sbn] = [y.strides[nd - 2]!, y.strides[nd - 1]!];
  const skinny = fillsTiles(m, n) < SKINNY_FILL && k > 0;
  const head = gemmHead(m, n, k, batches, sak === 1, sbk === 1 && sbn !== 1);
  const params = new Params().u32(...head.words);
  params.u32(batch.length).i32(x.offset, y.offset, sam, sak, sbk, sbn);
  params.u32(...batch);
  params.i32(...x.strides.slice(0, nd - 2), ...y.strides.slice(0, nd - 2));
  if (bias !== undefined) params.i32(bias.offset, bias.strides[0]!);
  const key = `${bias === undefined ? 'matmul' : 'linear'}${skinny ? '-skinny' : ''}:${T}:${activation ?? ''}`;
  const loaders = MATMUL_LOADERS(T, bias !== undefined, activation);
  rt.dispatch({
    pipeline: rt.pipeline(key, () => (skinny ? skinnyShader(T, loaders) : gemmShader(T, loaders))),
    buffers: [c.device, x.buffer.device, y.buffer.device, ...(bias ? [bias.buffer.device] : [])],
    params,
    workgroups: skinny
      ? grid(Math.ceil((m * n * batches) / SKINNY_OUTPUTS), 1)
      : grid(head.workgroups, 1),
  });
}

/** [...b, m, k] @ [...b, k, n] on float32 or int32, batch dims broadcast (stride 0). */
const matmulGpu: GpuKernel<'matmul'> = (rt, out, [a, b]) => {
  const x = a!;
  const y = b!;
  if (out.dtype !== 'float32' && out.dtype !== 'int32') return false;
  if (x.dtype !== out.dtype || y.dtype !== out.dtype) return false;
  const nd = out.shape.length;
  const size = {
    m: out.shape[nd - 2]!,
    n: out.shape[nd - 1]!,
    k: x.shape[nd - 1]!,
    batch: out.shape.slice(0, nd - 2),
  };
  runGemm(rt, out.buffer, out.dtype === 'float32' ? 'f32' : 'i32', size, x, y, undefined);
  return true;
};

/**
 * x [..., k] · Wᵀ + b on float32: the GEMM on linearProduct's operands (W [n, k] read as B through
 * swapped strides, no transposed copy) adds the bias as it stores C.
 */
const linearGpu: GpuKernel<'linear'> = (rt, out, [x, w, bias], params) => {
  if ([x, w, bias].some((t) => t !== undefined && t.dtype !== 'float32')) return false;
  const p = linearProduct(x!, w!);
  const size = {
    m: p.out[p.out.length - 2]!,
    n: p.out[p.out.length - 1]!,
    k: p.a.shape[p.a.shape.length - 1]!,
    batch: p.out.slice(0, -2),
  };
  const wt = { buffer: w!.buffer, offset: w!.offset, strides: p.b.strides };
  runGemm(rt, out.buffer, 'f32', size, { ...x!, ...p.a }, wt, bias, params.activation);
  return true;
};

export const MATMUL_KERNELS = { matmul: matmulGpu, linear: linearGpu };
