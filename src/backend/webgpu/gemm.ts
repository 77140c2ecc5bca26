// The tiled GEMM shader shared by webgpu matmul and the convolutions: C[b, i, j] = Σ_p A(b, i, p)·
// B(b, p, j) over 64×64 output tiles in workgroup memory, 8×8 outputs per thread; the operands are
// read through WGSL loader functions, so a convolution is an implicit GEMM (no im2col buffer).
import { PRELUDE } from './wgsl.js';

/** The WGSL element type a GEMM computes and stores in. */
export type GemmType = 'f32' | 'i32';

/**
 * The tiling: R×R outputs per thread (R a multiple of 4), THREADS×THREADS threads per workgroup,
 * so a workgroup owns a TILE×TILE block of C; the reduction is staged SLICE steps at a time.
 */
// NOTE: measured on SwiftShader at 1024 (bench/webgpu_matmul.ts, a shared 2-core machine): R 4 on
// 16×16 threads with slices of 16 gave 0.4–0.5 GFLOP per CPU-second, this tiling 0.75–1.0 (wall
// clock 0.8–2.1 GFLOP/s as the other load varied); the barriers cost most there, and fewer
// threads per workgroup make each one cheaper. 2×32×64 floats are the 16 KB of workgroup memory
// every device offers.
const R = 8;
const THREADS = 8;
const SLICE = 32;
export const TILE = R * THREADS;

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
  const tilesM = Math.ceil(m / TILE);
  const tilesN = Math.ceil(n / TILE);
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

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The tiled GEMM: one workgroup per TILE×TILE block of C (the blocks of every batch laid out flat
 * over the grid), each thread accumulating R×R outputs in registers over K, in slices of SLICE
 * steps staged in workgroup memory as vec4s. The register block is unrolled in the generated code.
 */
export function gemmShader(type: GemmType, loaders: GemmLoaders): string {
  const V = R / 4; // vec4s per thread along each side
  const Q = TILE / 4; // vec4 slots per reduction step
  const NT = THREADS * THREADS;
  const perThread = (SLICE * TILE) / NT;
  const accs = range(R).flatMap((r) => range(V).map((t) => `acc${r}_${t}`));
  const comp = ['x', 'y', 'z', 'w'];
  return `${PRELUDE}
const WG: u32 = ${NT}u;
alias T = ${type};
const TM: u32 = ${TILE}u;
const TK: u32 = ${SLICE}u;
var<workgroup> As: array<vec4<T>, ${SLICE * Q}>;
var<workgroup> Bs: array<vec4<T>, ${SLICE * Q}>;
${loaders}
@compute @workgroup_size(${THREADS}, ${THREADS})
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
  let col0 = (t % P[3]) * TM;
  let aAlongK = P[6] != 0u;
  let bAlongK = P[7] != 0u;
  setup(b);
  ${accs.map((a) => `var ${a} = vec4<T>();`).join('\n  ')}
  for (var k0 = 0u; k0 < K; k0 = k0 + TK) {
    for (var q = 0u; q < ${perThread}u; q = q + 1u) {
      let e = li + q * ${NT}u;
      // consecutive threads read consecutive elements of the operand's fast dim
      var ai = e % TM;
      var ak = e / TM;
      if (aAlongK) { ai = e / TK; ak = e % TK; }
      var av = T(0);
      if (row0 + ai < M && k0 + ak < K) { av = loadA(b, row0 + ai, k0 + ak); }
      As[ak * ${Q}u + ai / 4u][ai % 4u] = av;
      var bj = e % TM;
      var bk = e / TM;
      if (bAlongK) { bj = e / TK; bk = e % TK; }
      var bv = T(0);
      if (col0 + bj < N && k0 + bk < K) { bv = loadB(b, k0 + bk, col0 + bj); }
      Bs[bk * ${Q}u + bj / 4u][bj % 4u] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      ${range(V)
        .map((s) => `let a${s} = As[kk * ${Q}u + lid.y * ${V}u + ${s}u];`)
        .join('\n      ')}
      ${range(V)
        .map((s) => `let b${s} = Bs[kk * ${Q}u + lid.x * ${V}u + ${s}u];`)
        .join('\n      ')}
      ${range(R)
        .flatMap((r) =>
          range(V).map(
            (u) => `acc${r}_${u} = acc${r}_${u} + a${Math.floor(r / 4)}.${comp[r % 4]} * b${u};`,
          ),
        )
        .join('\n      ')}
    }
    workgroupBarrier();
  }
  let i0 = row0 + lid.y * ${R}u;
  let j0 = col0 + lid.x * ${R}u;
  ${range(R)
    .map(
      (r) => `if (i0 + ${r}u < M) {
    ${range(V)
      .flatMap((u) =>
        range(4).map(
          (c) =>
            `if (j0 + ${4 * u + c}u < N) { storeC(b, i0 + ${r}u, j0 + ${4 * u + c}u, acc${r}_${u}.${comp[c]}); }`,
        ),
      )
      .join('\n    ')}
  }`,
    )
    .join('\n  ')}
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
