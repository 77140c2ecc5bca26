/* gather, scatter and scatter-add over float32 values with int32 indices.
 *
 * One walk over the index's positions (row-major, coalesced; NB_X_* in nabla.h) moves three
 * operands along: the index, the target (x for gather, out for scatter; stride 0 along the indexed
 * dim, where the index value picks the slot at stride NB_X_SEL) and the value (gather: out,
 * contiguous in index order; scatter: the source). Negative indices count from the end, as in the
 * cpu kernels. A row holding an index outside [-size, size) is left untouched and sets *status;
 * the host then runs the cpu kernel, which raises the error in PyTorch's words (out is the call's
 * own fresh buffer, so nothing a caller sees has changed). Out-of-range slots are never touched.
 *
 * gather computes each output element alone. scatter writes each target slot in the index's
 * row-major order (the last write wins; sums accumulate in that order, in float32): positions that
 * can reach the same slot differ only along the indexed dim, so a share takes whole runs along that
 * dim (a range of the dims before it, or of the dims after it) and visits them in order. Results
 * are therefore bit-identical for any number of shares. scatter's copy of x into out is a separate
 * elementwise copy walk (meta + NB_X_COPY) that the host runs first. */
#include "internal.h"

typedef struct {
  int op;
  uint32_t size;
  intptr_t sel;
  const int32_t *index;
  float *target;
  float *value;
} xctx_t;

/* One row of n positions at offsets offs[3] and strides inc[3]; returns 0 (having changed
 * nothing) when an index of the row is out of range. */
static int x_row(const xctx_t *c, const intptr_t *offs, const intptr_t *inc, intptr_t n) {
  const int32_t *ip = c->index + offs[0];
  intptr_t si = inc[0], st = inc[1], sv = inc[2], sel = c->sel;
  uint32_t size = c->size, bad = 0;
  /* v in [-size, size) <=> v + size in [0, 2 size), as uint32 (size < 2^31). */
  if (si == 1) {
    for (intptr_t i = 0; i < n; i++) bad |= (uint32_t)ip[i] + size >= 2u * size;
  } else {
    for (intptr_t i = 0; i < n; i++) bad |= (uint32_t)ip[i * si] + size >= 2u * size;
  }
  if (bad) return 0;
  float *t = c->target + offs[1];
  float *v = c->value + offs[2];
  intptr_t wrap = (intptr_t)size;
  if (c->op == NB_GATHER) {
    if (si == 1 && sv == 1 && st == 1) {
      for (intptr_t i = 0; i < n; i++) {
        intptr_t k = ip[i];
        k += k < 0 ? wrap : 0;
        v[i] = t[i + k * sel];
      }
    } else {
      for (intptr_t i = 0; i < n; i++) {
        intptr_t k = ip[i * si];
        k += k < 0 ? wrap : 0;
        v[i * sv] = t[i * st + k * sel];
      }
    }
  } else if (c->op == NB_SCATTER) {
    for (intptr_t i = 0; i < n; i++) {
      intptr_t k = ip[i * si];
      k += k < 0 ? wrap : 0;
      t[i * st + k * sel] = v[i * sv];
    }
  } else {
    for (intptr_t i = 0; i < n; i++) {
      intptr_t k = ip[i * si];
      k += k < 0 ? wrap : 0;
      float *p = t + i * st + k * sel;
      *p = *p + v[i * sv];
    }
  }
  return 1;
}

/* Positions [lo, hi) (row-major) of the walk over nd >= 1 dims (shape; strides[k] of operand k)
 * from the base offsets; returns 0 when a row held a bad index (the other rows still run). */
static int x_range(const xctx_t *c, int nd, const int32_t *shape, const int32_t *const *strides,
                   const intptr_t *base, intptr_t lo, intptr_t hi) {
  if (lo >= hi) return 1;
  int last = nd - 1, ok = 1;
  intptr_t len = shape[last];
  int32_t idx[NB_MAXDIM];
  intptr_t offs[3], inc[3];
  intptr_t rowi = lo / len, col = lo % len;
  for (int k = 0; k < 3; k++) {
    offs[k] = base[k];
    inc[k] = strides[k][last];
  }
  for (int d = last - 1; d >= 0; d--) {
    idx[d] = (int32_t)(rowi % shape[d]);
    rowi /= shape[d];
    for (int k = 0; k < 3; k++) offs[k] += (intptr_t)idx[d] * strides[k][d];
  }
  for (intptr_t at = lo; at < hi;) {
    intptr_t n = len - col;
    if (n > hi - at) n = hi - at;
    intptr_t o[3];
    for (int k = 0; k < 3; k++) o[k] = offs[k] + col * inc[k];
    ok &= x_row(c, o, inc, n);
    at += n;
    col = 0;
    if (at < hi) nb_step(last, shape, idx, 3, strides, offs);
  }
  return ok;
}

