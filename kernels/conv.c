/* 2-d convolution over float32 NCHW images, groups = 1: im2col of a block of columns into a
 * workspace that stays in cache, never the whole [N, C*kh*kw, L] column tensor, then products read
 * straight from it (no packing: measured 1.2-2x faster than the packed GEMM at the bench's CNN
 * shapes, whose K = 9 and 144 leave packing most of the work).
 *
 * The work is cut into units (image n, a block of output positions; the block's K x LB columns
 * stay in L2). conv2d: out[n][:, block] = bias + W . cols(block), a share is a range of units.
 * conv2d_wgrad: the weight's gradient dW = sum over units of dY[n][:, block] . cols(block)^T, as
 * lane-wise dot products along the block (or GEMMs when their vector sums would not fit); the
 * units are grouped
 * into at most NB_CV_CHUNKS chunks by a rule that depends on the shape only, each chunk sums its
 * units in order into its own partial (a share is a range of chunks), and conv2d_wgrad_sum adds the
 * partials in chunk order (a share is a range of dW's elements): the same sums in the same order
 * for any thread count.
 *
 * 3x3 stride-1 'same' convolutions with 16+ channels take Winograd F(2,3) instead (the wino_*
 * section): the forward, the input gradient (a forward convolution of dY, wino_dgrad) and, where
 * the dot products would not fit, the weight gradient, whose chunks are then ranges of images. */
#include "internal.h"

/* The most chunks the weight gradient's units are grouped into (its partial sums). */
#define NB_CV_CHUNKS 16

/* The geometry: the window meta (NB_U_*) of the input image, plus O and the operands' offsets. */
typedef struct {
  win_t w;
  intptr_t O, K, L, LB, blocks, units, chunks, woff, boff, bias, goff;
  int act; /* the forward's activation (NB_ACT_*), applied as its output is stored */
} conv_t;

/* K, L and the column blocks, from the window and O. */
static void conv_blocks(conv_t *c) {
  c->K = c->w.C * c->w.kh * c->w.kw;
  c->L = c->w.oH * c->w.oW;
  /* blocks of at most 64K / K columns (the block stays in L2), 64 to 1024, cut evenly */
  intptr_t most = c->K > 0 ? 65536 / c->K : 1024;
  most = most < 64 ? 64 : most > 1024 ? 1024 : most;
  c->blocks = (c->L + most - 1) / most;
  c->LB = c->blocks == 0 ? 0 : (c->L + c->blocks - 1) / c->blocks;
  c->units = c->w.N * c->blocks;
  c->chunks = c->units < NB_CV_CHUNKS ? c->units : NB_CV_CHUNKS;
}

static void conv_parse(const int32_t *m, conv_t *c) {
  win_parse(m, &c->w);
  c->O = m[NB_CV_O];
  c->woff = m[NB_CV_WOFF];
  c->boff = m[NB_CV_BOFF];
  c->bias = m[NB_CV_BIAS];
  c->goff = m[NB_CV_GOFF];
  c->act = m[NB_CV_ACT];
  conv_blocks(c);
}

/* Above this many floats of vector accumulators (O * K * NB_VL) the weight gradient runs as GEMMs
 * with one horizontal sum per product instead: every unit reads and writes all the accumulators,
 * so they must stay in L2 (512 KiB). At 32 -> 64 channels, 3x3 (1.2 MB of them on AVX-512) the
 * GEMMs ran 69 GFLOP/s a thread against 58 for the dots. */
#define WG_VACC_MAX (128 << 10)

static int wgrad_by_dots(const conv_t *c) { return c->O * c->K * NB_VL <= WG_VACC_MAX; }

/* The flat path of im2col_block / col2im_block (stride 1, output as wide as the input): tap row
 * j of a block starting at l0 is plane[l0 + j + shift]. [*a, *b): the j whose index is inside
 * the plane. */
static intptr_t flat_range(const win_t *w, intptr_t ki, intptr_t col, intptr_t l0, intptr_t lb,
                           intptr_t *a, intptr_t *b) {
  intptr_t shift = (ki * w->dh - w->ph) * w->W + col, size = w->H * w->W;
  intptr_t lo = -shift - l0, hi = size - shift - l0;
  *a = lo < 0 ? 0 : lo > lb ? lb : lo;
  *b = hi < *a ? *a : hi > lb ? lb : hi;
  return shift;
}

/* Zeros d's positions whose tap is off the image's left or right edge (output columns outside
 * [lo, hi)): in flat indexing they would land on a neighbouring row. */
static void zero_off_edges(const win_t *w, intptr_t l0, intptr_t lb, intptr_t lo, intptr_t hi,
                           float *d) {
  if (lo <= 0 && hi >= w->oW) return;
  intptr_t ow = l0 % w->oW;
  for (intptr_t q = 0; q < lb;) {
    intptr_t end = w->oW - ow < lb - q ? w->oW : ow + (lb - q);
    float *r = d + q - ow;
    for (intptr_t e = ow; e < (lo < end ? lo : end); e++) r[e] = 0;
    for (intptr_t e = hi > ow ? hi : ow; e < end; e++) r[e] = 0;
    q += end - ow;
    ow = 0;
  }
}

/* cols(block) of image n: [K, lb] (row stride ld, zeros from lb to ld), zero padded; columns
 * [l0, l0 + lb). Along an
 * output row, the positions whose tap lands inside the image are a range (valid_range), copied
 * with vector loads when the taps are adjacent. */
