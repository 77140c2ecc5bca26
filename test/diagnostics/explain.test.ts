// explain(): the seed network's account equals PyTorch's numbers (every intermediate value and
// gradient, ∂L/∂w, the optimizer's update), reports dead ReLU units and leaves all state untouched.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explain, type Explanation, type Value } from '../../src/diagnostics/explain.js';
import { recordGraph } from '../../src/diagnostics/record.js';
import { autograd, manualSeed, nn, optim, tensor, type Tensor } from '../../src/index.js';

interface Enc {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  seed: number | null;
  start: Record<string, Enc>;
  before: Record<string, Enc>;
  optimizer: { type: 'SGD' | 'Adam'; lr: number; momentum?: number; weightDecay?: number };
  prestep: boolean;
  x: Enc;
  y: Enc;
  values: Record<string, Enc>;
  grads: Record<string, Enc>;
  loss: number;
  paramGrads: Record<string, Enc>;
  inputGrad: Enc;
  after: Record<string, Enc>;
  dead: number[];
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/explain_golden.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

class SimpleNN extends nn.Module {
  fc1 = new nn.Linear(2, 2);
  fc2 = new nn.Linear(2, 1);

  forward(x: Tensor): Tensor {
    x = nn.functional.relu(this.fc1.forward(x));
    return this.fc2.forward(x);
  }
}

const dec = (e: Enc) => tensor(e.data).reshape(e.shape);
const gradOf = (p: Tensor) => (p.grad === null ? null : Array.from(p.grad.dataSync()));

/** |a − b| ≤ 1e-6·|b| (+1e-7 for values at 0): PyTorch's numbers, not merely close ones. */
function expectValue(got: Value | null | undefined, want: Enc, what: string): void {
  expect(got, what).toBeDefined();
  expect(got!.shape, `${what} shape`).toEqual(want.shape);
  expect(got!.data, `${what} recorded`).not.toBeNull();
  got!.data!.forEach((v, i) => {
    const w = want.data[i]!;
    expect(Math.abs(v - w), `${what}[${i}]: ${v} vs PyTorch ${w}`).toBeLessThanOrEqual(
      1e-6 * Math.abs(w) + 1e-7,
    );
  });
}

/**
 * The nabla symbol of each of PyTorch's decomposed values (generate_explain.py's step_values) that
 * nabla computes as a step of its own: a Linear is one step (x·Wᵀ + b), so W1T, xW1T, W2T and
 * hW2T have none.
 */
const SYMBOLS: Record<string, string> = {
  z1: 't1',
  h: 't2',
  out: 't3',
  d: 't4',
  sq: 't5',
  s: 't6',
  loss: 'L',
};

function setup(c: Case) {
  if (c.seed !== null) manualSeed(c.seed);
  const model = new SimpleNN();
  if (c.seed === null)
    model.loadStateDict(Object.fromEntries(Object.entries(c.start).map(([k, v]) => [k, dec(v)])));
  const o = c.optimizer;
  const optimizer =
    o.type === 'SGD'
      ? new optim.SGD(model.parameters(), {
          lr: o.lr,
          momentum: o.momentum ?? 0,
          weightDecay: o.weightDecay ?? 0,
        })
      : new optim.Adam(model.parameters(), { lr: o.lr });
  const x = dec(c.x).requiresGrad_();
  const y = dec(c.y);
  const criterion = new nn.MSELoss();
  if (c.prestep) {
    optimizer.zeroGrad();
    criterion.forward(model.forward(x), y).backward();
    optimizer.step();
    x.grad = null;
  }
  return { model, optimizer, x, y, criterion };
}

describe('explain matches PyTorch on the seed network', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const { model, optimizer, x, y, criterion } = setup(c);
      for (const [k, p] of model.namedParameters())
        expectValue(
          { shape: [...p.shape], data: Array.from(p.dataSync()) },
          c.before[k]!,
          `start ${k}`,
        );
      const stateBefore = JSON.stringify(optimizer.stateDict(), (_k, v: unknown) =>
        v instanceof Object && 'dataSync' in v ? Array.from((v as Tensor).dataSync()) : v,
      );
      const gradsBefore = model.parameters().map(gradOf);
      const ex = explain(() => criterion.forward(model.forward(x), y), {
        model,
        optimizer,
        names: { x, y },
      });
      expect(ex.recorded).toBe(true);
      expect(ex.forward.map((s) => s.op)).toEqual([
        'linear',
        'relu',
        'linear',
        'sub',
        'mul',
        'sum',
        'div',
      ]);
      const fwd = new Map(ex.forward.map((s) => [s.symbol, s]));
      const bwd = new Map(ex.backward.map((s) => [s.symbol, s]));
      for (const [name, symbol] of Object.entries(SYMBOLS)) {
        expectValue(fwd.get(symbol)?.value, c.values[name]!, `forward ${name} (${symbol})`);
        if (name !== 'loss')
          expectValue(bwd.get(symbol)?.grad, c.grads[name]!, `∂L/∂${name} (${symbol})`);
      }
      expect(Math.abs(ex.loss - c.loss)).toBeLessThanOrEqual(1e-6 * c.loss);
      expect(fwd.get('t1')?.modules).toEqual(['fc1']);
      expect(fwd.get('t3')?.modules).toEqual(['fc2', '']);

      const grads = new Map(ex.gradients.map((g) => [g.name, g]));
      for (const [k, g] of Object.entries(c.paramGrads))
        expectValue(grads.get(k)?.grad, g, `∂L/∂${k}`);
      expectValue(grads.get('x')?.grad, c.inputGrad, '∂L/∂x');
      expect(ex.gradients.map((g) => g.name)).toEqual([
        'fc1.weight',
        'fc1.bias',
        'fc2.weight',
        'fc2.bias',
        'x',
      ]);

      expect(ex.update?.optimizer).toBe(c.optimizer.type);
      const updates = new Map(ex.update!.updates.map((u) => [u.name, u]));
      for (const [k, a] of Object.entries(c.after))
        expectValue(updates.get(k)?.after, a, `${k} after step()`);
      const plain = c.optimizer.type === 'SGD' && !c.optimizer.momentum;
      expect(ex.update!.rule !== null).toBe(plain);

      // Dead units: exactly PyTorch's (z ≤ 0 for every sample), each named with its unit.
      const dead = ex.findings.filter((f) => f.kind === 'dead-relu');
      expect(dead.map((f) => f.unit)).toEqual(c.dead);
      for (const f of dead) {
        expect(f.symbol).toBe('t2');
        expect(f.message).toContain(`unit ${f.unit} is dead`);
        expect(f.message).toContain('fc1');
      }

      // Nothing was touched: the same .grad, parameters and optimizer state; the graph still runs.
      expect(model.parameters().map(gradOf)).toEqual(gradsBefore);
      for (const [k, p] of model.namedParameters())
        expectValue(
          { shape: [...p.shape], data: Array.from(p.dataSync()) },
          c.before[k]!,
          `unchanged ${k}`,
        );
      const stateAfter = JSON.stringify(optimizer.stateDict(), (_k, v: unknown) =>
        v instanceof Object && 'dataSync' in v ? Array.from((v as Tensor).dataSync()) : v,
      );
      expect(stateAfter).toBe(stateBefore);
      // And the real step gives what explain said it would.
      optimizer.zeroGrad();
      criterion.forward(model.forward(x), y).backward();
      optimizer.step();
      for (const [k, p] of model.namedParameters())
        expectValue(
          { shape: [...p.shape], data: Array.from(p.dataSync()) },
          c.after[k]!,
          `real step ${k}`,
        );
    });
  }
});

