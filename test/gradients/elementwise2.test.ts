// Gradients tier: float64 gradcheck of the pointwise ops of issue 13 (trigonometric, hyperbolic, log2/log10/exp2, atan2, copysign, hypot, logaddexp, lerp, remainder/fmod, the rounded ones).
import { describe, it } from 'vitest';
import * as nb from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { awayFromZero, check, check2, f64, gen, rn, ru } from './helpers.js';

type Unary = (x: Tensor) => Tensor;

describe('unary pointwise ops', () => {
  // [name, fn, [lo, hi] of the inputs]: domains keep away from poles and branch points.
  const cases: [string, Unary, [number, number]][] = [
    ['tan', (x) => x.tan(), [-1.3, 1.3]],
    ['asin', (x) => x.asin(), [-0.9, 0.9]],
    ['acos', (x) => x.acos(), [-0.9, 0.9]],
    ['atan', (x) => x.atan(), [-4, 4]],
    ['sinh', (x) => x.sinh(), [-3, 3]],
    ['cosh', (x) => x.cosh(), [-3, 3]],
    ['asinh', (x) => x.asinh(), [-4, 4]],
    ['acosh', (x) => x.acosh(), [1.2, 4]],
    ['atanh', (x) => x.atanh(), [-0.9, 0.9]],
    ['log2', (x) => x.log2(), [0.2, 5]],
    ['log10', (x) => x.log10(), [0.2, 5]],
    ['exp2', (x) => x.exp2(), [-3, 3]],
    ['functional tan', (x) => nb.tan(x), [-1.3, 1.3]],
    ['functional exp2', (x) => nb.exp2(x), [-3, 3]],
  ];
  it.each(cases)('%s', (_name, fn, [lo, hi]) => {
    const x = ru([3, 4], gen(), lo, hi);
    check(fn, [x]);
    // strided input: the transpose of a contiguous leaf
    check((y) => fn(y.t()), [x]);
  });

  it('second derivatives of the trigonometric and hyperbolic ops', () => {
    const x = ru([2, 3], gen(), -0.8, 0.8);
    check2((y) => y.tan().add(y.asin()).add(y.atan()).add(y.atanh()), [x]);
    check2((y) => y.sinh().add(y.cosh()).add(y.asinh()).add(y.acos()), [x]);
    check2((y) => y.add(2).acosh().add(y.add(2).log2()).add(y.add(2).log10()), [x]);
  });

  it('trunc and the rounded divisions have zero gradients (PyTorch convention)', () => {
    const x = f64([
      [-1.7, -0.3, 0.4],
      [1.6, 2.2, -2.8],
    ]);
    const y = f64([0.7, -1.3, 1.1]);
    check((a) => a.trunc().add(a), [x]);
    check(
      (a, b) =>
        nb
          .div(a, b, { roundingMode: 'trunc' })
          .add(a.div(b, { roundingMode: 'floor' }))
          .add(a),
      [x, y],
    );
  });
});

describe('binary pointwise ops', () => {
  type Binary = (a: Tensor, b: Tensor) => Tensor;
  // [name, fn, the operands' domain]: copysign's a stays away from 0, where its gradient jumps
  const cases: [string, Binary, 'any' | 'away'][] = [
    ['atan2', (a, b) => a.atan2(b), 'away'],
    ['functional atan2', (a, b) => nb.atan2(a, b), 'away'],
    ['copysign', (a, b) => a.copysign(b), 'away'],
    ['hypot', (a, b) => a.hypot(b), 'away'],
    ['functional hypot', (a, b) => nb.hypot(a, b), 'away'],
    ['logaddexp', (a, b) => a.logaddexp(b), 'any'],
    ['functional logaddexp', (a, b) => nb.logaddexp(a, b), 'any'],
  ];
  const shapes: [string, number[], number[]][] = [
    ['same shape', [3, 4], [3, 4]],
    ['broadcast both', [3, 1], [1, 4]],
    ['0-d operand', [3, 4], []],
  ];
  for (const [name, fn, domain] of cases) {
    it.each(shapes)(`${name}: %s`, (_label, sa, sb) => {
      const g = gen();
      const make = (s: number[]) => (domain === 'away' ? awayFromZero(s, g) : rn(s, g));
      check(fn, [make(sa), make(sb)]);
    });
    it(`${name}: non-contiguous operands, one requiring grad`, () => {
      const g = gen();
      const a = awayFromZero([4, 3], g);
      const b = awayFromZero([3, 4], g);
      check((x, y) => fn(x.t(), y), [a, b]);
      const c = b.detach();
      check((x) => fn(c, x.t()), [a]);
    });
  }

  it('logaddexp at ties and far apart', () => {
    const a = f64([1, -3, 0, 40, -40]);
    const b = f64([1, -3, 0, -40, 40]);
    check((x, y) => x.logaddexp(y), [a, b]);
  });

  it('remainder and fmod (away from the jumps at multiples of b)', () => {
    const a = f64([
      [5.3, -5.3, 2.2],
      [-0.7, 7.9, -8.6],
    ]);
    const b = f64([2.1, -1.6, 3.3]);
    check((x, y) => x.remainder(y), [a, b]);
    check((x, y) => nb.fmod(x, y), [a, b]);
    check((x) => nb.remainder(x, -1.5), [a]);
    check((x) => x.fmod(1.5), [a]);
    check((y) => nb.remainder(4.5, y), [b]);
  });
});

describe('lerp', () => {
  it('scalar weights, each side of 0.5 and outside [0, 1]', () => {
    const g = gen();
    const start = rn([3, 4], g);
    const end = rn([3, 4], g);
    for (const w of [0, 0.25, 0.5, 0.75, 1, -0.5, 1.5]) {
      check((s, e) => s.lerp(e, w), [start, end]);
    }
  });

  it('tensor weights, broadcast and strided', () => {
    const g = gen();
    const start = rn([3, 4], g);
    const end = rn([4, 3], g);
    const weight = ru([3, 4], g, -0.5, 1.5);
    check((s, e, w) => nb.lerp(s, e.t(), w), [start, end, weight]);
    const w4 = ru([4], g, 0, 1);
    check((s, e, w) => s.lerp(e, w), [start, rn([3, 1], g), w4]);
  });
});
