/* Fused optimizer updates (SGD, Adam/AdamW) over contiguous float32 arrays: one pass instead of
 * a chain of elementwise ops. Every scalar is rounded to float32 and every operation rounds, in
 * the order of the composed update in src/optim (PyTorch's single-tensor algorithms), so fused
 * and composed results agree to the bit on targets without FMA contraction (we use none). */
#include "internal.h"

/* Loads of the last partial vector read only n lanes (the rest are 1). */
NB_INLINE vf ldn(const float *p, int n) { return n == NB_VL ? vload(p) : vload_part(p, n, 1.0f); }
NB_INLINE void stn(float *p, vf v, int n) {
  if (n == NB_VL)
    vstore(p, v);
  else
    vstore_part(p, v, n);
}

void NB_FN(sgd)(const int32_t *meta, float *p, const float *g, float *buf, int tid, int nt) {
  const double *d = NB_META_D(meta);
  int flags = meta[NB_O_FLAGS];
  vf lr = vset1((float)-d[NB_SGD_LR]), wd = vset1((float)d[NB_SGD_WEIGHT_DECAY]);
  vf mu = vset1((float)d[NB_SGD_MOMENTUM]);
  vf damp = vset1((float)(1.0 - d[NB_SGD_DAMPENING]));
  int has_wd = d[NB_SGD_WEIGHT_DECAY] != 0, has_mom = d[NB_SGD_MOMENTUM] != 0;
  int damped = d[NB_SGD_DAMPENING] != 0;
  intptr_t lo, hi;
  nb_share(meta[NB_O_N], 64, tid, nt, &lo, &hi);
  for (intptr_t i = lo; i < hi; i += NB_VL) {
    int n = hi - i < NB_VL ? (int)(hi - i) : NB_VL;
    vf pv = ldn(p + i, n);
    vf dv = ldn(g + i, n);
    if (flags & NB_OPT_MAXIMIZE) dv = -dv;
    if (has_wd) dv = dv + pv * wd; /* d + λ·p */
    if (has_mom) {
      vf b;
      if (flags & NB_OPT_FIRST) {
        b = dv; /* b starts as d */
      } else {
        b = ldn(buf + i, n) * mu; /* μ·b + (1 − dampening)·d */
        b = b + (damped ? dv * damp : dv);
      }
      stn(buf + i, b, n);
      dv = (flags & NB_OPT_NESTEROV) ? dv + b * mu : b;
    }
    stn(p + i, pv + dv * lr, n); /* p − η·d */
  }
}

void NB_FN(adam)(const int32_t *meta, float *p, const float *g, float *m, float *v, float *vmax,
                 int tid, int nt) {
  const double *d = NB_META_D(meta);
  int flags = meta[NB_O_FLAGS];
  double lr = d[NB_ADAM_LR], wdd = d[NB_ADAM_WEIGHT_DECAY], b1 = d[NB_ADAM_BETA1];
  double b2 = d[NB_ADAM_BETA2];
  vf wd = vset1((float)wdd), decay = vset1((float)(1.0 - lr * wdd));
  vf beta1 = vset1((float)b1), beta2 = vset1((float)b2);
  vf omb1 = vset1((float)(1.0 - b1)), omb2 = vset1((float)(1.0 - b2));
  vf eps = vset1((float)d[NB_ADAM_EPS]), negstep = vset1((float)-d[NB_ADAM_STEP_SIZE]);
  vf bc2 = vset1((float)d[NB_ADAM_BC2_SQRT]);
  int decoupled = (flags & NB_OPT_DECOUPLED) != 0, has_wd = wdd != 0;
  intptr_t lo, hi;
  nb_share(meta[NB_O_N], 64, tid, nt, &lo, &hi);
  for (intptr_t i = lo; i < hi; i += NB_VL) {
    int n = hi - i < NB_VL ? (int)(hi - i) : NB_VL;
    vf pv = ldn(p + i, n);
    vf gv = ldn(g + i, n);
    if (flags & NB_OPT_MAXIMIZE) gv = -gv;
    if (decoupled) {
      pv = pv * decay; /* p·(1 − ηλ) */
    } else if (has_wd) {
      gv = gv + pv * wd; /* g + λ·p */
    }
    vf mv = ldn(m + i, n) * beta1 + gv * omb1;       /* β₁·m + (1 − β₁)·g */
    vf vv = ldn(v + i, n) * beta2 + (gv * omb2) * gv; /* β₂·v + (1 − β₂)·g² */
    stn(m + i, mv, n);
    stn(v + i, vv, n);
    if (flags & NB_OPT_AMSGRAD) {
      vf old = ldn(vmax + i, n);
      vf mx = vsel((vi)(old > vv) | visnan(old), old, vv); /* max(v_max, v), NaN kept */
      mx = vsel(visnan(vv), vv, mx);
      stn(vmax + i, mx, n);
      vv = mx;
    }
    vf denom = vsqrt(vv) / bc2 + eps;
    stn(p + i, pv + (mv * negstep) / denom, n); /* p − η/(1 − β₁ᵗ) · m / d */
  }
}
