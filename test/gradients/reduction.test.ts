// Gradients tier: float64 gradcheck of reductions, norms, cumsum, softmax and logSoftmax.
import { describe, expect, it } from 'vitest';
import * as nb from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { check, f64, gen, leaf, pos, rn } from './helpers.js';

describe('sum and mean', () => {
  it('sum: full, per dim, several dims, keepdim, options object', () => {
    const x = rn([2, 3, 4], gen());
    check((a) => a.sum(), [x]);
    check((a) => a.sum(1), [x]);
    check((a) => a.sum(-1, true), [x]);
    check((a) => a.sum([0, 2]), [x]);
    check((a) => a.sum({ dim: [0, 1], keepdim: true }), [x]);
    check((a) => nb.sum(a.permute(2, 0, 1), 0), [x]);
  });

  it('mean: full, per dim, several dims, keepdim', () => {
    const x = rn([2, 3, 4], gen());
    check((a) => a.mean(), [x]);
    check((a) => a.mean(2), [x]);
    check((a) => a.mean([0, 2], true), [x]);
    check((a) => nb.mean(a.transpose(0, 2), 1), [x]);
  });
});

describe('prod', () => {
  it('without zeros', () => {
    const x = rn([3, 4], gen());
    check((a) => a.prod(), [x]);
    check((a) => a.prod(1), [x]);
    check((a) => a.prod(0, true), [x]);
    check((a) => nb.prod(a.t(), 1), [x]);
  });

  it('with one zero', () => {
    const x = f64([
      [0.5, -1.2, 0, 2],
      [1.5, 0.7, -0.3, 1.1],
      [0.9, 1.3, 0.6, -0.8],
    ]);
    check((a) => a.prod(), [x]);
    check((a) => a.prod(1), [x]);
    check((a) => a.prod(0), [x]);
  });

  it('with two zeros in one slice', () => {
    const x = f64([
      [0.5, 0, 0, 2],
      [1.5, 0.7, -0.3, 0],
    ]);
    check((a) => a.prod(), [x]);
    check((a) => a.prod(1), [x]);
    check((a) => a.prod(0), [x]);
  });
});

describe('max and min', () => {
  // A random input has no ties (with probability 1, and its gaps are far above eps).
  it('amax / amin: full and with dims', () => {
    const x = rn([3, 4, 2], gen());
    for (const f of [(a: Tensor) => a.amax(), (a: Tensor) => a.amin()]) check(f, [x]);
    check((a) => a.amax(1), [x]);
    check((a) => a.amin(1), [x]);
    check((a) => a.amax([0, 2], true), [x]);
    check((a) => a.amin([0, 2]), [x]);
    check((a) => nb.amax(a.transpose(0, 1), 0), [x]);
    check((a) => nb.amin(a, -1), [x]);
  });

  it('max() / min() over everything', () => {
    const x = rn([3, 4], gen());
    check((a) => a.max(), [x]);
    check((a) => a.min(), [x]);
  });

  it('max(dim) / min(dim): values (indices are not differentiable)', () => {
    const x = rn([3, 4], gen());
    check((a) => a.max(1).values, [x]);
    check((a) => a.min(0).values, [x]);
    check((a) => a.max(1, true)[0], [x]);
    check((a) => a.min(-1, true).values, [x]);
    check((a) => nb.maxDim(a.t(), 0).values, [x]);
    check((a) => nb.minDim(a, 1).values, [x]);
    // returning [values, indices]: gradcheck skips the integer output
    check((a) => a.max(0), [x]);
  });

  it('amax shares the gradient among ties (documented subgradient)', () => {
    const x = f64([1, 3, 3, 2]);
    x.amax().backward();
    const got = JSON.stringify(x.grad!.tolist());
    if (got !== '[0,0.5,0.5,0]') throw new Error(`amax tie gradient ${got}`);
  });
});

