/* Batched float32 GEMM: packed operands and a register-blocked micro-kernel (BLIS's loop order).
 *
 * C (MR x NR tile) accumulates in MR*NV vector registers: each step loads NV vectors of packed B
 * and broadcasts MR values of packed A. Packing reads any strides, so transposed and broadcast
 * operands need no copy beforehand. K is cut into equal blocks of at most KC (1024 for AVX-512,
 * 256 otherwise); for a given shape every element of C is summed in the same order however the
 * work is shared between threads. */
#include "internal.h"

#ifndef NB_GEMM_MR
#if defined(__AVX512F__)
#define NB_GEMM_MR 12
#define NB_GEMM_NV 2
#define NB_GEMM_MC 240
#ifndef NB_GEMM_KC
#define NB_GEMM_KC 1024 /* Zen 5, 2026-12-05: fewer C-tile reloads; 1024 > 768 > 512 > 384 */
#endif
#elif NB_VL == 8
#define NB_GEMM_MR 6
#define NB_GEMM_NV 2
#define NB_GEMM_MC 144
#elif defined(__aarch64__)
#define NB_GEMM_MR 8
#define NB_GEMM_NV 3
#define NB_GEMM_MC 128
#else
#define NB_GEMM_MR 4
#define NB_GEMM_NV 2
#define NB_GEMM_MC 128
#endif
#endif
#ifndef NB_GEMM_KC
#define NB_GEMM_KC 256
#endif
#ifndef NB_GEMM_NC
#define NB_GEMM_NC 4096
#endif

#define MR NB_GEMM_MR
#define NV NB_GEMM_NV
#define NR (NV * NB_VL)
#define KC NB_GEMM_KC
#define MC NB_GEMM_MC
#define NC NB_GEMM_NC

/* N is also C's row stride; acc: add to C instead of overwriting it; bias (when not NULL, and
 * acc is 0): C starts from bias[j] in every row instead of 0; act (NB_ACT_*): the activation
 * each tile of C goes through once its last K block is added (while it is in L1). */
typedef struct {
  intptr_t M, N, K, sam, sak, sbk, sbn;
  int acc;
  const float *bias;
  int act;
} gemm_t;

/* C[0:mr, 0:nr] (row stride ldc) = the bias row, just before the first K block adds to it. */
static void bias_tile(float *c, intptr_t ldc, const float *bias, int mr, int nr) {
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) c[i * ldc + j] = bias[j];
}

/* C[0:MR, 0:NR] (row stride ldc) = (load ? C : 0) + A_panel . B_panel over kc steps. */
static void ukernel(intptr_t kc, const float *restrict a, const float *restrict b,
                    float *restrict c, intptr_t ldc, int load) {
  vf acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) acc[i][j] = load ? vload(c + i * ldc + j * NB_VL) : vset1(0.0f);
  for (intptr_t p = 0; p < kc; p++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) bv[j] = vload(b + j * NB_VL);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      vf av = vset1(a[i]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; j++) acc[i][j] = vfma(av, bv[j], acc[i][j]);
    }
    a += MR;
    b += NR;
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) vstore(c + i * ldc + j * NB_VL, acc[i][j]);
}

/* A partial tile (mr < MR or nr < NR) goes through a local full tile. */
static void ukernel_edge(intptr_t kc, const float *a, const float *b, float *c, intptr_t ldc,
                         int load, int mr, int nr) {
  float tile[MR * NR] __attribute__((aligned(64)));
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) tile[i * NR + j] = load && i < mr && j < nr ? c[i * ldc + j] : 0;
  ukernel(kc, a, b, tile, NR, load);
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) c[i * ldc + j] = tile[i * NR + j];
}

#if defined(__AVX512F__)
/* r[0..15] (16 floats each) transposed in place: r[q][j] = old r[j][q]. */
static inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 1] =
        _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 2] =
        _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    r[i + 3] =
        _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
  }
  /* each 128-bit lane now holds a 4 x 4 block in place: move the blocks across lanes */
  for (int i = 0; i < 4; i++) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
    r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
  }
}
#endif

#if NB_VL == 8 && defined(__AVX2__)
/* r[0..7] (8 floats each) transposed in place: r[q][j] = old r[j][q]. */
NB_INLINE void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
  }
  /* each 128-bit lane now holds a 4 x 4 block in place: pair the lanes of rows i and i + 4 */
  for (int i = 0; i < 4; i++) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}
