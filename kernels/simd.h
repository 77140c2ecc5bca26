/* The thin SIMD layer: one vector type `vf` over GCC/Clang vector extensions, sized by the target.
 *
 * The same kernel code compiles to AVX-512 (16 lanes), AVX2+FMA (8), SSE2 (4), NEON (4), WebAssembly
 * SIMD128 (4, with relaxed-SIMD FMA when NB_RELAXED is defined) and plain C (4, lowered by the
 * compiler). Only a few operations that vector extensions lack (fma, sqrt) use intrinsics.
 * Kernels must be compiled with -ffp-contract=off: every fused multiply-add is explicit (vfma). */
#ifndef NB_SIMD_H
#define NB_SIMD_H

#include <stdint.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#define NB_VL 16
#define NB_HAS_FMA 1
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define NB_VL 8
#define NB_HAS_FMA 1
#elif defined(__SSE2__)
#include <emmintrin.h>
#define NB_VL 4
#define NB_HAS_FMA 0
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define NB_VL 4
#if defined(NB_RELAXED)
#define NB_HAS_FMA 1
#else
#define NB_HAS_FMA 0
#endif
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#define NB_VL 4
#define NB_HAS_FMA 1
#else
#define NB_VL 4
#define NB_HAS_FMA 0
#endif

typedef float vf __attribute__((vector_size(NB_VL * 4)));
typedef int32_t vi __attribute__((vector_size(NB_VL * 4)));
typedef uint32_t vu __attribute__((vector_size(NB_VL * 4)));
typedef double vd __attribute__((vector_size(NB_VL * 8)));
/* Unaligned, aliasing views for loads and stores. */
typedef float vf_u __attribute__((vector_size(NB_VL * 4), aligned(4), may_alias));
typedef double vd_u __attribute__((vector_size(NB_VL * 8), aligned(8), may_alias));
typedef int32_t vi_u __attribute__((vector_size(NB_VL * 4), aligned(4), may_alias));

#define NB_INLINE static inline __attribute__((always_inline))

NB_INLINE vf vload(const float *p) { return *(const vf_u *)p; }
NB_INLINE void vstore(float *p, vf v) { *(vf_u *)p = v; }

#if NB_VL == 16
#define NB_SPLAT(s) {s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s}
#elif NB_VL == 8
#define NB_SPLAT(s) {s, s, s, s, s, s, s, s}
#else
#define NB_SPLAT(s) {s, s, s, s}
#endif

NB_INLINE vf vset1(float s) { return (vf)NB_SPLAT(s); }
NB_INLINE vi vset1i(int32_t s) { return (vi)NB_SPLAT(s); }
NB_INLINE vd vset1d(double s) { return (vd)NB_SPLAT(s); }

/* a*b + c, fused where the target has it (a separate multiply and add otherwise). */
NB_INLINE vf vfma(vf a, vf b, vf c) {
#if defined(__AVX512F__)
  return _mm512_fmadd_ps(a, b, c);
#elif NB_VL == 8 && NB_HAS_FMA
  return _mm256_fmadd_ps(a, b, c);
#elif defined(__wasm_simd128__) && NB_HAS_FMA
  return __builtin_wasm_relaxed_madd_f32x4(a, b, c);
#elif defined(__aarch64__) && NB_HAS_FMA
  return vfmaq_f32(c, a, b);
#else
  return a * b + c;
#endif
}

NB_INLINE vf vsqrt(vf a) {
#if defined(__AVX512F__)
  return _mm512_sqrt_ps(a);
#elif NB_VL == 8
  return _mm256_sqrt_ps(a);
#elif defined(__SSE2__)
  return _mm_sqrt_ps(a);
#elif defined(__wasm_simd128__)
  return wasm_f32x4_sqrt(a);
#elif defined(__aarch64__)
  return vsqrtq_f32(a);
#else
  vf r;
  for (int i = 0; i < NB_VL; i++) r[i] = __builtin_sqrtf(a[i]);
  return r;
#endif
}

