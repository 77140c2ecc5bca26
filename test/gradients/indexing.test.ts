// Gradients tier: float64 gradcheck of indexing: index (basic and advanced), indexSelect, gather, scatter, masks.
import { describe, it } from 'vitest';
import * as nb from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { check, gen, i32, mask, rn } from './helpers.js';

// A fixed weight per output element so that the Jacobian is not a plain 0/1 pattern.
function weighted(y: Tensor): Tensor {
  const w = nb.arange(y.numel(), { dtype: 'float64' }).add(1).reshape(y.shape);
  return y.mul(w);
}

describe('index (PyTorch x[...])', () => {
  type Case = [string, (x: Tensor) => Tensor];
  const cases: Case[] = [
    ['integer', (x) => x.index(1)],
    ['negative integer and slice', (x) => x.index(-1, '1:3')],
    ['slice with step', (x) => x.index(':', '::2')],
    ['ellipsis and integer', (x) => x.index('...', 2)],
    ['new axis', (x) => x.index(null, 0, ':', null)],
    ['int tensor', (x) => x.index(i32([1, 0]))],
    ['int array on dim 1', (x) => x.index(':', [0, 2, 1])],
    ['repeated indices (gradients add up)', (x) => x.index(i32([1, 1, 0, 1]))],
    ['repeated indices on the last dim', (x) => x.index('...', [3, 3, 0, 3])],
    ['negative int indices', (x) => x.index(':', i32([-1, 0, -1]))],
    [
      '2-d int index',
      (x) =>
        x.index(
          i32([
            [0, 1],
            [1, 1],
          ]),
        ),
    ],
    ['two adjacent advanced indices', (x) => x.index(i32([0, 1, 1]), i32([2, 0, 2]))],
    ['two non-adjacent advanced indices', (x) => x.index(i32([1, 0]), ':', i32([3, 3]))],
    ['advanced after a slice', (x) => x.index(':', '1:', [0, 3])],
    ['advanced broadcast against each other', (x) => x.index(i32([[0], [1]]), i32([0, 2, 1]))],
    ['bool mask on dim 0', (x) => x.index(mask([true, false]))],
    ['bool array on dim 1', (x) => x.index(':', [true, false, true])],
    [
      'bool mask over two dims',
      (x) =>
        x.index(
          mask([
            [true, false, true],
            [false, true, true],
          ]),
        ),
    ],
    ['bool mask after a slice', (x) => x.index(':', ':', mask([false, true, true, false]))],
    ['of a transposed input', (x) => x.transpose(0, 2).index(i32([3, 1, 3]), 1)],
  ];
  it.each(cases)('%s', (_name, fn) => {
    const x = rn([2, 3, 4], gen());
    check((a) => weighted(fn(a)), [x]);
  });
});

describe('indexSelect and gather', () => {
  it('indexSelect with repeats, per dim', () => {
    const x = rn([3, 4], gen());
    check((a) => weighted(a.indexSelect(0, i32([2, 0, 2]))), [x]);
    check((a) => weighted(a.indexSelect(1, [3, 3, 1])), [x]);
    check((a) => weighted(nb.indexSelect(a.t(), 0, i32([0, 3]))), [x]);
  });

  it('gather with repeated indices', () => {
    const x = rn([3, 4], gen());
    const idx0 = i32([
      [0, 2, 1, 2],
      [2, 2, 0, 1],
    ]);
    const idx1 = i32([
      [3, 0, 3],
      [1, 1, 2],
      [0, 0, 0],
    ]);
    check((a) => weighted(a.gather(0, idx0)), [x]);
    check((a) => weighted(a.gather(1, idx1)), [x]);
    check(
      (a) =>
        weighted(
          nb.gather(
            a.t(),
            0,
            i32([
              [1, 0, 2],
              [2, 2, 1],
            ]),
          ),
        ),
      [x],
    );
  });
});

describe('scatter and scatterAdd', () => {
  it('scatter: gradients wrt self and src (no duplicate targets)', () => {
    const g = gen();
    const x = rn([3, 4], g);
    const src = rn([2, 4], g);
    // along dim 0 each column's two targets differ
    const idx = i32([
      [0, 2, 1, 0],
      [2, 1, 0, 1],
    ]);
    check((a, s) => weighted(a.scatter(0, idx, s)), [x, src]);
    check((a) => weighted(a.scatter(0, idx, src.detach())), [x]);
    check((s) => weighted(x.detach().scatter(0, idx, s)), [src]);
    // index smaller than src: the unreached part of src gets zero gradient
    const big = rn([3, 5], g);
    const idx1 = i32([
      [3, 0],
      [1, 2],
    ]);
    check((a, s) => weighted(nb.scatter(a, 1, idx1, s)), [x, big]);
    // scalar src
    check((a) => weighted(a.scatter(1, idx1, 2.5)), [x]);
  });

  it('scatterAdd: gradients wrt self and src (duplicate targets add up)', () => {
    const g = gen();
    const x = rn([3, 4], g);
    const src = rn([2, 4], g);
    const idx = i32([
      [0, 2, 1, 0],
      [0, 1, 1, 2],
    ]);
    check((a, s) => weighted(a.scatterAdd(0, idx, s)), [x, src]);
    const big = rn([3, 5], g);
    const idx1 = i32([
      [3, 3, 0],
      [1, 2, 1],
    ]);
    check((a, s) => weighted(nb.scatterAdd(a, 1, idx1, s)), [x, big]);
    check(
      (a, s) => weighted(nb.scatterAdd(a.t(), 0, i32([[0, 1, 0]]), s.t())),
      [rn([4, 3], g), big],
    );
  });
});

describe('masks', () => {
  const m = mask([
    [true, false, false, true],
    [false, true, false, false],
    [true, true, false, true],
  ]);

  it('maskedFill with a scalar and with a 0-d tensor value (gradient to the value)', () => {
    const g = gen();
    const x = rn([3, 4], g);
    const v = rn([], g);
    check((a) => weighted(a.maskedFill(m, -2)), [x]);
    check((a, b) => weighted(a.maskedFill(m, b)), [x, v]);
    check((a, b) => weighted(nb.maskedFill(a.t(), m.t(), b)), [x, v]);
    // broadcast mask
    check((a) => weighted(a.maskedFill(mask([false, true, true, false]), 0)), [x]);
  });

  it('maskedSelect, also with a broadcast mask', () => {
    const x = rn([3, 4], gen());
    check((a) => weighted(a.maskedSelect(m)), [x]);
    check((a) => weighted(nb.maskedSelect(a, mask([true, false, true, true]))), [x]);
    check((a) => weighted(a.t().maskedSelect(m.t())), [x]);
    // input broadcast up to the mask's shape
    check((a) => weighted(a.select(0, 1).maskedSelect(m)), [x]);
  });
});
