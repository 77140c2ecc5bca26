/* Elementwise kernels over strided, broadcast float32 inputs: unary (with clamp and copy), binary,
 * comparisons (uint8 output) and where. The output is contiguous; a share is a range of it. */
#include "internal.h"
#include "vmath.h"

typedef uint8_t vb __attribute__((vector_size(NB_VL)));
typedef uint8_t vb_u __attribute__((vector_size(NB_VL), aligned(1), may_alias));

/* NB_VL bytes widened to int32 lanes. NOTE: GCC widens a byte vector with
 * __builtin_convertvector one lane at a time on x86 (where ran at 4.7x a multiply's time), so the
 * x86 builds say the one instruction they mean. */
NB_INLINE vi vload_bytes(const uint8_t *p) {
#if defined(__AVX512F__)
  return (vi)_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
#elif NB_VL == 8 && defined(__AVX2__)
  return (vi)_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
#else
  return __builtin_convertvector(*(const vb_u *)p, vi);
#endif
}

typedef struct {
  int ndim, nops;
  const int32_t *shape;
  const int32_t *strides[4];
  intptr_t offs[4];
} walk_t;

static void walk_parse(const int32_t *meta, walk_t *w) {
  w->ndim = meta[NB_W_NDIM];
  w->nops = meta[NB_W_NOPS];
  w->shape = meta + NB_W_SHAPE;
  for (int k = 0; k < w->nops; k++) {
    w->strides[k] = meta + NB_W_STRIDES + k * NB_MAXDIM;
    w->offs[k] = meta[NB_W_OFFSETS + k];
  }
}

/* Calls row(ctx, offs, n) for the rows that cover output elements [lo, hi) of the walk. */
typedef void (*row_fn)(const void *ctx, const intptr_t *offs, const intptr_t *inner, intptr_t n);

static void walk_range(const walk_t *w, intptr_t lo, intptr_t hi, row_fn row, const void *ctx) {
  int nd = w->ndim, last = nd - 1;
  intptr_t len = w->shape[last];
  if (lo >= hi || len == 0) return;
  int32_t idx[NB_MAXDIM];
  intptr_t offs[4], inner[4];
  intptr_t rowi = lo / len, col = lo % len;
  for (int k = 0; k < w->nops; k++) {
    offs[k] = w->offs[k];
    inner[k] = w->strides[k][last];
  }
  /* The multi-index of row `rowi`. */
  for (int d = last - 1; d >= 0; d--) {
    idx[d] = (int32_t)(rowi % w->shape[d]);
    rowi /= w->shape[d];
    for (int k = 0; k < w->nops; k++) offs[k] += (intptr_t)idx[d] * w->strides[k][d];
  }
  idx[last] = 0;
  intptr_t at = lo;
  while (at < hi) {
    intptr_t n = len - col;
    if (n > hi - at) n = hi - at;
    intptr_t o2[4];
    for (int k = 0; k < w->nops; k++) o2[k] = offs[k] + col * inner[k];
    row(ctx, o2, inner, n);
    at += n;
    col = 0;
    if (at < hi) nb_step(last, w->shape, idx, w->nops, w->strides, offs);
  }
}

static intptr_t walk_numel(const walk_t *w) {
  intptr_t n = 1;
  for (int d = 0; d < w->ndim; d++) n *= w->shape[d];
  return n;
}

/* A vector of n lanes from p at stride s (1: contiguous, 0: broadcast). */
NB_INLINE vf ld(const float *p, intptr_t s, int n) {
  if (n == NB_VL && s == 1) return vload(p);
  if (s == 0) return vset1(*p);
  return vload_strided(p, s, n, 1.0f);
}

/* ---- unary ---- */

typedef struct {
  float *out;
  const float *x;
  vf lo, hi;
} unary_ctx;

