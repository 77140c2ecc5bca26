// cpu kernels for sliding windows: unfold (im2col), fold (col2im, its adjoint, summing overlaps), max pooling's indices, conv2d and its weight gradient.
import type { TypedArray } from '../../dtype.js';
import type { WindowParams } from '../../primitives.js';
import type { Kernel } from '../backend.js';
import { contiguousStrides } from '../../shape.js';
import { applyEpilogue } from './linalg.js';

type Buf = TypedArray;

/** How many windows fit along one dim of `size` elements. */
function blocks(size: number, k: number, d: number, p: number, s: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/**
 * The block indices [lo, hi) along one dim whose kernel tap `offset` (= tap·dilation − padding)
 * lands inside [0, size): those with 0 ≤ b·stride + offset < size.
 */
function validRange(n: number, size: number, offset: number, s: number): [number, number] {
  const lo = offset >= 0 ? 0 : Math.ceil(-offset / s);
  const hi = size - 1 - offset < 0 ? 0 : Math.floor((size - 1 - offset) / s) + 1;
  return [Math.min(lo, n), Math.min(Math.max(hi, 0), n)];
}

type Four = [number, number, number, number];

/** The (batch, channel, height, width) sizes and strides of a 3-d or 4-d image view. */
function image4(t: { shape: readonly number[]; strides: readonly number[] }): [Four, Four] {
  return (
    t.shape.length === 4
      ? [[...t.shape], [...t.strides]]
      : [
          [1, ...t.shape],
          [0, ...t.strides],
        ]
  ) as [Four, Four];
}

export const unfoldKernel: Kernel<Buf, 'unfold'> = (out, [input], p: WindowParams) => {
  const x = input!;
  const [[N, C, H, W], [sN, sC, sH, sW]] = image4(x);
  const [kh, kw] = p.kernelSize;
  const [dh, dw] = p.dilation;
  const [ph, pw] = p.padding;
  const [sh, sw] = p.stride;
  const oH = blocks(H, kh, dh, ph, sh);
  const oW = blocks(W, kw, dw, pw, sw);
  const L = oH * oW;
  const o = out.buffer;
  const src = x.buffer;
  const ranges = new Int32Array(2 * kw);
  for (let kj = 0; kj < kw; kj++) {
    const [lo, hi] = validRange(oW, W, kj * dw - pw, sw);
    ranges[2 * kj] = lo;
    ranges[2 * kj + 1] = hi;
  }
  const step = sw * sW;
  let row = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = x.offset + n * sN + c * sC;
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++, row += L) {
          const lo = ranges[2 * kj]!;
          const hi = ranges[2 * kj + 1]!;
          const colOff = kj * dw - pw;
          for (let oh = 0; oh < oH; oh++) {
            const ih = oh * sh - ph + ki * dh;
            const dst = row + oh * oW;
            if (ih < 0 || ih >= H) {
              for (let ow = 0; ow < oW; ow++) o[dst + ow] = 0;
              continue;
            }
            for (let ow = 0; ow < lo; ow++) o[dst + ow] = 0;
            let q = base + ih * sH + (lo * sw + colOff) * sW;
            for (let ow = lo; ow < hi; ow++, q += step) o[dst + ow] = src[q]!;
            for (let ow = hi; ow < oW; ow++) o[dst + ow] = 0;
          }
        }
      }
    }
  }
};