#endif

#if NB_VL == 4
/* r[0..3] (4 floats each) transposed in place: r[q][j] = old r[j][q]. */
NB_INLINE void transpose4(vf r[4]) {
  vf t0 = __builtin_shufflevector(r[0], r[1], 0, 4, 1, 5);
  vf t1 = __builtin_shufflevector(r[0], r[1], 2, 6, 3, 7);
  vf t2 = __builtin_shufflevector(r[2], r[3], 0, 4, 1, 5);
  vf t3 = __builtin_shufflevector(r[2], r[3], 2, 6, 3, 7);
  r[0] = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
  r[1] = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
  r[2] = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
  r[3] = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
}
#endif

/* Packs rows [0, mc) x k [0, kc) of A into MR-row panels (p-major inside a panel, zero padded). */
static void pack_a(intptr_t mc, intptr_t kc, const float *a, intptr_t sam, intptr_t sak,
                   float *restrict dst) {
  for (intptr_t ir = 0; ir < mc; ir += MR) {
    int mr = mc - ir < MR ? (int)(mc - ir) : MR;
    const float *ap = a + ir * sam;
    if (sak == 1) {
#if defined(__AVX512F__)
      /* 16 x 16 register transposes (rows past mr are zero), 12 lanes stored per p */
      intptr_t p0 = 0;
      if (mr == MR && MR <= 16) {
        for (; p0 + 16 <= kc; p0 += 16) {
          __m512 r[16];
          for (int i = 0; i < 16; i++)
            r[i] = i < MR ? _mm512_loadu_ps(ap + i * sam + p0) : _mm512_setzero_ps();
          transpose16(r);
          for (int q = 0; q < 16; q++)
            _mm512_mask_storeu_ps(dst + (p0 + q) * MR, (__mmask16)((1u << MR) - 1), r[q]);
        }
      }
#elif NB_VL == 8 && defined(__AVX2__)
      /* 8 x 8 register transposes (rows past mr are zero); MR (6) lanes stored per p, the last
       * one masked so that nothing is written past the panel */
      intptr_t p0 = 0;
      if (mr == MR && MR <= 8) {
        const __m256i keep = _mm256_setr_epi32(-(0 < MR), -(1 < MR), -(2 < MR), -(3 < MR),
                                               -(4 < MR), -(5 < MR), -(6 < MR), -(7 < MR));
        for (; p0 + 8 <= kc; p0 += 8) {
          __m256 r[8];
          for (int i = 0; i < 8; i++)
            r[i] = i < MR ? _mm256_loadu_ps(ap + i * sam + p0) : _mm256_setzero_ps();
          transpose8(r);
          for (int q = 0; q < 7; q++) _mm256_storeu_ps(dst + (p0 + q) * MR, r[q]);
          _mm256_maskstore_ps(dst + (p0 + 7) * MR, keep, r[7]);
        }
      }
#elif NB_VL == 4
      /* 4 x 4 register transposes of MR (a multiple of 4) rows */
      intptr_t p0 = 0;
      if (mr == MR && MR % 4 == 0) {
        for (; p0 + 4 <= kc; p0 += 4)
          for (int i0 = 0; i0 < MR; i0 += 4) {
            vf r[4];
            for (int i = 0; i < 4; i++) r[i] = vload(ap + (i0 + i) * sam + p0);
            transpose4(r);
            for (int q = 0; q < 4; q++) vstore(dst + (p0 + q) * MR + i0, r[q]);
          }
      }
#else
      intptr_t p0 = 0;
#endif
      for (int i = 0; i < mr; i++) {
        const float *row = ap + i * sam;
        for (intptr_t p = p0; p < kc; p++) dst[p * MR + i] = row[p];
      }
    } else if (sam == 1 && mr == MR) {
      for (intptr_t p = 0; p < kc; p++)
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) dst[p * MR + i] = ap[p * sak + i];
    } else {
      for (intptr_t p = 0; p < kc; p++)
        for (int i = 0; i < mr; i++) dst[p * MR + i] = ap[i * sam + p * sak];
    }
    if (mr < MR)
      for (intptr_t p = 0; p < kc; p++)
        for (int i = mr; i < MR; i++) dst[p * MR + i] = 0;
    dst += MR * kc;
  }
}

