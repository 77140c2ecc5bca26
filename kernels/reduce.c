/* Reductions of float32 over arbitrary dims: sum and prod accumulate in double (sums in blocks),
 * amax/amin propagate NaN, argmax/argmin return the first extreme (a NaN counts as the extreme).
 * A share is a range of outputs, and each output is reduced in one fixed order, so results do not
 * depend on the thread count. */
#include "internal.h"
#include "vmath.h"

typedef struct {
  int op, nk, nr;
  intptr_t off;
  const int32_t *kshape, *kstr, *rshape, *rstr;
  intptr_t nred;
} red_t;

/* Sum blocks: a double accumulator per block of this many elements, blocks added in order. */
#define SUM_BLOCK 4096

NB_INLINE double hsum(vd v) {
  double s = 0;
  for (int i = 0; i < NB_VL; i++) s += v[i];
  return s;
}

/* Folds a contiguous run of n floats into the accumulators of one output. */
typedef struct {
  double sum, blk, prod;
  float ext;
  int nan;
  intptr_t inblk;
  intptr_t arg, pos;
} acc_t;

static void fold_run(int op, acc_t *a, const float *p, intptr_t s, intptr_t n) {
  intptr_t i = 0;
  switch (op) {
    case NB_SUM:
      while (i < n) {
        intptr_t take = SUM_BLOCK - a->inblk;
        if (take > n - i) take = n - i;
        vd v0 = vset1d(0), v1 = vset1d(0);
        intptr_t j = 0;
        if (s == 1) {
          for (; j + 2 * NB_VL <= take; j += 2 * NB_VL) {
            v0 += vcvt_f2d(vload(p + i + j));
            v1 += vcvt_f2d(vload(p + i + j + NB_VL));
          }
        }
        double t = hsum(v0 + v1);
        for (; j < take; j++) t += (double)p[(i + j) * s];
        a->blk += t;
        a->inblk += take;
        i += take;
        if (a->inblk == SUM_BLOCK) {
          a->sum += a->blk;
          a->blk = 0;
          a->inblk = 0;
        }
      }
      break;
    case NB_PROD:
      for (; i < n; i++) a->prod *= (double)p[i * s];
      break;
    case NB_AMAX:
    case NB_AMIN: {
      int mx = op == NB_AMAX;
      if (s == 1 && n >= NB_VL) {
        vf e = vset1(a->ext);
        vi nan = vset1i(0);
        for (; i + NB_VL <= n; i += NB_VL) {
          vf v = vload(p + i);
          nan |= visnan(v);
          e = mx ? vsel((vi)(v > e), v, e) : vsel((vi)(v < e), v, e);
        }
        for (int l = 0; l < NB_VL; l++) {
          a->nan |= nan[l] != 0;
          if (mx ? e[l] > a->ext : e[l] < a->ext) a->ext = e[l];
        }
      }
      for (; i < n; i++) {
        float v = p[i * s];
        if (v != v) a->nan = 1;
        if (mx ? v > a->ext : v < a->ext) a->ext = v;
      }
      break;
    }
    default: { /* argmax / argmin: the first extreme; the first NaN wins outright */
      int mx = op == NB_ARGMAX;
      if (a->nan) {
        a->pos += n;
        break;
      }
      for (; i < n; i++) {
        float v = p[i * s];
        if (v != v) {
          a->nan = 1;
          a->arg = a->pos + i;
          break;
        }
        if (mx ? v > a->ext : v < a->ext) {
          a->ext = v;
          a->arg = a->pos + i;
        }
      }
      a->pos += n;
      break;
    }
  }
}

/* The sum of one output whose reduced elements come in contiguous runs (rows of len floats; the
 * conv bias gradient's [N, C, L] over N and L): double vector accumulators kept across the runs,
 * each run's tail a masked load, and one horizontal sum at the end. Summing the runs one by one
 * (fold_run) paid a horizontal sum and a scalar tail per run: at runs of 196 floats that ran at
 * 14 GB/s. */