describe('explain', () => {
  const seeded = golden.cases[0]!;
  const run = (): Explanation => {
    const { model, optimizer, x, y, criterion } = setup(seeded);
    return explain(() => criterion.forward(model.forward(x), y), {
      model,
      optimizer,
      names: { x, y },
    });
  };

  it('shows a BatchNorm layer as the batchNorm primitive with its statistics and affine inputs', () => {
    manualSeed(3);
    const model = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
    const x = tensor([
      [1, 2, 3],
      [0, -1, 2],
      [4, 0, 1],
    ]);
    const ex = explain(() => (model.forward(x) as Tensor).square().sum(), { model, names: { x } });
    expect(ex.forward.map((s) => s.op)).toEqual(['linear', 'batchNorm', 'mul', 'sum']);
    expect(ex.toText()).toMatch(/t2 = batchNorm\(t1, \S+, 1\.weight, 1\.bias\)/);
  });

  it('shows a Linear → ReLU that a Sequential stored as one product: relu(x·Wᵀ + b), its VJP', () => {
    manualSeed(4);
    const model = new nn.Sequential(new nn.Linear(3, 2), new nn.ReLU(), new nn.Linear(2, 1));
    const x = tensor([
      [1, 2, 3],
      [0, -1, 2],
    ]);
    const loss = () => (model.forward(x) as Tensor).square().sum();
    // without the model's hooks the Sequential runs its fused step
    const fused = explain(loss, { names: { x } });
    expect(fused.forward.map((s) => s.op)).toEqual(['linear', 'linear', 'mul', 'sum']);
    const text = fused.toText();
    expect(text).toMatch(/t1 = relu\(x · \S+ᵀ \+ \S+\)/);
    expect(text).toMatch(/∂L\/∂x1 = linearᵀ\(∂L\/∂t1\) = /);
    // with them (the model given), the order as written; the same gradients either way
    const written = explain(loss, { model, names: { x } });
    expect(written.forward.map((s) => s.op)).toEqual(['linear', 'relu', 'linear', 'mul', 'sum']);
    const grads = (e: Explanation) => e.gradients.map((g) => g.grad.data);
    expect(grads(fused)).toEqual(grads(written));
  });

  it('renders text with ∂ notation, the dead unit and the SGD rule', () => {
    const text = run().toText();
    expect(text).toContain('t1 = x · fc1.weightᵀ + fc1.bias');
    expect(text).toContain('∂L/∂t1 = ∂L/∂t2 ⊙ ∂t2/∂t1');
    expect(text).toContain('∂t2/∂t1 = 1[t1 > 0] = [[1, 0]]');
    expect(text).toContain('unit 1 is dead (t1 = -1.43314 ≤ 0');
    // linear's chain rule, with PyTorch's numbers for fc2 (∂L/∂ŷ = −2.13898, h = [0.481007, 0])
    expect(text).toContain('∂L/∂t2 = ∂L/∂t3 · fc2.weight = [[-2.13898]] · [[-0.01401, 0.560658]]');
    expect(text).toContain('∂L/∂fc2.weight = (∂L/∂t3)ᵀ · t2 = [[-2.13898]] · [[0.481007, 0]]');
    expect(text).toContain('∂L/∂fc2.bias = Σ_rows ∂L/∂t3 = [-2.13898]');
    expect(text).toContain('w ← w − η · ∂L/∂w');
    expect(text).toMatch(/fc1\.weight ← \[\[.*\]\] − 0\.01 · \[\[.*\]\] = \[\[/);
    expect(text).toContain('∂L/∂fc2.bias');
  });

  it('renders Markdown (code or LaTeX math) and a self-contained HTML page', async () => {
    const ex = run();
    const md = ex.toMarkdown();
    expect(md).toContain('# One step of backpropagation');
    expect(md).toContain('| `t2 = relu(t1)` |');
    expect(ex.toMarkdown({ math: 'latex' })).toContain('\\frac{\\partial L}{\\partial t_{3}}');
    const html = await ex.toHtml();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<math');
    expect(html).not.toMatch(/<(script|link)\b/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const styled = await ex.toHtml({ katexCss: '.katex { font: 1em serif; }' });
    expect(styled).toContain('class="katex-html"');
    expect(styled).toContain('.katex { font: 1em serif; }');
  });

  it('works on a loss tensor: gradients always, forward values when recorded', () => {
    const { model, x, y, criterion } = setup(seeded);
    const bare = explain(criterion.forward(model.forward(x), y), { model });
    expect(bare.recorded).toBe(false);
    expect(bare.notes[0]).toContain('not recorded');
    expect(bare.gradients.find((g) => g.name === 'fc2.bias')?.grad.data?.[0]).toBeCloseTo(
      seeded.paramGrads['fc2.bias']!.data[0]!,
      6,
    );
    expect(bare.findings.map((f) => f.unit)).toEqual([1]);
    const loss = recordGraph(() => criterion.forward(model.forward(x), y), { model });
    const ex = explain(loss, { model });
    expect(ex.recorded).toBe(true);
    expect(ex.update).toBeNull();
    // The graph is left intact for the real backward.
    loss.backward();
    expect(model.fc2.bias!.grad).not.toBeNull();
    expect(() => explain(loss)).toThrow('the graph was freed by backward()');
  });

  it('refuses big graphs and losses that are not one number', () => {
    const { model, x, y, criterion } = setup(seeded);
    expect(() => explain(() => criterion.forward(model.forward(x), y), { maxNodes: 5 })).toThrow(
      /explain is for small graphs: this one has 12 nodes, more than maxNodes = 5/,
    );
    expect(() => explain(model.fc1.forward(x))).toThrow('the loss must be a single number');
    expect(() => explain(tensor(1))).toThrow('the loss has no graph');
  });

  it('flags saturated sigmoids and names unnamed tensors', () => {
    const w = tensor([[8, 0.1]], { requiresGrad: true });
    const ex = explain(() => w.sigmoid().sum());
    expect(ex.leaves.map((l) => l.symbol)).toEqual(['x']);
    const sat = ex.findings.filter((f) => f.kind === 'saturated');
    expect(sat.map((f) => f.unit)).toEqual([0]);
    expect(sat[0]!.message).toContain('saturates σ');
  });

  it('shows every output of a node with several (a custom Function)', () => {
    class Twice extends autograd.Function {
      static override forward(_ctx: autograd.FunctionCtx, x: Tensor): Tensor[] {
        return [x.mul(2), x.mul(3)];
      }
      static override backward(_ctx: autograd.FunctionCtx, a: Tensor, b: Tensor): Tensor {
        return a.mul(2).add(b.mul(3));
      }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    const ex = explain(() => {
      const [a, b] = Twice.apply(x) as Tensor[];
      return a!.sum().add(b!.mul(b!).sum());
    });
    const step = ex.backward.find((b) => b.node === 'TwiceBackward')!;
    expect(step.symbol).toBe('t1');
    expect(step.outputs.map((o) => [o.symbol, o.grad?.data])).toEqual([
      ['t1.0', [1, 1]],
      ['t1.1', [6, 12]],
    ]);
    expect(ex.gradients[0]!.grad.data).toEqual([20, 38]);
    expect(ex.toText()).toContain('∂L/∂t1.1 = [6, 12]');
  });
});