#define UNARY_ROW(name, EXPR)                                                                   \
  static void name(const void *vctx, const intptr_t *offs, const intptr_t *inner, intptr_t n) { \
    const unary_ctx *c = (const unary_ctx *)vctx;                                               \
    float *o = c->out + offs[0];                                                                \
    const float *xp = c->x + offs[1];                                                           \
    intptr_t s = inner[1], i = 0;                                                               \
    (void)c;                                                                                    \
    if (s == 1) {                                                                               \
      for (; i + NB_VL <= n; i += NB_VL) {                                                      \
        vf x = vload(xp + i);                                                                   \
        vstore(o + i, (EXPR));                                                                  \
      }                                                                                         \
    } else if (s == 0) {                                                                        \
      vf x = vset1(*xp);                                                                        \
      vf r = (EXPR);                                                                            \
      for (; i + NB_VL <= n; i += NB_VL) vstore(o + i, r);                                      \
      if (i < n) vstore_part(o + i, r, (int)(n - i));                                           \
      return;                                                                                   \
    } else {                                                                                    \
      for (; i + NB_VL <= n; i += NB_VL) {                                                      \
        vf x = vload_strided(xp + i * s, s, NB_VL, 1.0f);                                       \
        vstore(o + i, (EXPR));                                                                  \
      }                                                                                         \
    }                                                                                           \
    if (i < n) {                                                                                \
      vf x = vload_strided(xp + i * s, s, (int)(n - i), 1.0f);                                  \
      vstore_part(o + i, (EXPR), (int)(n - i));                                                 \
    }                                                                                           \
  }

/* The per-element expressions that kernels/fused.c also runs: one text, so a fused program
 * computes bit for bit what these kernels compute. */
#define EX_NEG(x) (-(x))
#define EX_ABS(x) vabs(x)
#define EX_EXP(x) vexp(x)
#define EX_LOG(x) vlog(x)
#define EX_SQRT(x) vsqrt(x)
#define EX_TANH(x) vtanh(x)
#define EX_SIGMOID(x) vsigmoid(x)
/* relu keeps NaN and -0, as PyTorch's: x < 0 ? 0 : x. */
#define EX_RELU(x) vsel((vi)((x) < vset1(0.0f)), vset1(0.0f), (x))

UNARY_ROW(u_copy, x)
UNARY_ROW(u_neg, EX_NEG(x))
UNARY_ROW(u_abs, EX_ABS(x))
UNARY_ROW(u_sign, vsel((vi)(x > vset1(0.0f)), vset1(1.0f),
                       vsel((vi)(x < vset1(0.0f)), vset1(-1.0f), vset1(0.0f))))
UNARY_ROW(u_exp, EX_EXP(x))
UNARY_ROW(u_log, EX_LOG(x))
UNARY_ROW(u_log1p, vlog1p(x))
UNARY_ROW(u_expm1, vexpm1(x))
UNARY_ROW(u_sqrt, EX_SQRT(x))
UNARY_ROW(u_rsqrt, vset1(1.0f) / vsqrt(x))
UNARY_ROW(u_tanh, EX_TANH(x))
UNARY_ROW(u_sigmoid, EX_SIGMOID(x))
UNARY_ROW(u_erf, verf(x))
UNARY_ROW(u_relu, EX_RELU(x))

/* A product's fused activation (NB_ACT_RELU or NB_ACT_GELU) on a vector: the expressions the
 * standalone relu kernel and F.gelu's composed ops evaluate, so fused and eager agree. */
NB_INLINE vf act_apply(vf x, int act) {
  if (act == NB_ACT_RELU) return EX_RELU(x);
  return (x * vset1(0.5f)) * (verf(x * vset1(0.70710677f)) + vset1(1.0f));
}

/* act_apply over rows [0, rows) x columns [0, cols) of p (row stride ld), in place. */
static void act_rows(float *p, intptr_t ld, intptr_t rows, intptr_t cols, int act) {
  for (intptr_t i = 0; i < rows; i++, p += ld) {
    intptr_t j = 0;
    for (; j + NB_VL <= cols; j += NB_VL) vstore(p + j, act_apply(vload(p + j), act));
    if (j < cols)
      vstore_part(p + j, act_apply(vload_part(p + j, (int)(cols - j), 0.0f), act), (int)(cols - j));
  }
}
UNARY_ROW(u_floor, vfloor(x))
UNARY_ROW(u_ceil, vceil(x))
UNARY_ROW(u_round, vrint(x))
/* min(max(x, lo), hi) with NaN passing through and lo > hi giving hi, as PyTorch. */
UNARY_ROW(u_clamp, vsel((vi)(vsel((vi)(x < c->lo), c->lo, x) > c->hi), c->hi,
                        vsel((vi)(x < c->lo), c->lo, x)))

