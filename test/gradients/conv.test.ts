// Gradients tier for convolution, pooling, interpolation and unfold/fold: gradcheck in float64 on small shapes.
import { describe, it } from 'vitest';
import { nn, randperm, type Generator, type Tensor } from '../../src/index.js';
import { Conv2d, ConvTranspose2d } from '../../src/nn/layers/conv.js';
import * as C from '../../src/nn/functional/conv.js';
import * as P from '../../src/nn/functional/pooling.js';
import * as U from '../../src/nn/functional/upsample.js';
import { check, check2, gen, leaf, rn } from './helpers.js';

const F = nn.functional;

/** A float64 leaf of distinct values 0.1 apart (no ties, so max pooling is smooth around it). */
function distinct(shape: number[], g: Generator): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return leaf(() =>
    randperm(n, { generator: g })
      .double()
      .mul(0.1)
      .sub(n * 0.05)
      .reshape(shape),
  );
}

describe('unfold and fold', () => {
  it('unfold (and its double backward)', () => {
    const opts = { dilation: [1, 2], padding: 1, stride: [2, 1] };
    check2((x) => C.unfold(x, [2, 2], opts), [rn([1, 2, 4, 5], gen(1))]);
  });

  it('fold (and its double backward)', () => {
    const opts = { dilation: [2, 1], padding: 1, stride: 2 };
    check2((x) => C.fold(x, [5, 4], [2, 2], opts), [rn([1, 8, 9], gen(2))]);
  });
});

describe('convolutions', () => {
  it('conv2d: input, weight and bias, strided and padded', () => {
    const g = gen(3);
    check(
      (x, w, b) => C.conv2d(x, w, b, { stride: [1, 2], padding: 1 }),
      [rn([1, 2, 4, 5], g), rn([3, 2, 2, 3], g), rn([3], g)],
    );
  });

  it('conv2d: groups, dilation, same padding (double backward too)', () => {
    const g = gen(4);
    check2(
      (x, w) => C.conv2d(x, w, null, { groups: 2, dilation: 2, padding: 'same' }),
      [rn([1, 4, 4, 4], g), rn([4, 2, 2, 2], g)],
    );
  });

  it('conv2d: depthwise, unbatched', () => {
    const g = gen(5);
    check(
      (x, w, b) => C.conv2d(x, w, b, { groups: 2, stride: 2 }),
      [rn([2, 5, 5], g), rn([4, 1, 3, 3], g), rn([4], g)],
    );
  });

  it('conv1d', () => {
    const g = gen(6);
    check(
      (x, w, b) => C.conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2 }),
      [rn([2, 2, 7], g), rn([3, 2, 3], g), rn([3], g)],
    );
  });

  it('convTranspose2d: stride 2, padding and output padding', () => {
    const g = gen(7);
    check(
      (x, w, b) => C.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
      [rn([1, 2, 3, 3], g), rn([2, 2, 3, 3], g), rn([2], g)],
    );
  });

  it('convTranspose2d: groups, dilation, output padding beyond the stride', () => {
    const g = gen(8);
    check(
      (x, w) => C.convTranspose2d(x, w, null, { groups: 2, dilation: 2, outputPadding: 1 }),
      [rn([1, 2, 2, 3], g), rn([2, 2, 2, 2], g)],
    );
  });

  it('convTranspose1d', () => {
    const g = gen(9);
    check(
      (x, w, b) => C.convTranspose1d(x, w, b, { stride: 3, padding: 1 }),
      [rn([2, 2, 3], g), rn([2, 3, 3], g), rn([3], g)],
    );
  });
});

describe('pooling', () => {
  it('maxPool2d: padding, ceil mode', () => {
    check(
      (x) => P.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }),
      [distinct([1, 2, 6, 5], gen(10))],
    );
  });

  it('maxPool2d: dilation, overlapping windows, unbatched', () => {
    check(
      (x) => P.maxPool2d(x, [2, 3], { stride: 1, dilation: [2, 1] }),
      [distinct([2, 5, 5], gen(11))],
    );
  });

  it('maxPool1d', () => {
    check((x) => P.maxPool1d(x, 3, { stride: 2, padding: 1 }), [distinct([2, 2, 7], gen(12))]);
  });

  // double backward: the backward (maxPoolBackward) differentiated again (a gather of gg)
  it('maxPool2d and maxPool1d, second derivatives through overlapping windows', () => {
    check2((x) => P.maxPool2d(x, 2, { stride: 1 }).square(), [distinct([1, 2, 4, 5], gen(13))]);
    check2(
      (x) => P.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }).exp(),
      [distinct([2, 5, 4], gen(14))],
    );
    check2((x) => P.maxPool1d(x, 3, { stride: 1 }).square(), [distinct([2, 2, 7], gen(15))]);
  });

  it('avgPool2d: ceil mode, padding excluded', () => {
    check(
      (x) => P.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
      [rn([1, 2, 6, 5], gen(13))],
    );
  });

  it('avgPool2d: divisor override, non-square', () => {
    check(
      (x) => P.avgPool2d(x, [2, 3], { stride: [1, 2], divisorOverride: 4 }),
      [rn([1, 1, 4, 7], gen(14))],
    );
  });

  it('avgPool1d', () => {
    check(
      (x) => P.avgPool1d(x, 4, { stride: 3, padding: 2, ceilMode: true }),
      [rn([2, 2, 9], gen(15))],
    );
  });

  it('adaptiveAvgPool2d: non-divisible and larger than the input', () => {
    check((x) => P.adaptiveAvgPool2d(x, [3, 6]), [rn([1, 2, 5, 4], gen(16))]);
  });

  it('adaptiveAvgPool1d', () => {
    check((x) => P.adaptiveAvgPool1d(x, 3), [rn([2, 2, 7], gen(17))]);
  });
});

describe('interpolation', () => {
  it('nearest, non-integer scale', () => {
    check((x) => U.interpolate(x, { scaleFactor: 1.7 }), [rn([1, 2, 3, 4], gen(18))]);
  });

  it('bilinear, alignCorners false', () => {
    check(
      (x) => U.interpolate(x, { scaleFactor: [1.5, 2.3], mode: 'bilinear' }),
      [rn([1, 2, 3, 3], gen(19))],
    );
  });

  it('bilinear, alignCorners true, downscaling one dim', () => {
    check(
      (x) => U.interpolate(x, { size: [5, 2], mode: 'bilinear', alignCorners: true }),
      [rn([1, 1, 3, 4], gen(20))],
    );
  });

  it('linear and area', () => {
    check((x) => U.interpolate(x, { scaleFactor: 2.5, mode: 'linear' }), [rn([2, 2, 4], gen(21))]);
    check((x) => U.interpolate(x, { size: [2, 3], mode: 'area' }), [rn([1, 1, 5, 7], gen(22))]);
  });
});

describe('layers in float64', () => {
  it('Conv2d with reflect padding: input, weight and bias', () => {
    const conv = new Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' }).double();
    check(
      (x, w, b) => C.conv2d(F.pad(x, [1, 1, 1, 1], { mode: 'reflect' }), w, b),
      [rn([1, 2, 4, 4], gen(23)), conv.weight, conv.bias!],
    );
    check((x) => conv.forward(x), [rn([1, 2, 4, 4], gen(24))]);
  });

  it('ConvTranspose2d with outputSize', () => {
    const convT = new ConvTranspose2d(2, 2, 3, { stride: 2, padding: 1 }).double();
    check((x) => convT.forward(x, [6, 5]), [rn([1, 2, 3, 3], gen(25))]);
  });
});
