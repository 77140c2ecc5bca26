// nn.Module behaviour through the public API: registration, traversal, modes, hooks, state dicts, containers, utils.
import { describe, expect, it } from 'vitest';
import {
  manualSeed,
  nn,
  noGrad,
  ones,
  randn,
  tensor,
  zeros,
  type Tensor,
} from '../../src/index.js';
import { withOpTracer } from '../../src/ops/trace.js';

class Block extends nn.Module {
  lin = new nn.Linear(3, 4);
  scale: Tensor;
  constructor() {
    super();
    this.scale = nn.Parameter(ones(4));
    this.registerBuffer('running_mean', zeros(4));
    this.registerBuffer('scratch', zeros(2), { persistent: false });
  }
  forward(x: Tensor): Tensor {
    return this.lin.forward(x).mul(this.scale);
  }
}

class Net extends nn.Module {
  first = new Block();
  act = new nn.ReLU();
  head = new nn.Linear(4, 2, { bias: false });
  plain = tensor([1, 2]); // a plain tensor attribute is not a parameter
  forward(x: Tensor): Tensor {
    return this.head.forward(this.act.forward(this.first.forward(x)));
  }
}

describe('Module', () => {
  it('registers parameters, buffers and submodules by assignment, in order', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'first.scale',
      'first.lin.weight',
      'first.lin.bias',
      'head.weight',
    ]);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['first.running_mean', 'first.scratch']);
    expect(net.namedChildren().map(([n]) => n)).toEqual(['first', 'act', 'head']);
    expect(net.namedModules().map(([n]) => n)).toEqual(['', 'first', 'first.lin', 'act', 'head']);
    expect(Object.keys(net.stateDict())).toEqual([
      'first.scale',
      'first.running_mean',
      'first.lin.weight',
      'first.lin.bias',
      'head.weight',
    ]);
    expect(net.countParameters()).toBe(4 + 12 + 4 + 8);
    expect(net.getSubmodule('first.lin')).toBe(net.first.lin);
  });

  it('prints a PyTorch-like summary', () => {
    expect(new Net().toString()).toBe(
      [
        'Net(',
        '  (first): Block(',
        '    (lin): Linear(in_features=3, out_features=4, bias=True)',
        '  )',
        '  (act): ReLU()',
        '  (head): Linear(in_features=4, out_features=2, bias=False)',
        ')',
      ].join('\n'),
    );
  });

  it('train, eval, zeroGrad, apply and requiresGrad_', () => {
    const net = new Net();
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.first.lin.training).toBe(true);
    net.forward(ones(2, 3)).sum().backward();
    expect(net.head.weight.grad).not.toBeNull();
    net.zeroGrad({ setToNone: false });
    expect(net.head.weight.grad!.abs().sum().item()).toBe(0);
    net.zeroGrad();
    expect(net.head.weight.grad).toBeNull();
    const seen: string[] = [];
    net.apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(['Linear', 'Block', 'ReLU', 'Linear', 'Net']);
    net.requiresGrad_(false);
    expect(net.parameters().every((p) => !p.requiresGrad)).toBe(true);
  });

  it('runs forward pre-hooks and hooks, which may replace arguments and outputs', () => {
    const lin = new nn.Linear(2, 2);
    const calls: string[] = [];
    const pre = lin.registerForwardPreHook((_m, args) => {
      calls.push('pre');
      return [(args[0] as Tensor).mul(0)];
    });
    const post = lin.registerForwardHook((_m, _args, out) => {
      calls.push('post');
      return (out as Tensor).add(1);
    });
    const y = lin.forward(ones(1, 2));
    expect(calls).toEqual(['pre', 'post']);
    expect(y.tolist()).toEqual(lin.bias!.add(1).unsqueeze(0).tolist());
    pre.remove();
    post.remove();
    lin.forward(ones(1, 2));
    expect(calls.length).toBe(2);
  });

  it('loads a state dict and round-trips', () => {
    manualSeed(1);
    const a = new Net();
    const b = new Net();
    b.loadStateDict(a.stateDict());
    const x = tensor([[0.5, -1, 2]]);
    expect(b.forward(x).tolist()).toEqual(a.forward(x).tolist());
  });

  it('reports missing, unexpected and mis-sized keys in PyTorch words, changing nothing', () => {
    const net = new Net();
    const before = net.head.weight.tolist();
    const sd = net.stateDict();
    delete sd['head.weight'];
    sd['extra.weight'] = ones(1);
    expect(() => net.loadStateDict(sd)).toThrow(
      'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "head.weight". \n\tUnexpected key(s) in state_dict: "extra.weight". ',
    );
    const r = net.loadStateDict(sd, { strict: false });
    expect(r).toEqual({ missingKeys: ['head.weight'], unexpectedKeys: ['extra.weight'] });
    const bad: Record<string, Tensor> = { ...net.stateDict(), 'head.weight': zeros(3, 3) };
    bad['first.scale'] = ones(4).mul(9);
    expect(() => net.loadStateDict(bad)).toThrow(
      'size mismatch for head.weight: copying a param with shape torch.Size([3, 3]) from checkpoint, the shape in current model is torch.Size([2, 4]).',
    );
    expect(net.head.weight.tolist()).toEqual(before);
    expect(net.first.scale.tolist()).toEqual([1, 1, 1, 1]);
  });

  it('converts dtypes', () => {
    const net = new Net().double();
    expect(net.parameters().every((p) => p.dtype === 'float64')).toBe(true);
    expect(net.forward(ones(1, 3, { dtype: 'float64' })).dtype).toBe('float64');
  });
});

