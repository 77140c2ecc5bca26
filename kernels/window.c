/* Sliding windows over float32 images: unfold (im2col) and fold (col2im, summing overlaps).
 * unfold: [N, C, H, W] (strided) -> [N, C*kh*kw, L] contiguous, L = oH*oW, zero padded; a share is
 * a range of output rows (n, c, ki, kj). fold: [N, C*kh*kw, L] (strided) -> [N, C, H, W]
 * contiguous; a share is a range of (n, c) planes, each summed in one fixed order. maxpool_index:
 * [N, C, H, W] (strided) -> int32 [N, C, oH, oW], the plane index of each window's maximum; a share
 * is a range of (n, c) planes. */
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

/* 2x2 windows at stride 2 over a plane with contiguous rows of even width W = 2 oW (the CNN
 * pooling layer), in bands of output rows. Pass 1 reduces each horizontal pair of the band's input
 * rows, flat over the band (pairs never straddle rows): the pair's winner and its plane index.
 * Pass 2 reduces each output row's two pair rows. The rule (v replaces the best when v > best or v
 * is NaN) applied pairwise gives what one pass over the taps in (ki, kj) order gives: the last NaN
 * if there is one, else the first maximum. Every vector is branch-free (a compare per window
 * mispredicts on real data); reads past a band's end stay inside the staging buffers or read
 * a partial vector. */
#define NB_MP2_PAIRS 2048
#if NB_VL == 16
#define NB_EVEN 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define NB_ODD 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define NB_IOTA 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
#elif NB_VL == 8
#define NB_EVEN 0, 2, 4, 6, 8, 10, 12, 14
#define NB_ODD 1, 3, 5, 7, 9, 11, 13, 15
#define NB_IOTA 0, 1, 2, 3, 4, 5, 6, 7
#else
#define NB_EVEN 0, 2, 4, 6
#define NB_ODD 1, 3, 5, 7
#define NB_IOTA 0, 1, 2, 3
#endif

static void maxpool_index_2x2(const win_t *w, const float *img, int32_t *restrict o) {
  const intptr_t W = w->W, oW = w->oW, oH = w->oH;
  float hv[NB_MP2_PAIRS + NB_VL] __attribute__((aligned(64)));
  int32_t hx[NB_MP2_PAIRS + NB_VL] __attribute__((aligned(64)));
  int32_t ob[NB_MP2_PAIRS / 2 + NB_VL] __attribute__((aligned(64)));
  const vi iota2 = (vi){NB_IOTA} * 2;
  intptr_t band = NB_MP2_PAIRS / W; /* output rows per band: 2 band input rows of oW pairs */
  for (intptr_t r0 = 0; r0 < oH; r0 += band) {
    intptr_t rows = oH - r0 < band ? oH - r0 : band, pairs = rows * W; /* 2 rows x oW pairs */
    const float *src = img + 2 * r0 * W;
    const int32_t base = (int32_t)(2 * r0 * W);
    intptr_t i = 0;
    for (; i < pairs; i += NB_VL) {
      vf a, b;
      if (pairs - i >= NB_VL) {
        a = vload(src + 2 * i);
        b = vload(src + 2 * i + NB_VL);
      } else {
        int left = (int)(2 * (pairs - i));
        a = vload_part(src + 2 * i, left < NB_VL ? left : NB_VL, 0.0f);
        b = left > NB_VL ? vload_part(src + 2 * i + NB_VL, left - NB_VL, 0.0f) : vset1(0.0f);
      }
      vf ev = __builtin_shufflevector(a, b, NB_EVEN), od = __builtin_shufflevector(a, b, NB_ODD);
      vi m = (vi)(od > ev) | visnan(od);
      vstore(hv + i, vsel(m, od, ev));
      *(vi *)(hx + i) = vset1i(base + 2 * (int32_t)i) + iota2 + (m & 1);
    }
    for (intptr_t r = 0; r < rows; r++) {
      const float *tv = hv + 2 * r * oW, *bv = tv + oW;
      const int32_t *tx = hx + 2 * r * oW, *bx = tx + oW;
      for (intptr_t q = 0; q < oW; q += NB_VL) {
        vf t = vload(tv + q), u = vload(bv + q);
        vi m = (vi)(u > t) | visnan(u);
        vi at = (*(const vi_u *)(tx + q) & ~m) | (*(const vi_u *)(bx + q) & m);
        *(vi_u *)(ob + r * oW + q) = at;
      }
    }
    for (intptr_t k = 0; k < rows * oW; k++) o[r0 * oW + k] = ob[k];
  }
}

