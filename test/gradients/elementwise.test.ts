// Gradients tier: float64 gradcheck of the elementwise ops (unary, binary with broadcasting and strided inputs, clamp, where).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nb from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { apply } from '../../src/ops/apply.js';
import { setFusionThreshold } from '../../src/ops/fusion.js';
import { awayFromZero, check, check2, f64, gen, leaf, mask, pos, rn, ru } from './helpers.js';

type Unary = (x: Tensor) => Tensor;

describe('unary ops', () => {
  // [name, fn, input maker]: domains keep away from poles and kinks.
  const cases: [string, Unary, 'any' | 'pos' | 'away' | 'unit'][] = [
    ['neg', (x) => x.neg(), 'any'],
    ['abs', (x) => x.abs(), 'away'],
    ['exp', (x) => x.exp(), 'any'],
    ['log', (x) => x.log(), 'pos'],
    ['log1p', (x) => x.log1p(), 'unit'],
    ['expm1', (x) => x.expm1(), 'any'],
    ['sqrt', (x) => x.sqrt(), 'pos'],
    ['rsqrt', (x) => x.rsqrt(), 'pos'],
    ['sin', (x) => x.sin(), 'any'],
    ['cos', (x) => x.cos(), 'any'],
    ['tanh', (x) => x.tanh(), 'any'],
    ['sigmoid', (x) => x.sigmoid(), 'any'],
    ['erf', (x) => x.erf(), 'any'],
    ['functional erf', (x) => nb.erf(x), 'any'],
    ['relu', (x) => x.relu(), 'away'],
    ['square', (x) => x.square(), 'any'],
    ['reciprocal', (x) => x.reciprocal(), 'pos'],
    ['reciprocal (negative)', (x) => x.neg().reciprocal(), 'pos'],
    ['sign (zero gradient)', (x) => x.sign().add(x), 'away'],
    [
      'floor/ceil/round (zero gradient)',
      (x) => x.floor().add(x.ceil()).add(x.round()).add(x),
      'away',
    ],
    ['functional exp', (x) => nb.exp(x), 'any'],
    ['functional relu', (x) => nb.relu(x), 'away'],
  ];
  it.each(cases)('%s', (_name, fn, domain) => {
    const g = gen();
    const shape = [3, 4];
    const x =
      domain === 'pos'
        ? pos(shape, g)
        : domain === 'away'
          ? awayFromZero(shape, g)
          : domain === 'unit'
            ? ru(shape, g, -0.5, 2)
            : rn(shape, g);
    check(fn, [x]);
    // strided input: the transpose of a contiguous leaf
    check((y) => fn(y.t()), [x]);
  });
});

