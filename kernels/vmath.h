/* Vectorised float32 math: exp, log, expm1, log1p, tanh, sigmoid, erf and rounding, within a few
 * ulps. exp/log/tanh use Cephes' single-precision polynomials; expm1/log1p use Kahan's correction
 * tricks on top of them; erf uses our own fits (see verf); every function handles ±0, ±inf, NaN and subnormals as C's libm does. */
#ifndef NB_VMATH_H
#define NB_VMATH_H

#include "simd.h"

/* 2^n for integral n in [-126, 127], as a float vector. */
NB_INLINE vf vpow2i(vf n) {
  vi e = __builtin_convertvector(n, vi) + vset1i(127);
  return (vf)(e << 23);
}

/* Round to nearest, ties to even (valid for |x| < 2^22), via the 1.5 * 2^23 trick. */
NB_INLINE vf vround_small(vf x) {
  const vf magic = vset1(12582912.0f);
  return (x + magic) - magic;
}

NB_INLINE vf vexp(vf x) {
  const vf log2e = vset1(1.44269504088896341f);
  vf xc = x;
  xc = vsel((vi)(xc > vset1(88.8f)), vset1(88.8f), xc);
  xc = vsel((vi)(xc < vset1(-104.0f)), vset1(-104.0f), xc);
  vf n = vround_small(xc * log2e);
  /* r = x - n ln2, in two parts (n * 0.693359375 is exact). */
  vf r = xc - n * vset1(0.693359375f);
  r = r - n * vset1(-2.12194440e-4f);
  vf z = r * r;
  vf y = vset1(1.9875691500e-4f);
  y = vfma(y, r, vset1(1.3981999507e-3f));
  y = vfma(y, r, vset1(8.3334519073e-3f));
  y = vfma(y, r, vset1(4.1665795894e-2f));
  y = vfma(y, r, vset1(1.6666665459e-1f));
  y = vfma(y, r, vset1(5.0000001201e-1f));
  y = vfma(y, z, r) + vset1(1.0f);
  /* y * 2^n in two steps so that subnormal results and 2^128 are reached without overflow. */
  vf n1 = vround_small(n * vset1(0.5f) - vset1(0.25f)); /* floor(n / 2) for integral n */
  vf n2 = n - n1;
  vf res = (y * vpow2i(n1)) * vpow2i(n2);
  res = vsel((vi)(x > vset1(88.72283935546875f)), vset1(__builtin_inff()), res);
  res = vsel((vi)(x < vset1(-103.97208f)), vset1(0.0f), res);
  return vsel(visnan(x), x, res);
}

NB_INLINE vf vlog(vf x) {
  /* Subnormals are scaled by 2^23 first. */
  vi sub = (vi)(x < vset1(1.17549435e-38f));
  vf xs = vsel(sub, x * vset1(8388608.0f), x);
  vi bits = (vi)xs;
  vi e = ((bits >> 23) & vset1i(0xff)) - vset1i(126);
  e = e - (sub & vset1i(23));
  vf m = (vf)((bits & vset1i(0x007fffff)) | vset1i(0x3f000000)); /* in [0.5, 1) */
  vi lo = (vi)(m < vset1(0.707106781186547524f));
  vf ef = __builtin_convertvector(e, vf) - vsel(lo, vset1(1.0f), vset1(0.0f));
  vf f = (m + vsel(lo, m, vset1(0.0f))) - vset1(1.0f);
  vf z = f * f;
  vf y = vset1(7.0376836292e-2f);
  y = vfma(y, f, vset1(-1.1514610310e-1f));
  y = vfma(y, f, vset1(1.1676998740e-1f));
  y = vfma(y, f, vset1(-1.2420140846e-1f));
  y = vfma(y, f, vset1(1.4249322787e-1f));
  y = vfma(y, f, vset1(-1.6668057665e-1f));
  y = vfma(y, f, vset1(2.0000714765e-1f));
  y = vfma(y, f, vset1(-2.4999993993e-1f));
  y = vfma(y, f, vset1(3.3333331174e-1f));
  y = y * f * z;
  y = vfma(ef, vset1(-2.12194440e-4f), y);
  y = vfma(z, vset1(-0.5f), y);
  vf r = f + y;
  r = vfma(ef, vset1(0.693359375f), r);
  r = vsel((vi)(x == vset1(0.0f)), vset1(-__builtin_inff()), r);
  r = vsel((vi)(x == vset1(__builtin_inff())), x, r);
  r = vsel((vi)(x < vset1(0.0f)), vset1(__builtin_nanf("")), r);
  return vsel(visnan(x), x, r);
}

/* expm1(x) = (u - 1) x / log u with u = exp(x): the correction cancels the rounding of u. */
NB_INLINE vf vexpm1(vf x) {
  vf u = vexp(x);
  vf um1 = u - vset1(1.0f);
  vf r = um1 * (x / vlog(u));
  r = vsel((vi)(um1 == vset1(-1.0f)), vset1(-1.0f), r);
  r = vsel((vi)(u == vset1(1.0f)), x, r);
  r = vsel((vi)(x > vset1(88.0f)), u, r); /* large x: exp(x) - 1 rounds to exp(x) */
  return vsel(visnan(x), x, r);
}

