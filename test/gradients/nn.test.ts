// Gradients tier for nn: gradcheck (and gradgradcheck where smooth) of every activation and layer in float64.
import { describe, it } from 'vitest';
import { nn, type Tensor } from '../../src/index.js';
import { apply } from '../../src/ops/apply.js';
import { awayFromZero, check, check2, gen, rn } from './helpers.js';

const F = nn.functional;

describe('nn.functional activations', () => {
  const smooth: [string, (x: Tensor) => Tensor][] = [
    ['sigmoid', F.sigmoid],
    ['tanh', F.tanh],
    ['gelu exact', (x) => F.gelu(x)],
    ['gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' })],
    ['silu', F.silu],
    ['mish', F.mish],
    ['softplus', (x) => F.softplus(x, { beta: 2, threshold: 3 })],
    ['softmax', (x) => F.softmax(x, 1)],
    ['logSoftmax', (x) => F.logSoftmax(x, 0)],
    ['erf', (x) => x.erf()],
  ];
  for (const [name, fn] of smooth) {
    it(name, () => check2(fn, [rn([3, 4], gen())]));
  }

  const kinked: [string, (x: Tensor) => Tensor][] = [
    ['relu', F.relu],
    ['leakyRelu', (x) => F.leakyRelu(x, 0.2)],
    ['elu', (x) => F.elu(x, 0.7)],
    ['selu', F.selu],
    ['hardtanh', (x) => F.hardtanh(x, -0.5, 0.6)],
    ['relu6', (x) => F.relu6(x.mul(4))],
  ];
  for (const [name, fn] of kinked) {
    // Inputs stay 0.2 away from 0; hardtanh's boundaries sit inside the gaps of these draws.
    it(name, () => check(fn, [awayFromZero([3, 4], gen(7))]));
  }

  it('prelu, with respect to the input and the slopes', () => {
    const g = gen(3);
    check((x, w) => F.prelu(x, w), [awayFromZero([2, 3, 4], g), rn([3], g)]);
  });

  it('linear, with respect to input, weight and bias', () => {
    const g = gen(4);
    check2((x, w, b) => F.linear(x, w, b), [rn([5, 3], g), rn([2, 3], g), rn([2], g)]);
    // 3-d input (rows over the leading dims), no bias, a transposed weight view, a 1-d input
    check2((x, w) => F.linear(x, w), [rn([2, 4, 3], g), rn([3, 2], g).t()]);
    check2((x, w, b) => F.linear(x, w, b), [rn([3], g), rn([2, 3], g), rn([2], g)]);
  });

  it('linear and conv2d with the activation stored by the product (relu, gelu)', () => {
    const g = gen(12);
    const relu = { activation: 'relu' } as const;
    check2(
      (x, w, b) => apply('linear', [x, w, b], relu),
      [rn([5, 3], g), rn([4, 3], g), rn([4], g)],
    );
    check2(
      (x, w, b) => apply('linear', [x, w, b], { activation: 'gelu' }),
      [rn([2, 3, 3], g), rn([4, 3], g), rn([4], g)],
    );
    check2((x, w) => apply('linear', [x, w], { activation: 'gelu' }), [rn([3], g), rn([2, 3], g)]);
    const win = { kernelSize: [3, 3], dilation: [1, 1], padding: [1, 1], stride: [1, 1] } as const;
    check2(
      (x, w, b) => apply('conv2d', [x, w, b], { ...win, activation: 'relu' }),
      [rn([2, 2, 4, 3], g), rn([3, 2, 3, 3], g), rn([3], g)],
    );
  });

  it('dropout with a fixed mask', () => {
    const g = gen(5);
    check((x) => F.dropout(x, { p: 0.4, generator: gen(11) }), [rn([4, 4], g)]);
  });
});

describe('layers', () => {
  it('Linear parameters', () => {
    const lin = new nn.Linear(3, 2).double();
    const [w, b] = lin.parameters() as [Tensor, Tensor];
    check((x) => lin.forward(x), [rn([4, 3], gen(8)), w, b].slice(0, 1));
    check((ww, bb) => F.linear(rn([4, 3], gen(9)).detach(), ww, bb), [w, b]);
  });
});