static void im2col_block(const conv_t *c, const float *x, intptr_t n, intptr_t l0, intptr_t lb,
                         intptr_t ld, float *restrict dst) {
  const win_t *w = &c->w;
  const float *img = x + w->off + n * w->s0;
  const intptr_t step = w->sw * w->s3;
  /* stride 1 over contiguous planes with the output as wide as the input ('same' padding): a
   * tap's row of cols is the plane shifted by one offset, so one flat copy, then zeros where the
   * tap falls off the left or right edge */
  const int flat = w->sh == 1 && w->sw == 1 && w->s3 == 1 && w->s2 == w->W && w->oW == w->W;
  for (intptr_t r = 0; r < c->K; r++, dst += ld) {
    intptr_t kj = r % w->kw, ki = r / w->kw % w->kh, ch = r / (w->kw * w->kh);
    const float *plane = img + ch * w->s1;
    intptr_t col = kj * w->dw - w->pw, lo, hi;
    valid_range(w->oW, w->W, col, w->sw, &lo, &hi);
    for (intptr_t j = lb; j < ld; j++) dst[j] = 0;
    if (flat) {
      intptr_t a, b, shift = flat_range(w, ki, col, l0, lb, &a, &b);
      intptr_t j = 0;
      for (; j < a; j++) dst[j] = 0;
      const float *src = plane + l0 + shift;
      for (; j + NB_VL <= b; j += NB_VL) vstore(dst + j, vload(src + j));
      for (; j < b; j++) dst[j] = src[j];
      for (; j < lb; j++) dst[j] = 0;
      zero_off_edges(w, l0, lb, lo, hi, dst);
      continue;
    }
    intptr_t oh = l0 / w->oW, ow = l0 % w->oW;
    for (intptr_t j = 0; j < lb; oh++) {
      /* output row oh, positions [ow, end) at dst[j...] */
      intptr_t end = w->oW - ow < lb - j ? w->oW : ow + (lb - j);
      float *d = dst + j - ow;
      intptr_t ih = oh * w->sh - w->ph + ki * w->dh;
      if (ih < 0 || ih >= w->H) {
        for (intptr_t q = ow; q < end; q++) d[q] = 0;
      } else {
        intptr_t a = lo > ow ? lo : ow, b = hi < end ? hi : end;
        if (b < a) b = a;
        for (intptr_t q = ow; q < a; q++) d[q] = 0;
        const float *src = plane + ih * w->s2 + (a * w->sw + col) * w->s3;
        intptr_t q = a;
        if (step == 1)
          for (; q + NB_VL <= b; q += NB_VL, src += NB_VL) vstore(d + q, vload(src));
        for (; q < b; q++, src += step) d[q] = *src;
        for (q = b; q < end; q++) d[q] = 0;
      }
      j += end - ow;
      ow = 0;
    }
  }
}

static int wino_applies(const conv_t *c);
static size_t wino_ws(const conv_t *c);
static int wino_dgrad(const conv_t *c, conv_t *t);
static int wino_wgrad(const conv_t *c, conv_t *t);
static size_t wino_wgrad_ws(const conv_t *c);

size_t NB_FN(conv_ws)(const int32_t *meta) {
  conv_t c;
  conv_parse(meta, &c);
  /* the column block (rows padded to a multiple of 16), then conv2d_wgrad's space: dY's block
   * and the vector sums (wgrad_by_dots), or the GEMM's packing (dW = dY . cols^T) */
  int32_t g[NB_G_BSHAPE] = {0};
  g[NB_G_M] = (int32_t)c.O;
  g[NB_G_N] = (int32_t)c.K;
  g[NB_G_K] = (int32_t)c.LB;
  intptr_t ld = (c.LB + 15) / 16 * 16;
  size_t gemm = NB_FN(sgemm_ws)(g), dots = (size_t)(c.O * ld + c.O * c.K * NB_VL);
  /* conv2d_dgrad: dY's block and dcols, (O + K) x ld: within the above */
  size_t direct = (size_t)((c.K * ld + 15) / 16 * 16) + (gemm > dots ? gemm : dots);
  size_t wino = wino_applies(&c) ? wino_ws(&c) : 0;
  conv_t t; /* conv2d_dgrad by Winograd: the rotated weights, then the transposed conv's space */
  size_t dgrad = wino_dgrad(&c, &t) ? (size_t)((9 * c.O * c.w.C + 15) / 16 * 16) + wino_ws(&t) : 0;
  if (wino < dgrad) wino = dgrad;
  size_t wgrad = wino_wgrad(&c, &t) ? wino_wgrad_ws(&c) : 0;
  if (wino < wgrad) wino = wgrad;
  return direct > wino ? direct : wino;
}

/* The direct forward's tiles: FW_TO output channels x FW_TV vectors of positions. */
#if NB_VL == 16
#define FW_TO 4
#define FW_TV 4
#else
#define FW_TO 4
#define FW_TV 2
#endif

/* out[o + i][l] (row stride ldo) = bias + sum over t of A(o + i, t) * cols[t][l] for l in
 * [l, l + NT * NB_VL) (the first `keep` of those positions stored: the rest are past the block);
 * A(r, t) = wt[r * sr + t * st]. */
NB_INLINE void fwd_tile(const int NO, const int NT, intptr_t o, intptr_t l, intptr_t K,
                        const float *wt, intptr_t sr, intptr_t st, const float *cols,
                        intptr_t ldc, const float *bias, float *out, intptr_t ldo,
                        intptr_t keep) {
  vf acc[FW_TO][FW_TV];
  for (int i = 0; i < NO; i++)
    for (int j = 0; j < NT; j++) acc[i][j] = vset1(bias ? bias[o + i] : 0.0f);
  for (intptr_t t = 0; t < K; t++) {
    vf x[FW_TV];
    for (int j = 0; j < NT; j++) x[j] = vload(cols + t * ldc + l + j * NB_VL);
    for (int i = 0; i < NO; i++) {
      vf a = vset1(wt[(o + i) * sr + t * st]);
      for (int j = 0; j < NT; j++) acc[i][j] = vfma(a, x[j], acc[i][j]);
    }
  }
  for (int i = 0; i < NO; i++)
    for (int j = 0; j < NT; j++) {
      float *d = out + (o + i) * ldo + l + j * NB_VL;
      intptr_t room = keep - j * NB_VL;
      if (room >= NB_VL)
        vstore(d, acc[i][j]);
      else if (room > 0)
        vstore_part(d, acc[i][j], (int)room);
    }
}

/* out (O x lb, row stride ldo) = bias + A (O x K; A(r, t) = wt[r * sr + t * st]) . cols (K x lb,
 * row stride ldc, zero padded to a multiple of NB_VL), without the GEMM's packing: A's values
 * broadcast, cols read in place. Each output is bias + the K products in order. */
