// Golden tests for nn against PyTorch: layers (forward, input and parameter gradients), initialisers,
// the seed network, and a 3-layer MLP trained with Adam.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, optim, tensor, zeros, type Tensor } from '../../src/index.js';

interface Enc {
  shape: number[];
  data: number[];
}
interface LayerCase {
  name: string;
  ctor: string;
  args: unknown[];
  state: Record<string, Enc>;
  x: Enc;
  out: Enc;
  upstream: Enc;
  gradX: Enc;
  gradParams: Record<string, Enc>;
  repr: string;
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/nn_golden.json', import.meta.url), 'utf8'),
) as {
  layers: LayerCase[];
  dropout: { x: Enc; seed: number; p: number; out: Enc; gradX: Enc };
  linearInit: { seed: number; in: number; out: number; state: Record<string, Enc> }[];
  init: { name: string; shape: number[]; seed: number; out: Enc }[];
  gains: Record<string, number>;
  seed: {
    weights: Record<string, Enc>;
    outputs: Enc;
    loss: number;
    printed: string;
    seeded_printed: string;
    inputGrad: Enc;
    grads: Record<string, Enc>;
    after: Record<string, Enc>;
    repr: string;
  };
  adamMlp: {
    init: Record<string, Enc>;
    X: Enc;
    T: number[];
    losses: number[];
    final: Record<string, Enc>;
    repr: string;
  };
};

const dec = (e: Enc, opts?: { requiresGrad?: boolean }) => {
  const t = tensor(e.data).reshape(e.shape);
  return opts?.requiresGrad ? t.requiresGrad_() : t;
};

function expectClose(t: Tensor | null, e: Enc, rtol = 1.3e-6, atol = 1e-5): void {
  expect(t).not.toBeNull();
  expect([...t!.shape]).toEqual(e.shape);
  const got = Array.from(t!.dataSync() as ArrayLike<number>);
  got.forEach((v, i) => {
    const w = e.data[i]!;
    expect(Math.abs(v - w), `element ${i}: ${v} vs ${w}`).toBeLessThanOrEqual(
      atol + rtol * Math.abs(w),
    );
  });
}

const stateOf = (s: Record<string, Enc>) =>
  Object.fromEntries(Object.entries(s).map(([k, v]) => [k, dec(v)]));

function build(c: LayerCase): nn.Module {
  const a = c.args;
  switch (c.ctor) {
    case 'Linear':
      return new nn.Linear(a[0] as number, a[1] as number, { bias: a[2] !== false });
    case 'GELU':
      return new nn.GELU((a[0] as nn.functional.GeluApproximate | undefined) ?? 'none');
    case 'Dropout':
      return new nn.Dropout(a[0] as number).eval();
    default: {
      const Ctor = (nn as unknown as Record<string, new (...args: unknown[]) => nn.Module>)[
        c.ctor
      ]!;
      return new Ctor(...a);
    }
  }
}

describe('layers match PyTorch', () => {
  for (const c of golden.layers) {
    it(c.name, () => {
      const layer = build(c);
      layer.loadStateDict(stateOf(c.state));
      const x = dec(c.x, { requiresGrad: true });
      const y = (layer.forward as (x: Tensor) => Tensor)(x);
      expectClose(y, c.out);
      y.backward(dec(c.upstream));
      expectClose(x.grad, c.gradX, 1e-4, 1e-6);
      const params = Object.fromEntries(layer.namedParameters());
      expect(Object.keys(params).sort()).toEqual(Object.keys(c.gradParams).sort());
      for (const [k, g] of Object.entries(c.gradParams))
        expectClose(params[k]!.grad, g, 1e-4, 1e-6);
      expect(layer.toString()).toBe(c.repr);
    });
  }

  it('Dropout in training mode draws PyTorch’s mask for the same seed', () => {
    const d = golden.dropout;
    const x = dec(d.x, { requiresGrad: true });
    manualSeed(d.seed);
    const y = nn.functional.dropout(x, { p: d.p, training: true });
    expectClose(y, d.out);
    y.sum().backward();
    expectClose(x.grad, d.gradX);
  });
});