export const foldKernel: Kernel<Buf, 'fold'> = (out, [input], p) => {
  const cols = input!;
  const batched = cols.shape.length === 3;
  const N = batched ? cols.shape[0]! : 1;
  const sN = batched ? cols.strides[0]! : 0;
  const sK = cols.strides[batched ? 1 : 0]!;
  const sL = cols.strides[batched ? 2 : 1]!;
  const [oH, oW] = p.outputSize;
  const [kh, kw] = p.kernelSize;
  const [dh, dw] = p.dilation;
  const [ph, pw] = p.padding;
  const [sh, sw] = p.stride;
  const C = cols.shape[batched ? 1 : 0]! / (kh * kw);
  const bH = blocks(oH, kh, dh, ph, sh);
  const bW = blocks(oW, kw, dw, pw, sw);
  const plane = oH * oW;
  const acc = new Float64Array(plane);
  const o = out.buffer;
  const src = cols.buffer;
  const ranges = new Int32Array(2 * kw);
  for (let kj = 0; kj < kw; kj++) {
    const [lo, hi] = validRange(bW, oW, kj * dw - pw, sw);
    ranges[2 * kj] = lo;
    ranges[2 * kj + 1] = hi;
  }
  let dst = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++, dst += plane) {
      acc.fill(0);
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          const lo = ranges[2 * kj]!;
          const hi = ranges[2 * kj + 1]!;
          const colOff = kj * dw - pw;
          const rowBase = cols.offset + n * sN + ((c * kh + ki) * kw + kj) * sK;
          for (let bh = 0; bh < bH; bh++) {
            const ih = bh * sh - ph + ki * dh;
            if (ih < 0 || ih >= oH) continue;
            let a = ih * oW + lo * sw + colOff;
            let q = rowBase + (bh * bW + lo) * sL;
            for (let bw = lo; bw < hi; bw++, a += sw, q += sL) acc[a] = acc[a]! + src[q]!;
          }
        }
      }
      for (let i = 0; i < plane; i++) o[dst + i] = acc[i]!;
    }
  }
};

/** For each window, h·W + w of its first maximum; a NaN beats any number and the last NaN wins. */
export const maxPoolIndicesKernel: Kernel<Buf, 'maxPoolIndices'> = (out, [input], p) => {
  const x = input!;
  const [[N, C, H, W], [sN, sC, sH, sW]] = image4(x);
  const [kh, kw] = p.kernelSize;
  const [dh, dw] = p.dilation;
  const [ph, pw] = p.padding;
  const [sh, sw] = p.stride;
  const [oH, oW] = p.grid;
  const o = out.buffer;
  const src = x.buffer;
  let dst = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = x.offset + n * sN + c * sC;
      for (let oh = 0; oh < oH; oh++) {
        const h0 = oh * sh - ph;
        let ih0 = h0;
        while (ih0 < 0) ih0 += dh;
        for (let ow = 0; ow < oW; ow++, dst++) {
          const w0 = ow * sw - pw;
          let iw0 = w0;
          while (iw0 < 0) iw0 += dw;
          let best = -Infinity;
          let at = ih0 * W + iw0;
          for (let ki = 0; ki < kh; ki++) {
            const ih = h0 + ki * dh;
            if (ih < 0 || ih >= H) continue;
            for (let kj = 0; kj < kw; kj++) {
              const iw = w0 + kj * dw;
              if (iw < 0 || iw >= W) continue;
              const v = src[base + ih * sH + iw * sW]!;
              if (v > best || Number.isNaN(v)) {
                best = v;
                at = ih * W + iw;
              }
            }
          }
          o[dst] = at;
        }
      }
    }
  }
};

/**
 * Visits every (output position, tap) pair of a convolution whose tap lands inside the image:
 * visit(n, ch, l, tap, xIndex) with l = oh·ow's flat index and tap = (ch·kh + ki)·kw + kj.
 */
function eachTap(
  x: { shape: readonly number[]; strides: readonly number[]; offset: number },
  kernel: readonly [number, number],
  p: WindowParams,
  visit: (n: number, ch: number, l: number, tap: number, at: number) => void,
): void {
  const [[N, C, H, W], [sN, sC, sH, sW]] = image4(x);
  const [kh, kw] = kernel;
  const [dh, dw] = p.dilation;
  const [ph, pw] = p.padding;
  const [sh, sw] = p.stride;
  const oH = blocks(H, kh, dh, ph, sh);
  const oW = blocks(W, kw, dw, pw, sw);
  for (let n = 0; n < N; n++)
    for (let ch = 0; ch < C; ch++)
      for (let oh = 0; oh < oH; oh++)
        for (let ow = 0; ow < oW; ow++)
          for (let ki = 0; ki < kh; ki++) {
            const ih = oh * sh - ph + ki * dh;
            if (ih < 0 || ih >= H) continue;
            for (let kj = 0; kj < kw; kj++) {
              const iw = ow * sw - pw + kj * dw;
              if (iw < 0 || iw >= W) continue;
              const at = x.offset + n * sN + ch * sC + ih * sH + iw * sW;
              visit(n, ch, oh * oW + ow, (ch * kh + ki) * kw + kj, at);
            }
          }
}