describe('var and std', () => {
  it('var: unbiased and biased, per dim, keepdim, correction', () => {
    const x = rn([3, 5], gen());
    check((a) => a.var(), [x]);
    check((a) => a.var(null, false), [x]);
    check((a) => a.var(1), [x]);
    check((a) => a.var(1, false), [x]);
    check((a) => a.var(0, true, true), [x]);
    check((a) => a.var({ dim: [0, 1], unbiased: false }), [x]);
    check((a) => a.var({ dim: 1, correction: 2, keepdim: true }), [x]);
    check((a) => nb.var(a.t(), 0), [x]);
  });

  it('std: unbiased and biased, per dim, keepdim', () => {
    const x = rn([3, 5], gen());
    check((a) => a.std(), [x]);
    check((a) => a.std(null, false), [x]);
    check((a) => a.std(1), [x]);
    check((a) => a.std(1, false, true), [x]);
    check((a) => a.std({ dim: 0, unbiased: false }), [x]);
    check((a) => nb.std(a.t(), 1), [x]);
  });
});

describe('var and std at their edges, as PyTorch', () => {
  // issue 13, defect 5: std's gradient was NaN where std is 0, and var's NaN everywhere when the
  // degrees of freedom are ≤ 0. The expected values are PyTorch 1.13's, in float64.
  const grad = (f: (a: Tensor) => Tensor, x: number | nb.NestedArray, g = 1): unknown => {
    const a = nb.tensor(x, { dtype: 'float64', requiresGrad: true });
    const y = f(a);
    y.backward(nb.fullLike(y, g));
    return a.grad!.tolist();
  };
  it("std's gradient is 0 where std is 0, and var's with no degrees of freedom is PyTorch's", () => {
    expect(grad((a) => a.std(), [2, 2, 2])).toEqual([0, 0, 0]);
    expect(
      grad(
        (a) => a.std(1),
        [
          [2, 2, 2],
          [1, 2, 3],
        ],
      ),
    ).toEqual([
      [0, 0, 0],
      [-0.5, 0, 0.5],
    ]);
    expect(grad((a) => a.std(null, false), [5])).toEqual([0]);
    expect(grad((a) => a.std(null, false), [3, 3])).toEqual([0, 0]);
    // dof = 0: ±inf, NaN where x equals the mean
    expect(grad((a) => a.var({ dim: 0, correction: 2 }), [5, 7])).toEqual([-Infinity, Infinity]);
    expect(grad((a) => a.var({ dim: 0, correction: 2 }), [5, 5])).toEqual([NaN, NaN]);
    expect(grad((a) => a.var({ dim: 0, correction: 3 }), [1, 2, 6])).toEqual([
      -Infinity,
      -Infinity,
      Infinity,
    ]);
    expect(grad((a) => a.var({ dim: 0, correction: 2, keepdim: true }), [1, 3], 2)).toEqual([
      -Infinity,
      Infinity,
    ]);
    expect(grad((a) => a.var(0), [5])).toEqual([NaN]);
    expect(grad((a) => a.var(1), [[5], [6]])).toEqual([[NaN], [NaN]]);
    expect(grad((a) => a.var(), [5])).toEqual([NaN]); // (PyTorch's own backward fails here)
    // dof < 0: (2/dof)·g·(x − mean), finite, −0 where x equals the mean
    expect(grad((a) => a.var({ dim: 0, correction: 3 }), [5, 7])).toEqual([2, -2]);
    expect(grad((a) => a.var({ dim: 0, correction: 3 }), [5, 5])).toEqual([-0, -0]);
    expect(grad((a) => a.var({ dim: 0, correction: 4 }), [1, 2, 6])).toEqual([4, 2, -6]);
    // std there: NaN for dof = 0 (0·inf), signed zeros for dof < 0
    expect(grad((a) => a.std({ dim: 0, correction: 2 }), [5, 7])).toEqual([NaN, NaN]);
    expect(grad((a) => a.std({ dim: 0, correction: 3 }), [5, 7])).toEqual([0, -0]);
    // 0-d: g·inf for dof = 0
    expect(grad((a) => a.var(), 5)).toEqual(Infinity);
    expect(grad((a) => a.var(), 5, 2)).toEqual(Infinity);
    expect(grad((a) => a.var(), 5, -2)).toEqual(-Infinity);
    expect(grad((a) => a.var({ correction: 2 }), 5)).toEqual(-0);
    expect(grad((a) => a.var(null, false), 5)).toEqual(0);
    expect(grad((a) => a.std(), 5)).toEqual(NaN);
    // the values themselves are unchanged: Σd²/0
    const v = nb.tensor([5, 7], { dtype: 'float64', requiresGrad: true });
    expect(v.var({ dim: 0, correction: 3 }).item()).toBe(Infinity);
    expect(
      nb.tensor([5, 5], { requiresGrad: true }).var({ dim: 0, correction: 3 }).item(),
    ).toBeNaN();
    expect(nb.tensor([2, 2, 2], { requiresGrad: true }).std().item()).toBe(0);
  });
});