static float sum_rows(const red_t *r, const float *base) {
  int last = r->nr - 1;
  intptr_t len = r->rshape[last], rows = r->nred / len, off = 0;
  int32_t idx[NB_MAXDIM] = {0};
  const int32_t *strides[1] = {r->rstr};
  vd a0 = vset1d(0), a1 = vset1d(0);
  for (intptr_t row = 0; row < rows; row++) {
    const float *p = base + off;
    intptr_t j = 0;
    for (; j + 2 * NB_VL <= len; j += 2 * NB_VL) {
      a0 += vcvt_f2d(vload(p + j));
      a1 += vcvt_f2d(vload(p + j + NB_VL));
    }
    for (; j < len; j += NB_VL) a0 += vcvt_f2d(vload_inside(p, j, len));
    if (row + 1 < rows) nb_step(last, r->rshape, idx, 1, strides, &off);
  }
  return (float)hsum(a0 + a1);
}

static void reduce_one(const red_t *r, const float *base, void *out, intptr_t oi) {
  if (r->op == NB_SUM && r->nred > 0 && r->rstr[r->nr - 1] == 1) {
    ((float *)out)[oi] = sum_rows(r, base);
    return;
  }
  acc_t a = {0, 0, 1, 0, 0, 0, 0, 0};
  int mx = r->op == NB_AMAX || r->op == NB_ARGMAX;
  a.ext = mx ? -__builtin_inff() : __builtin_inff();
  if (r->nred > 0) {
    int last = r->nr - 1;
    intptr_t len = r->rshape[last], s = r->rstr[last];
    intptr_t rows = r->nred / len;
    int32_t idx[NB_MAXDIM] = {0};
    intptr_t off = 0;
    const int32_t *strides[1] = {r->rstr};
    for (intptr_t row = 0; row < rows; row++) {
      fold_run(r->op, &a, base + off, s, len);
      if (row + 1 < rows) nb_step(last, r->rshape, idx, 1, strides, &off);
    }
  }
  switch (r->op) {
    case NB_SUM:
      ((float *)out)[oi] = (float)(a.sum + a.blk);
      break;
    case NB_PROD:
      ((float *)out)[oi] = (float)a.prod;
      break;
    case NB_AMAX:
    case NB_AMIN:
      ((float *)out)[oi] = a.nan ? __builtin_nanf("") : a.ext;
      break;
    default:
      ((int32_t *)out)[oi] = (int32_t)a.arg;
      break;
  }
}

/* Outputs [lo, hi) along a contiguous innermost kept dim, vectorised across outputs, when the
 * reduced elements are not contiguous (max pooling's argmax over window positions, a sum over the
 * batch). Each lane walks its output's reduced elements in the same order as reduce_one. */
/* reduce_columns for a sum over one reduced dim (a bias gradient: the sum over the batch), two
 * vectors of outputs at a time with no per-element index stepping: the same order per lane, so
 * the same sums (8.4 -> 2 us at 128 x 256). */
static void sum_columns_1d(const red_t *r, const float *x, float *out, intptr_t o0, intptr_t n,
                           intptr_t in0) {
  intptr_t rs = r->rstr[0], nred = r->nred, j = 0;
  for (; j + 2 * NB_VL <= n; j += 2 * NB_VL) {
    vd sum0 = vset1d(0), blk0 = vset1d(0), sum1 = vset1d(0), blk1 = vset1d(0);
    const float *p = x + in0 + j;
    intptr_t inblk = 0;
    for (intptr_t q = 0; q < nred; q++, p += rs) {
      blk0 += vcvt_f2d(vload(p));
      blk1 += vcvt_f2d(vload(p + NB_VL));
      if (++inblk == SUM_BLOCK) {
        sum0 += blk0;
        sum1 += blk1;
        blk0 = blk1 = vset1d(0);
        inblk = 0;
      }
    }
    vstore(out + o0 + j, vcvt_d2f(sum0 + blk0));
    vstore(out + o0 + j + NB_VL, vcvt_d2f(sum1 + blk1));
  }
  for (; j < n; j += NB_VL) {
    int m = n - j < NB_VL ? (int)(n - j) : NB_VL;
    vd sum = vset1d(0), blk = vset1d(0);
    const float *p = x + in0 + j;
    intptr_t inblk = 0;
    for (intptr_t q = 0; q < nred; q++, p += rs) {
      blk += vcvt_f2d(m == NB_VL ? vload(p) : vload_part(p, m, 0.0f));
      if (++inblk == SUM_BLOCK) {
        sum += blk;
        blk = vset1d(0);
        inblk = 0;
      }
    }
    if (m == NB_VL)
      vstore(out + o0 + j, vcvt_d2f(sum + blk));
    else
      vstore_part(out + o0 + j, vcvt_d2f(sum + blk), m);
  }
}

