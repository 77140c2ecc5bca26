// Gradients tier for issue 13's leftovers: float64 gradcheck of scaled dot-product attention, repeatInterleave with outputSize and the dtype option of the scans and softmaxes.
import { describe, it } from 'vitest';
import * as nb from '../../src/index.js';
import { manualSeed, nn, type Tensor } from '../../src/index.js';
import { check, check2, gen, i32, mask, rn } from './helpers.js';

const F = nn.functional;
const sdpa = F.scaledDotProductAttention;

describe('scaledDotProductAttention', () => {
  it('query, key and value, batched and unbatched (and twice)', () => {
    const g = gen();
    check2((q, k, v) => sdpa(q, k, v), [rn([2, 3, 4], g), rn([2, 5, 4], g), rn([2, 5, 3], g)]);
    check((q, k, v) => sdpa(q, k, v), [rn([3, 2], g), rn([4, 2], g), rn([4, 5], g)]);
  });

  it('broadcast batch dims and strided inputs', () => {
    const g = gen(2);
    check((q, k, v) => sdpa(q, k, v), [rn([2, 1, 3, 4], g), rn([3, 5, 4], g), rn([5, 2], g)]);
    check(
      (q, k, v) => sdpa(q.transpose(-2, -1), k.transpose(-2, -1), v),
      [rn([2, 4, 3], g), rn([2, 4, 5], g), rn([2, 5, 2], g)],
    );
  });

  it('a float mask (its gradient too), and a broadcast bool mask', () => {
    const g = gen(3);
    check(
      (q, k, v, m) => sdpa(q, k, v, { attnMask: m }),
      [rn([2, 3, 4], g), rn([2, 5, 4], g), rn([2, 5, 4], g), rn([3, 5], g)],
    );
    const keep = mask([[[true, false, true, true, false]], [[true, true, true, false, false]]]);
    check(
      (q, k, v) => sdpa(q, k, v, { attnMask: keep.unsqueeze(1) }),
      [rn([2, 2, 3, 4], g), rn([2, 2, 5, 4], g), rn([2, 2, 5, 3], g)],
    );
  });

  it('isCausal, square and wide, and a scale', () => {
    const g = gen(4);
    check(
      (q, k, v) => sdpa(q, k, v, { isCausal: true }),
      [rn([2, 4, 3], g), rn([2, 4, 3], g), rn([2, 4, 3], g)],
    );
    check(
      (q, k, v) => sdpa(q, k, v, { isCausal: true, scale: 0.7 }),
      [rn([3, 4], g), rn([5, 4], g), rn([5, 2], g)],
    );
  });

  it('with dropout: the gradient through the same dropped weights (the seed set per call)', () => {
    const g = gen(5);
    check(
      (q, k, v) => {
        manualSeed(17);
        return sdpa(q, k, v, { dropoutP: 0.4 });
      },
      [rn([2, 3, 4], g), rn([2, 5, 4], g), rn([2, 5, 3], g)],
    );
  });
});

describe('repeatInterleave with outputSize', () => {
  it('counts tensor and single count', () => {
    const x = rn([3, 2], gen());
    check((a) => nb.repeatInterleave(a, i32([2, 0, 3]), 0, { outputSize: 5 }), [x]);
    check((a) => a.repeatInterleave(3, 1, { outputSize: 6 }), [x]);
    check((a) => a.t().repeatInterleave(2, { outputSize: 12 }), [x]);
  });
});

describe('dtype option', () => {
  // gradcheck runs in float64; on the fast backends the float32 run casts to float64 first
  it('cumsum and cumprod', () => {
    const g = gen();
    check((a) => a.cumsum(1, { dtype: 'float64' }), [rn([3, 4], g)]);
    check((a) => nb.cumprod(a.t(), 0, { dtype: 'float64' }), [rn([3, 4], g)]);
  });

  it('softmax, logSoftmax and softmin (and twice)', () => {
    const fns: ((x: Tensor) => Tensor)[] = [
      (x) => x.softmax(1, { dtype: 'float64' }),
      (x) => nb.logSoftmax(x, 0, { dtype: 'float64' }),
      (x) => F.softmin(x, -1, { dtype: 'float64' }),
    ];
    for (const fn of fns) check2(fn, [rn([3, 4], gen(6))]);
  });
});