describe('containers', () => {
  it('Sequential keys are "0", "1", … and it chains forward', () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(seq.length).toBe(3);
    expect(seq[0]).toBeInstanceOf(nn.Linear);
    expect(seq.get(-1)).toBe(seq[2]);
    expect(seq.forward(ones(4, 2)).shape).toEqual([4, 1]);
    const twelve = new nn.Sequential(...Array.from({ length: 12 }, () => new nn.Identity()));
    expect(twelve.namedChildren().map(([k]) => k)).toEqual(
      Array.from({ length: 12 }, (_, i) => String(i)),
    );
  });

  it('Sequential runs ReLU → MaxPool as pool, then ReLU: the same values and gradients', () => {
    // Many ties (small integers), windows all ≤ 0, -0 and NaN; padding, ceil mode and 1-3 dims.
    const cases: [string, () => nn.Module, number[]][] = [
      ['MaxPool2d(2)', () => new nn.MaxPool2d(2), [2, 3, 6, 6]],
      [
        'MaxPool2d(3, stride 2, padding 1, ceil)',
        () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
        [2, 2, 7, 7],
      ],
      ['MaxPool1d(2)', () => new nn.MaxPool1d(2), [2, 3, 9]],
      ['MaxPool3d(2)', () => new nn.MaxPool3d(2), [1, 2, 4, 4, 4]],
    ];
    let seed = 3;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
    const values = [-3, -2, -1, -0, 0, 0, 1, 1, 2, 3, NaN];
    // The float32 bits, but for the sign of zero: relu(-0) is -0 (as PyTorch's), so a window of
    // {-1, -0} gives relu(max) = -0 against max of relus = +0.
    const bits = (t: Tensor) =>
      Array.from(new Uint32Array(Float32Array.from(t.dataSync(), (v) => v + 0).buffer));
    for (const [name, pool, shape] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Array.from({ length: n }, () => values[next() % values.length]!);
      const relu = new nn.ReLU();
      const p = pool();
      const xa = tensor(data).reshape(shape).requiresGrad_();
      const xb = tensor(data).reshape(shape).requiresGrad_();
      const seen: number[][] = [];
      const ya = withOpTracer(
        (op, inputs) => {
          if (op === 'relu') seen.push([...inputs[0]!.shape]);
        },
        () => new nn.Sequential(relu, p).forward(xa) as Tensor,
      );
      const yb = p.forward(relu.forward(xb)) as Tensor; // the order as written
      expect(seen, name).toEqual([yb.shape]); // ReLU ran on the pooled values
      expect(bits(ya), name).toEqual(bits(yb));
      const g = tensor(Array.from({ length: yb.numel() }, () => (next() % 7) - 3)).reshape(
        yb.shape,
      );
      ya.backward(g);
      yb.backward(g);
      expect(bits(xa.grad!), name).toEqual(bits(xb.grad!));
    }
    // A hook on either module sees the order as written.
    const relu = new nn.ReLU();
    const shapes: number[][] = [];
    relu.registerForwardHook((_m, _a, out) => void shapes.push([...(out as Tensor).shape]));
    new nn.Sequential(relu, new nn.MaxPool2d(2)).forward(ones(1, 1, 4, 4));
    expect(shapes).toEqual([[1, 1, 4, 4]]);
  });

  it('Sequential stores Linear/Conv → ReLU (and Linear → GELU without a graph) in the product: the same bits', () => {
    manualSeed(5);
    const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
    const cases: [string, nn.Module[], number[], boolean][] = [
      ['Linear → ReLU', [new nn.Linear(33, 40), new nn.ReLU()], [9, 33], true],
      [
        'Conv2d → ReLU (Winograd)',
        [new nn.Conv2d(16, 5, 3, { padding: 1 }), new nn.ReLU()],
        [2, 16, 5, 7],
        true,
      ],
      [
        'Conv2d → ReLU, strided',
        [new nn.Conv2d(3, 4, 3, { stride: 2 }), new nn.ReLU()],
        [2, 3, 9, 8],
        true,
      ],
      ['Conv1d → ReLU', [new nn.Conv1d(3, 4, 2), new nn.ReLU()], [2, 3, 9], true],
      ['Linear → GELU', [new nn.Linear(33, 40), new nn.GELU()], [9, 33], false],
    ];
    for (const [name, mods, shape, grad] of cases) {
      const data = randn(shape);
      const xa = grad ? data.clone().requiresGrad_() : data;
      const xb = grad ? data.clone().requiresGrad_() : data;
      const ops: string[] = [];
      const seq = new nn.Sequential(...mods);
      const fwd = () =>
        withOpTracer(
          (op) => void ops.push(op),
          () => seq.forward(xa) as Tensor,
        );
      const ya = grad ? fwd() : noGrad(fwd);
      expect(ops.includes('relu') || ops.includes('erf'), `${name}: ${ops.join(' ')}`).toBe(false);
      const asWritten = () => mods[1]!.forward(mods[0]!.forward(xb)) as Tensor;
      const yb = grad ? asWritten() : noGrad(asWritten);
      if (!grad) {
        // GELU: the same float32 operations, but a shader compiler may round them differently
        const [a, b] = [ya.dataSync(), yb.dataSync()];
        b.forEach((v, i) =>
          expect(Math.abs(a[i]! - v), name).toBeLessThanOrEqual(1e-6 * Math.abs(v)),
        );
        continue;
      }
      expect(bits(ya), name).toEqual(bits(yb));
      const up = randn(ya.shape);
      const pa = mods[0]!.parameters();
      ya.backward(up);
      const ga = [xa.grad!, ...pa.map((p) => p.grad!)].map(bits);
      for (const p of pa) p.grad = null;
      yb.backward(up);
      expect(ga, name).toEqual([xb.grad!, ...pa.map((p) => p.grad!)].map(bits));
    }
    // A hook on either module, or a max pool after the ReLU (which goes first), keeps the ReLU.
    const hooked = new nn.ReLU();
    hooked.registerForwardHook(() => undefined);
    const pooled = new nn.Sequential(new nn.Conv2d(2, 3, 3), new nn.ReLU(), new nn.MaxPool2d(2));
    for (const seq of [new nn.Sequential(new nn.Linear(4, 3), hooked), pooled]) {
      const ops: string[] = [];
      withOpTracer(
        (op) => void ops.push(op),
        () => seq.forward(ones(2, 2, 6, 4)),
      );
      expect(ops).toContain('relu');
    }
  });

  it('ModuleList registers, inserts and iterates', () => {
    const list = new nn.ModuleList([new nn.Linear(1, 1), new nn.Linear(1, 2)]);
    list.insert(0, new nn.Linear(1, 3)).append(new nn.ReLU());
    expect(Object.keys(list.stateDict())).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '2.weight',
      '2.bias',
    ]);
    expect([...list].map((m) => m.constructor.name)).toEqual([
      'Linear',
      'Linear',
      'Linear',
      'ReLU',
    ]);
    expect(() => list.forward()).toThrow(/no forward/);
  });

  it('ModuleDict keys become prefixes and may be method names', () => {
    const d = new nn.ModuleDict({ encoder: new nn.Linear(2, 2), keys: new nn.Linear(2, 1) });
    expect(Object.keys(d.stateDict())).toEqual([
      'encoder.weight',
      'encoder.bias',
      'keys.weight',
      'keys.bias',
    ]);
    expect(d.keys()).toEqual(['encoder', 'keys']);
    expect(d.get('keys')).toBeInstanceOf(nn.Linear);
  });
});