static void conv_direct(intptr_t O, intptr_t K, intptr_t lb, intptr_t ldc, const float *wt,
                        intptr_t sr, intptr_t st, const float *cols, const float *bias,
                        float *out, intptr_t ldo) {
  const intptr_t span = FW_TV * NB_VL;
  for (intptr_t l = 0; l < lb; l += span) {
    intptr_t keep = lb - l;
    intptr_t o = 0;
    if (keep >= span || ldc - l >= span) {
      for (; o + FW_TO <= O; o += FW_TO)
        fwd_tile(FW_TO, FW_TV, o, l, K, wt, sr, st, cols, ldc, bias, out, ldo, keep);
      for (; o < O; o++) fwd_tile(1, FW_TV, o, l, K, wt, sr, st, cols, ldc, bias, out, ldo, keep);
    } else {
      /* the last positions, fewer than a tile's vectors (cols is padded to whole vectors): as
       * many vectors as remain, still FW_TO channels at a time (one accumulator alone waits on
       * each FMA's latency: this tail took a fifth of the forward at L = 196) */
      intptr_t nv = (keep + NB_VL - 1) / NB_VL;
#define NB_FW_TAIL(NO)                                                             \
  if (nv == 1)                                                                     \
    fwd_tile(NO, 1, o, l, K, wt, sr, st, cols, ldc, bias, out, ldo, keep);         \
  else if (nv == 2)                                                                \
    fwd_tile(NO, 2, o, l, K, wt, sr, st, cols, ldc, bias, out, ldo, keep);         \
  else                                                                             \
    fwd_tile(NO, FW_TV - 1, o, l, K, wt, sr, st, cols, ldc, bias, out, ldo, keep);
      for (; o + FW_TO <= O; o += FW_TO) {
        NB_FW_TAIL(FW_TO)
      }
      for (; o < O; o++) {
        NB_FW_TAIL(1)
      }
#undef NB_FW_TAIL
    }
  }
}

/* One unit of the direct forward: image n's positions [l0, l0 + LB) through the column block
 * `cols` (K x ld), then the activation. */
static void direct_unit(const conv_t *c, const float *x, const float *wt, const float *b,
                        float *out, intptr_t n, intptr_t l0, float *cols) {
  intptr_t ld = (c->LB + 15) / 16 * 16, lb = c->L - l0 < c->LB ? c->L - l0 : c->LB;
  float *o = out + n * c->O * c->L + l0;
  im2col_block(c, x, n, l0, lb, ld, cols);
  conv_direct(c->O, c->K, lb, ld, wt, c->K, 1, cols, b, o, c->L);
  if (c->act) act_rows(o, c->L, c->O, lb, c->act); /* the block is still in L2 */
}

/* ---- Winograd F(2,3): 3x3, stride 1, 'same' padding, C >= WG_MIN_C ----
 * Each 2x2 output tile comes from a 4x4 input tile d: Y = A^T [(G g G^T) . (B^T d B)] A, so the
 * 36 multiplies of a tile per (output, input) channel pair become 16 (the 16 elementwise products
 * are 16 matrix products U_xi (O x C) . V_xi (C x tiles), run by conv_direct). Tiles are taken
 * in blocks of WG_TILES across the images of a share; every tile is computed the same way
 * whatever block it falls in, so results do not depend on the thread count. An image with a
 * non-finite input takes the direct path: the transforms subtract neighbouring inputs, and
 * inf - inf would make NaN where the direct sum gives +-inf. */
#define WG_MIN_C 16
#define WG_TILES 192
/* Padding after each of the 16 planes of V and M (floats): without it the 16 values of a tile lie
 * a multiple of 4 KiB apart and share one set of the L1 cache. */
#define WG_PAD 16
/* The distance between two of the 16 planes of V (C x WG_TILES each) and of M (4 x WG_TILES). */
#define WG_VPLANE(C) ((C) * WG_TILES + WG_PAD)
#define WG_MPLANE (4 * WG_TILES + WG_PAD)

static int wino_applies(const conv_t *c) {
  const win_t *w = &c->w;
  return w->kh == 3 && w->kw == 3 && w->sh == 1 && w->sw == 1 && w->dh == 1 && w->dw == 1 &&
         w->ph == 1 && w->pw == 1 && w->oH == w->H && w->oW == w->W && w->C >= WG_MIN_C;
}

/* U[(xi * O + o) * C + c] = (G g G^T)[xi] for the weight g of (o, c). */
static void wino_weights(const conv_t *c, const float *wt, float *U) {
  intptr_t O = c->O, C = c->w.C;
  for (intptr_t o = 0; o < O; o++)
    for (intptr_t ch = 0; ch < C; ch++) {
      const float *g = wt + (o * C + ch) * 9;
      float t[4][3];
      for (int j = 0; j < 3; j++) {
        float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
        t[0][j] = g0;
        t[1][j] = 0.5f * (g0 + g1 + g2);
        t[2][j] = 0.5f * (g0 - g1 + g2);
        t[3][j] = g2;
      }
      for (int i = 0; i < 4; i++) {
        float a = t[i][0], b = t[i][1], d = t[i][2];
        float *u = U + ((intptr_t)(i * 4) * O + o) * C + ch;
        u[0] = a;
        u[O * C] = 0.5f * (a + b + d);
        u[2 * O * C] = 0.5f * (a - b + d);
        u[3 * O * C] = d;
      }
    }
}

/* Whether every input of image n is finite (x * 0 is 0 for a finite x, NaN otherwise). Rows run
 * together where the image is contiguous: its rows are often shorter than a vector. */
static int wino_finite(const conv_t *c, const float *x, intptr_t n) {
  const win_t *w = &c->w;
  const float *img = x + w->off + n * w->s0;
  int flat = w->s3 == 1 && w->s2 == w->W && w->s1 == w->H * w->W;
  intptr_t rows = flat ? 1 : w->C * w->H, len = flat ? w->C * w->H * w->W : w->W;
  vf acc[4] = {vset1(0.0f), vset1(0.0f), vset1(0.0f), vset1(0.0f)};
  float rest = 0.0f;
  for (intptr_t r = 0; r < rows; r++) {
    const float *row = img + r / w->H * w->s1 + r % w->H * w->s2;
    intptr_t q = 0;
    if (w->s3 == 1) {
      for (; q + 4 * NB_VL <= len; q += 4 * NB_VL)
        for (int u = 0; u < 4; u++) acc[u] += vload(row + q + u * NB_VL) * vset1(0.0f);
      for (; q + NB_VL <= len; q += NB_VL) acc[0] += vload(row + q) * vset1(0.0f);
    }
    for (; q < len; q++) rest += row[q * w->s3] * 0.0f;
  }
  vf all = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (int l = 0; l < NB_VL; l++) rest += all[l];
  return rest == 0.0f;
}

/* The tiles from k on that are consecutive along one tile row (of one image) in the block's
 * first nk tiles, for an image W wide. */
static intptr_t wino_run(const intptr_t *cols, intptr_t k, intptr_t nk, intptr_t W) {
  intptr_t nr = (W + 1) / 2 - cols[k] / 2;
  return nr < nk - k ? nr : nk - k;
}