static void reduce_columns(const red_t *r, const float *x, float *out, intptr_t o0, intptr_t n,
                           intptr_t in0) {
  int op = r->op;
  if (op == NB_SUM && r->nr == 1) {
    sum_columns_1d(r, x, out, o0, n, in0);
    return;
  }
  for (intptr_t j = 0; j < n; j += NB_VL) {
    int m = n - j < NB_VL ? (int)(n - j) : NB_VL;
    vd sum = vset1d(0), blk = vset1d(0), prod = vset1d(1);
    vf ext = vset1(op == NB_AMAX || op == NB_ARGMAX ? -__builtin_inff() : __builtin_inff());
    vi nan = vset1i(0), arg = vset1i(0);
    int32_t idx[NB_MAXDIM] = {0};
    intptr_t off = 0, inblk = 0;
    const int32_t *strides[1] = {r->rstr};
    for (intptr_t q = 0; q < r->nred; q++) {
      const float *p = x + in0 + j + off;
      vf v = m == NB_VL ? vload(p) : vload_part(p, m, 0.0f);
      switch (op) {
        case NB_SUM:
          blk += vcvt_f2d(v);
          if (++inblk == SUM_BLOCK) {
            sum += blk;
            blk = vset1d(0);
            inblk = 0;
          }
          break;
        case NB_PROD:
          prod *= vcvt_f2d(v);
          break;
        case NB_AMAX:
          nan |= visnan(v);
          ext = vsel((vi)(v > ext), v, ext);
          break;
        case NB_AMIN:
          nan |= visnan(v);
          ext = vsel((vi)(v < ext), v, ext);
          break;
        default: { /* argmax / argmin: the first strict extreme; the first NaN wins outright */
          vi isn = visnan(v);
          vi better = (op == NB_ARGMAX ? (vi)(v > ext) : (vi)(v < ext)) & ~nan;
          vi take = better | (isn & ~nan);
          arg = (vset1i((int32_t)q) & take) | (arg & ~take);
          ext = vsel(better, v, ext);
          nan |= isn;
          break;
        }
      }
      if (q + 1 < r->nred) nb_step(r->nr, r->rshape, idx, 1, strides, &off);
    }
    vf res;
    if (op == NB_SUM)
      res = vcvt_d2f(sum + blk);
    else if (op == NB_PROD)
      res = vcvt_d2f(prod);
    else if (op == NB_AMAX || op == NB_AMIN)
      res = vsel(nan, vset1(__builtin_nanf("")), ext);
    else
      res = (vf)arg; /* int32 indices, stored bit for bit */
    if (m == NB_VL)
      vstore(out + o0 + j, res);
    else
      vstore_part(out + o0 + j, res, m);
  }
}