describe('utils', () => {
  it('clipGradNorm_ scales all gradients together and returns the total norm', () => {
    const a = tensor([3], { requiresGrad: true });
    const b = tensor([4], { requiresGrad: true });
    a.mul(1).add(b).sum().backward();
    a.grad = tensor([3]);
    b.grad = tensor([4]);
    const total = nn.clipGradNorm_([a, b], 1);
    expect(total.item()).toBe(5);
    expect(a.grad.item()).toBeCloseTo(0.6, 6);
    expect(b.grad.item()).toBeCloseTo(0.8, 6);
    const c = tensor([1], { requiresGrad: true });
    c.grad = tensor([Infinity]);
    expect(() => nn.clipGradNorm_([c], 1, { errorIfNonfinite: true })).toThrow(/non-finite/);
    const d = tensor([1, 1], { requiresGrad: true });
    d.grad = tensor([3, -7]);
    expect(nn.clipGradNorm_(d, 100, { normType: Infinity }).item()).toBe(7);
    expect(d.grad.tolist()).toEqual([3, -7]);
  });

  it('clipGradValue_ clamps each element', () => {
    const p = tensor([1, 1, 1], { requiresGrad: true });
    p.grad = tensor([-5, 0.5, 5]);
    nn.clipGradValue_([p], 1);
    expect(p.grad.tolist()).toEqual([-1, 0.5, 1]);
  });

  it('parametersToVector and vectorToParameters invert each other', () => {
    const lin = new nn.Linear(3, 2);
    const v = nn.parametersToVector(lin.parameters());
    expect(v.shape).toEqual([8]);
    noGrad(() => nn.vectorToParameters(v.mul(2), lin.parameters()));
    expect(nn.parametersToVector(lin.parameters()).tolist()).toEqual(v.mul(2).tolist());
  });
});