/* Zeros tiles nk ... WG_TILES - 1 of the n rows of each of the 16 planes (plane stride ps). */
static void wino_zero_tail(float *P, intptr_t ps, intptr_t n, intptr_t nk) {
  for (int xi = 0; xi < 16; xi++)
    for (intptr_t r = 0; r < n; r++)
      for (intptr_t k = nk; k < WG_TILES; k++) P[xi * ps + r * WG_TILES + k] = 0;
}

/* Columns q ... q + NB_VL - 1 of row r of an input plane, zero outside the image. */
NB_INLINE vf wino_row(const win_t *w, const float *plane, intptr_t r, intptr_t q) {
  if (r < 0 || r >= w->H) return vset1(0.0f);
  if (w->s3 == 1) return vload_inside(plane + r * w->s2, q, w->W);
  vf v = vset1(0.0f);
  for (int l = 0; l < NB_VL; l++)
    if (q + l >= 0 && q + l < w->W) v[l] = plane[r * w->s2 + (q + l) * w->s3];
  return v;
}

#if NB_VL >= 8
/* The input transform of NB_VL tiles of a run (or the run's last, fewer): row i of t = B^T d
 * over the columns q ... q + NVEC NB_VL - 1 of the 4 input rows from r0 (zero outside the image),
 * where NVEC vectors cover the columns that those tiles read; then each of the 4 columns of a tile
 * from t's even and odd lanes. v: the first tile's place in V's first plane. */
NB_INLINE void wino_input_tiles(const int NVEC, const win_t *w, const float *plane, intptr_t r0,
                                intptr_t q, float *v, intptr_t xs, intptr_t keep) {
  vf d[4][3], t[4][3];
  for (int i = 0; i < 4; i++)
    for (int m = 0; m < NVEC; m++) d[i][m] = wino_row(w, plane, r0 + i, q + m * NB_VL);
  for (int m = 0; m < NVEC; m++) {
    t[0][m] = d[0][m] - d[2][m];
    t[1][m] = d[1][m] + d[2][m];
    t[2][m] = d[2][m] - d[1][m];
    t[3][m] = d[1][m] - d[3][m];
  }
  for (int m = NVEC; m < 3; m++)
    for (int i = 0; i < 4; i++) t[i][m] = vset1(0.0f);
  for (int i = 0; i < 4; i++) {
    vf a2 = vnext2(t[i][0], t[i][1]), b2 = vnext2(t[i][1], t[i][2]);
    vf c0 = vevens(t[i][0], t[i][1]), c1 = vodds(t[i][0], t[i][1]);
    vf c2 = vevens(a2, b2), c3 = vodds(a2, b2);
    vf e[4] = {c0 - c2, c1 + c2, c2 - c1, c1 - c3};
    for (int jj = 0; jj < 4; jj++) {
      float *dst = v + (4 * i + jj) * xs;
      if (keep == NB_VL)
        vstore(dst, e[jj]);
      else
        vstore_part(dst, e[jj], (int)keep);
    }
  }
}

/* V[xi * WG_VPLANE(C) + c * WG_TILES + k] = (B^T d B)[xi] for the k-th tile of the block (image
 * imgs[k], its top-left output at rows[k], cols[k]); the tiles from nk to WG_TILES are zero.
 * The block's tiles come in runs along a tile row (consecutive tiles of one image and row), taken
 * NB_VL at a time (wino_input_tiles): a tile's 4 columns of t are t's columns 2j ... 2j + 3 from
 * the run's first, the even and odd lanes of t and of t two columns on. The sums are those of the
 * 4x4 form, in the same order. */
static void wino_inputs(const conv_t *c, const float *x, const intptr_t *imgs,
                        const intptr_t *rows, const intptr_t *cols, intptr_t nk, float *V) {
  const win_t *w = &c->w;
  intptr_t C = w->C, W = w->W, xs = WG_VPLANE(C);
  for (intptr_t ch = 0; ch < C; ch++)
    for (intptr_t k = 0, nr; k < nk; k += nr) {
      intptr_t tc = cols[k] / 2;
      nr = wino_run(cols, k, nk, W);
      const float *plane = x + w->off + imgs[k] * w->s0 + ch * w->s1;
      for (intptr_t j = 0; j < nr; j += NB_VL) {
        /* tiles j ... read the columns q ... q + 2 n + 1 (n of them); stores past the run land on
         * tiles written later (or zeroed below) */
        intptr_t n = nr - j < NB_VL ? nr - j : NB_VL, q = 2 * (tc + j) - 1;
        intptr_t keep = WG_TILES - (k + j) < NB_VL ? WG_TILES - (k + j) : NB_VL;
        float *v = V + ch * WG_TILES + k + j;
        if (2 * n + 2 <= NB_VL)
          wino_input_tiles(1, w, plane, rows[k] - 1, q, v, xs, keep);
        else if (2 * n + 2 <= 2 * NB_VL)
          wino_input_tiles(2, w, plane, rows[k] - 1, q, v, xs, keep);
        else
          wino_input_tiles(3, w, plane, rows[k] - 1, q, v, xs, keep);
      }
    }
  wino_zero_tail(V, xs, C, nk);
}
#else
/* 4-lane builds transform a tile at a time: in the wasm build the version along tile rows above
 * (4 tiles a vector, lanes filled one at a time at the image's edges) measured half as fast. */
/* V[xi * WG_VPLANE(C) + c * WG_TILES + k] = (B^T d B)[xi] for the k-th tile of the block (image
 * imgs[k], its top-left output at rows[k], cols[k]); the tiles from nk to WG_TILES are zero. */
static void wino_inputs(const conv_t *c, const float *x, const intptr_t *imgs,
                        const intptr_t *rows, const intptr_t *cols, intptr_t nk, float *V) {
  const win_t *w = &c->w;
  intptr_t C = w->C, H = w->H, W = w->W, s2 = w->s2, s3 = w->s3, xs = WG_VPLANE(C);
  for (intptr_t ch = 0; ch < C; ch++) {
    float *v = V + ch * WG_TILES;
    for (intptr_t k = 0; k < nk; k++) {
      intptr_t r0 = rows[k] - 1, q0 = cols[k] - 1;
      const float *plane = x + w->off + imgs[k] * w->s0 + ch * w->s1;
      float d[4][4], t[4][4];
      if (r0 >= 0 && r0 + 4 <= H && q0 >= 0 && q0 + 4 <= W) {
        const float *p = plane + r0 * s2 + q0 * s3;
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++) d[i][j] = p[i * s2 + j * s3];
      } else {
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++) {
            intptr_t r = r0 + i, q = q0 + j;
            d[i][j] = r >= 0 && r < H && q >= 0 && q < W ? plane[r * s2 + q * s3] : 0.0f;
          }
      }
      for (int j = 0; j < 4; j++) {
        t[0][j] = d[0][j] - d[2][j];
        t[1][j] = d[1][j] + d[2][j];
        t[2][j] = d[2][j] - d[1][j];
        t[3][j] = d[1][j] - d[3][j];
      }
      for (int i = 0; i < 4; i++) {
        v[(4 * i + 0) * xs + k] = t[i][0] - t[i][2];
        v[(4 * i + 1) * xs + k] = t[i][1] + t[i][2];
        v[(4 * i + 2) * xs + k] = t[i][2] - t[i][1];
        v[(4 * i + 3) * xs + k] = t[i][1] - t[i][3];
      }
    }
  }
  wino_zero_tail(V, xs, C, nk);
}
#endif

