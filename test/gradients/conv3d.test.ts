// Gradients tier for issue 13's 3-d ops and negative padding: gradcheck in float64 of conv3d, convTranspose3d, the 3-d pools, 5-d and nearest-exact interpolation and cropping pads.
import { describe, it } from 'vitest';
import { nn, randperm, type Generator, type Tensor } from '../../src/index.js';
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

describe('3-d convolutions', () => {
  it('conv3d: input, weight and bias, strided, padded and dilated per dim', () => {
    const g = gen(31);
    check(
      (x, w, b) =>
        F.conv3d(x, w, b, { stride: [2, 1, 1], padding: [1, 0, 1], dilation: [1, 2, 1] }),
      [rn([1, 2, 4, 5, 3], g), rn([2, 2, 2, 2, 2], g), rn([2], g)],
    );
  });

  it("conv3d: groups and 'same' padding, unbatched (double backward too)", () => {
    const g = gen(32);
    check2(
      (x, w) => F.conv3d(x, w, null, { groups: 2, padding: 'same' }),
      [rn([4, 3, 3, 3], g), rn([2, 2, 2, 1, 2], g)],
    );
  });

  it('convTranspose3d: stride, padding and output padding', () => {
    const g = gen(33);
    check(
      (x, w, b) => F.convTranspose3d(x, w, b, { stride: 2, padding: 1, outputPadding: [1, 0, 1] }),
      [rn([1, 2, 2, 2, 3], g), rn([2, 2, 3, 2, 3], g), rn([2], g)],
    );
  });

  it('convTranspose3d: groups, dilation, output padding beyond the stride', () => {
    const g = gen(34);
    check(
      (x, w) =>
        F.convTranspose3d(x, w, null, { groups: 2, dilation: [2, 1, 2], outputPadding: [1, 0, 1] }),
      [rn([1, 2, 2, 3, 2], g), rn([2, 1, 2, 2, 2], g)],
    );
  });
});

describe('3-d pooling', () => {
  it('maxPool3d: padding, dilation, ceil mode', () => {
    check(
      (x) =>
        F.maxPool3d(x, [2, 3, 2], { stride: 2, padding: 1, dilation: [1, 1, 2], ceilMode: true }),
      [distinct([1, 2, 4, 5, 5], gen(35))],
    );
  });

  it('maxPool3d: overlapping windows, unbatched', () => {
    check((x) => F.maxPool3d(x, 2, { stride: 1 }), [distinct([2, 3, 3, 4], gen(36))]);
  });

  it('maxPool3d: second derivatives through overlapping windows', () => {
    check2((x) => F.maxPool3d(x, 2, { stride: 1 }).square(), [distinct([1, 2, 3, 3, 3], gen(37))]);
  });

  it('avgPool3d: ceil mode, padding excluded', () => {
    check(
      (x) => F.avgPool3d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
      [rn([1, 2, 4, 5, 4], gen(37))],
    );
  });

  it('avgPool3d: divisor override, non-cubic', () => {
    check(
      (x) => F.avgPool3d(x, [2, 2, 3], { stride: [1, 2, 2], divisorOverride: 4 }),
      [rn([1, 1, 3, 4, 5], gen(38))],
    );
  });

  it('adaptiveAvgPool3d: non-divisible and larger than the input', () => {
    check((x) => F.adaptiveAvgPool3d(x, [2, 5, 3]), [rn([1, 2, 3, 4, 5], gen(39))]);
  });
});

describe('5-d and nearest-exact interpolation', () => {
  it('trilinear, alignCorners false and true', () => {
    check(
      (x) => F.interpolate(x, { scaleFactor: [1.5, 2, 0.7], mode: 'trilinear' }),
      [rn([1, 2, 2, 3, 4], gen(40))],
    );
    check(
      (x) => F.interpolate(x, { size: [3, 2, 4], mode: 'trilinear', alignCorners: true }),
      [rn([1, 1, 2, 3, 3], gen(41))],
    );
  });

  it('nearest on 5-d input, nearest-exact on 3-d, 4-d and 5-d input', () => {
    check((x) => F.interpolate(x, { scaleFactor: 1.7 }), [rn([1, 1, 2, 3, 2], gen(42))]);
    check((x) => F.interpolate(x, { size: 7, mode: 'nearest-exact' }), [rn([2, 1, 4], gen(43))]);
    check(
      (x) => F.interpolate(x, { scaleFactor: [2.5, 0.6], mode: 'nearest-exact' }),
      [rn([1, 1, 3, 5], gen(44))],
    );
    check(
      (x) => F.interpolate(x, { size: [3, 2, 5], mode: 'nearest-exact' }),
      [rn([1, 1, 2, 4, 3], gen(45))],
    );
  });
});

describe('pad with negative pads (cropping)', () => {
  it.each(['constant', 'reflect', 'replicate', 'circular'] as const)('%s', (mode) => {
    const g = gen(46);
    check((x) => F.pad(x, [-1, 2], { mode }), [rn([1, 2, 5], g)]);
    check((x) => F.pad(x, [2, -3, -1, 1], { mode }), [rn([1, 2, 4, 5], g)]);
    check((x) => F.pad(x, [1, -1, -1, 1, 1, -2], { mode }), [rn([1, 1, 4, 3, 5], g)]);
  });
});

describe('3-d layers in float64', () => {
  it('Conv3d with reflect padding: input, weight and bias', () => {
    const conv = new nn.Conv3d(2, 2, 2, { padding: 1, paddingMode: 'reflect' }).double();
    check((x) => conv.forward(x), [rn([1, 2, 3, 3, 3], gen(47))]);
    check(
      (x, w, b) => F.conv3d(F.pad(x, [1, 1, 1, 1, 1, 1], { mode: 'reflect' }), w, b),
      [rn([1, 2, 3, 3, 3], gen(48)), conv.weight, conv.bias!],
    );
  });

  it('ConvTranspose3d with outputSize', () => {
    const convT = new nn.ConvTranspose3d(2, 2, 3, { stride: 2, padding: 1 }).double();
    check((x) => convT.forward(x, [4, 3, 4]), [rn([1, 2, 2, 2, 2], gen(49))]);
  });
});
