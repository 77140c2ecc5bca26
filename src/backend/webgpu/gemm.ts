// The tiled GEMM shader shared by webgpu matmul and the convolutions: C[b, i, j] = Σ_p A(b, i, p)·
// B(b, p, j) over 64×64 output tiles in workgroup memory, 4×4 outputs per thread; the operands are
// read through WGSL loader functions, so a convolution is an implicit GEMM (no im2col buffer).
import { PRELUDE } from './wgsl.js';

/** The WGSL element type a GEMM computes and stores in. */
export type GemmType = 'f32' | 'i32';

/** Output tile rows and columns per workgroup, and the reduction slice held in workgroup memory. */
export const TILE_M = 64;
export const TILE_N = 64;
const TILE_K = 16;

/**
 * Words 0‥7 of every GEMM's parameter block: [M, N, K, tilesN, tilesM, batches, A is read along
 * p fastest, B is read along p fastest]; the loaders' own parameters start at word GEMM_HEAD.
 */
export const GEMM_HEAD = 8;

/** The head of a GEMM's parameter block (see GEMM_HEAD) and its workgroup count. */
export function gemmHead(
  m: number,
  n: number,
  k: number,
  batches: number,
  aAlongK: boolean,
  bAlongK: boolean,
): { words: number[]; workgroups: number } {
  const tilesM = Math.ceil(m / TILE_M);
  const tilesN = Math.ceil(n / TILE_N);
  return {
    words: [m, n, k, tilesN, tilesM, batches, aAlongK ? 1 : 0, bAlongK ? 1 : 0],
    workgroups: tilesM * tilesN * batches,
  };
}

/**
 * The loaders a GEMM shader calls, as WGSL source defining:
 *  - `fn setup(b: u32)`: once per workgroup (per-batch offsets into private variables);
 *  - `fn loadA(b: u32, i: u32, p: u32) -> T` and `fn loadB(b: u32, p: u32, j: u32) -> T`,
 *    called only for i < M, j < N and p < K (out-of-range tile entries are zeros);
 *  - `fn storeC(b: u32, i: u32, j: u32, v: T)`, called for i < M, j < N;
 * plus the bindings they use (binding 0 is the parameter block P).
 */
export type GemmLoaders = string;

/**
 * The tiled GEMM: one workgroup of 16×16 threads per 64×64 tile of C (tiles of every batch laid
 * out flat over the grid), each thread accumulating a 4×4 block in registers over K in slices of
 * 16 staged in workgroup memory as vec4s.
 */
export function gemmShader(type: GemmType, loaders: GemmLoaders): string {
  const T = type;
  // As[kk·16 + q] holds rows 4q‥4q+3 of the A slice at reduction step kk; Bs likewise columns
  const slots = (TILE_K * TILE_M) / 4;
  return `${PRELUDE}
const WG: u32 = 256u;
alias T = ${T};
const TM: u32 = ${TILE_M}u;
const TN: u32 = ${TILE_N}u;
const TK: u32 = ${TILE_K}u;
var<workgroup> As: array<vec4<T>, ${slots}>;
var<workgroup> Bs: array<vec4<T>, ${slots}>;
${loaders}
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) w: vec3u, @builtin(num_workgroups) nw: vec3u,
        @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let M = P[0];
  let N = P[1];
  let K = P[2];
  let tiles = P[3] * P[4];
  let g = w.y * nw.x + w.x;
  let b = g / tiles;
  if (b >= P[5]) { return; }
  let t = g % tiles;
  let row0 = (t / P[3]) * TM;
  let col0 = (t % P[3]) * TN;
  let aAlongK = P[6] != 0u;
  let bAlongK = P[7] != 0u;
  setup(b);
  var acc0 = vec4<T>();
  var acc1 = vec4<T>();
  var acc2 = vec4<T>();
  var acc3 = vec4<T>();
  for (var k0 = 0u; k0 < K; k0 = k0 + TK) {
    for (var q = 0u; q < TK / 4u; q = q + 1u) {
      let e = li + q * 256u;
      // consecutive threads read consecutive elements of the operand's fast dim
      var ai = e % TM;
      var ak = e / TM;
      if (aAlongK) { ai = e / TK; ak = e % TK; }
      var av = T(0);
      if (row0 + ai < M && k0 + ak < K) { av = loadA(b, row0 + ai, k0 + ak); }
      As[ak * 16u + ai / 4u][ai % 4u] = av;
      var bj = e % TN;
      var bk = e / TN;
      if (bAlongK) { bj = e / TK; bk = e % TK; }
      var bv = T(0);
      if (col0 + bj < N && k0 + bk < K) { bv = loadB(b, k0 + bk, col0 + bj); }
      Bs[bk * 16u + bj / 4u][bj % 4u] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      let a = As[kk * 16u + lid.y];
      let bv = Bs[kk * 16u + lid.x];
      acc0 = acc0 + a.x * bv;
      acc1 = acc1 + a.y * bv;
      acc2 = acc2 + a.z * bv;
      acc3 = acc3 + a.w * bv;
    }
    workgroupBarrier();
  }
  let accs = array<vec4<T>, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < 4u; r = r + 1u) {
    let i = row0 + lid.y * 4u + r;
    if (i >= M) { break; }
    let v = accs[r];
    for (var c = 0u; c < 4u; c = c + 1u) {
      let j = col0 + lid.x * 4u + c;
      if (j >= N) { break; }
      storeC(b, i, j, v[c]);
    }
  }
}`;
}

/** Outputs per workgroup of the skinny GEMM (one thread each). */
export const SKINNY_OUTPUTS = 256;

/**
 * The skinny GEMM for a small M or N: one thread per output (flat over batch, i, j) runs the
 * whole reduction, with no workgroup memory and no barriers, so that a matrix-vector product does
 * not pay for a 64×64 tile per row. Words 0‥2 of P are [M, N, K], word 5 the batch count; the
 * same loaders as gemmShader's.
 */
export function skinnyShader(type: GemmType, loaders: GemmLoaders): string {
  return `${PRELUDE}
const WG: u32 = 256u;
alias T = ${type};
${loaders}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) w: vec3u, @builtin(num_workgroups) nw: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let M = P[0];
  let N = P[1];
  let K = P[2];
  let o = (w.y * nw.x + w.x) * 256u + li;
  let j = o % N;
  let i = (o / N) % M;
  let b = o / (N * M);
  if (b >= P[5]) { return; }
  setup(b);
  var acc = T(0);
  for (var p = 0u; p < K; p = p + 1u) { acc = acc + loadA(b, i, p) * loadB(b, p, j); }
  storeC(b, i, j, acc);
}`;
}