/* The block's outputs: for output channels [o0, o0 + no), the 16 products into M, then
 * Y = act(A^T M A (+ bias)), NB_VL tiles at a time, written where it lies inside the image. */
static void wino_outputs(const conv_t *c, const float *U, const float *V, const intptr_t *imgs,
                         const intptr_t *rows, const intptr_t *cols, intptr_t nk,
                         const float *bias, float *out, float *M) {
  const win_t *w = &c->w;
  intptr_t O = c->O, C = w->C, L = c->L, W = w->W, H = w->H, TB = WG_TILES;
  for (intptr_t o0 = 0; o0 < O; o0 += 4) {
    intptr_t no = O - o0 < 4 ? O - o0 : 4;
    for (int xi = 0; xi < 16; xi++)
      conv_direct(no, C, nk, TB, U + (xi * O + o0) * C, C, 1, V + xi * WG_VPLANE(C), NULL,
                  M + xi * WG_MPLANE, TB);
    for (intptr_t i = 0; i < no; i++) {
      vf b = vset1(bias ? bias[o0 + i] : 0.0f);
      for (intptr_t k = 0; k < nk; k += NB_VL) {
        vf m[16], t[2][4];
        for (int e = 0; e < 16; e++) m[e] = vload(M + e * WG_MPLANE + i * TB + k);
        for (int j = 0; j < 4; j++) {
          t[0][j] = m[j] + m[4 + j] + m[8 + j];
          t[1][j] = m[4 + j] - m[8 + j] - m[12 + j];
        }
        float y[4][NB_VL];
        vf r[4] = {b + (t[0][0] + t[0][1] + t[0][2]), b + (t[0][1] - t[0][2] - t[0][3]),
                   b + (t[1][0] + t[1][1] + t[1][2]), b + (t[1][1] - t[1][2] - t[1][3])};
        for (int e = 0; e < 4; e++) vstore(y[e], c->act ? act_apply(r[e], c->act) : r[e]);
        intptr_t end = nk - k < NB_VL ? nk - k : NB_VL;
        for (intptr_t l = 0; l < end; l++) {
          intptr_t r = rows[k + l], q = cols[k + l];
          float *o = out + (imgs[k + l] * O + o0 + i) * L + r * W + q;
          int right = q + 1 < W, below = r + 1 < H;
          o[0] = y[0][l];
          if (right) o[1] = y[1][l];
          if (below) {
            o[W] = y[2][l];
            if (right) o[W + 1] = y[3][l];
          }
        }
      }
    }
  }
}

/* The Winograd workspace: U, the block's tile list (room for 3 TB intptr_t), then either V and M
 * or, for an image that takes the direct path, its column block. */
static size_t wino_ws(const conv_t *c) {
  intptr_t O = c->O, C = c->w.C, ld = (c->LB + 15) / 16 * 16;
  intptr_t blocks = 16 * WG_VPLANE(C) + 16 * WG_MPLANE, cols = c->K * ld;
  return (size_t)(16 * O * C + 6 * WG_TILES + (blocks > cols ? blocks : cols) + 64);
}

static void wino_conv2d(const conv_t *c, float *out, const float *x, const float *wt,
                        const float *b, float *ws, intptr_t n0, intptr_t n1) {
  intptr_t O = c->O, C = c->w.C, TB = WG_TILES, TW = (c->w.W + 1) / 2, T = ((c->w.H + 1) / 2) * TW;
  float *U = ws;
  intptr_t *imgs = (intptr_t *)(U + 16 * O * C), *rows = imgs + TB, *cols = rows + TB;
  float *V = U + 16 * O * C + 6 * TB, *M = V + 16 * WG_VPLANE(C);
  wino_weights(c, wt, U);
  intptr_t nk = 0;
  for (intptr_t n = n0; n < n1; n++) {
    if (!wino_finite(c, x, n)) { /* the direct path, its column blocks in V's room */
      for (intptr_t l0 = 0; l0 < c->L; l0 += c->LB) direct_unit(c, x, wt, b, out, n, l0, V);
      continue;
    }
    for (intptr_t t = 0; t < T; t++) {
      imgs[nk] = n;
      rows[nk] = t / TW * 2;
      cols[nk] = t % TW * 2;
      if (++nk == TB) {
        wino_inputs(c, x, imgs, rows, cols, nk, V);
        wino_outputs(c, U, V, imgs, rows, cols, nk, b, out, M);
        nk = 0;
      }
    }
  }
  if (nk > 0) {
    wino_inputs(c, x, imgs, rows, cols, nk, V);
    wino_outputs(c, U, V, imgs, rows, cols, nk, b, out, M);
  }
}

void NB_FN(conv2d)(const int32_t *meta, float *out, const float *x, const float *wt,
                   const float *bias, float *ws, int tid, int nt) {
  conv_t c;
  conv_parse(meta, &c);
  const float *b = c.bias ? bias + c.boff : NULL;
  if (wino_applies(&c)) {
    intptr_t n0, n1;
    nb_share(c.w.N, 1, tid, nt, &n0, &n1);
    wino_conv2d(&c, out, x, wt + c.woff, b, ws, n0, n1);
    return;
  }
  intptr_t u0, u1;
  nb_share(c.units, 1, tid, nt, &u0, &u1);
  for (intptr_t u = u0; u < u1; u++)
    direct_unit(&c, x, wt + c.woff, b, out, u / c.blocks, u % c.blocks * c.LB, ws);
}

/* dx[n] += col2im(dcols) for the block [l0, l0 + lb) (dcols: [K, ld]), the adjoint of
 * im2col_block: each tap's value added where it lands inside the image. */
