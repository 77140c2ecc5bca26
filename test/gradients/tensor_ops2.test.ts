// Gradients tier for issue 13's activations and tensor ops: float64 gradcheck (gradgradcheck where smooth).
import { describe, it } from 'vitest';
import * as nb from '../../src/index.js';
import { nn, type Tensor } from '../../src/index.js';
import { check, check2, f64, gen, i32, rn, ru } from './helpers.js';

const F = nn.functional;

describe('activations', () => {
  const smooth: [string, (x: Tensor) => Tensor][] = [
    ['logsigmoid', F.logsigmoid],
    ['softmin', (x) => F.softmin(x, 1)],
    ['softmin dim 0', (x) => F.softmin(x, 0)],
    ['normalize', (x) => F.normalize(x)],
    ['normalize p=3 dim 0', (x) => F.normalize(x, { p: 3, dim: 0 })],
  ];
  for (const [name, fn] of smooth) {
    it(name, () => check2(fn, [rn([3, 4], gen())]));
  }

  // Uniform in [−5, 5): every piece of the piecewise ones is hit, and no draw sits on a kink
  // (twice too: hardswish's second derivative is 1/3 inside [−3, 3], as PyTorch's).
  const piecewise: [string, (x: Tensor) => Tensor][] = [
    ['celu', (x) => F.celu(x)],
    ['celu alpha 0.5', (x) => F.celu(x, 0.5)],
    ['hardswish', F.hardswish],
    ['hardsigmoid', F.hardsigmoid],
    ['softsign', F.softsign],
  ];
  for (const [name, fn] of piecewise) {
    it(name, () => check2(fn, [ru([4, 5], gen(5), -5, 5)]));
  }

  it('normalize with a norm below eps passes no gradient through the norm', () => {
    check((x) => F.normalize(x, { dim: 1, eps: 10 }), [rn([2, 3], gen(2))]);
  });
});

describe('triangles and diagonals', () => {
  it('tril and triu, offsets and batches', () => {
    const x = rn([2, 3, 4], gen());
    check((a) => a.tril(), [x]);
    check((a) => a.triu(1), [x]);
    check((a) => nb.tril(a.transpose(1, 2), -1), [x]);
  });

  it('diag both ways and diagonal (a view; and twice)', () => {
    const g = gen(4);
    check((a) => nb.diag(a, 1), [rn([3], g)]);
    check((a) => a.diag(-2), [rn([3], g)]);
    const m = rn([3, 4], g);
    check((a) => a.diag(), [m]);
    check((a) => a.t().diag(1), [m]);
    check2((a) => a.diagonal(1, 2, 0), [rn([2, 3, 4], g)]);
    check2((a) => nb.diagonal(a.permute(2, 0, 1), -1, -1, -2), [rn([3, 2, 4], g)]);
  });
});

describe('rearranging', () => {
  it('roll, flattened and along dims', () => {
    const x = rn([3, 4], gen());
    check((a) => a.roll(5), [x]);
    check((a) => nb.roll(a.t(), [1, -3], [0, 1]), [x]);
  });

  it('repeatInterleave with a count and with counts', () => {
    const x = rn([3, 2], gen());
    check((a) => a.repeatInterleave(2), [x]);
    check((a) => a.repeatInterleave(3, 1), [x]);
    check((a) => nb.repeatInterleave(a, i32([2, 0, 3]), 0), [x]);
  });

  it('Tensor.unfold: overlapping and strided windows (views, and twice)', () => {
    const x = rn([3, 7], gen());
    check2((a) => a.unfold(1, 3, 1), [x]);
    check2((a) => a.t().unfold(0, 2, 3), [x]);
    check((a) => a.unfold(0, 3, 1).unfold(1, 2, 2), [x]);
  });

  it('meshgrid, both indexings', () => {
    const g = gen(6);
    const a = rn([3], g);
    const b = rn([2], g);
    check((p, q) => nb.meshgrid(p, q, { indexing: 'ij' }), [a, b]);
    check((p, q) => nb.meshgrid([p, q], { indexing: 'xy' }), [a, b]);
  });
});

describe('scans', () => {
  it('cumprod without zeros (and twice)', () => {
    const x = rn([3, 4], gen());
    check2((a) => a.cumprod(1), [x]);
    check2((a) => nb.cumprod(a.t(), 0), [x]);
  });

  it('cumprod with one and with two zeros in a row', () => {
    const x = f64([
      [0.5, -1.2, 0, 2, 1.3],
      [1.5, 0, 0.7, 0, 1.1],
      [0, 1.3, 0.6, -0.8, 0.9],
    ]);
    check((a) => a.cumprod(1), [x]);
    check((a) => a.cumprod(0), [x]);
  });

  it('cummax and cummin values', () => {
    const x = rn([3, 5], gen(8));
    check((a) => a.cummax(1).values, [x]);
    check((a) => nb.cummin(a.t(), 0).values, [x]);
  });

  it('logcumsumexp (and twice), with a negative upstream in the mix', () => {
    const x = rn([3, 5], gen(9));
    check2((a) => a.logcumsumexp(1), [x]);
    check2((a) => nb.logcumsumexp(a.t(), 0).mul(-1), [x]);
  });
});

describe('reductions with options', () => {
  it('stdMean and varMean', () => {
    const x = rn([3, 4], gen());
    check2((a) => nb.stdMean(a, 1), [x]);
    check2((a) => nb.varMean(a, { dim: 0, correction: 0, keepdim: true }), [x]);
  });

  it('sum and prod with a dtype', () => {
    const x = rn([3, 4], gen());
    check((a) => a.sum(1, false, { dtype: 'float64' }), [x]);
    check((a) => nb.prod(a, { dim: 0, dtype: 'float64' }), [x]);
  });
});