/* Indexed by op code: the rows in nabla.h's list order. */
#define NB_ROW_(N, n) u_##n,
static const row_fn UNARY_ROWS[NB_UNARY_COUNT] = {NB_UNARY_OPS(NB_ROW_)};

/* A copy whose input is transposed in its two innermost dims (it runs contiguously along the
 * output's columns): done in 16 x 16 tiles through a buffer, so that both sides are read and
 * written contiguously. Returns 0 when the walk is not of that shape. */
#define TT 16
static int transpose_copy(const walk_t *w, float *out, const float *x, int tid, int nt) {
  int nd = w->ndim;
  if (nd < 2) return 0;
  intptr_t R = w->shape[nd - 2], C = w->shape[nd - 1];
  intptr_t sr = w->strides[1][nd - 2], sc = w->strides[1][nd - 1];
  if (sr != 1 || sc == 1 || C < 4 || R < 4) return 0;
  intptr_t batch = walk_numel(w) / (R * C), tr = (R + TT - 1) / TT, lo, hi;
  nb_share(batch * tr, 1, tid, nt, &lo, &hi);
  float tile[TT][TT];
  for (intptr_t t = lo; t < hi; t++) {
    intptr_t b = t / tr, r0 = t % tr * TT, rn = R - r0 < TT ? R - r0 : TT;
    intptr_t xo = w->offs[1], oo = b * R * C, rest = b;
    for (int d = nd - 3; d >= 0; d--) {
      xo += rest % w->shape[d] * w->strides[1][d];
      rest /= w->shape[d];
    }
    for (intptr_t c0 = 0; c0 < C; c0 += TT) {
      intptr_t cn = C - c0 < TT ? C - c0 : TT;
      for (intptr_t c = 0; c < cn; c++) {
        const float *src = x + xo + (c0 + c) * sc + r0;
        for (intptr_t r = 0; r < rn; r++) tile[c][r] = src[r];
      }
      for (intptr_t r = 0; r < rn; r++) {
        float *dst = out + oo + (r0 + r) * C + c0;
        for (intptr_t c = 0; c < cn; c++) dst[c] = tile[c][r];
      }
    }
  }
  return 1;
}

void NB_FN(unary)(const int32_t *meta, float *out, const float *x, int tid, int nt) {
  walk_t w;
  walk_parse(meta, &w);
  int op = meta[NB_W_OP];
  if (op < 0 || op >= NB_UNARY_COUNT) return;
  if (op == NB_COPY && transpose_copy(&w, out, x, tid, nt)) return;
  const double *dp = NB_META_D(meta);
  unary_ctx c = {out, x, vset1((float)dp[NB_CLAMP_MIN]), vset1((float)dp[NB_CLAMP_MAX])};
  intptr_t lo, hi;
  nb_share(walk_numel(&w), 64, tid, nt, &lo, &hi);
  walk_range(&w, lo, hi, UNARY_ROWS[op], &c);
}

/* ---- binary ---- */

typedef struct {
  void *out;
  const float *a, *b;
} binary_ctx;

/* The loop over a row of n elements for every combination of contiguous / broadcast / strided
 * operands ap and bp (strides sa and sb, in scope); the stride case is chosen once, outside the
 * vector loop (tested per vector, it makes the loop instruction-bound). Also fused.c's loop. */
#define BINARY_LOOP(STORE, STORE_PART)                                                  \
  intptr_t i = 0;                                                                       \
  if (sa == 1 && sb == 1) {                                                             \
    for (; i + NB_VL <= n; i += NB_VL) {                                                \
      vf x = vload(ap + i), y = vload(bp + i);                                          \
      STORE;                                                                            \
    }                                                                                   \
  } else if (sa == 1 && sb == 0) {                                                      \
    vf y = vset1(*bp);                                                                  \
    for (; i + NB_VL <= n; i += NB_VL) {                                                \
      vf x = vload(ap + i);                                                             \
      STORE;                                                                            \
    }                                                                                   \
  } else if (sa == 0 && sb == 1) {                                                      \
    vf x = vset1(*ap);                                                                  \
    for (; i + NB_VL <= n; i += NB_VL) {                                                \
      vf y = vload(bp + i);                                                             \
      STORE;                                                                            \
    }                                                                                   \
  } else {                                                                              \
    for (; i + NB_VL <= n; i += NB_VL) {                                                \
      vf x = ld(ap + i * sa, sa, NB_VL), y = ld(bp + i * sb, sb, NB_VL);                \
      STORE;                                                                            \
    }                                                                                   \
  }                                                                                     \
  if (i < n) {                                                                          \
    int rest = (int)(n - i);                                                            \
    vf x = vload_strided(ap + i * sa, sa, rest, 1.0f);                                  \
    vf y = vload_strided(bp + i * sb, sb, rest, 1.0f);                                  \
    STORE_PART;                                                                         \
  }