static void col2im_block(const conv_t *c, float *dx, intptr_t n, intptr_t l0, intptr_t lb,
                         intptr_t ld, float *restrict dcols) {
  const win_t *w = &c->w;
  float *img = dx + n * c->w.C * w->H * w->W;
  const int flat = w->sh == 1 && w->sw == 1 && w->oW == w->W;
  for (intptr_t r = 0; r < c->K; r++, dcols += ld) {
    intptr_t kj = r % w->kw, ki = r / w->kw % w->kh, ch = r / (w->kw * w->kh);
    float *plane = img + ch * w->H * w->W;
    intptr_t col = kj * w->dw - w->pw, lo, hi;
    valid_range(w->oW, w->W, col, w->sw, &lo, &hi);
    if (flat) {
      /* as im2col_block's flat copy: positions off the left or right edge are zeroed first,
       * then the block is added to the plane shifted by one offset */
      zero_off_edges(w, l0, lb, lo, hi, dcols);
      intptr_t a, b, shift = flat_range(w, ki, col, l0, lb, &a, &b);
      float *dst = plane + l0 + shift;
      intptr_t j = a;
      for (; j + NB_VL <= b; j += NB_VL) vstore(dst + j, vload(dst + j) + vload(dcols + j));
      for (; j < b; j++) dst[j] += dcols[j];
      continue;
    }
    intptr_t oh = l0 / w->oW, ow = l0 % w->oW;
    for (intptr_t j = 0; j < lb; oh++) {
      intptr_t end = w->oW - ow < lb - j ? w->oW : ow + (lb - j);
      const float *d = dcols + j - ow;
      intptr_t ih = oh * w->sh - w->ph + ki * w->dh;
      if (ih >= 0 && ih < w->H) {
        intptr_t a = lo > ow ? lo : ow, b = hi < end ? hi : end;
        float *row = plane + ih * w->W + col;
        for (intptr_t q = a; q < b; q++) row[q * w->sw] += d[q];
      }
      j += end - ow;
      ow = 0;
    }
  }
}

/* The input gradient of a stride-1 convolution is itself a convolution: dX = conv(dY, W') with
 * W'[c][o] = W[o][c] turned 180 degrees and padding d(k - 1) - p, whose output is as large as X.
 * t: that convolution (input dY, O and C swapped, no bias); 1 when it runs by Winograd. */
static int wino_dgrad(const conv_t *c, conv_t *t) {
  const win_t *w = &c->w;
  if (w->sh != 1 || w->sw != 1) return 0;
  *t = *c;
  t->O = w->C;
  t->w.C = c->O;
  t->w.H = w->oH;
  t->w.W = w->oW;
  t->w.s3 = 1;
  t->w.s2 = w->oW;
  t->w.s1 = w->oH * w->oW;
  t->w.s0 = c->O * t->w.s1;
  t->w.off = c->goff;
  t->w.ph = w->dh * (w->kh - 1) - w->ph;
  t->w.pw = w->dw * (w->kw - 1) - w->pw;
  t->w.oH = w->H;
  t->w.oW = w->W;
  t->woff = t->boff = t->bias = t->goff = 0;
  t->act = NB_ACT_NONE;
  conv_blocks(t);
  return wino_applies(t);
}

/* The weight gradient by Winograd: with M = A dY A^T the 4x4 transform of a 2x2 tile of dY's
 * outputs (zero past the image) and V = B^T d B its input tile's, dU_xi = sum over tiles of
 * M_xi V_xi (16 products of O x tiles by tiles x C, run by the GEMM), and dW = G^T dU G. Under
 * the forward's conditions, with 16+ output channels (t: dY's geometry, as wino_dgrad gives it),
 * where the dot-product path would not fit in L2 (where it fits, Winograd measured 1.8x slower). */
static int wino_wgrad(const conv_t *c, conv_t *t) {
  return wino_applies(c) && !wgrad_by_dots(c) && wino_dgrad(c, t);
}

/* The distance between two of the 16 planes of dY's transform (O x WG_TILES each). */
#define WG_GPLANE(O) ((O) * WG_TILES + WG_PAD)

/* G[xi * WG_GPLANE(O) + o * WG_TILES + k] = (A dY A^T)[xi] for the k-th tile of the block (dY's
 * geometry in t: O channels); the tiles from nk to WG_TILES are zero. As wino_inputs, along runs
 * of a tile row, NB_VL tiles at a time: a tile's 2 columns of a dY row are the even and odd lanes
 * of the row's 2 NB_VL columns from the first tile's. */
static void wino_grad_tiles(const conv_t *t, const float *gy, const intptr_t *imgs,
                            const intptr_t *rows, const intptr_t *cols, intptr_t nk, float *G) {
  const win_t *w = &t->w;
  intptr_t O = w->C, W = w->W, gs = WG_GPLANE(O);
  for (intptr_t o = 0; o < O; o++)
    for (intptr_t k = 0, nr; k < nk; k += nr) {
      intptr_t tc = cols[k] / 2, r = rows[k];
      nr = wino_run(cols, k, nk, W);
      const float *plane = gy + w->off + imgs[k] * w->s0 + o * w->s1;
      for (intptr_t j = 0; j < nr; j += NB_VL) {
        intptr_t q = 2 * (tc + j);
        intptr_t keep = WG_TILES - (k + j) < NB_VL ? WG_TILES - (k + j) : NB_VL;
        vf a0 = wino_row(w, plane, r, q), a1 = wino_row(w, plane, r, q + NB_VL);
        vf b0 = wino_row(w, plane, r + 1, q), b1 = wino_row(w, plane, r + 1, q + NB_VL);
        vf g00 = vevens(a0, a1), g01 = vodds(a0, a1), g10 = vevens(b0, b1), g11 = vodds(b0, b1);
        /* rows of A dY: (g0), (g0 + g1), (g0 - g1), (-g1); then each row the same way */
        vf s[4][2] = {{g00, g01}, {g00 + g10, g01 + g11}, {g00 - g10, g01 - g11}, {-g10, -g11}};
        for (int i = 0; i < 4; i++) {
          vf e[4] = {s[i][0], s[i][0] + s[i][1], s[i][0] - s[i][1], -s[i][1]};
          for (int jj = 0; jj < 4; jj++) {
            float *dst = G + (4 * i + jj) * gs + o * WG_TILES + k + j;
            if (keep == NB_VL)
              vstore(dst, e[jj]);
            else
              vstore_part(dst, e[jj], (int)keep);
          }
        }
      }
    }
  wino_zero_tail(G, gs, O, nk);
}

/* The workspace of a chunk by Winograd: dU, the tile lists, V, dY's transform, the GEMM's
 * packing. */
