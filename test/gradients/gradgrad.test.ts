// Gradients tier: gradgradcheck (second derivatives through backward with createGraph) for a representative set.
import { describe, expect, it } from 'vitest';
import * as nb from '../../src/index.js';
import { autograd, type Tensor } from '../../src/index.js';
import { check2, f64, gen, i32, leaf, mask, pos, rn } from './helpers.js';

type Fn = (...xs: Tensor[]) => Tensor | readonly Tensor[];

describe('second derivatives', () => {
  // [name, fn, inputs maker]
  const cases: [string, Fn, () => Tensor[]][] = [
    ['mul', (a, b) => a!.mul(b!), () => [rn([2, 3], gen()), rn([3], gen(5))]],
    ['mul by itself', (a) => a!.mul(a!), () => [rn([2, 3], gen())]],
    ['div', (a, b) => a!.div(b!), () => [rn([2, 3], gen()), pos([2, 3], gen(5))]],
    ['pow tensor^tensor', (a, b) => a!.pow(b!), () => [pos([2, 3], gen()), rn([2, 3], gen(5))]],
    ['pow tensor^scalar', (a) => a!.pow(2.5), () => [pos([2, 3], gen())]],
    ['pow scalar^tensor', (a) => nb.pow(1.7, a!), () => [rn([2, 3], gen())]],
    ['exp', (a) => a!.exp(), () => [rn([2, 3], gen())]],
    ['log', (a) => a!.log(), () => [pos([2, 3], gen())]],
    ['sqrt', (a) => a!.sqrt(), () => [pos([2, 3], gen())]],
    ['rsqrt', (a) => a!.rsqrt(), () => [pos([2, 3], gen())]],
    ['tanh', (a) => a!.tanh(), () => [rn([2, 3], gen())]],
    ['sigmoid', (a) => a!.sigmoid(), () => [rn([2, 3], gen())]],
    ['sin', (a) => a!.sin(), () => [rn([2, 3], gen())]],
    ['cos', (a) => a!.cos(), () => [rn([2, 3], gen())]],
    ['log1p / expm1', (a) => a!.log1p().add(a!.expm1()), () => [pos([2, 3], gen())]],
    ['reciprocal', (a) => a!.reciprocal(), () => [pos([2, 3], gen())]],
    ['matmul 2-d', (a, b) => a!.matmul(b!), () => [rn([2, 3], gen()), rn([3, 2], gen(5))]],
    [
      'matmul batched, broadcast, transposed',
      (a, b) => a!.matmul(b!.mT),
      () => [rn([2, 2, 3], gen()), rn([2, 3], gen(5))],
    ],
    ['sum', (a) => a!.mul(a!).sum(1), () => [rn([2, 3], gen())]],
    ['mean', (a) => a!.mul(a!).mean(), () => [rn([2, 3], gen())]],
    ['var', (a) => a!.var(1), () => [rn([2, 4], gen())]],
    ['var biased, all dims', (a) => a!.var(null, false), () => [rn([2, 3], gen())]],
    ['std', (a) => a!.std(1), () => [rn([2, 4], gen())]],
    ['softmax', (a) => a!.softmax(1), () => [rn([2, 3], gen())]],
    ['logSoftmax', (a) => a!.logSoftmax(1), () => [rn([2, 3], gen())]],
    ['logsumexp', (a) => a!.logsumexp(1), () => [rn([2, 3], gen())]],
    ['norm p=2', (a) => a!.norm(), () => [rn([2, 3], gen())]],
    ['norm p=2 per dim', (a) => a!.norm(2, 1), () => [rn([2, 3], gen())]],
    ['norm p=3 per dim', (a) => a!.norm(3, 0), () => [rn([2, 3], gen())]],
    [
      'gather',
      (a) =>
        a!
          .gather(
            1,
            i32([
              [0, 0, 2],
              [1, 2, 1],
            ]),
          )
          .square(),
      () => [rn([2, 3], gen())],
    ],
    [
      'cat',
      (a, b) => nb.cat([a!, b!.mul(b!)], 0).exp(),
      () => [rn([1, 3], gen()), rn([2, 3], gen(5))],
    ],
    [
      'where',
      (a, b) => nb.where(mask([true, false, true]), a!.square(), b!.exp()),
      () => [rn([2, 3], gen()), rn([3], gen(5))],
    ],
    ['maximum', (a, b) => a!.square().maximum(b!), () => [f64([0.5, -1.5, 2]), f64([1, 1, 1])]],
    ['minimum', (a, b) => a!.minimum(b!.square()), () => [f64([0.5, -1.5, 2]), f64([1, 1, 1])]],
    ['amax per dim', (a) => a!.square().amax(1), () => [rn([2, 3], gen())]],
    ['prod', (a) => a!.prod(1), () => [rn([2, 3], gen())]],
    ['prod full', (a) => a!.prod(), () => [rn([2, 3], gen())]],
    [
      'index (advanced with repeats, slices)',
      (a) => a!.index(i32([1, 1, 0]), '1:').square(),
      () => [rn([2, 3], gen())],
    ],
    [
      'index (bool mask)',
      (a) => a!.index(mask([true, false, true]), ':').exp(),
      () => [rn([3, 2], gen())],
    ],
    ['pad constant', (a) => nb.pad(a!.square(), [1, 2]), () => [rn([2, 3], gen())]],
    [
      'pad reflect',
      (a) => nb.pad(a!.exp(), [2, 1], { mode: 'reflect' }),
      () => [rn([2, 3], gen())],
    ],
    ['cumsum', (a) => a!.square().cumsum(1), () => [rn([2, 3], gen())]],
    ['logSoftmax of a square', (a) => nb.logSoftmax(a!.square(), 1), () => [rn([2, 4], gen())]],
    [
      'crossEntropy (logSoftmax + nllLoss, weighted, an ignored target)',
      (a) =>
        nb.nn.functional.crossEntropy(a!.square(), i32([2, 0, -100, 3]), {
          weight: f64([0.5, 2, 1, 3]),
        }),
      () => [rn([4, 4], gen())],
    ],
    [
      'nllLoss none, [N, C, d]',
      (a) =>
        nb.nn.functional
          .nllLoss(
            a!.exp(),
            i32([
              [0, 2],
              [1, 1],
            ]),
            { reduction: 'none' },
          )
          .square(),
      () => [rn([2, 3, 2], gen())],
    ],
    ['clamp', (a) => a!.square().clamp(0.3, 2), () => [f64([0.2, 0.8, 1.1, -1.3, 1.6])]],
    ['relu', (a) => a!.relu().square(), () => [f64([0.2, -0.8, 1.1, -1.3, 1.6])]],
    // relu's gradient depends on the input through g: the second derivative runs reluBackward's own
    [
      'relu of a product, times an input',
      (a, b) => a!.mul(b!).relu().mul(a!.exp()),
      () => [f64([0.2, -0.8, 1.1, -1.3, 1.6]), f64([1.4, 0.6, -0.9, -0.5, 0.7])],
    ],
    [
      'relu twice, broadcast',
      (a, b) => a!.relu().mul(b!).relu().square(),
      () => [
        f64([
          [0.2, -0.8, 1.1],
          [-1.3, 1.6, 0.4],
        ]),
        f64([1.3, -0.7, 0.9]),
      ],
    ],
    [
      'scatter (self and src)',
      (a, s) => a!.square().scatter(0, i32([[1, 0, 2]]), s!.exp()),
      () => [rn([3, 3], gen()), rn([1, 3], gen(5))],
    ],
    [
      'custom in-place (mul_)',
      (a, b) => a!.mul(1).mul_(b!),
      () => [rn([3], gen()), rn([3], gen(5))],
    ],
  ];
  it.each(cases)('%s', (_name, fn, make) => {
    check2(fn, make());
  });

  it('prod with one zero', () => {
    const x = f64([
      [0.5, -1.2, 0, 2],
      [1.5, 0.7, -0.3, 1.1],
    ]);
    check2((a) => a.prod(1), [x]);
    check2((a) => a.prod(0), [x]);
    check2((a) => a.prod(), [x]);
  });

  it('prod with two and three zeros in a slice', () => {
    const x = f64([
      [0.5, 0, 0, 2],
      [0, 0.7, 0, 0],
      [1.5, 0.7, -0.3, 1.1],
    ]);
    check2((a) => a.prod(1), [x]);
    check2((a) => a.prod(0), [x]);
  });

  it('a small MLP (matmul + tanh + sum), gradient wrt inputs and weights', () => {
    const g = gen();
    const x = rn([3, 4], g);
    const w1 = rn([4, 3], g);
    const b1 = rn([3], g);
    const w2 = rn([3, 2], g);
    check2((inp, a, b, c) => inp.matmul(a).add(b).tanh().matmul(c).sum(), [x, w1, b1, w2]);
  });

  it('the Hessian-vector product of an MLP loss matches finite differences of its gradient', () => {
    // Direct use of createGraph: H·v = ∂(∇f·v)/∂w, checked by gradcheck on w ↦ ∇f(w)·v.
    const g = gen();
    const x = rn([3, 4], g).detach();
    const w = rn([4, 2], g);
    const v = leaf(() => nb.randn([4, 2], { dtype: 'float64', generator: g })).detach();
    const gradDotV = (wt: Tensor) => {
      const loss = x.matmul(wt).tanh().square().sum();
      const [gw] = autograd.grad([loss], [wt], { createGraph: true });
      return gw!.mul(v).sum();
    };
    expect(autograd.gradcheck(gradDotV, [w])).toBe(true);
  });
});