#define BINARY_ROW(name, EXPR)                                                                  \
  static void name(const void *vctx, const intptr_t *offs, const intptr_t *inner, intptr_t n) { \
    const binary_ctx *c = (const binary_ctx *)vctx;                                             \
    float *o = (float *)c->out + offs[0];                                                       \
    const float *ap = c->a + offs[1], *bp = c->b + offs[2];                                     \
    intptr_t sa = inner[1], sb = inner[2];                                                      \
    BINARY_LOOP(vstore(o + i, (EXPR)), vstore_part(o + i, (EXPR), rest))                        \
  }

/* maximum/minimum: NaN if either is NaN; max(-0, +0) = +0 and min(-0, +0) = -0. */
NB_INLINE vf vmaximum(vf x, vf y) {
  vf r = vsel((vi)(x > y), x, y);
  r = vsel((vi)(x == y), (vf)((vi)x & (vi)y), r);
  return vsel(visnan(x) | visnan(y), x + y, r);
}
NB_INLINE vf vminimum(vf x, vf y) {
  vf r = vsel((vi)(x < y), x, y);
  r = vsel((vi)(x == y), (vf)((vi)x | (vi)y), r);
  return vsel(visnan(x) | visnan(y), x + y, r);
}

#define EX_ADD(x, y) ((x) + (y))
#define EX_SUB(x, y) ((x) - (y))
#define EX_MUL(x, y) ((x) * (y))
#define EX_DIV(x, y) ((x) / (y))

BINARY_ROW(b_add, EX_ADD(x, y))
BINARY_ROW(b_sub, EX_SUB(x, y))
BINARY_ROW(b_mul, EX_MUL(x, y))
BINARY_ROW(b_div, EX_DIV(x, y))
BINARY_ROW(b_maximum, vmaximum(x, y))
BINARY_ROW(b_minimum, vminimum(x, y))
/* relu's gradient x = g where y = relu's output > 0, else 0: y <= 0 ? 0 : g (a NaN y passes g, as
 * PyTorch's threshold_backward), one pass instead of le's mask and where's select. */
BINARY_ROW(b_reluBackward, vsel((vi)(y <= vset1(0.0f)), vset1(0.0f), x))

#define NB_BROW_(N, n) b_##n,
static const row_fn BINARY_ROWS[NB_BINARY_COUNT] = {NB_BINARY_OPS(NB_BROW_)};

static void run_walk(const int32_t *meta, const row_fn *table, int count, const void *ctx,
                     int tid, int nt) {
  walk_t w;
  walk_parse(meta, &w);
  int op = meta[NB_W_OP];
  if (op < 0 || op >= count) return;
  intptr_t lo, hi;
  nb_share(walk_numel(&w), 64, tid, nt, &lo, &hi);
  walk_range(&w, lo, hi, table[op], ctx);
}

void NB_FN(binary)(const int32_t *meta, float *out, const float *a, const float *b, int tid,
                   int nt) {
  binary_ctx c = {out, a, b};
  run_walk(meta, BINARY_ROWS, NB_BINARY_COUNT, &c, tid, nt);
}

/* ---- comparisons: 0/1 bytes ---- */

NB_INLINE void store_mask(uint8_t *o, vi m, int n) {
#if NB_VL == 8 && defined(__AVX2__)
  /* as vload_bytes: GCC narrows lane by lane (le ran at 13x its AVX-512 time) */
  __m256i v = (__m256i)(m & vset1i(1));
  __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  __m128i packed = _mm_packus_epi16(w, w);
  vb bytes;
  __builtin_memcpy(&bytes, &packed, NB_VL);
#else
  vb bytes = __builtin_convertvector(m & vset1i(1), vb);
#endif
  if (n == NB_VL) {
    *(vb_u *)o = bytes;
  } else {
    for (int i = 0; i < n; i++) o[i] = bytes[i];
  }
}