static size_t wino_wgrad_ws(const conv_t *c) {
  int32_t g[NB_G_BSHAPE] = {0};
  g[NB_G_M] = (int32_t)c->O;
  g[NB_G_N] = (int32_t)c->w.C;
  g[NB_G_K] = WG_TILES;
  return (size_t)(16 * c->O * c->w.C + 6 * WG_TILES + 16 * WG_VPLANE(c->w.C) +
                  16 * WG_GPLANE(c->O)) +
         NB_FN(sgemm_ws)(g) + 64;
}

/* dW's partial over images [n0, n1) by Winograd into dst (O x C x 9); 0 (nothing written) when
 * one of those images has a non-finite input or gradient. */
static int wino_wgrad_chunk(const conv_t *c, const conv_t *t, float *dst, const float *gy,
                            const float *x, intptr_t n0, intptr_t n1, float *ws) {
  for (intptr_t n = n0; n < n1; n++)
    if (!wino_finite(c, x, n) || !wino_finite(t, gy, n)) return 0;
  intptr_t O = c->O, C = c->w.C, TB = WG_TILES, TW = (c->w.W + 1) / 2;
  intptr_t T = ((c->w.H + 1) / 2) * TW;
  float *dU = ws;
  intptr_t *imgs = (intptr_t *)(dU + 16 * O * C), *rows = imgs + TB, *cols = rows + TB;
  float *V = dU + 16 * O * C + 6 * TB, *G = V + 16 * WG_VPLANE(C), *pack = G + 16 * WG_GPLANE(O);
  intptr_t nk = 0;
  int acc = 0;
  for (intptr_t n = n0; n < n1; n++)
    for (intptr_t k = 0; k < T; k++) {
      imgs[nk] = n;
      rows[nk] = k / TW * 2;
      cols[nk] = k % TW * 2;
      if (++nk < TB && !(n == n1 - 1 && k == T - 1)) continue;
      wino_inputs(c, x, imgs, rows, cols, nk, V);
      wino_grad_tiles(t, gy, imgs, rows, cols, nk, G);
      /* dU_xi (O x C) (+)= G_xi (O x nk) . V_xi^T (nk x C) */
      gemm_t gm = {O, C, nk, TB, 1, 1, TB, acc, NULL, NB_ACT_NONE};
      for (int xi = 0; xi < 16; xi++)
        gemm_block(&gm, G + xi * WG_GPLANE(O), V + xi * WG_VPLANE(C), dU + xi * O * C, 0, O, 0,
                   C, pack);
      acc = 1;
      nk = 0;
    }
  /* dW = G^T dU G: G^T u = (u0 + (u1 + u2) / 2, (u1 - u2) / 2, (u1 + u2) / 2 + u3) */
  for (intptr_t o = 0; o < O; o++)
    for (intptr_t ch = 0; ch < C; ch++) {
      float u[16], r[3][4];
      for (int xi = 0; xi < 16; xi++) u[xi] = dU[(xi * O + o) * C + ch];
      for (int j = 0; j < 4; j++) {
        float a = u[j], b = u[4 + j], d = u[8 + j], e = u[12 + j];
        r[0][j] = a + 0.5f * (b + d);
        r[1][j] = 0.5f * (b - d);
        r[2][j] = 0.5f * (b + d) + e;
      }
      float *wd = dst + (o * C + ch) * 9;
      for (int i = 0; i < 3; i++) {
        float a = r[i][0], b = r[i][1], d = r[i][2], e = r[i][3];
        wd[3 * i + 0] = a + 0.5f * (b + d);
        wd[3 * i + 1] = 0.5f * (b - d);
        wd[3 * i + 2] = 0.5f * (b + d) + e;
      }
    }
  return 1;
}

void NB_FN(conv2d_dgrad)(const int32_t *meta, float *dx, const float *gy, const float *wt,
                         float *ws, int tid, int nt) {
  conv_t c, t;
  conv_parse(meta, &c);
  intptr_t n0, n1, plane = c.w.C * c.w.H * c.w.W;
  nb_share(c.w.N, 1, tid, nt, &n0, &n1);
  if (wino_dgrad(&c, &t)) {
    /* W' [C][O][3][3] at the workspace's start, then the transposed conv's space */
    intptr_t O = c.O, C = c.w.C;
    const float *src = wt + c.woff;
    for (intptr_t o = 0; o < O; o++)
      for (intptr_t ch = 0; ch < C; ch++)
        for (int k = 0; k < 9; k++) ws[(ch * O + o) * 9 + k] = src[(o * C + ch) * 9 + 8 - k];
    wino_conv2d(&t, dx, gy, ws, NULL, ws + (9 * O * C + 15) / 16 * 16, n0, n1);
    return;
  }
  intptr_t ld = (c.LB + 15) / 16 * 16;
  for (intptr_t n = n0; n < n1; n++) {
    for (intptr_t i = 0; i < plane; i++) dx[n * plane + i] = 0;
    for (intptr_t l0 = 0; l0 < c.L; l0 += c.LB) {
      intptr_t lb = c.L - l0 < c.LB ? c.L - l0 : c.LB;
      /* dY's block, zero padded to ld, then dcols (K x lb) = W^T . dY[n][:, block] */
      float *g = ws, *dcols = ws + c.O * ld;
      const float *src = gy + c.goff + n * c.O * c.L + l0;
      for (intptr_t o = 0; o < c.O; o++) {
        for (intptr_t j = 0; j < lb; j++) g[o * ld + j] = src[o * c.L + j];
        for (intptr_t j = lb; j < ld; j++) g[o * ld + j] = 0;
      }
      conv_direct(c.K, c.O, lb, ld, wt + c.woff, 1, c.K, g, NULL, dcols, ld);
      col2im_block(&c, dx, n, l0, lb, ld, dcols);
    }
  }
}

size_t NB_FN(conv_partials)(const int32_t *meta) {
  conv_t c;
  conv_parse(meta, &c);
  return (size_t)(c.chunks * c.O * c.K);
}

/* The weight gradient's tiles: WG_TO output channels x WG_TT taps of vector accumulators. */
#if NB_VL == 16
#define WG_TO 4
#define WG_TT 4
#else
#define WG_TO 2
#define WG_TT 4
#endif

/* acc[i][j] (vectors at vacc[(o + i) * K + t + j]) += dY[o + i][l] * cols[t + j][l], lane l % NB_VL,
 * over l < lb (a multiple of NB_VL): no packing, both operands are read along l. */