describe('initialisation matches PyTorch for the same seed', () => {
  for (const c of golden.linearInit) {
    it(`Linear(${c.in}, ${c.out}) under seed ${c.seed}`, () => {
      manualSeed(c.seed);
      const lin = new nn.Linear(c.in, c.out);
      const sd = lin.stateDict();
      for (const [k, e] of Object.entries(c.state)) expectClose(sd[k]!, e, 0, 0);
    });
  }

  const init = nn.init;
  const fns: Record<string, (t: Tensor) => unknown> = {
    uniform_: (t) => init.uniform_(t, -2, 3),
    normal_: (t) => init.normal_(t, 1, 0.5),
    constant_: (t) => init.constant_(t, 0.7),
    zeros_: (t) => init.zeros_(t),
    ones_: (t) => init.ones_(t),
    eye_: (t) => init.eye_(t),
    xavierUniform_: (t) => init.xavierUniform_(t, { gain: 1.5 }),
    xavierNormal_: (t) => init.xavierNormal_(t),
    kaimingUniform_: (t) =>
      init.kaimingUniform_(t, { a: 0.1, mode: 'fan_out', nonlinearity: 'leaky_relu' }),
    'kaimingUniform_ relu': (t) => init.kaimingUniform_(t, { nonlinearity: 'relu' }),
    kaimingNormal_: (t) => init.kaimingNormal_(t, { mode: 'fan_in', nonlinearity: 'relu' }),
    'orthogonal_ square': (t) => init.orthogonal_(t),
    'orthogonal_ tall': (t) => init.orthogonal_(t, { gain: 2 }),
    'orthogonal_ wide': (t) => init.orthogonal_(t),
    'orthogonal_ conv': (t) => init.orthogonal_(t),
    truncNormal_: (t) => init.truncNormal_(t, { mean: 0.5, std: 2, a: -1, b: 3 }),
  };
  for (const c of golden.init) {
    it(c.name, () => {
      manualSeed(c.seed);
      const t = zeros(c.shape);
      fns[c.name]!(t);
      expectClose(t, c.out, 1e-5, 1e-6);
    });
  }

  it('calculateGain', () => {
    for (const [k, v] of Object.entries(golden.gains)) {
      const g =
        k === 'leaky_relu_0.2'
          ? init.calculateGain('leaky_relu', 0.2)
          : init.calculateGain(k as Parameters<typeof init.calculateGain>[0]);
      expect(g).toBeCloseTo(v, 15);
    }
  });
});

class SimpleNN extends nn.Module {
  fc1 = new nn.Linear(2, 2);
  fc2 = new nn.Linear(2, 1);

  forward(x: Tensor): Tensor {
    x = nn.functional.relu(this.fc1.forward(x));
    x = this.fc2.forward(x);
    return x;
  }
}

describe('the seed network', () => {
  it('with fixed weights gives PyTorch’s output, loss, gradients and updated parameters', () => {
    const s = golden.seed;
    const model = new SimpleNN();
    model.loadStateDict(stateOf(s.weights));
    expect(model.toString()).toBe(s.repr);
    const criterion = new nn.MSELoss();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
    const inputs = tensor([[1.0, 2.0]], { requiresGrad: true });
    const labels = tensor([[1.0]]);
    const outputs = model.forward(inputs);
    const loss = criterion.forward(outputs, labels);
    optimizer.zeroGrad();
    loss.backward();
    const named = Object.fromEntries(model.namedParameters());
    for (const [k, g] of Object.entries(s.grads)) expectClose(named[k]!.grad, g);
    optimizer.step();
    expectClose(outputs, s.outputs);
    expect(loss.item()).toBeCloseTo(s.loss, 6);
    expect(`Loss: ${loss.item()}`).toBe(s.printed);
    expectClose(inputs.grad, s.inputGrad);
    const after = model.stateDict();
    for (const [k, e] of Object.entries(s.after)) expectClose(after[k]!, e);
  });
});

describe('a 3-layer MLP trained with Adam', () => {
  it('matches PyTorch’s loss at every one of 50 steps to 1e-4', () => {
    const c = golden.adamMlp;
    const mlp = new nn.Sequential(
      new nn.Linear(6, 16),
      new nn.Tanh(),
      new nn.Linear(16, 8),
      new nn.ReLU(),
      new nn.Linear(8, 3),
    );
    expect(mlp.toString()).toBe(c.repr);
    mlp.loadStateDict(stateOf(c.init));
    const X = dec(c.X);
    const T = tensor(c.T, { dtype: 'int32' });
    const opt = new optim.Adam(mlp.parameters(), { lr: 0.01 });
    c.losses.forEach((expected, step) => {
      opt.zeroGrad();
      const l = nn.functional.crossEntropy(mlp.forward(X), T);
      l.backward();
      opt.step();
      const got = l.item() as number;
      expect(Math.abs(got - expected) / Math.abs(expected), `step ${step}`).toBeLessThan(1e-4);
    });
    const final = mlp.stateDict();
    for (const [k, e] of Object.entries(c.final)) expectClose(final[k]!, e, 1e-3, 1e-5);
  });
});
