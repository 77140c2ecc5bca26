/* 2-d convolution over float32 NCHW images, groups = 1: im2col of a block of columns into a
 * workspace that stays in cache, then the packed GEMM on it (gemm.c), never the whole [N, C*kh*kw, L]
 * column tensor.
 *
 * The work is cut into units (image n, a block of output positions; the block's K x LB columns
 * stay in L2). conv2d:
 * out[n][:, block] = W . cols(block) (+ bias), a share is a range of units. conv2d_wgrad: the
 * weight's gradient dW = sum over units of dY[n][:, block] . cols(block)^T; the units are grouped
 * into at most NB_CV_CHUNKS chunks by a rule that depends on the shape only, each chunk sums its
 * units in order into its own partial (a share is a range of chunks), and conv2d_wgrad_sum adds the
 * partials in chunk order (a share is a range of dW's elements): the same sums in the same order
 * for any thread count. */
#include "internal.h"

/* The most chunks the weight gradient's units are grouped into (its partial sums). */
#define NB_CV_CHUNKS 16

/* The geometry: the window meta (NB_U_*) of the input image, plus O and the operands' offsets. */
typedef struct {
  win_t w;
  intptr_t O, K, L, LB, blocks, units, chunks, woff, boff, bias, goff;
} conv_t;

static void conv_parse(const int32_t *m, conv_t *c) {
  win_parse(m, &c->w);
  c->O = m[NB_CV_O];
  c->K = c->w.C * c->w.kh * c->w.kw;
  c->L = c->w.oH * c->w.oW;
  /* blocks of at most 64K / K columns (the block stays in L2), 64 to 1024, cut evenly */
  intptr_t most = c->K > 0 ? 65536 / c->K : 1024;
  most = most < 64 ? 64 : most > 1024 ? 1024 : most;
  c->blocks = (c->L + most - 1) / most;
  c->LB = c->blocks == 0 ? 0 : (c->L + c->blocks - 1) / c->blocks;
  c->units = c->w.N * c->blocks;
  c->chunks = c->units < NB_CV_CHUNKS ? c->units : NB_CV_CHUNKS;
  c->woff = m[NB_CV_WOFF];
  c->boff = m[NB_CV_BOFF];
  c->bias = m[NB_CV_BIAS];
  c->goff = m[NB_CV_GOFF];
}

/* cols(block) of image n: [K, lb] (row stride lb), zero padded; columns [l0, l0 + lb). Along an
 * output row, the positions whose tap lands inside the image are a range (valid_range), copied
 * with vector loads when the taps are adjacent. */