static void x_run(const int32_t *meta, float *target, float *value, const int32_t *index,
                  int32_t *status, int tid, int nt) {
  int nd = meta[NB_X_NDIM], wd = meta[NB_X_DIM];
  const int32_t *shape = meta + NB_X_SHAPE;
  const int32_t *strides[3];
  intptr_t base[3];
  for (int k = 0; k < 3; k++) {
    strides[k] = meta + NB_X_STRIDES + k * NB_MAXDIM;
    base[k] = meta[NB_X_OFFSETS + k];
  }
  xctx_t c = {meta[NB_X_OP], (uint32_t)meta[NB_X_SIZE], meta[NB_X_SEL], index, target, value};
  intptr_t total = 1;
  for (int d = 0; d < nd; d++) total *= shape[d];
  if (total == 0) return;
  int ok = 1;
  intptr_t lo, hi;
  if (c.op == NB_GATHER || wd < 0) {
    /* No two positions write the same slot: any range of positions. */
    nb_share(total, 16, tid, nt, &lo, &hi);
    ok = x_range(&c, nd, shape, strides, base, lo, hi);
  } else {
    /* positions = outer x along x inner: a share takes whole runs along the indexed dim. */
    intptr_t outer = 1, along = shape[wd], inner = 1;
    for (int d = 0; d < wd; d++) outer *= shape[d];
    for (int d = wd + 1; d < nd; d++) inner *= shape[d];
    if (outer >= nt || inner < 16 * (intptr_t)nt) {
      nb_share(outer, 1, tid, nt, &lo, &hi);
      ok = x_range(&c, nd, shape, strides, base, lo * along * inner, hi * along * inner);
    } else if (wd < nd - 1) {
      /* Few outer runs: split the dims after the indexed one; each share walks every (outer,
       * along) pair over its range of them, along the indexed dim in order. */
      nb_share(inner, 16, tid, nt, &lo, &hi);
      const int32_t *istr[3] = {strides[0] + wd + 1, strides[1] + wd + 1, strides[2] + wd + 1};
      int32_t oidx[NB_MAXDIM] = {0};
      intptr_t offs[3] = {base[0], base[1], base[2]};
      for (intptr_t o = 0; lo < hi && o < outer; o++) {
        for (intptr_t j = 0; j < along; j++) {
          intptr_t b[3];
          for (int k = 0; k < 3; k++) b[k] = offs[k] + j * strides[k][wd];
          ok &= x_range(&c, nd - wd - 1, shape + wd + 1, istr, b, lo, hi);
        }
        if (wd > 0) nb_step(wd, shape, oidx, 3, strides, offs);
      }
    }
  }
  if (!ok) __atomic_store_n(status, 1, __ATOMIC_RELAXED);
}

void NB_FN(gather)(const int32_t *meta, float *out, const float *x, const int32_t *index,
                   int32_t *status, int tid, int nt) {
  x_run(meta, (float *)x, out, index, status, tid, nt);
}

void NB_FN(scatter)(const int32_t *meta, float *out, const int32_t *index, const float *src,
                    int32_t *status, int tid, int nt) {
  x_run(meta, out, (float *)src, index, status, tid, nt);
}

void NB_FN(maxpool_backward)(const int32_t *meta, float *out, const float *g, const int32_t *index,
                             int tid, int nt) {
  intptr_t planes = meta[NB_MB_PLANES], L = meta[NB_MB_L], size = meta[NB_MB_SIZE];
  intptr_t gs0 = meta[NB_MB_GS0], gs1 = meta[NB_MB_GS1], is0 = meta[NB_MB_IS0],
           is1 = meta[NB_MB_IS1];
  const float *gb = g + meta[NB_MB_GOFF];
  const int32_t *ib = index + meta[NB_MB_IOFF];
  uint32_t usize = (uint32_t)size;
  intptr_t lo, hi;
  nb_share(planes, 1, tid, nt, &lo, &hi);
  for (intptr_t p = lo; p < hi; p++) {
    float *o = out + p * size;
    intptr_t i = 0;
    for (; i + NB_VL <= size; i += NB_VL) vstore(o + i, vset1(0.0f));
    for (; i < size; i++) o[i] = 0.0f;
    const float *gp = gb + p * gs0;
    const int32_t *ip = ib + p * is0;
    /* v in [-size, size) <=> v + size in [0, 2 size), as uint32; a plane with a bad index is left
     * at zero (no branch per add: the check is its own loop, as x_row's) */
    uint32_t bad = 0;
    for (intptr_t l = 0; l < L; l++) bad |= (uint32_t)ip[l * is1] + usize >= 2u * usize;
    if (bad) continue;
    if (gs1 == 1 && is1 == 1) {
      for (intptr_t l = 0; l < L; l++) {
        intptr_t k = ip[l];
        o[k + (k < 0 ? size : 0)] += gp[l];
      }
    } else {
      for (intptr_t l = 0; l < L; l++) {
        intptr_t k = ip[l * is1];
        o[k + (k < 0 ? size : 0)] += gp[l * gs1];
      }
    }
  }
}