/* log1p(x) = log(u) x / (u - 1) with u = 1 + x. */
NB_INLINE vf vlog1p(vf x) {
  vf u = x + vset1(1.0f);
  vf d = u - vset1(1.0f);
  vf r = vlog(u) * (x / d);
  r = vsel((vi)(d == vset1(0.0f)), x, r);
  r = vsel((vi)(x == vset1(__builtin_inff())), x, r);
  r = vsel((vi)(x == vset1(-1.0f)), vset1(-__builtin_inff()), r);
  return vsel(visnan(x), x, r);
}

NB_INLINE vf vtanh(vf x) {
  vf ax = vabs(x);
  vf z = x * x;
  vf p = vset1(-5.70498872745e-3f);
  p = vfma(p, z, vset1(2.06390887954e-2f));
  p = vfma(p, z, vset1(-5.37397155531e-2f));
  p = vfma(p, z, vset1(1.33314422036e-1f));
  p = vfma(p, z, vset1(-3.33332819422e-1f));
  vf small = vfma(p * z, x, x);
  vf e = vexp(ax + ax);
  vf big = vcopysign(vset1(1.0f) - vset1(2.0f) / (e + vset1(1.0f)), x);
  return vsel((vi)(ax < vset1(0.625f)), small, big);
}

/* 1 / (1 + e^-x), evaluated as e^x / (1 + e^x) for x < 0 so small results keep their precision. */
NB_INLINE vf vsigmoid(vf x) {
  vf e = vexp(-vabs(x));
  vf d = vset1(1.0f) + e;
  vf r = vsel((vi)(x < vset1(0.0f)), e, vset1(1.0f)) / d;
  return vsel(visnan(x), x, r);
}

/* erf(x) within 1 ulp of libm's (rounded) double erf: x + x·P(x²) for |x| < 0.921875, where
 * 1 + P(z) ≈ erf(√z)/√z; 1 − e^(−x²)·Q(|x| − 2.45) with Q ≈ erfc(x)·e^(x²) for larger |x|, clamped
 * at 4, past which erf rounds to ±1 in float32. P (degree 6) and Q (degree 9) are weighted least-
 * squares fits (relative error for P, absolute error of erfc for Q) against mpmath, in float32.
 * NaN passes through, ±0 keeps its sign, ±inf gives ±1. */
NB_INLINE vf verf(vf x) {
  vf ax = vabs(x);
  vf z = x * x;
  vf p = vset1(8.370089199e-05f);
  p = vfma(p, z, vset1(-8.142701699e-04f));
  p = vfma(p, z, vset1(5.201031920e-03f));
  p = vfma(p, z, vset1(-2.685939893e-02f));
  p = vfma(p, z, vset1(1.128369570e-01f));
  p = vfma(p, z, vset1(-3.761263490e-01f));
  p = vfma(p, z, vset1(1.2837916709551257e-01f));
  vf small = vfma(x, p, x); /* x + x·(P − 1): the constant 2/√π − 1 keeps its low bits */
  vf a = vsel((vi)(ax < vset1(4.0f)), ax, vset1(4.0f)); /* NaN stays NaN */
  vf t = a - vset1(2.45f);
  vf q = vset1(-3.390727943e-05f);
  q = vfma(q, t, vset1(-7.470481069e-05f));
  q = vfma(q, t, vset1(-1.656436216e-04f));
  q = vfma(q, t, vset1(2.473546192e-04f));
  q = vfma(q, t, vset1(-6.897557178e-04f));
  q = vfma(q, t, vset1(2.730573062e-03f));
  q = vfma(q, t, vset1(-8.511707187e-03f));
  q = vfma(q, t, vset1(2.616459876e-02f));
  q = vfma(q, t, vset1(-7.690525055e-02f));
  q = vfma(q, t, vset1(2.145870477e-01f));
  vf big = vset1(1.0f) - vexp(-(a * a)) * q;
  vf r = vsel((vi)(ax < vset1(0.921875f)), small, vcopysign(big, x));
  return vsel(visnan(x), x, r);
}

/* Round half to even; NaN, infinities and |x| >= 2^23 (already integral) pass through. */
NB_INLINE vf vrint(vf x) {
  vf ax = vabs(x);
  vf t = vcopysign((ax + vset1(8388608.0f)) - vset1(8388608.0f), x);
  return vsel((vi)(ax < vset1(8388608.0f)), t, x);
}
NB_INLINE vf vfloor(vf x) {
  vf t = vrint(x);
  return vsel((vi)(t > x), t - vset1(1.0f), t);
}
/* The sign of x is kept: ceil(-0.7) = -0, as libm gives (t + 1 would be +0). */
NB_INLINE vf vceil(vf x) {
  vf t = vrint(x);
  return vcopysign(vsel((vi)(t < x), t + vset1(1.0f), t), x);
}

#endif
