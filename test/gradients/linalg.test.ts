// Gradients tier: float64 gradcheck of matrix products (matmul in every rank combination, mm, bmm, dot, outer).
import { describe, it } from 'vitest';
import * as nb from '../../src/index.js';
import { check, gen, rn } from './helpers.js';

describe('matmul', () => {
  // [label, shape of a, shape of b]
  const shapes: [string, number[], number[]][] = [
    ['1-d @ 1-d', [4], [4]],
    ['1-d @ 2-d', [3], [3, 2]],
    ['2-d @ 1-d', [2, 3], [3]],
    ['2-d @ 2-d', [2, 3], [3, 4]],
    ['3-d @ 3-d (batched)', [2, 2, 3], [2, 3, 2]],
    ['3-d @ 2-d (broadcast batch)', [2, 2, 3], [3, 2]],
    ['2-d @ 3-d (broadcast batch)', [2, 3], [2, 3, 2]],
    ['4-d @ 3-d (broadcast batch dims)', [2, 1, 2, 3], [3, 3, 2]],
    ['3-d @ 1-d', [2, 2, 3], [3]],
    ['1-d @ 3-d', [3], [2, 3, 2]],
  ];
  it.each(shapes)('%s', (_label, sa, sb) => {
    const g = gen();
    const a = rn(sa, g);
    const b = rn(sb, g);
    check((x, y) => x.matmul(y), [a, b]);
    check((x, y) => nb.matmul(x, y), [a, b]);
  });

  it('non-contiguous operands (transposed, permuted, sliced)', () => {
    const g = gen();
    const a = rn([3, 2], g);
    const b = rn([4, 3], g);
    check((x, y) => x.t().matmul(y.t()), [a, b]);
    const c = rn([3, 2, 2], g);
    const d = rn([2, 3, 4], g);
    // batched with permuted batch dims and a stepped slice
    check((x, y) => x.permute(1, 2, 0).matmul(y.slice(2, 0, 4, 2)), [c, d]);
    check((x, y) => x.mT.matmul(y.transpose(1, 2).contiguous().mT), [rn([2, 3, 2], g), d]);
  });

  it('only one operand requires grad', () => {
    const g = gen();
    const a = rn([2, 3], g);
    const b = rn([3, 2], g).detach();
    check((x) => x.matmul(b), [a]);
    check((x) => b.matmul(x), [a]);
  });
});

describe('mm, bmm, dot, outer', () => {
  it('mm', () => {
    const g = gen();
    const a = rn([2, 3], g);
    const b = rn([3, 4], g);
    check((x, y) => x.mm(y), [a, b]);
    check((x, y) => nb.mm(y.t(), x.t()), [a, b]);
  });

  it('bmm', () => {
    const g = gen();
    const a = rn([2, 2, 3], g);
    const b = rn([2, 3, 2], g);
    check((x, y) => x.bmm(y), [a, b]);
    check((x, y) => nb.bmm(y.mT, x.mT), [a, b]);
  });

  it('dot', () => {
    const g = gen();
    const a = rn([5], g);
    const b = rn([5], g);
    check((x, y) => x.dot(y), [a, b]);
    const m = rn([5, 2], g);
    check((x, y) => nb.dot(x, y.select(1, 1)), [a, m]);
  });

  it('outer', () => {
    const g = gen();
    const a = rn([3], g);
    const b = rn([4], g);
    check((x, y) => x.outer(y), [a, b]);
    check((x, y) => nb.outer(y.flip(0), x), [a, b]);
  });
});