NB_INLINE void wgrad_tile(const int NO, const int NT, intptr_t o, intptr_t t, intptr_t K,
                          intptr_t lb, const float *gy, intptr_t ldg, const float *cols,
                          intptr_t ldc, vf *vacc) {
  vf acc[WG_TO][WG_TT];
  for (int i = 0; i < NO; i++)
    for (int j = 0; j < NT; j++) acc[i][j] = vacc[(o + i) * K + t + j];
  intptr_t l = 0;
  for (; l + NB_VL <= lb; l += NB_VL) {
    vf g[WG_TO], x[WG_TT];
    for (int i = 0; i < NO; i++) g[i] = vload(gy + (o + i) * ldg + l);
    for (int j = 0; j < NT; j++) x[j] = vload(cols + (t + j) * ldc + l);
    for (int i = 0; i < NO; i++)
      for (int j = 0; j < NT; j++) acc[i][j] = vfma(g[i], x[j], acc[i][j]);
  }
  for (int i = 0; i < NO; i++)
    for (int j = 0; j < NT; j++) vacc[(o + i) * K + t + j] = acc[i][j];
}

/* vacc[o * K + t] += dY[o][0:lb] * cols[t][0:lb], lane-wise (lb a multiple of NB_VL). */
static void wgrad_dots(intptr_t O, intptr_t K, intptr_t lb, const float *gy, intptr_t ldg,
                       const float *cols, intptr_t ldc, vf *vacc) {
  intptr_t o = 0;
  for (; o + WG_TO <= O; o += WG_TO) {
    intptr_t t = 0;
    for (; t + WG_TT <= K; t += WG_TT) wgrad_tile(WG_TO, WG_TT, o, t, K, lb, gy, ldg, cols, ldc, vacc);
    for (; t < K; t++) wgrad_tile(WG_TO, 1, o, t, K, lb, gy, ldg, cols, ldc, vacc);
  }
  for (; o < O; o++) {
    intptr_t t = 0;
    for (; t + WG_TT <= K; t += WG_TT) wgrad_tile(1, WG_TT, o, t, K, lb, gy, ldg, cols, ldc, vacc);
    for (; t < K; t++) wgrad_tile(1, 1, o, t, K, lb, gy, ldg, cols, ldc, vacc);
  }
}

/* dst (O x K) = the sum over units [u0, u1) of dY[n][:, block] . cols(block)^T, unit by unit. */
static void wgrad_units(const conv_t *c, float *dst, const float *gy, const float *x, intptr_t u0,
                        intptr_t u1, float *ws) {
  int dots = wgrad_by_dots(c);
  intptr_t ld = dots ? (c->LB + 15) / 16 * 16 : c->LB;
  float *cols = ws, *pack = ws + (c->K * ld + 15) / 16 * 16;
  /* dots: dY's block copied with zeros to ld (then all loads are whole vectors), and the chunk's
   * lane-wise sums */
  float *gyb = pack;
  vf *vacc = (vf *)(pack + c->O * ld);
  if (dots)
    for (intptr_t i = 0; i < c->O * c->K; i++) vacc[i] = vset1(0.0f);
  for (intptr_t u = u0; u < u1; u++) {
    intptr_t n = u / c->blocks, l0 = u % c->blocks * c->LB;
    intptr_t lb = c->L - l0 < c->LB ? c->L - l0 : c->LB;
    im2col_block(c, x, n, l0, lb, ld, cols);
    const float *g = gy + c->goff + n * c->O * c->L + l0;
    if (dots) {
      for (intptr_t o = 0; o < c->O; o++) {
        for (intptr_t j = 0; j < lb; j++) gyb[o * ld + j] = g[o * c->L + j];
        for (intptr_t j = lb; j < ld; j++) gyb[o * ld + j] = 0;
      }
      wgrad_dots(c->O, c->K, ld, gyb, ld, cols, ld, vacc);
      continue;
    }
    /* dst (O x K) (+)= dY[n][:, l0:l0+lb] (O x lb, row stride L) . cols^T (lb x K) */
    gemm_t gm = {c->O, c->K, lb, c->L, 1, 1, lb, u > u0, NULL, NB_ACT_NONE};
    gemm_block(&gm, g, cols, dst, 0, c->O, 0, c->K, pack);
  }
  if (dots)
    for (intptr_t i = 0; i < c->O * c->K; i++) {
      float sum = 0;
      for (int q = 0; q < NB_VL; q++) sum += vacc[i][q];
      dst[i] = sum;
    }
}

/* The chunks of conv2d_wgrad's partial sums: ranges of images by Winograd (wino_wgrad), ranges
 * of units otherwise. */
static intptr_t wgrad_chunks(const conv_t *c) {
  conv_t t;
  if (!wino_wgrad(c, &t)) return c->chunks;
  return c->w.N < NB_CV_CHUNKS ? c->w.N : NB_CV_CHUNKS;
}

void NB_FN(conv2d_wgrad)(const int32_t *meta, float *partial, const float *gy, const float *x,
                         float *ws, int tid, int nt) {
  conv_t c, t;
  conv_parse(meta, &c);
  intptr_t chunks = wgrad_chunks(&c), c0, c1;
  nb_share(chunks, 1, tid, nt, &c0, &c1);
  int wino = wino_wgrad(&c, &t);
  for (intptr_t ch = c0; ch < c1; ch++) {
    float *dst = partial + ch * c.O * c.K;
    intptr_t u0, u1;
    nb_share(wino ? c.w.N : c.units, 1, (int)ch, (int)chunks, &u0, &u1);
    if (wino && wino_wgrad_chunk(&c, &t, dst, gy, x, u0, u1, ws)) continue;
    /* units of images [u0, u1) where a chunk of images took the direct path */
    if (wino) u0 *= c.blocks, u1 *= c.blocks;
    wgrad_units(&c, dst, gy, x, u0, u1, ws);
  }
}

void NB_FN(conv2d_wgrad_sum)(const int32_t *meta, float *dw, const float *partial, int tid,
                             int nt) {
  conv_t c;
  conv_parse(meta, &c);
  intptr_t size = c.O * c.K, i0, i1;
  nb_share(size, NB_VL, tid, nt, &i0, &i1);
  intptr_t chunks = wgrad_chunks(&c);
  for (intptr_t i = i0; i < i1; i++) {
    float s = partial[i];
    for (intptr_t ch = 1; ch < chunks; ch++) s += partial[ch * size + i];
    dw[i] = s;
  }
  if (chunks == 0)
    for (intptr_t i = i0; i < i1; i++) dw[i] = 0;
}