void NB_FN(reduce)(const int32_t *meta, void *out, const float *x, int tid, int nt) {
  red_t r;
  r.op = meta[NB_R_OP];
  r.nk = meta[NB_R_NKEPT];
  r.nr = meta[NB_R_NRED];
  r.off = meta[NB_R_OFFSET];
  r.kshape = meta + NB_R_KSHAPE;
  r.kstr = meta + NB_R_KSTRIDES;
  r.rshape = meta + NB_R_RSHAPE;
  r.rstr = meta + NB_R_RSTRIDES;
  if (r.op < 0 || r.op >= NB_REDUCE_COUNT) return;
  r.nred = 1;
  for (int d = 0; d < r.nr; d++) r.nred *= r.rshape[d];
  intptr_t nout = 1;
  for (int d = 0; d < r.nk; d++) nout *= r.kshape[d];
  int columns = r.nk > 0 && r.kstr[r.nk - 1] == 1 && r.nred > 0 &&
                (r.nr == 0 || r.rstr[r.nr - 1] != 1);
  /* shares of whole vectors of outputs where they go across outputs (reduce_columns), else of
   * single outputs (16 channels' bias gradients are two threads' work) */
  intptr_t lo, hi;
  nb_share(nout, columns ? NB_VL : 1, tid, nt, &lo, &hi);
  if (lo >= hi) return;
  if (r.nr == 0) r.nred = 1;
  /* Walk the kept dims from output lo. */
  int last = r.nk - 1;
  intptr_t klen = r.nk > 0 ? r.kshape[last] : 1;
  intptr_t kin = r.nk > 0 ? r.kstr[last] : 0;
  int32_t idx[NB_MAXDIM] = {0};
  intptr_t off = r.off, row = lo / klen, col = lo % klen;
  for (int d = last - 1; d >= 0; d--) {
    idx[d] = (int32_t)(row % r.kshape[d]);
    row /= r.kshape[d];
    off += (intptr_t)idx[d] * r.kstr[d];
  }
  const int32_t *strides[1] = {r.kstr};
  intptr_t at = lo;
  red_t one = r;
  if (r.nr == 0) {
    /* Nothing reduced: each output is one element (a copy, or the index 0). */
    static const int32_t unit_shape[1] = {1}, unit_stride[1] = {0};
    one.nr = 1;
    one.rshape = unit_shape;
    one.rstr = unit_stride;
    one.nred = 1;
  }
  while (at < hi) {
    intptr_t n = klen - col;
    if (n > hi - at) n = hi - at;
    if (columns && one.nr > 0) {
      reduce_columns(&one, x, (float *)out, at, n, off + col);
    } else {
      for (intptr_t j = 0; j < n; j++) reduce_one(&one, x + off + (col + j) * kin, out, at + j);
    }
    at += n;
    col = 0;
    if (at < hi && last > 0) nb_step(last, r.kshape, idx, 1, strides, &off);
  }
}

/* ---- log_softmax (nabla.h, NB_LS_*) ---- */

/* Lanes [0, n) set. */
NB_INLINE vi lanes_below(int n) {
  vi idx;
  for (int i = 0; i < NB_VL; i++) idx[i] = i;
  return (vi)(idx < vset1i(n));
}

/* The row max as log_softmax shifts by it: NaN if any lane saw a NaN, 0 where it is +-inf. */
NB_INLINE vf shift_of(vf m, vi nan) {
  m = vsel(nan, vset1(__builtin_nanf("")), m);
  return vsel((vi)(vabs(m) == vset1(__builtin_inff())), vset1(0.0f), m);
}

/* One contiguous row of len floats. */
static void log_softmax_row(const float *x, float *out, intptr_t len) {
  float m = -__builtin_inff();
  int nan = 0;
  for (intptr_t j = 0; j < len; j++) {
    float v = x[j];
    if (v != v) nan = 1;
    else if (v > m) m = v;
  }
  vf vm = shift_of(vset1(m), nan ? vset1i(-1) : vset1i(0));
  vf acc = vset1(0.0f);
  intptr_t j = 0;
  for (; j + NB_VL <= len; j += NB_VL) acc += vexp(vload(x + j) - vm);
  if (j < len) {
    int n = (int)(len - j);
    acc += vsel(lanes_below(n), vexp(vload_part(x + j, n, 0.0f) - vm), vset1(0.0f));
  }
  float s = 0;
  for (int i = 0; i < NB_VL; i++) s += acc[i];
  vf lse = vlog(vset1(s));
  for (j = 0; j + NB_VL <= len; j += NB_VL) vstore(out + j, (vload(x + j) - vm) - lse);
  if (j < len) {
    int n = (int)(len - j);
    vstore_part(out + j, (vload_part(x + j, n, 0.0f) - vm) - lse, n);
  }
}

