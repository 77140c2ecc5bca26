// Gradient tier for the losses: float64 gradcheck (and gradgradcheck where the loss is smooth) of every loss, option and reduction.
import { describe, it } from 'vitest';
import { noGrad, softmax, tensor, type Tensor } from '../../src/index.js';
import * as F from '../../src/nn/functional/loss.js';
import { awayFromZero, check, check2, f64, gen, i32, leaf, pos, rn, ru } from './helpers.js';

const REDUCTIONS = ['none', 'mean', 'sum'] as const;

/** A float64 constant (no grad). */
function c64(values: number[]): Tensor {
  return tensor(values, { dtype: 'float64' });
}

/** Probabilities along `dim` as a float64 leaf (rows of a softmax of normal draws). */
function probLeaf(shape: number[], dim: number, seed: number): Tensor {
  return leaf(() => softmax(rn(shape, gen(seed)).detach(), dim));
}

describe('regression losses', () => {
  it.each(REDUCTIONS)('mseLoss (%s), input and target', (reduction) => {
    const g = gen(1);
    check2((x, y) => F.mseLoss(x, y, { reduction }), [rn([3, 4], g), rn([3, 4], g)]);
  });

  it.each(REDUCTIONS)('l1Loss (%s), away from the kink', (reduction) => {
    const g = gen(2);
    const y = rn([3, 4], g);
    const x = leaf(() => y.detach().add(awayFromZero([3, 4], g).detach()));
    check((a, b) => F.l1Loss(a, b, { reduction }), [x, y]);
  });

  // |input − target| kept away from beta / delta, where the pieces meet.
  const diffs = [-2.5, -0.7, -0.1, 0.05, 0.3, 0.8, 1.4, 3];

  it.each([
    [1, 'mean'],
    [0.5, 'sum'],
    [2, 'none'],
    [0, 'mean'],
  ] as const)('smoothL1Loss beta=%s (%s)', (beta, reduction) => {
    const y = rn([8], gen(3));
    const x = leaf(() => y.detach().add(c64(diffs)));
    check((a, b) => F.smoothL1Loss(a, b, { beta, reduction }), [x, y]);
  });

  it.each([
    [1, 'mean'],
    [0.5, 'none'],
    [2, 'sum'],
  ] as const)('huberLoss delta=%s (%s)', (delta, reduction) => {
    const y = rn([8], gen(4));
    const x = leaf(() => y.detach().add(c64(diffs)));
    check2((a, b) => F.huberLoss(a, b, { delta, reduction }), [x, y]);
  });
});

describe('crossEntropy and nllLoss', () => {
  const weight = c64([0.5, 1.5, 1, 2]);

  it.each(REDUCTIONS)(
    'crossEntropy with class indices, weight and ignoreIndex (%s)',
    (reduction) => {
      const target = i32([0, 3, -100, 2, 1]);
      check2((x) => F.crossEntropy(x, target, { weight, reduction }), [rn([5, 4], gen(5))]);
    },
  );

  it.each(REDUCTIONS)(
    'crossEntropy with label smoothing, weight and ignoreIndex (%s)',
    (reduction) => {
      const target = i32([0, 3, -100, 2, 1]);
      const opts = { weight, labelSmoothing: 0.2, reduction };
      check2((x) => F.crossEntropy(x, target, opts), [rn([5, 4], gen(6))]);
    },
  );

  it.each(REDUCTIONS)('crossEntropy K-dimensional [N, C, d1, d2] (%s)', (reduction) => {
    const target = i32([
      [
        [0, 3, 1],
        [2, -100, 3],
      ],
      [
        [1, 1, 0],
        [3, 2, -100],
      ],
    ]);
    const opts = { weight, labelSmoothing: 0.1, reduction };
    check((x) => F.crossEntropy(x, target, opts), [rn([2, 4, 2, 3], gen(7))]);
  });

  it('crossEntropy of one unbatched sample', () => {
    const target = tensor(2, { dtype: 'int32' });
    check((x) => F.crossEntropy(x, target, { labelSmoothing: 0.3 }), [rn([4], gen(8))]);
  });

  it.each(REDUCTIONS)(
    'crossEntropy with class probabilities, input and target (%s)',
    (reduction) => {
      const opts = { weight, labelSmoothing: 0.1, reduction };
      check2((x, t) => F.crossEntropy(x, t, opts), [rn([3, 4], gen(9)), probLeaf([3, 4], 1, 10)]);
    },
  );

  it('crossEntropy with K-dimensional class probabilities', () => {
    check((x, t) => F.crossEntropy(x, t), [rn([2, 4, 3], gen(11)), probLeaf([2, 4, 3], 1, 12)]);
  });

  it.each(REDUCTIONS)('nllLoss with weight and ignoreIndex (%s)', (reduction) => {
    const target = i32([1, 0, 3, 3, 2]);
    const opts = { weight, ignoreIndex: 3, reduction };
    check2((x) => F.nllLoss(x, target, opts), [rn([5, 4], gen(13))]);
  });

  it('nllLoss K-dimensional', () => {
    const target = i32([
      [0, 2, 3],
      [-100, 1, 1],
    ]);
    check((x) => F.nllLoss(x, target, { weight }), [rn([2, 4, 3], gen(14))]);
  });
});

describe('binary losses', () => {
  it.each(REDUCTIONS)('binaryCrossEntropy with weight, input and target (%s)', (reduction) => {
    const g = gen(15);
    const weight = pos([4], g).detach();
    check2(
      (x, t) => F.binaryCrossEntropy(x, t, { weight, reduction }),
      [ru([3, 4], g, 0.05, 0.95), ru([3, 4], g, 0, 1)],
    );
  });

  it.each(REDUCTIONS)('binaryCrossEntropyWithLogits (%s)', (reduction) => {
    const g = gen(16);
    check2(
      (x, t) => F.binaryCrossEntropyWithLogits(x, t, { reduction }),
      [rn([3, 4], g), ru([3, 4], g, 0, 1)],
    );
  });

  it.each(REDUCTIONS)(
    'binaryCrossEntropyWithLogits with weight and posWeight (%s)',
    (reduction) => {
      const g = gen(17);
      const weight = pos([3, 1], g).detach();
      const posWeight = pos([4], g).detach();
      check2(
        (x, t) => F.binaryCrossEntropyWithLogits(x, t, { weight, posWeight, reduction }),
        [rn([3, 4], g), ru([3, 4], g, 0, 1)],
      );
    },
  );

  it('binaryCrossEntropyWithLogits at large logits', () => {
    const x = f64([-40, -12, 12, 40]);
    check((a, t) => F.binaryCrossEntropyWithLogits(a, t), [x, ru([4], gen(18), 0, 1)]);
  });
});

describe('klDiv', () => {
  it.each([...REDUCTIONS, 'batchmean'] as const)('klDiv (%s), input and target', (reduction) => {
    const x = leaf(() => noGrad(() => rn([3, 4], gen(19)).logSoftmax(1)));
    check2((a, t) => F.klDiv(a, t, { reduction }), [x, probLeaf([3, 4], 1, 20)]);
  });

  it.each([...REDUCTIONS, 'batchmean'] as const)('klDiv with logTarget (%s)', (reduction) => {
    const g = gen(21);
    check2((a, t) => F.klDiv(a, t, { reduction, logTarget: true }), [rn([3, 4], g), rn([3, 4], g)]);
  });

  it('klDiv with zeros in the target (input gradient)', () => {
    const target = c64([0, 0.5, 0, 0.5]);
    check((a) => F.klDiv(a, target, { reduction: 'sum' }), [rn([4], gen(22))]);
  });
});