/** out[n, o, l] = b[o] + Σ_taps w[o, tap]·x[tap at l], summed in float64 and rounded once. */
export const conv2dKernel: Kernel<Buf, 'conv2d'> = (out, [x, weight, bias], p) => {
  const [O, , kh, kw] = weight!.shape as [number, number, number, number];
  const [N] = x!.shape as [number];
  const L = out.shape[2]! * out.shape[3]!;
  const acc = new Float64Array(N * O * L);
  const wv = weight!.buffer;
  const [, [wO, wC, wH, wW]] = image4(weight!);
  const wAt = (o: number, tap: number) =>
    weight!.offset +
    o * wO +
    Math.floor(tap / (kh * kw)) * wC +
    (Math.floor(tap / kw) % kh) * wH +
    (tap % kw) * wW;
  const xv = x!.buffer;
  eachTap(x!, [kh, kw], p, (n, _ch, l, tap, at) => {
    const v = xv[at]!;
    for (let o = 0; o < O; o++) {
      const i = (n * O + o) * L + l;
      acc[i] = acc[i]! + wv[wAt(o, tap)]! * v;
    }
  });
  const ob = out.buffer;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const b = bias ? bias.buffer[bias.offset + o * bias.strides[0]!]! : 0;
      for (let l = 0; l < L; l++) ob[(n * O + o) * L + l] = acc[(n * O + o) * L + l]! + b;
    }
  if (p.activation !== undefined) applyEpilogue(out, p.activation);
};

/** out[o, tap] = Σ_{n, l} dY[n, o, l]·x[tap at l], summed in float64 and rounded once. */
export const conv2dWeightGradKernel: Kernel<Buf, 'conv2dWeightGrad'> = (out, [gy, x], p) => {
  const [O, , kh, kw] = out.shape as [number, number, number, number];
  const K = numelOf(out.shape) / O;
  const acc = new Float64Array(O * K);
  const [[, , , gW], [gN, gO, gH, gWs]] = image4(gy!);
  const gv = gy!.buffer;
  const xv = x!.buffer;
  eachTap(x!, [kh, kw], p, (n, _ch, l, tap, at) => {
    const v = xv[at]!;
    const oh = Math.floor(l / gW);
    const g0 = gy!.offset + n * gN + oh * gH + (l - oh * gW) * gWs;
    for (let o = 0; o < O; o++) acc[o * K + tap] = acc[o * K + tap]! + gv[g0 + o * gO]! * v;
  });
  const ob = out.buffer;
  for (let i = 0; i < O * K; i++) ob[i] = acc[i]!;
};

const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** out[n, tap at l] += Σ_o w[o, tap]·dY[n, o, l], summed in float64 and rounded once. */
export const conv2dInputGradKernel: Kernel<Buf, 'conv2dInputGrad'> = (out, [gy, weight], p) => {
  const [O, , kh, kw] = weight!.shape as [number, number, number, number];
  const [[, , , gW], [gN, gO, gH, gWs]] = image4(gy!);
  const [, [wO, wC, wH, wW]] = image4(weight!);
  const image = { shape: out.shape, strides: contiguousStrides(out.shape), offset: 0 };
  const acc = new Float64Array(numelOf(out.shape));
  const gv = gy!.buffer;
  const wv = weight!.buffer;
  eachTap(image, [kh, kw], p, (n, ch, l, tap, at) => {
    const oh = Math.floor(l / gW);
    const g0 = gy!.offset + n * gN + oh * gH + (l - oh * gW) * gWs;
    const ki = Math.floor(tap / kw) % kh;
    const w0 = weight!.offset + ch * wC + ki * wH + (tap % kw) * wW;
    let s = 0;
    for (let o = 0; o < O; o++) s += wv[w0 + o * wO]! * gv[g0 + o * gO]!;
    acc[at] = acc[at]! + s;
  });
  const ob = out.buffer;
  for (let i = 0; i < acc.length; i++) ob[i] = acc[i]!;
};