/* maxpool_index works on up to NB_MP_WINDOWS windows (whole output rows) of a plane at a time,
 * for windows of at most NB_MP_TAPS taps (larger ones go one by one). */
#define NB_MP_WINDOWS 256
#define NB_MP_TAPS 16

/* Each window visits its taps in (ki, kj) order: v beats the best so far when larger, or NaN (so
 * the last NaN wins); a window where nothing beats -inf gets its first position inside the image.
 * The taps of a block of windows are laid out as unfold lays them out (tap-major, -inf outside the
 * image), then compared NB_VL windows at a time with vector masks: a scalar compare per window is
 * a data-dependent branch that mispredicts (it ran 10x slower than the loads). 2x2 windows at
 * stride 2 over even-width contiguous rows go to maxpool_index_2x2 instead. */
void NB_FN(maxpool_index)(const int32_t *meta, int32_t *out, const float *x, int tid, int nt) {
  win_t w;
  win_parse(meta, &w);
  if (w.kh == 2 && w.kw == 2 && w.sh == 2 && w.sw == 2 && w.ph == 0 && w.pw == 0 &&
      w.dh == 1 && w.dw == 1 && w.s3 == 1 && w.s2 == w.W && w.W == 2 * w.oW &&
      2 * w.oH <= w.H && w.W <= NB_MP2_PAIRS) {
    intptr_t p0, p1;
    nb_share(w.N * w.C, 1, tid, nt, &p0, &p1);
    for (intptr_t pl = p0; pl < p1; pl++)
      maxpool_index_2x2(&w, x + w.off + pl / w.C * w.s0 + pl % w.C * w.s1,
                        out + pl * w.oH * w.oW);
    return;
  }
  const intptr_t H = w.H, W = w.W, s2 = w.s2, s3 = w.s3, kh = w.kh, kw = w.kw, dh = w.dh,
                 dw = w.dw, ph = w.ph, pw = w.pw, sh = w.sh, sw = w.sw, oH = w.oH, oW = w.oW;
  const intptr_t taps = kh * kw;
  intptr_t p0, p1;
  nb_share(w.N * w.C, 1, tid, nt, &p0, &p1);
  float vals[NB_MP_TAPS * NB_MP_WINDOWS] __attribute__((aligned(64)));
  int32_t origin[NB_MP_WINDOWS + NB_VL] __attribute__((aligned(64)));
  int32_t shift[NB_MP_TAPS];
  intptr_t lo[NB_MP_TAPS], hi[NB_MP_TAPS];
  int vec = taps <= NB_MP_TAPS && oW <= NB_MP_WINDOWS;
  intptr_t rows = vec ? NB_MP_WINDOWS / oW : 1;
  if (vec)
    for (intptr_t kj = 0; kj < kw; kj++) valid_range(oW, W, kj * dw - pw, sw, &lo[kj], &hi[kj]);
  for (intptr_t ki = 0, t = 0; ki < kh && vec; ki++)
    for (intptr_t kj = 0; kj < kw; kj++, t++) shift[t] = (int32_t)(ki * dh * W + kj * dw);
  for (intptr_t pl = p0; pl < p1; pl++) {
    const float *img = x + w.off + pl / w.C * w.s0 + pl % w.C * w.s1;
    int32_t *o = out + pl * oH * oW;
    if (!vec) {
      for (intptr_t oh = 0; oh < oH; oh++) {
        for (intptr_t ow = 0; ow < oW; ow++) {
          intptr_t h0 = oh * sh - ph, c0 = ow * sw - pw, ih0 = h0, iw0 = c0;
          while (ih0 < 0) ih0 += dh;
          while (iw0 < 0) iw0 += dw;
          float best = -__builtin_inff();
          int32_t at = (int32_t)(ih0 * W + iw0);
          for (intptr_t ih = h0; ih < h0 + kh * dh; ih += dh) {
            if (ih < 0 || ih >= H) continue;
            for (intptr_t iw = c0; iw < c0 + kw * dw; iw += dw) {
              if (iw < 0 || iw >= W) continue;
              float v = img[ih * s2 + iw * s3];
              if (v > best || v != v) {
                best = v;
                at = (int32_t)(ih * W + iw);
              }
            }
          }
          o[oh * oW + ow] = at;
        }
      }
      continue;
    }
    for (intptr_t r0 = 0; r0 < oH; r0 += rows) {
      intptr_t r1 = oH - r0 < rows ? oH : r0 + rows, cnt = (r1 - r0) * oW;
      /* the taps, tap-major, as unfold writes them */
      for (intptr_t ki = 0, t = 0; ki < kh; ki++) {
        for (intptr_t kj = 0; kj < kw; kj++, t++) {
          float *dst = vals + t * NB_MP_WINDOWS;
          intptr_t col = kj * dw - pw, a = lo[kj], b = hi[kj];
          for (intptr_t oh = r0; oh < r1; oh++, dst += oW) {
            intptr_t ih = oh * sh - ph + ki * dh;
            if (ih < 0 || ih >= H) {
              for (intptr_t ow = 0; ow < oW; ow++) dst[ow] = -__builtin_inff();
              continue;
            }
            for (intptr_t ow = 0; ow < a; ow++) dst[ow] = -__builtin_inff();
            const float *src = img + ih * s2 + (a * sw + col) * s3;
            for (intptr_t ow = a; ow < b; ow++, src += sw * s3) dst[ow] = *src;
            for (intptr_t ow = b; ow < oW; ow++) dst[ow] = -__builtin_inff();
          }
        }
      }
      /* each window's origin (tap t is at origin + shift[t]) */
      for (intptr_t oh = r0, k = 0; oh < r1; oh++)
        for (intptr_t ow = 0; ow < oW; ow++, k++)
          origin[k] = (int32_t)((oh * sh - ph) * W + ow * sw - pw);
      for (intptr_t k = 0; k < cnt; k += NB_VL) {
        vf best = vset1(-__builtin_inff());
        vi org = *(const vi *)(origin + k);
        vi at = vset1i(-1);
        for (intptr_t t = 0; t < taps; t++) {
          vf v = vload(vals + t * NB_MP_WINDOWS + k);
          vi m = (vi)(v > best) | visnan(v);
          best = vsel(m, v, best);
          at = (at & ~m) | ((org + vset1i(shift[t])) & m);
        }
        intptr_t rest = cnt - k < NB_VL ? cnt - k : NB_VL;
        for (intptr_t l = 0; l < rest; l++) o[r0 * oW + k + l] = at[l];
      }
      /* windows where nothing beat -inf keep their first position inside the image */
      for (intptr_t k = 0; k < cnt; k++) {
        if (o[r0 * oW + k] >= 0) continue;
        intptr_t oh = r0 + k / oW, ow = k % oW;
        intptr_t ih0 = oh * sh - ph, iw0 = ow * sw - pw;
        while (ih0 < 0) ih0 += dh;
        while (iw0 < 0) iw0 += dw;
        o[r0 * oW + k] = (int32_t)(ih0 * W + iw0);
      }
    }
  }
}