/* Packs k [0, kc) x columns [0, nc) of B into NR-column panels (p-major, zero padded). */
static void pack_b(intptr_t kc, intptr_t nc, const float *b, intptr_t sbk, intptr_t sbn,
                   float *restrict dst) {
  for (intptr_t jr = 0; jr < nc; jr += NR) {
    int nr = nc - jr < NR ? (int)(nc - jr) : NR;
    const float *bp = b + jr * sbn;
    if (sbn == 1 && nr == NR) {
      for (intptr_t p = 0; p < kc; p++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) vstore(dst + p * NR + j * NB_VL, vload(bp + p * sbk + j * NB_VL));
    } else if (sbk == 1) {
      intptr_t p0 = 0;
#if defined(__AVX512F__)
      /* B^T row-major (x . W^T): 16 x 16 register transposes of 16 columns at a time */
      if (nr == NR && NR % 16 == 0) {
        for (; p0 + 16 <= kc; p0 += 16)
          for (int j0 = 0; j0 < NR; j0 += 16) {
            __m512 r[16];
            for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_ps(bp + (j0 + j) * sbn + p0);
            transpose16(r);
            for (int q = 0; q < 16; q++) _mm512_storeu_ps(dst + (p0 + q) * NR + j0, r[q]);
          }
      }
#elif NB_VL == 8 && defined(__AVX2__)
      /* B^T row-major: 8 x 8 register transposes */
      if (nr == NR && NR % 8 == 0) {
        for (; p0 + 8 <= kc; p0 += 8)
          for (int j0 = 0; j0 < NR; j0 += 8) {
            __m256 r[8];
            for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(bp + (j0 + j) * sbn + p0);
            transpose8(r);
            for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (p0 + q) * NR + j0, r[q]);
          }
      }
#elif NB_VL == 4
      /* B^T row-major: 4 x 4 register transposes */
      if (nr == NR) {
        for (; p0 + 4 <= kc; p0 += 4)
          for (int j0 = 0; j0 < NR; j0 += 4) {
            vf r[4];
            for (int j = 0; j < 4; j++) r[j] = vload(bp + (j0 + j) * sbn + p0);
            transpose4(r);
            for (int q = 0; q < 4; q++) vstore(dst + (p0 + q) * NR + j0, r[q]);
          }
      }
#endif
      for (int j = 0; j < nr; j++) {
        const float *col = bp + j * sbn;
        for (intptr_t p = p0; p < kc; p++) dst[p * NR + j] = col[p];
      }
    } else {
      for (intptr_t p = 0; p < kc; p++)
        for (int j = 0; j < nr; j++) dst[p * NR + j] = bp[p * sbk + j * sbn];
    }
    if (nr < NR)
      for (intptr_t p = 0; p < kc; p++)
        for (int j = nr; j < NR; j++) dst[p * NR + j] = 0;
    dst += NR * kc;
  }
}

static intptr_t round_up(intptr_t x, intptr_t m) { return (x + m - 1) / m * m; }

/* The K block size: K cut into equal blocks of at most KC. */
static intptr_t k_block(intptr_t K) {
  intptr_t nblk = (K + KC - 1) / KC;
  return nblk == 0 ? 0 : (K + nblk - 1) / nblk;
}