describe('logsumexp, norm, cumsum', () => {
  it('logsumexp', () => {
    const x = rn([3, 4], gen());
    check((a) => a.logsumexp(1), [x]);
    check((a) => a.logsumexp(0, true), [x]);
    check((a) => a.logsumexp([0, 1]), [x]);
    check((a) => nb.logsumexp(a.t(), -1), [x]);
    // large values: the stable form must not overflow
    check((a) => a.mul(300).logsumexp(1), [x]);
  });

  it('norm p = 1, 2, 3, Infinity, -Infinity, fro: full and per dim', () => {
    const x = rn([3, 4], gen());
    for (const p of [1, 2, 3, Infinity, -Infinity, 'fro'] as const) {
      check((a) => a.norm(p), [x]);
      check((a) => a.norm(p, 1), [x]);
      check((a) => a.norm(p, 0, true), [x]);
      check((a) => nb.norm(a.t(), p, [0]), [x]);
    }
    check((a) => a.norm(), [x]);
    check((a) => a.norm(2.5, 1), [x]);
    check((a) => a.norm(0.5, 1), [x]);
  });

  it('cumsum along each dim', () => {
    const x = rn([3, 4], gen());
    check((a) => a.cumsum(0), [x]);
    check((a) => a.cumsum(1), [x]);
    check((a) => a.cumsum(-1), [x]);
    check((a) => nb.cumsum(a.t(), 1), [x]);
    const y = rn([5], gen(7));
    check((a) => a.cumsum(0), [y]);
  });
});

describe('softmax and logSoftmax', () => {
  it('softmax over each dim', () => {
    const x = rn([3, 4], gen());
    check((a) => a.softmax(1), [x]);
    check((a) => a.softmax(0), [x]);
    check((a) => nb.softmax(a.t(), -1), [x]);
    // 3-d, middle dim, and large logits
    const y = rn([2, 3, 2], gen());
    check((a) => a.softmax(1), [y]);
    check((a) => a.mul(100).softmax(2), [y]);
  });

  it('logSoftmax over each dim', () => {
    const x = rn([3, 4], gen());
    check((a) => a.logSoftmax(1), [x]);
    check((a) => a.logSoftmax(0), [x]);
    check((a) => nb.logSoftmax(a.t(), -1), [x]);
    const y = rn([2, 3, 2], gen());
    check((a) => a.logSoftmax(1), [y]);
    check((a) => a.mul(100).logSoftmax(2), [y]);
  });

  it('composites: cross-entropy-like and weighted softmax', () => {
    const g = gen();
    const logits = rn([4, 5], g);
    const w = pos([5], g);
    const target = nb.tensor([1, 0, 4, 2], { dtype: 'int32' });
    check((a) => a.logSoftmax(1).gather(1, target.unsqueeze(1)).neg().mean(), [logits]);
    check((a, b) => a.softmax(1).mul(b).sum(1), [logits, w]);
    const z = leaf(() => nb.randn([3], { dtype: 'float64', generator: g }));
    check((a) => a.sigmoid().log(), [z]);
  });
});
