/* Sliding windows over float32 images: unfold (im2col) and fold (col2im, summing overlaps).
 * unfold: [N, C, H, W] (strided) -> [N, C*kh*kw, L] contiguous, L = oH*oW, zero padded; a share is
 * a range of output rows (n, c, ki, kj). fold: [N, C*kh*kw, L] (strided) -> [N, C, H, W]
 * contiguous; a share is a range of (n, c) planes, each summed in one fixed order. */
#include "internal.h"

typedef struct {
  intptr_t N, C, H, W, s0, s1, s2, s3, off, kh, kw, dh, dw, ph, pw, sh, sw, oH, oW;
} win_t;

static void win_parse(const int32_t *m, win_t *w) {
  w->N = m[NB_U_N];
  w->C = m[NB_U_C];
  w->H = m[NB_U_H];
  w->W = m[NB_U_W];
  w->s0 = m[NB_U_STRIDES];
  w->s1 = m[NB_U_STRIDES + 1];
  w->s2 = m[NB_U_STRIDES + 2];
  w->s3 = m[NB_U_STRIDES + 3];
  w->off = m[NB_U_OFFSET];
  w->kh = m[NB_U_KH];
  w->kw = m[NB_U_KW];
  w->dh = m[NB_U_DH];
  w->dw = m[NB_U_DW];
  w->ph = m[NB_U_PH];
  w->pw = m[NB_U_PW];
  w->sh = m[NB_U_SH];
  w->sw = m[NB_U_SW];
  w->oH = m[NB_U_OH];
  w->oW = m[NB_U_OW];
}

/* Block indices [lo, hi) (of n) whose tap at `offset` lands in [0, size): 0 <= b*s + offset < size. */
static void valid_range(intptr_t n, intptr_t size, intptr_t offset, intptr_t s, intptr_t *lo,
                        intptr_t *hi) {
  intptr_t a = offset >= 0 ? 0 : (-offset + s - 1) / s;
  intptr_t b = size - 1 - offset < 0 ? 0 : (size - 1 - offset) / s + 1;
  *lo = a < n ? a : n;
  *hi = b < 0 ? 0 : b < n ? b : n;
  if (*hi < *lo) *hi = *lo;
}

void NB_FN(unfold)(const int32_t *meta, float *out, const float *x, int tid, int nt) {
  win_t w;
  win_parse(meta, &w);
  intptr_t L = w.oH * w.oW, rows = w.N * w.C * w.kh * w.kw, r0, r1;
  nb_share(rows, 1, tid, nt, &r0, &r1);
  for (intptr_t r = r0; r < r1; r++) {
    intptr_t kj = r % w.kw, ki = r / w.kw % w.kh, c = r / (w.kw * w.kh) % w.C,
             n = r / (w.kw * w.kh * w.C);
    const float *base = x + w.off + n * w.s0 + c * w.s1;
    float *o = out + r * L;
    intptr_t col = kj * w.dw - w.pw, lo, hi;
    valid_range(w.oW, w.W, col, w.sw, &lo, &hi);
    for (intptr_t oh = 0; oh < w.oH; oh++, o += w.oW) {
      intptr_t ih = oh * w.sh - w.ph + ki * w.dh;
      if (ih < 0 || ih >= w.H) {
        for (intptr_t ow = 0; ow < w.oW; ow++) o[ow] = 0;
        continue;
      }
      for (intptr_t ow = 0; ow < lo; ow++) o[ow] = 0;
      const float *src = base + ih * w.s2 + (lo * w.sw + col) * w.s3;
      intptr_t step = w.sw * w.s3;
      if (step == 1) {
        intptr_t ow = lo;
        for (; ow + NB_VL <= hi; ow += NB_VL, src += NB_VL) vstore(o + ow, vload(src));
        for (; ow < hi; ow++) o[ow] = *src++;
      } else {
        for (intptr_t ow = lo; ow < hi; ow++, src += step) o[ow] = *src;
      }
      for (intptr_t ow = hi; ow < w.oW; ow++) o[ow] = 0;
    }
  }
}

void NB_FN(fold)(const int32_t *meta, float *out, const float *cols, int tid, int nt) {
  win_t w; /* H, W: the output image; s0, s1, s2: strides of cols over (n, row, l) */
  win_parse(meta, &w);
  intptr_t plane = w.H * w.W, p0, p1;
  nb_share(w.N * w.C, 1, tid, nt, &p0, &p1);
  for (intptr_t pl = p0; pl < p1; pl++) {
    intptr_t c = pl % w.C, n = pl / w.C;
    float *o = out + pl * plane;
    for (intptr_t i = 0; i < plane; i++) o[i] = 0;
    for (intptr_t ki = 0; ki < w.kh; ki++) {
      for (intptr_t kj = 0; kj < w.kw; kj++) {
        intptr_t col = kj * w.dw - w.pw, lo, hi;
        valid_range(w.oW, w.W, col, w.sw, &lo, &hi);
        const float *rowp = cols + w.off + n * w.s0 + ((c * w.kh + ki) * w.kw + kj) * w.s1;
        for (intptr_t bh = 0; bh < w.oH; bh++) {
          intptr_t ih = bh * w.sh - w.ph + ki * w.dh;
          if (ih < 0 || ih >= w.H) continue;
          float *dst = o + ih * w.W + lo * w.sw + col;
          const float *src = rowp + (bh * w.oW + lo) * w.s2;
          if (w.sw == 1 && w.s2 == 1) {
            intptr_t bw = lo;
            for (; bw + NB_VL <= hi; bw += NB_VL)
              vstore(dst + (bw - lo), vload(dst + (bw - lo)) + vload(src + (bw - lo)));
            for (; bw < hi; bw++) dst[bw - lo] += src[bw - lo];
          } else {
            for (intptr_t bw = lo; bw < hi; bw++, dst += w.sw, src += w.s2) *dst += *src;
          }
        }
      }
    }
  }
}
