// Gradients tier: float64 gradcheck of sort/topk/kthvalue/median/mode, einsum, scatterReduce and max unpooling (tie-free inputs: ties make these gradients ill-defined).
import { describe, it } from 'vitest';
import * as nb from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { check, check2, gen, i32, rn } from './helpers.js';

const F = nb.nn.functional;

// A fixed weight per output element so that the Jacobian is not a plain 0/1 pattern.
function weighted(y: Tensor): Tensor {
  const w = nb.arange(y.numel(), { dtype: y.dtype }).add(1).reshape(y.shape);
  return y.mul(w);
}

describe('sorting and selection', () => {
  it('sort: values along each dim, descending, of a transposed input', () => {
    const x = rn([3, 5], gen());
    check((a) => weighted(a.sort().values), [x]);
    check((a) => weighted(nb.sort(a, 0, true).values), [x]);
    check((a) => weighted(a.t().sort({ dim: 1, descending: true })[0]), [x]);
  });

  it('topk and kthvalue', () => {
    const x = rn([4, 6], gen(7));
    check((a) => weighted(a.topk(3).values), [x]);
    check((a) => weighted(nb.topk(a, 2, { dim: 0, largest: false }).values), [x]);
    check((a) => weighted(a.kthvalue(2).values), [x]);
    check((a) => weighted(nb.kthvalue(a, 4, 0, true).values), [x]);
  });

  it('median: along a dim (odd and even sizes) and of everything', () => {
    const x = rn([4, 5], gen(11));
    check((a) => weighted(a.median(1).values), [x]);
    check((a) => weighted(a.median(0, true).values), [x]);
    check((a) => nb.median(a), [x]);
    check((a) => nb.median(a.narrow(1, 0, 4)), [x]);
  });

  it('mode of distinct values (each occurs once: the smallest)', () => {
    const x = rn([3, 4], gen(13));
    check((a) => weighted(a.mode().values), [x]);
    check((a) => weighted(nb.mode(a, 0, true).values), [x]);
  });
});

describe('einsum', () => {
  type Case = [string, number[][]];
  const cases: Case[] = [
    [
      'ij,jk->ik',
      [
        [3, 4],
        [4, 2],
      ],
    ],
    [
      'bij,bjk',
      [
        [2, 3, 4],
        [2, 4, 2],
      ],
    ],
    ['ii', [[3, 3]]],
    ['ii->i', [[3, 3]]],
    ['bii->b', [[2, 3, 3]]],
    ['ij->ji', [[2, 3]]],
    ['i,j->ij', [[3], [2]]],
    ['i,i->', [[4], [4]]],
    [
      'bn,anm,bm->ba',
      [
        [2, 3],
        [2, 3, 4],
        [2, 4],
      ],
    ],
    [
      '...ij,...jk',
      [
        [2, 2, 3],
        [1, 3, 2],
      ],
    ],
    ['i...->...i', [[2, 3, 2]]],
    ['ii,i->i', [[3, 3], [3]]],
    [
      'bhqd,bhkd->bhqk',
      [
        [1, 2, 3, 4],
        [1, 2, 2, 4],
      ],
    ],
  ];
  it.each(cases)('%s', (eq, shapes) => {
    const g = gen(17);
    const xs = shapes.map((s) => rn(s, g));
    check((...ops) => weighted(nb.einsum(eq, ...ops)), xs);
  });

  it('second derivatives of a contraction', () => {
    const g = gen(19);
    check2((a, b) => nb.einsum('ij,jk->ik', a, b).pow(2).sum(), [rn([2, 3], g), rn([3, 2], g)]);
  });
});

describe('scatterReduce', () => {
  const index = () =>
    i32([
      [0, 1, 0, 2],
      [2, 1, 0, 0],
    ]);
  for (const reduce of ['sum', 'prod', 'mean', 'amax', 'amin'] as const) {
    for (const includeSelf of [true, false]) {
      it(`${reduce}, includeSelf ${includeSelf}: self and src`, () => {
        const g = gen(23);
        const x = rn([3, 4], g);
        const src = rn([2, 4], g);
        check(
          (a, s) => weighted(a.scatterReduce(0, index(), s, reduce, { includeSelf })),
          [x, src],
        );
      });
    }
  }

  it('along dim 1 of a transposed self, with a source larger than the index', () => {
    const g = gen(29);
    const x = rn([4, 3], g);
    const src = rn([3, 3], g);
    const idx = i32([
      [2, 2],
      [0, 1],
      [3, 3],
    ]);
    check((a, s) => weighted(nb.scatterReduce(a.t(), 1, idx, s, 'mean')), [x, src]);
  });
});

describe('max pooling indices and max unpooling', () => {
  it('maxUnpool2d: the gradient is gathered at the indices', () => {
    const [, indices] = F.maxPool2d(nb.randn([1, 2, 4, 6], { generator: gen(31) }), 2, {
      returnIndices: true,
    });
    const y = rn([1, 2, 2, 3], gen(37));
    check((a) => weighted(F.maxUnpool2d(a, indices, 2)), [y]);
    check((a) => weighted(F.maxUnpool2d(a, indices, 2, { outputSize: [5, 7] })), [y]);
  });

  it('maxPool2d with returnIndices: the values carry the gradient', () => {
    const x = rn([1, 2, 4, 4], gen(41));
    check((a) => weighted(F.maxPool2d(a, 2, { stride: 1, returnIndices: true })[0]), [x]);
  });
});