#define COMPARE_ROW(name, EXPR)                                                                 \
  static void name(const void *vctx, const intptr_t *offs, const intptr_t *inner, intptr_t n) { \
    const binary_ctx *c = (const binary_ctx *)vctx;                                             \
    uint8_t *o = (uint8_t *)c->out + offs[0];                                                   \
    const float *ap = c->a + offs[1], *bp = c->b + offs[2];                                     \
    intptr_t sa = inner[1], sb = inner[2];                                                      \
    BINARY_LOOP(store_mask(o + i, (vi)(EXPR), NB_VL), store_mask(o + i, (vi)(EXPR), rest))      \
  }

COMPARE_ROW(c_eq, x == y)
COMPARE_ROW(c_ne, x != y)
COMPARE_ROW(c_lt, x < y)
COMPARE_ROW(c_le, x <= y)
COMPARE_ROW(c_gt, x > y)
COMPARE_ROW(c_ge, x >= y)

#define NB_CROW_(N, n) c_##n,
static const row_fn COMPARE_ROWS[NB_COMPARE_COUNT] = {NB_COMPARE_OPS(NB_CROW_)};

void NB_FN(compare)(const int32_t *meta, uint8_t *out, const float *a, const float *b, int tid,
                    int nt) {
  binary_ctx c = {out, a, b};
  run_walk(meta, COMPARE_ROWS, NB_COMPARE_COUNT, &c, tid, nt);
}

/* ---- where(c, a, b) with a uint8 condition ---- */

typedef struct {
  float *out;
  const uint8_t *c;
  const float *a, *b;
} where_ctx;

/* A contiguous condition with contiguous or broadcast (stride 0) values: the loop the MLP's ReLU
 * backward runs, without the per-vector stride tests (4.7x the time of a multiply before). */
static void where_dense(float *o, const uint8_t *cp, const float *ap, intptr_t sa,
                        const float *bp, intptr_t sb, intptr_t n) {
  vf a0 = vset1(*ap), b0 = vset1(*bp);
  intptr_t i = 0;
  for (; i + NB_VL <= n; i += NB_VL) {
    vi cv = vload_bytes(cp + i);
    vf x = sa ? vload(ap + i) : a0;
    vf y = sb ? vload(bp + i) : b0;
    vstore(o + i, vsel((vi)(cv != vset1i(0)), x, y));
  }
  for (; i < n; i++) o[i] = cp[i] ? ap[i * sa] : bp[i * sb];
}

static void where_row(const void *vctx, const intptr_t *offs, const intptr_t *inner,
                      intptr_t n) {
  const where_ctx *c = (const where_ctx *)vctx;
  float *o = c->out + offs[0];
  const uint8_t *cp = c->c + offs[1];
  const float *ap = c->a + offs[2], *bp = c->b + offs[3];
  intptr_t sc = inner[1], sa = inner[2], sb = inner[3];
  if (sc == 1 && (sa == 0 || sa == 1) && (sb == 0 || sb == 1)) {
    where_dense(o, cp, ap, sa, bp, sb, n);
    return;
  }
  for (intptr_t i = 0; i < n; i += NB_VL) {
    int m = n - i < NB_VL ? (int)(n - i) : NB_VL;
    vi cv = vset1i(0);
    if (sc == 1 && m == NB_VL) {
      cv = vload_bytes(cp + i);
    } else {
      for (int j = 0; j < m; j++) cv[j] = cp[(i + j) * sc];
    }
    vf x = ld(ap + i * sa, sa, m), y = ld(bp + i * sb, sb, m);
    vf r = vsel((vi)(cv != vset1i(0)), x, y);
    if (m == NB_VL)
      vstore(o + i, r);
    else
      vstore_part(o + i, r, m);
  }
}

void NB_FN(where)(const int32_t *meta, float *out, const uint8_t *cond, const float *a,
                  const float *b, int tid, int nt) {
  walk_t w;
  walk_parse(meta, &w);
  where_ctx c = {out, cond, a, b};
  intptr_t lo, hi;
  nb_share(walk_numel(&w), 64, tid, nt, &lo, &hi);
  walk_range(&w, lo, hi, where_row, &c);
}