/* Bitwise select: lanes of a where the mask (all ones or zeros per lane) is set, else b. */
NB_INLINE vf vsel(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }
NB_INLINE vf vabs(vf a) { return (vf)((vi)a & vset1i(0x7fffffff)); }
NB_INLINE vi visnan(vf a) { return (vi)(a != a); }
/* Magnitude of a with the sign of s. */
NB_INLINE vf vcopysign(vf a, vf s) {
  return (vf)(((vi)a & vset1i(0x7fffffff)) | ((vi)s & vset1i((int32_t)0x80000000u)));
}

/* Lane-wise float <-> double conversions (a double vector may span two registers). */
NB_INLINE vd vcvt_f2d(vf a) { return __builtin_convertvector(a, vd); }
NB_INLINE vf vcvt_d2f(vd a) { return __builtin_convertvector(a, vf); }

/* Loads n < NB_VL floats (the rest of the vector is `fill`); stores the first n lanes. */
NB_INLINE vf vload_part(const float *p, int n, float fill) {
  vf v = vset1(fill);
  for (int i = 0; i < n; i++) v[i] = p[i];
  return v;
}
NB_INLINE void vstore_part(float *p, vf v, int n) {
  for (int i = 0; i < n; i++) p[i] = v[i];
}
/* The even and the odd lanes of a then b, in order: p[0], p[2], ... and p[1], p[3], ... for the
 * 2 * NB_VL floats from p in a and b. */
#if NB_VL == 16
#define NB_EVENS 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define NB_ODDS 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#elif NB_VL == 8
#define NB_EVENS 0, 2, 4, 6, 8, 10, 12, 14
#define NB_ODDS 1, 3, 5, 7, 9, 11, 13, 15
#else
#define NB_EVENS 0, 2, 4, 6
#define NB_ODDS 1, 3, 5, 7
#endif
NB_INLINE vf vevens(vf a, vf b) { return __builtin_shufflevector(a, b, NB_EVENS); }
NB_INLINE vf vodds(vf a, vf b) { return __builtin_shufflevector(a, b, NB_ODDS); }
/* Lanes 2 ... NB_VL + 1 of a then b. */
#if NB_VL == 16
#define NB_NEXT2 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17
#elif NB_VL == 8
#define NB_NEXT2 2, 3, 4, 5, 6, 7, 8, 9
#else
#define NB_NEXT2 2, 3, 4, 5
#endif
NB_INLINE vf vnext2(vf a, vf b) { return __builtin_shufflevector(a, b, NB_NEXT2); }

/* row[q ... q + NB_VL), with zeros for the indices outside [0, n): never reads outside them. */
NB_INLINE vf vload_inside(const float *row, intptr_t q, intptr_t n) {
  if (q >= 0 && q + NB_VL <= n) return vload(row + q);
  if (q >= n || q + NB_VL <= 0) return vset1(0.0f);
  intptr_t a = q < 0 ? -q : 0, b = n - q < NB_VL ? n - q : NB_VL;
#if NB_VL == 16
  __mmask16 m = (__mmask16)(((1u << b) - 1) & ~((1u << a) - 1));
  return _mm512_maskz_loadu_ps(m, row + q);
#elif NB_VL == 8
  vi lane = {0, 1, 2, 3, 4, 5, 6, 7};
  vi m = (lane >= vset1i((int32_t)a)) & (lane < vset1i((int32_t)b));
  return _mm256_maskload_ps(row + q, (__m256i)m);
#else
  vf v = vset1(0.0f);
  for (intptr_t l = a; l < b; l++) v[l] = row[q + l];
  return v;
#endif
}

/* A vector gathered from p[0], p[s], p[2s], ... (n lanes; the rest `fill`). */
NB_INLINE vf vload_strided(const float *p, intptr_t s, int n, float fill) {
  vf v = vset1(fill);
  for (int i = 0; i < n; i++) v[i] = p[i * s];
  return v;
}

#endif
