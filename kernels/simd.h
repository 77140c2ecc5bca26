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
/* A vector gathered from p[0], p[s], p[2s], ... (n lanes; the rest `fill`). */
NB_INLINE vf vload_strided(const float *p, intptr_t s, int n, float fill) {
  vf v = vset1(fill);
  for (int i = 0; i < n; i++) v[i] = p[i * s];
  return v;
}

#endif