/* C[m0:m1, n0:n1] of one matrix (C has row stride N). */
static void gemm_block(const gemm_t *g, const float *A, const float *B, float *C, intptr_t m0,
                       intptr_t m1, intptr_t n0, intptr_t n1, float *ws) {
  intptr_t K = g->K, N = g->N;
  if (m0 >= m1 || n0 >= n1) return;
  if (K == 0) {
    if (g->acc) return;
    for (intptr_t i = m0; i < m1; i++)
      for (intptr_t j = n0; j < n1; j++) C[i * N + j] = g->bias ? g->bias[j] : 0;
    if (g->act) act_rows(C + m0 * N + n0, N, m1 - m0, n1 - n0, g->act);
    return;
  }
  intptr_t kb = k_block(K);
  float *pa = ws;
  float *pb = ws + round_up(round_up(MC, MR) * kb, 16);
  for (intptr_t jc = n0; jc < n1; jc += NC) {
    intptr_t nc = n1 - jc < NC ? n1 - jc : NC;
    for (intptr_t pc = 0; pc < K; pc += kb) {
      intptr_t kc = K - pc < kb ? K - pc : kb;
      pack_b(kc, nc, B + pc * g->sbk + jc * g->sbn, g->sbk, g->sbn, pb);
      for (intptr_t ic = m0; ic < m1; ic += MC) {
        intptr_t mc = m1 - ic < MC ? m1 - ic : MC;
        pack_a(mc, kc, A + ic * g->sam + pc * g->sak, g->sam, g->sak, pa);
        for (intptr_t jr = 0; jr < nc; jr += NR) {
          int nr = nc - jr < NR ? (int)(nc - jr) : NR;
          for (intptr_t ir = 0; ir < mc; ir += MR) {
            int mr = mc - ir < MR ? (int)(mc - ir) : MR;
            float *c = C + (ic + ir) * N + jc + jr;
            const float *a = pa + ir * kc, *b = pb + jr * kc;
            int load = pc > 0 || g->acc;
            if (!load && g->bias) {
              bias_tile(c, N, g->bias + jc + jr, mr, nr);
              load = 1;
            }
            if (mr == MR && nr == NR)
              ukernel(kc, a, b, c, N, load);
            else
              ukernel_edge(kc, a, b, c, N, load, mr, nr);
            if (g->act && pc + kc == K) act_rows(c, N, mr, nr, g->act);
          }
        }
      }
    }
  }
}

size_t NB_FN(sgemm_ws)(const int32_t *meta) {
  intptr_t M = meta[NB_G_M], N = meta[NB_G_N], K = meta[NB_G_K];
  intptr_t kb = k_block(K);
  intptr_t nc = round_up(N < NC ? N : NC, NR);
  (void)M;
  return (size_t)(round_up(round_up(MC, MR) * kb, 16) + kb * nc + 16);
}

void NB_FN(sgemm)(const int32_t *meta, float *C, const float *A, const float *B,
                  const float *bias, float *ws, int tid, int nt) {
  gemm_t g = {meta[NB_G_M],   meta[NB_G_N],   meta[NB_G_K],  meta[NB_G_SAM],
              meta[NB_G_SAK], meta[NB_G_SBK], meta[NB_G_SBN], 0,
              meta[NB_G_BIAS] ? bias + meta[NB_G_OFFBIAS] : NULL,
              meta[NB_G_ACT]};
  int nbd = meta[NB_G_NBATCH];
  const int32_t *bshape = meta + NB_G_BSHAPE;
  const int32_t *bsa = meta + NB_G_BSTRA, *bsb = meta + NB_G_BSTRB;
  intptr_t nb = 1;
  for (int d = 0; d < nbd; d++) nb *= bshape[d];
  if (g.M == 0 || g.N == 0 || nb == 0) return;
  A += meta[NB_G_OFFA];
  B += meta[NB_G_OFFB];
  intptr_t mn = g.M * g.N;
  double flops = (double)g.M * (double)g.N * (double)g.K;
  int by_batch = nt > 1 && nb >= nt && (nb >= 4 * nt || flops < (double)(1 << 20));
  intptr_t b0 = 0, b1 = nb;
  if (by_batch) nb_share(nb, 1, tid, nt, &b0, &b1);
  for (intptr_t bi = b0; bi < b1; bi++) {
    intptr_t oa = 0, ob = 0, rest = bi;
    for (int d = nbd - 1; d >= 0; d--) {
      intptr_t id = rest % bshape[d];
      rest /= bshape[d];
      oa += id * bsa[d];
      ob += id * bsb[d];
    }
    const float *a = A + oa, *b = B + ob;
    float *c = C + bi * mn;
    if (by_batch || nt == 1) {
      gemm_block(&g, a, b, c, 0, g.M, 0, g.N, ws);
    } else if (g.N >= g.M) {
      intptr_t lo, hi;
      nb_share(g.N, NR, tid, nt, &lo, &hi);
      gemm_block(&g, a, b, c, 0, g.M, lo, hi, ws);
    } else {
      intptr_t lo, hi;
      nb_share(g.M, MR, tid, nt, &lo, &hi);
      gemm_block(&g, a, b, c, lo, hi, 0, g.N, ws);
    }
  }
}