describe('binary ops', () => {
  type Binary = (a: Tensor, b: Tensor) => Tensor;
  const cases: [string, Binary, boolean][] = [
    ['add', (a, b) => a.add(b), false],
    ['add alpha', (a, b) => a.add(b, { alpha: -2.5 }), false],
    ['functional add alpha', (a, b) => nb.add(a, b, { alpha: 3 }), false],
    ['sub', (a, b) => a.sub(b), false],
    ['sub alpha', (a, b) => a.sub(b, { alpha: 0.5 }), false],
    ['mul', (a, b) => a.mul(b), false],
    ['div', (a, b) => a.div(b), true],
    ['pow tensor^tensor', (a, b) => a.pow(b), true],
    ['functional pow', (a, b) => nb.pow(a, b), true],
  ];
  // [label, shape of a, shape of b]
  const shapes: [string, number[], number[]][] = [
    ['same shape', [3, 4], [3, 4]],
    ['broadcast rank', [2, 3, 4], [4]],
    ['broadcast both', [3, 1], [1, 4]],
    ['0-d operand', [3, 4], []],
  ];
  for (const [name, fn, positive] of cases) {
    it.each(shapes)(`${name}: %s`, (_label, sa, sb) => {
      const g = gen();
      const a = positive ? pos(sa, g) : rn(sa, g);
      const b = positive ? pos(sb, g) : rn(sb, g);
      check(fn, [a, b]);
    });
    it(`${name}: non-contiguous operands`, () => {
      const g = gen();
      const a = positive ? pos([4, 3], g) : rn([4, 3], g);
      const b = positive ? pos([3, 4], g) : rn([3, 4], g);
      check((x, y) => fn(x.t(), y), [a, b]);
      check((x, y) => fn(y, x.t()), [a, b]);
      // a stepped slice as well as a transpose
      const c = positive ? pos([3, 8], g) : rn([3, 8], g);
      check((x, z) => fn(x.t(), z.slice(1, 0, 8, 2)), [a, c]);
    });
    it(`${name}: only one operand requires grad`, () => {
      const g = gen();
      const a = positive ? pos([3, 4], g) : rn([3, 4], g);
      const b = (positive ? pos([4], g) : rn([4], g)).detach();
      check(fn, [a, b]);
      check((x) => fn(b.expand(3, 4), x), [a]);
    });
  }

  it('scalar operands', () => {
    const g = gen();
    const x = pos([2, 3], g);
    check((a) => a.add(1.5), [x]);
    check((a) => nb.add(2, a), [x]);
    check((a) => a.sub(0.25), [x]);
    check((a) => nb.sub(1, a), [x]);
    check((a) => a.mul(-3), [x]);
    check((a) => a.div(4), [x]);
    check((a) => nb.div(2, a), [x]);
  });

  it('pow tensor^scalar', () => {
    const g = gen();
    const x = pos([2, 3], g);
    for (const e of [2, 3, 0.5, 2.5, -1, -1.5, 0]) check((a) => a.pow(e), [x]);
    // integer exponents are fine for negative bases too
    const y = awayFromZero([2, 3], g);
    for (const e of [2, 3, -2]) check((a) => a.pow(e), [y]);
  });

  it('pow scalar^tensor', () => {
    const g = gen();
    const x = rn([2, 3], g);
    check((a) => nb.pow(2, a), [x]);
    check((a) => nb.pow(0.5, a), [x]);
    check((a) => nb.pow(Math.E, a.t()), [x]);
  });

  it('pow with a negative base and integral tensor exponent (gradient wrt the base only)', () => {
    const g = gen();
    const a = awayFromZero([2, 3], g);
    const b = nb.tensor(
      [
        [2, 3, 1],
        [-1, 2, 3],
      ],
      { dtype: 'float64' },
    );
    check((x) => x.pow(b), [a]);
  });

  it('maximum and minimum (no ties)', () => {
    const g = gen();
    const a = rn([3, 4], g);
    // b differs from a by at least 0.2 everywhere
    const b = leaf(() => a.add(awayFromZero([3, 4], g)));
    check((x, y) => x.maximum(y), [a, b]);
    check((x, y) => x.minimum(y), [a, b]);
    check((x, y) => nb.maximum(x, y), [a, b]);
    check((x, y) => nb.minimum(x, y), [a, b]);
    check((x, y) => x.max(y), [a, b]);
    check((x, y) => x.min(y), [a, b]);
    // broadcast: [3, 4] against [4], values chosen apart
    const c = f64([0.3, -0.45, 1.7, -2.2]);
    const d = f64([
      [0.1, 0.2, 0.3, 0.4],
      [-1, -0.1, 2.1, -2.5],
      [1, -1, 1, -1],
    ]);
    check((x, y) => x.maximum(y), [d, c]);
    check((x, y) => x.minimum(y), [d, c]);
    check((x, y) => y.maximum(x.t().t()), [d, c]);
    // scalar operand
    check((x) => x.maximum(0.05), [d]);
    check((x) => x.minimum(0.05), [d]);
  });

  it('maximum and minimum at ties share the gradient evenly (PyTorch convention)', () => {
    // Not a finite-difference check (the function has a kink there): the documented subgradient.
    const a = f64([1, 2, 3]);
    const b = f64([1, 0, 4]);
    nb.maximum(a, b).sum().backward();
    const ga = a.grad!.tolist();
    const gb = b.grad!.tolist();
    if (JSON.stringify(ga) !== '[0.5,1,0]' || JSON.stringify(gb) !== '[0.5,0,1]') {
      throw new Error(`maximum tie gradients ${JSON.stringify([ga, gb])}`);
    }
  });
});

describe('clamp', () => {
  it('scalar bounds', () => {
    const g = gen();
    // values in (-2, 2) but none within 0.05 of the bounds
    const x = f64([
      [-1.5, -0.7, -0.2, 0.1],
      [0.35, 0.6, 0.95, 1.8],
      [-0.45, 0.42, -1.1, 0.8],
    ]);
    check((a) => a.clamp(-0.5, 0.5), [x]);
    check((a) => a.clamp(-0.5), [x]);
    check((a) => a.clamp(null, 0.5), [x]);
    check((a) => a.clip(0, 1), [x]);
    check((a) => nb.clamp(a.t(), -1, 1), [x]);
    const y = rn([5], g);
    check((a) => a.clamp(-10, 10), [y]); // no clamping at all
  });

  it('tensor bounds (gradient to x and to both bounds)', () => {
    const x = f64([
      [-1.5, -0.7, -0.2, 0.1],
      [0.35, 0.6, 0.95, 1.8],
    ]);
    const lo = f64([-0.5, -0.8, 0.0, 0.3]);
    const hi = f64([[0.4], [1.0]]);
    check((a, l, h) => a.clamp(l, h), [x, lo, hi]);
    check((a, l) => a.clamp(l), [x, lo]);
    check((a, h) => a.clamp(null, h), [x, hi]);
    check((a, h) => nb.clamp(a, -0.9, h), [x, hi]);
  });
});

