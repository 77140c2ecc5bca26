// Gradients tier for normalisation and embedding: gradcheck (and gradgradcheck) in float64.
import { describe, expect, it } from 'vitest';
import { tensor, zeros, ones, type Tensor } from '../../src/index.js';
import {
  batchNorm,
  batchNormComposite,
  embedding,
  groupNorm,
  layerNorm,
} from '../../src/nn/functional/normalization.js';
import { check, check2, gen, i32, rn } from './helpers.js';

describe('batchNorm', () => {
  it('training: with respect to input, weight and bias (running statistics updated aside)', () => {
    const g = gen(1);
    const rm = zeros([2], { dtype: 'float64' });
    const rv = ones([2], { dtype: 'float64' });
    check2(
      (x, w, b) => batchNorm(x, rm, rv, { weight: w, bias: b, training: true, eps: 1e-3 }),
      [rn([3, 2, 2], g), rn([2], g), rn([2], g)],
    );
  });

  it('training on [N, C] without running statistics', () => {
    const g = gen(2);
    check((x) => batchNorm(x, null, null, { training: true }), [rn([5, 2], g)]);
  });

  it('eval: with respect to input, weight and bias', () => {
    const g = gen(3);
    const rm = tensor([0.5, -1], { dtype: 'float64' });
    const rv = tensor([2, 0.3], { dtype: 'float64' });
    check(
      (x, w, b) => batchNorm(x, rm, rv, { weight: w, bias: b }),
      [rn([3, 2, 2, 2], g), rn([2], g), rn([2], g)],
    );
  });

  it('training without affine on a 2-d input, and with weight only on 5-d (double backward)', () => {
    const g = gen(11);
    check2((x) => batchNorm(x, null, null, { training: true }), [rn([4, 3], g)]);
    check2(
      (x, w) => batchNorm(x, null, null, { weight: w, training: true }),
      [rn([2, 2, 2, 1, 3], g), rn([2], g)],
    );
  });

  it('training with bias only on a 4-d input, C = 1 (double backward)', () => {
    const g = gen(12);
    check2(
      (x, b) => batchNorm(x, null, null, { bias: b, training: true, eps: 1e-2 }),
      [rn([2, 1, 2, 3], g), rn([1], g)],
    );
  });

  it('eval: double backward with and without affine, 2-d and 3-d inputs', () => {
    const g = gen(13);
    const rm = tensor([0.5, -1, 0.25], { dtype: 'float64' });
    const rv = tensor([2, 0.3, 1.5], { dtype: 'float64' });
    check2((x) => batchNorm(x, rm, rv), [rn([4, 3], g)]);
    check2(
      (x, w, b) => batchNorm(x, rm, rv, { weight: w, bias: b }),
      [rn([2, 3, 4], g), rn([3], g), rn([3], g)],
    );
  });

  it('eval: gradients reach running statistics that require them (the composite path)', () => {
    const g = gen(14);
    check(
      (x, m, v) => batchNorm(x, m, v.abs().add(0.5), { eps: 1e-3 }),
      [rn([3, 2, 2], g), rn([2], g), rn([2], g)],
    );
  });

  it('the fused primitives agree with the composed reference (values and gradients)', () => {
    const g = gen(15);
    for (const training of [true, false]) {
      const rm = rn([3], g).detach();
      const rv = rn([3], g).detach().abs().add(0.1);
      const [x, w, b, up] = [rn([4, 3, 5], g), rn([3], g), rn([3], g), rn([4, 3, 5], g).detach()];
      const run = (f: typeof batchNorm) => {
        const leaves = [x, w, b].map((t) => t.detach().requiresGrad_());
        const [m, v] = [rm.clone(), rv.clone()];
        const y = f(leaves[0]!, m, v, {
          weight: leaves[1]!,
          bias: leaves[2]!,
          training,
          momentum: 0.2,
        });
        y.mul(up).sum().backward();
        return [y, m, v, ...leaves.map((t) => t.grad!)];
      };
      const fused = run(batchNorm);
      const composed = run((input, m, v, o) =>
        batchNormComposite(input, m, v, { ...o, training, momentum: 0.2, eps: 1e-5 }),
      );
      fused.forEach((t, i) => {
        expect(
          t.sub(composed[i]!).abs().max().item(),
          `training ${training}, output ${i}`,
        ).toBeLessThan(1e-12);
      });
    }
  });
});

describe('layerNorm', () => {
  it('over the last dim, with weight and bias', () => {
    const g = gen(4);
    check2(
      (x, w, b) => layerNorm(x, 5, { weight: w, bias: b }),
      [rn([3, 5], g), rn([5], g), rn([5], g)],
    );
  });

  it('over the last two dims, without affine', () => {
    const g = gen(5);
    check((x) => layerNorm(x, [2, 3], { eps: 1e-4 }), [rn([2, 2, 3], g)]);
  });
});

describe('groupNorm', () => {
  for (const groups of [1, 2, 4]) {
    it(`${groups} groups, with respect to input, weight and bias`, () => {
      const g = gen(6 + groups);
      check(
        (x, w, b) => groupNorm(x, groups, { weight: w, bias: b }),
        [rn([2, 4, 3], g), rn([4], g), rn([4], g)],
      );
    });
  }

  it('second order', () => {
    const g = gen(11);
    check2((x) => groupNorm(x, 2), [rn([2, 4, 2], g)]);
  });
});

describe('embedding, with respect to the weight', () => {
  it('repeated indices add up', () => {
    check(
      (w) =>
        embedding(
          i32([
            [1, 3, 1],
            [0, 3, 3],
          ]),
          w,
        ),
      [rn([5, 2], gen(12))],
    );
  });

  it('with a padding index (its lookups masked out, so both Jacobians agree)', () => {
    const idx = i32([2, 0, 2, 4, 1]);
    const keep = idx.ne(2).unsqueeze(1).double();
    check((w: Tensor) => embedding(idx, w, { paddingIdx: 2 }).mul(keep), [rn([5, 3], gen(13))]);
  });

  it('maxNorm only rescales rows in place (the lookup is differentiable as usual)', () => {
    // norms stay below maxNorm, so the rescale leaves the weight alone between evaluations
    check((w) => embedding(i32([0, 1, 1]), w, { maxNorm: 100 }), [rn([3, 2], gen(14))]);
  });
});