/* NB_VL rows side by side (n of them valid), element j of lane i at x[j * inner + i]. */
static void log_softmax_lanes(const float *x, float *out, intptr_t len, intptr_t inner, int n) {
  vf m = vset1(-__builtin_inff());
  vi nan = vset1i(0);
  for (intptr_t j = 0; j < len; j++) {
    vf v = n == NB_VL ? vload(x + j * inner) : vload_part(x + j * inner, n, 0.0f);
    nan |= visnan(v);
    m = vsel((vi)(v > m), v, m);
  }
  vf vm = shift_of(m, nan);
  vf acc = vset1(0.0f);
  for (intptr_t j = 0; j < len; j++) {
    vf v = n == NB_VL ? vload(x + j * inner) : vload_part(x + j * inner, n, 0.0f);
    acc += vexp(v - vm);
  }
  vf lse = vlog(acc);
  for (intptr_t j = 0; j < len; j++) {
    vf v = n == NB_VL ? vload(x + j * inner) : vload_part(x + j * inner, n, 0.0f);
    if (n == NB_VL) vstore(out + j * inner, (v - vm) - lse);
    else vstore_part(out + j * inner, (v - vm) - lse, n);
  }
}

/* Up to LS_CHUNK short rows (len < 4 NB_VL, e.g. a classifier's 10 logits) at once: the per-row
 * passes are scalar, and the exps and logs run over whole vectors of the chunk (a vector per row
 * cost more than the row; 128 x 10 went from 20 to a few us). */
#define LS_CHUNK 64
static void log_softmax_short_rows(const float *x, float *out, intptr_t rows, intptr_t len) {
  float m[LS_CHUNK], lse[LS_CHUNK];
  for (intptr_t r0 = 0; r0 < rows; r0 += LS_CHUNK) {
    int nr = rows - r0 < LS_CHUNK ? (int)(rows - r0) : LS_CHUNK;
    const float *xc = x + r0 * len;
    float *oc = out + r0 * len;
    for (int r = 0; r < nr; r++) {
      float mr = -__builtin_inff();
      int nan = 0;
      for (intptr_t j = 0; j < len; j++) {
        float v = xc[r * len + j];
        if (v != v) nan = 1;
        else if (v > mr) mr = v;
      }
      m[r] = nan ? __builtin_nanf("") : (mr == __builtin_inff() || mr == -__builtin_inff()) ? 0.0f : mr;
      for (intptr_t j = 0; j < len; j++) oc[r * len + j] = xc[r * len + j] - m[r];
    }
    intptr_t n = nr * len, i = 0;
    for (; i + NB_VL <= n; i += NB_VL) vstore(oc + i, vexp(vload(oc + i)));
    if (i < n) vstore_part(oc + i, vexp(vload_part(oc + i, (int)(n - i), 0.0f)), (int)(n - i));
    for (int r = 0; r < nr; r++) {
      float s = 0;
      for (intptr_t j = 0; j < len; j++) s += oc[r * len + j];
      lse[r] = s;
    }
    int r = 0;
    for (; r + NB_VL <= nr; r += NB_VL) vstore(lse + r, vlog(vload(lse + r)));
    if (r < nr) vstore_part(lse + r, vlog(vload_part(lse + r, nr - r, 1.0f)), nr - r);
    for (r = 0; r < nr; r++)
      for (intptr_t j = 0; j < len; j++) oc[r * len + j] = (xc[r * len + j] - m[r]) - lse[r];
  }
}

void NB_FN(log_softmax)(const int32_t *meta, float *out, const float *x, int tid, int nt) {
  intptr_t outer = meta[NB_LS_OUTER], len = meta[NB_LS_LEN], inner = meta[NB_LS_INNER];
  x += meta[NB_LS_OFFSET];
  if (len == 0) return;
  if (inner == 1) {
    intptr_t lo, hi;
    nb_share(outer, 1, tid, nt, &lo, &hi);
    if (len < 4 * NB_VL) {
      if (lo < hi) log_softmax_short_rows(x + lo * len, out + lo * len, hi - lo, len);
      return;
    }
    for (intptr_t r = lo; r < hi; r++) log_softmax_row(x + r * len, out + r * len, len);
    return;
  }
  intptr_t blocks = (inner + NB_VL - 1) / NB_VL, lo, hi;
  nb_share(outer * blocks, 1, tid, nt, &lo, &hi);
  for (intptr_t u = lo; u < hi; u++) {
    intptr_t o = u / blocks, i0 = (u - o * blocks) * NB_VL;
    int n = inner - i0 < NB_VL ? (int)(inner - i0) : NB_VL;
    intptr_t at = o * len * inner + i0;
    log_softmax_lanes(x + at, out + at, len, inner, n);
  }
}