describe('where and masks', () => {
  it('where with broadcasting (gradient to both branches)', () => {
    const g = gen();
    const cond = mask([
      [true, false, true, false],
      [false, false, true, true],
      [true, true, false, true],
    ]);
    const a = rn([3, 4], g);
    const b = rn([4], g);
    check((x, y) => nb.where(cond, x, y), [a, b]);
    check((x, y) => nb.where(cond, y, x), [a, b]);
    check((x, y) => x.where(cond, y), [a, b]);
    check((x) => nb.where(cond, x, 0.5), [a]);
    check((x) => nb.where(cond, -1, x), [a]);
    // condition broadcast against operands of a larger shape
    const c2 = mask([true, false, true, false]);
    const d = rn([2, 3, 4], g);
    check((x, y) => nb.where(c2, x, y), [d, a]);
    // strided operands
    const e = rn([4, 3], g);
    check((x, y) => nb.where(cond, x.t(), y), [e, b]);
  });

  it('cast float64 → float32 → float64 passes the gradient through', () => {
    // NOTE: the float32 round trip is exact to about 6e-8 relative, so the finite-difference step
    // must be much larger than that rounding (eps 1e-3) for the numerical Jacobian to mean anything.
    const g = gen();
    const x = rn([2, 3], g);
    check((a) => a.to('float32').to('float64'), [x], { eps: 1e-3 });
    check((a) => a.float().mul(2).double().sin(), [x], { eps: 1e-3, atol: 1e-4 });
    check((a) => nb.cast(nb.cast(a, 'float32').exp(), 'float64'), [x], {
      eps: 1e-3,
      atol: 1e-4,
    });
    // float64 → float64 casts and clones are identities that record a copy
    check((a) => nb.cast(a.t(), 'float64'), [x]);
  });

  it("reluBackward (relu's gradient as a primitive): linear in g, zero in y, twice differentiable", () => {
    const g = gen();
    const reluBackward = (a: Tensor, b: Tensor) => apply('reluBackward', [a, b], {});
    const up = rn([3, 4], g);
    const y = awayFromZero([3, 4], g);
    check2(reluBackward, [up, y]);
    // broadcast g, strided y
    check2((a, b) => reluBackward(a, b.t()), [rn([4], g), awayFromZero([4, 3], g)]);
  });
});

describe('fused elementwise chains', () => {
  // Every chain fuses however small (the default threshold is 2^15 elements): gradcheck runs the
  // float64 chain (never fused), and float32Check the float32 one, fused on native and wasm.
  let threshold = 0;
  beforeAll(() => void (threshold = setFusionThreshold(0)));
  afterAll(() => void setFusionThreshold(threshold));

  it('chains of unary and binary ops, scalars, two inputs', () => {
    const g = gen(31);
    const chains: [(x: Tensor, y: Tensor) => Tensor, () => Tensor[]][] = [
      [(x) => x.mul(2).add(1).tanh().mul(x), () => [rn([5, 7], g), rn([5, 7], g)]],
      [(x, y) => x.sigmoid().mul(y).sub(x.div(2)).exp(), () => [rn([5, 7], g), rn([5, 7], g)]],
      [
        (x, y) => x.abs().add(1).sqrt().sub(y.mul(y).add(1).log()),
        () => [awayFromZero([33], g), rn([33], g)],
      ],
      [
        (x, y) => x.sub(y).div(y.abs().add(1)).relu(),
        () => [awayFromZero([6, 6], g), awayFromZero([6, 6], g)],
      ],
    ];
    for (const [fn, inputs] of chains) check(fn, inputs());
  });

  it('a float32 chain under autograd is pending on the fast backends', () => {
    const x = nb.randn([40], { requiresGrad: true });
    const out = x.mul(3).add(1).neg();
    const fast = nb.getBackend().name === 'native' || nb.getBackend().name === 'wasm';
    expect(out._pending !== null).toBe(fast);
    out.sum().backward();
    expect(x.grad!.tolist()).toEqual(new Array<number>(40).fill(-3));
  });
});
