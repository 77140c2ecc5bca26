/* Batch norm over a contiguous float32 [N, C, S] (nabla.h NB_BN_*): the per-channel statistics,
 * summed in double vectors (each channel in one fixed order, so results do not depend on the
 * thread count), and one per-channel affine map that serves the forward and the input gradient
 * (separate multiplies and adds, no FMA: every build and the vector tails round alike). */
#include "internal.h"

NB_INLINE double bn_hsum(vd v) {
  double s = 0;
  for (int i = 0; i < NB_VL; i++) s += v[i];
  return s;
}

/* *s1 += Σ d, *s2 += Σ d² over a run of n floats, d = x - shift. */
static void bn_row_moments(const float *x, intptr_t n, double shift, double *s1, double *s2) {
  vd a = vset1d(0), b = vset1d(0), m = vset1d(shift);
  intptr_t j = 0;
  for (; j + NB_VL <= n; j += NB_VL) {
    vd d = vcvt_f2d(vload(x + j)) - m;
    a += d;
    b += d * d;
  }
  double s = bn_hsum(a), t = bn_hsum(b);
  for (; j < n; j++) {
    double d = (double)x[j] - shift;
    s += d;
    t += d * d;
  }
  *s1 += s;
  *s2 += t;
}

/* *sg += Σ g, *sgx += Σ g·(x - mean) over a run of n floats. */
static void bn_row_grad(const float *g, const float *x, intptr_t n, double mean, double *sg,
                        double *sgx) {
  vd a = vset1d(0), b = vset1d(0), m = vset1d(mean);
  intptr_t j = 0;
  for (; j + NB_VL <= n; j += NB_VL) {
    vd gv = vcvt_f2d(vload(g + j));
    a += gv;
    b += gv * (vcvt_f2d(vload(x + j)) - m);
  }
  double s = bn_hsum(a), t = bn_hsum(b);
  for (; j < n; j++) {
    s += (double)g[j];
    t += (double)g[j] * ((double)x[j] - mean);
  }
  *sg += s;
  *sgx += t;
}

void NB_FN(bn_stats)(const int32_t *meta, float *out, const float *x, const float *coef,
                     const float *g, int tid, int nt) {
  intptr_t N = meta[NB_BN_N], C = meta[NB_BN_C], S = meta[NB_BN_S];
  x += meta[NB_BN_XOFF];
  if (g) g += meta[NB_BN_GOFF];
  intptr_t lo, hi;
  nb_share(C, 1, tid, nt, &lo, &hi);
  double count = (double)N * (double)S;
  for (intptr_t c = lo; c < hi; c++) {
    if (g) {
      double mean = coef[c], sg = 0, sgx = 0;
      for (intptr_t n = 0; n < N; n++) {
        intptr_t at = (n * C + c) * S;
        bn_row_grad(g + at, x + at, S, mean, &sg, &sgx);
      }
      out[c] = (float)sg;
      out[C + c] = (float)sgx;
      continue;
    }
    /* one pass of double sums shifted by the channel's first value (0 if not finite): var =
     * (Σd² - (Σd)²/n)/n loses nothing that matters in double unless |mean - shift| is some 10^4
     * standard deviations */
    double shift = count > 0 ? (double)x[c * S] : 0, s1 = 0, s2 = 0;
    if (shift - shift != 0) shift = 0;
    for (intptr_t n = 0; n < N; n++) bn_row_moments(x + (n * C + c) * S, S, shift, &s1, &s2);
    double var = (s2 - s1 * s1 / count) / count;
    out[c] = (float)(shift + s1 / count);
    out[C + c] = (float)(var > 0 || var != var ? var : 0);
  }
}

void NB_FN(bn_apply)(const int32_t *meta, float *out, const float *x, const float *coef,
                     const float *g, int tid, int nt) {
  intptr_t N = meta[NB_BN_N], C = meta[NB_BN_C], S = meta[NB_BN_S];
  x += meta[NB_BN_XOFF];
  if (g) g += meta[NB_BN_GOFF];
  const float *mean = coef, *p = coef + C, *q = coef + 2 * C, *k = coef + 3 * C;
  intptr_t lo, hi;
  if (S == 1) {
    /* [N, C]: a row is one sample, vectorised over the channels */
    nb_share(N, 1, tid, nt, &lo, &hi);
    for (intptr_t n = lo; n < hi; n++) {
      const float *xr = x + n * C, *gr = g ? g + n * C : NULL;
      float *o = out + n * C;
      intptr_t c = 0;
      for (; c + NB_VL <= C; c += NB_VL) {
        vf y = (vload(xr + c) - vload(mean + c)) * vload(p + c) + vload(q + c);
        if (gr) y = y + vload(gr + c) * vload(k + c);
        vstore(o + c, y);
      }
      for (; c < C; c++) {
        float y = (xr[c] - mean[c]) * p[c] + q[c];
        o[c] = gr ? y + gr[c] * k[c] : y;
      }
    }
    return;
  }
  nb_share(N * C, 1, tid, nt, &lo, &hi);
  for (intptr_t r = lo; r < hi; r++) {
    intptr_t c = r % C;
    const float *xr = x + r * S, *gr = g ? g + r * S : NULL;
    float *o = out + r * S;
    vf m = vset1(mean[c]), pv = vset1(p[c]), qv = vset1(q[c]), kv = vset1(k[c]);
    intptr_t j = 0;
    if (gr) {
      for (; j + NB_VL <= S; j += NB_VL)
        vstore(o + j, ((vload(xr + j) - m) * pv + qv) + vload(gr + j) * kv);
      for (; j < S; j++) o[j] = ((xr[j] - mean[c]) * p[c] + q[c]) + gr[j] * k[c];
    } else {
      for (; j + NB_VL <= S; j += NB_VL) vstore(o + j, (vload(xr + j) - m) * pv + qv);
      for (; j < S; j++) o[j] = (xr[j] - mean[c]) * p[c] + q[c];
    }
  }
}
