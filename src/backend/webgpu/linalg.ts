// webgpu matmul and the sliding-window primitives (unfold, fold, max-pool indices, convolution).
import {
  GEMM_HEAD,
  SKINNY_OUTPUTS,
  gemmHead,
  gemmShader,
  skinnyShader,
  type GemmType,
} from './gemm.js';
import type { GpuKernel } from './index.js';
import { Params, grid } from './runtime.js';
import { binding } from './wgsl.js';

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * matmul's loaders: A and B through their strides (a transposed view needs no copy), batch
 * offsets from the batch index over the broadcast batch shape. P from GEMM_HEAD: [batch ndim,
 * A offset, B offset, A row stride, A k stride, B k stride, B col stride, batch shape, A batch
 * strides, B batch strides].
 */
const MATMUL_LOADERS = (T: GemmType) => `
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
fn storeC(b: u32, i: u32, j: u32, v: T) { C[(b * P[0] + i) * P[1] + j] = v; }
`;

/** Products whose smaller output side is at most this take the skinny kernel. */
const SKINNY_SIDE = 8;

/** [...b, m, k] @ [...b, k, n] on float32 or int32, batch dims broadcast (stride 0). */
const matmulGpu: GpuKernel<'matmul'> = (rt, out, [a, b]) => {
  const x = a!;
  const y = b!;
  if (out.dtype !== 'float32' && out.dtype !== 'int32') return false;
  if (x.dtype !== out.dtype || y.dtype !== out.dtype) return false;
  const nd = out.shape.length;
  const m = out.shape[nd - 2]!;
  const n = out.shape[nd - 1]!;
  const k = x.shape[nd - 1]!;
  const batchShape = out.shape.slice(0, nd - 2);
  const batches = numel(batchShape);
  if (m * n * batches === 0) return true;
  const T: GemmType = out.dtype === 'float32' ? 'f32' : 'i32';
  const [sam, sak] = [x.strides[nd - 2]!, x.strides[nd - 1]!];
  const [sbk, sbn] = [y.strides[nd - 2]!, y.strides[nd - 1]!];
  const skinny = Math.min(m, n) <= SKINNY_SIDE && k > 0;
  const head = gemmHead(m, n, k, batches, sak === 1, sbk === 1 && sbn !== 1);
  const params = new Params().u32(...head.words);
  params.u32(batchShape.length).i32(x.offset, y.offset, sam, sak, sbk, sbn);
  params.u32(...batchShape);
  params.i32(...x.strides.slice(0, nd - 2), ...y.strides.slice(0, nd - 2));
  const pipeline = skinny
    ? rt.pipeline(`matmul-skinny:${T}`, () => skinnyShader(T, MATMUL_LOADERS(T)))
    : rt.pipeline(`matmul:${T}`, () => gemmShader(T, MATMUL_LOADERS(T)));
  rt.dispatch({
    pipeline,
    buffers: [out.buffer.device, x.buffer.device, y.buffer.device],
    params,
    workgroups: skinny
      ? grid(Math.ceil((m * n * batches) / SKINNY_OUTPUTS), 1)
      : grid(head.workgroups, 1),
  });
  return true;
};

export const LINALG_KERNELS = {
  matmul: matmulGpu,
  unfold: { host: 'no WGSL kernel yet' },
  fold: { host: 'no WGSL kernel yet' },
  maxPoolIndices: { host: 'no WGSL kernel yet' },
  conv2d: { host: 'no WGSL kernel yet' },
  conv2dWeightGrad: { host: 'no WGSL kernel yet' },
  conv2dInputGrad: { host: 'no WGSL kernel yet' },
};