static void im2col_block(const conv_t *c, const float *x, intptr_t n, intptr_t l0, intptr_t lb,
                         float *restrict dst) {
  const win_t *w = &c->w;
  const float *img = x + w->off + n * w->s0;
  const intptr_t step = w->sw * w->s3;
  /* stride 1 over contiguous planes with the output as wide as the input ('same' padding): a
   * tap's row of cols is the plane shifted by one offset, so one flat copy, then zeros where the
   * tap falls off the left or right edge */
  const int flat = w->sh == 1 && w->sw == 1 && w->s3 == 1 && w->s2 == w->W && w->oW == w->W;
  for (intptr_t r = 0; r < c->K; r++, dst += lb) {
    intptr_t kj = r % w->kw, ki = r / w->kw % w->kh, ch = r / (w->kw * w->kh);
    const float *plane = img + ch * w->s1;
    intptr_t col = kj * w->dw - w->pw, lo, hi;
    valid_range(w->oW, w->W, col, w->sw, &lo, &hi);
    if (flat) {
      intptr_t shift = (ki * w->dh - w->ph) * w->W + col, size = w->H * w->W;
      /* dst[j] = plane[l0 + j + shift] where that index is inside the plane */
      intptr_t a = -shift - l0, b = size - shift - l0;
      a = a < 0 ? 0 : a > lb ? lb : a;
      b = b < a ? a : b > lb ? lb : b;
      intptr_t j = 0;
      for (; j < a; j++) dst[j] = 0;
      const float *src = plane + l0 + shift;
      for (; j + NB_VL <= b; j += NB_VL) vstore(dst + j, vload(src + j));
      for (; j < b; j++) dst[j] = src[j];
      for (; j < lb; j++) dst[j] = 0;
      /* the columns where the tap is off the image's left or right edge */
      if (lo > 0 || hi < w->oW) {
        intptr_t oh = l0 / w->oW, ow = l0 % w->oW;
        for (intptr_t q = 0; q < lb; oh++) {
          intptr_t end = w->oW - ow < lb - q ? w->oW : ow + (lb - q);
          float *d = dst + q - ow;
          for (intptr_t e = ow; e < (lo < end ? lo : end); e++) d[e] = 0;
          for (intptr_t e = hi > ow ? hi : ow; e < end; e++) d[e] = 0;
          q += end - ow;
          ow = 0;
        }
      }
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

size_t NB_FN(conv_ws)(const int32_t *meta) {
  conv_t c;
  conv_parse(meta, &c);
  /* the column block, then the GEMM's packing space for the larger of the two products */
  int32_t g[NB_G_BSHAPE] = {0};
  g[NB_G_M] = (int32_t)c.O;
  g[NB_G_N] = (int32_t)(c.LB > c.K ? c.LB : c.K);
  g[NB_G_K] = (int32_t)(c.K > c.LB ? c.K : c.LB);
  return (size_t)((c.K * c.LB + 15) / 16 * 16) + NB_FN(sgemm_ws)(g);
}

void NB_FN(conv2d)(const int32_t *meta, float *out, const float *x, const float *wt,
                   const float *bias, float *ws, int tid, int nt) {
  conv_t c;
  conv_parse(meta, &c);
  intptr_t u0, u1;
  nb_share(c.units, 1, tid, nt, &u0, &u1);
  float *cols = ws, *pack = ws + (c.K * c.LB + 15) / 16 * 16;
  for (intptr_t u = u0; u < u1; u++) {
    intptr_t n = u / c.blocks, l0 = u % c.blocks * c.LB;
    intptr_t lb = c.L - l0 < c.LB ? c.L - l0 : c.LB;
    im2col_block(&c, x, n, l0, lb, cols);
    float *o = out + n * c.O * c.L + l0;
    /* out[n][:, l0:l0+lb] (row stride L) = W (O x K) . cols (K x lb) */
    gemm_t g = {c.O, c.L, c.K, c.K, 1, lb, 1, 0};
    gemm_block(&g, wt + c.woff, cols, o, 0, c.O, 0, lb, pack);
    if (c.bias) {
      for (intptr_t i = 0; i < c.O; i++) {
        float b = bias[c.boff + i];
        float *row = o + i * c.L;
        intptr_t j = 0;
        for (; j + NB_VL <= lb; j += NB_VL) vstore(row + j, vload(row + j) + vset1(b));
        for (; j < lb; j++) row[j] += b;
      }
    }
  }
}

size_t NB_FN(conv_partials)(const int32_t *meta) {
  conv_t c;
  conv_parse(meta, &c);
  return (size_t)(c.chunks * c.O * c.K);
}

void NB_FN(conv2d_wgrad)(const int32_t *meta, float *partial, const float *gy, const float *x,
                         float *ws, int tid, int nt) {
  conv_t c;
  conv_parse(meta, &c);
  intptr_t c0, c1;
  nb_share(c.chunks, 1, tid, nt, &c0, &c1);
  float *cols = ws, *pack = ws + (c.K * c.LB + 15) / 16 * 16;
  for (intptr_t ch = c0; ch < c1; ch++) {
    intptr_t u0, u1;
    nb_share(c.units, 1, (int)ch, (int)c.chunks, &u0, &u1);
    float *dst = partial + ch * c.O * c.K;
    for (intptr_t u = u0; u < u1; u++) {
      intptr_t n = u / c.blocks, l0 = u % c.blocks * c.LB;
      intptr_t lb = c.L - l0 < c.LB ? c.L - l0 : c.LB;
      im2col_block(&c, x, n, l0, lb, cols);
      /* dst (O x K) (+)= dY[n][:, l0:l0+lb] (O x lb, row stride L) . cols^T (lb x K) */
      gemm_t g = {c.O, c.K, lb, c.L, 1, 1, lb, u > u0};
      gemm_block(&g, gy + c.goff + n * c.O * c.L + l0, cols, dst, 0, c.O, 0, c.K, pack);
    }
  }
}

void NB_FN(conv2d_wgrad_sum)(const int32_t *meta, float *dw, const float *partial, int tid,
                             int nt) {
  conv_t c;
  conv_parse(meta, &c);
  intptr_t size = c.O * c.K, i0, i1;
  nb_share(size, NB_VL, tid, nt, &i0, &i1);
  for (intptr_t i = i0; i < i1; i++) {
    float s = partial[i];
    for (intptr_t ch = 1; ch < c.chunks; ch++) s += partial[ch * size + i];
    dw[i] = s;
  }
  if (c.chunks == 0)
    for (intptr_t i = i0; i < i1; i++) dw[i] = 0;
}
