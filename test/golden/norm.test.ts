// Golden tests for BatchNorm, LayerNorm, GroupNorm and Embedding against PyTorch: forward, gradients and
// running statistics over consecutive training and eval steps, state dict keys, init, reprs and errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manualSeed, tensor, type nn, type Tensor } from '../../src/index.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d } from '../../src/nn/layers/batchnorm.js';
import { Embedding } from '../../src/nn/layers/embedding.js';
import { GroupNorm } from '../../src/nn/layers/groupnorm.js';
import { LayerNorm } from '../../src/nn/layers/layernorm.js';
import * as N from '../../src/nn/functional/normalization.js';

interface Enc {
  shape: number[];
  data: number[];
}
interface Step {
  training: boolean;
  x: Enc;
  upstream: Enc;
  out: Enc;
  gradX: Enc | null;
  gradParams: Record<string, Enc>;
  state: Record<string, Enc>;
}
interface Case {
  name: string;
  ctor: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  init: Record<string, Enc>;
  keys: string[];
  params: string[];
  buffers: string[];
  repr: string;
  steps: Step[];
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/norm_golden.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
  embeddingInit: {
    seed: number;
    args: [number, number];
    kwargs: Record<string, number>;
    weight: Enc;
  }[];
  functionalEmbedding: {
    weight: Enc;
    x: Enc;
    paddingIdx: number;
    upstream: Enc;
    out: Enc;
    gradWeight: Enc;
  };
  reprs: string[];
};

const dec = (e: Enc, opts?: { requiresGrad?: boolean }) => {
  const t = tensor(e.data).reshape(e.shape);
  return opts?.requiresGrad ? t.requiresGrad_() : t;
};
const decInt = (e: Enc) => tensor(e.data, { dtype: 'int32' }).reshape(e.shape);

function expectClose(t: Tensor | null, e: Enc, rtol = 1.3e-6, atol = 1e-5, what = ''): void {
  expect(t, what).not.toBeNull();
  expect([...t!.shape], what).toEqual(e.shape);
  const got = Array.from(t!.dataSync() as ArrayLike<number>);
  got.forEach((v, i) => {
    const w = e.data[i]!;
    expect(Math.abs(v - w), `${what} element ${i}: ${v} vs ${w}`).toBeLessThanOrEqual(
      atol + rtol * Math.abs(w),
    );
  });
}

const stateOf = (s: Record<string, Enc>) =>
  Object.fromEntries(Object.entries(s).map(([k, v]) => [k, dec(v)]));

/** Python keyword names to nabla's option names: track_running_stats → trackRunningStats. */
const camel = (kw: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(kw).map(([k, v]) => [
      k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      v,
    ]),
  );

function build(c: Case): nn.Module {
  const o = camel(c.kwargs);
  const [a0, a1] = c.args as [number | number[], number];
  switch (c.ctor) {
    case 'BatchNorm1d':
      return new BatchNorm1d(a0 as number, o);
    case 'BatchNorm2d':
      return new BatchNorm2d(a0 as number, o);
    case 'BatchNorm3d':
      return new BatchNorm3d(a0 as number, o);
    case 'LayerNorm':
      return new LayerNorm(a0, o);
    case 'GroupNorm':
      return new GroupNorm(a0 as number, a1, o);
    case 'Embedding':
      return new Embedding(a0 as number, a1, o);
    default:
      throw new Error(`unknown layer ${c.ctor}`);
  }
}

describe('layers match PyTorch over consecutive training and eval steps', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const layer = build(c);
      expect(Object.keys(layer.stateDict())).toEqual(c.keys);
      expect(layer.namedParameters().map(([k]) => k)).toEqual(c.params);
      expect(layer.namedBuffers().map(([k]) => k)).toEqual(c.buffers);
      expect(layer.toString()).toBe(c.repr);
      layer.loadStateDict(stateOf(c.init));
      const forward = layer.forward as (x: Tensor) => Tensor;
      c.steps.forEach((s, i) => {
        const at = `step ${i} (${s.training ? 'train' : 'eval'})`;
        layer.train(s.training);
        layer.zeroGrad();
        const x = c.ctor === 'Embedding' ? decInt(s.x) : dec(s.x, { requiresGrad: true });
        const y = forward(x);
        expectClose(y, s.out, 1.3e-6, 1e-5, `${at} out`);
        y.backward(dec(s.upstream));
        if (s.gradX) expectClose(x.grad, s.gradX, 1e-4, 1e-5, `${at} gradX`);
        for (const [k, p] of layer.namedParameters()) {
          const g = s.gradParams[k];
          if (g) expectClose(p.grad, g, 1e-4, 1e-5, `${at} grad ${k}`);
          else expect(p.grad, `${at} grad ${k}`).toBeNull();
        }
        const state = layer.stateDict();
        expect(Object.keys(state)).toEqual(Object.keys(s.state));
        for (const [k, v] of Object.entries(state))
          expectClose(v, s.state[k]!, 1.3e-6, 1e-5, `${at} ${k}`);
      });
    });
  }
});

describe('nn.functional matches the layers’ PyTorch results', () => {
  const find = (name: string) => golden.cases.find((c) => c.name === name)!;

  it('batchNorm in training updates the running statistics in place, without recording', () => {
    const c = find('BatchNorm1d [N, C, L]');
    const s = c.steps[0]!;
    const rm = dec(c.init.running_mean!);
    const rv = dec(c.init.running_var!);
    const w = dec(c.init.weight!, { requiresGrad: true });
    const x = dec(s.x, { requiresGrad: true });
    const y = N.batchNorm(x, rm, rv, { weight: w, bias: dec(c.init.bias!), training: true });
    expectClose(y, s.out);
    expectClose(rm, s.state.running_mean!);
    expectClose(rv, s.state.running_var!);
    expect(rm.requiresGrad || rv.requiresGrad).toBe(false);
    y.backward(dec(s.upstream));
    expectClose(x.grad, s.gradX!, 1e-4, 1e-5);
    expectClose(w.grad, s.gradParams.weight!, 1e-4, 1e-5);
  });

  it('batchNorm in eval normalises with the running statistics', () => {
    const c = find('BatchNorm2d');
    const i = c.steps.findIndex((s) => !s.training);
    const before = c.steps[i - 1]!.state;
    const s = c.steps[i]!;
    const x = dec(s.x, { requiresGrad: true });
    const y = N.batchNorm(x, dec(before.running_mean!), dec(before.running_var!), {
      weight: dec(before.weight!),
      bias: dec(before.bias!),
    });
    expectClose(y, s.out);
    y.backward(dec(s.upstream));
    expectClose(x.grad, s.gradX!, 1e-4, 1e-5);
  });

  it('layerNorm and groupNorm', () => {
    const ln = find('LayerNorm last two dims');
    const sl = ln.steps[0]!;
    expectClose(
      N.layerNorm(dec(sl.x), [3, 4], { weight: dec(ln.init.weight!), bias: dec(ln.init.bias!) }),
      sl.out,
    );
    const gn = find('GroupNorm 3 groups 2d');
    const sg = gn.steps[0]!;
    expectClose(
      N.groupNorm(dec(sg.x), 3, { weight: dec(gn.init.weight!), bias: dec(gn.init.bias!) }),
      sg.out,
    );
  });

  it('embedding looks up a non-zero padding row but gives it no gradient', () => {
    const f = golden.functionalEmbedding;
    const w = dec(f.weight, { requiresGrad: true });
    const y = N.embedding(decInt(f.x), w, { paddingIdx: f.paddingIdx });
    expectClose(y, f.out);
    y.backward(dec(f.upstream));
    expectClose(w.grad, f.gradWeight, 1e-4, 1e-6);
  });
});

describe('Embedding initialisation matches PyTorch for the same seed', () => {
  for (const e of golden.embeddingInit) {
    it(`seed ${e.seed}: Embedding(${e.args.join(', ')}) ${JSON.stringify(e.kwargs)}`, () => {
      manualSeed(e.seed);
      const emb = new Embedding(e.args[0], e.args[1], camel(e.kwargs));
      // normal_ draws agree with PyTorch's to within an ulp (Box-Muller in float64 here)
      expectClose(emb.weight, e.weight, 1e-6, 1e-7);
      if (emb.paddingIdx !== null)
        expect(emb.weight.select(0, emb.paddingIdx).tolist()).toEqual(
          new Array<number>(e.args[1]).fill(0),
        );
    });
  }

  it('fromPretrained shares the weights, frozen unless told otherwise', () => {
    const w = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const frozen = Embedding.fromPretrained(w);
    expect(frozen.weight.requiresGrad).toBe(false);
    expect(frozen.forward(tensor([2, 0], { dtype: 'int32' })).tolist()).toEqual([
      [5, 6],
      [1, 2],
    ]);
    const free = Embedding.fromPretrained(w, { freeze: false, paddingIdx: 1 });
    expect(free.weight.requiresGrad).toBe(true);
    expect(free.toString()).toBe('Embedding(3, 2, padding_idx=1)');
    expect(() => Embedding.fromPretrained(tensor([1, 2]))).toThrow(
      'Embeddings parameter is expected to be 2-dimensional',
    );
  });
});

describe('printing and errors in PyTorch’s words', () => {
  it('extraRepr formats floats as Python does', () => {
    const mods: nn.Module[] = [
      new BatchNorm2d(16),
      new BatchNorm1d(4, { eps: 1e-3, momentum: null, affine: false, trackRunningStats: false }),
      new LayerNorm(8),
      new LayerNorm([3, 4], { eps: 1e-6, elementwiseAffine: false }),
      new GroupNorm(2, 4, { eps: 0.0001 }),
      new Embedding(10, 3, { paddingIdx: 0 }),
      new Embedding(10, 3, { maxNorm: 1, normType: 1, scaleGradByFreq: true }),
    ];
    expect(mods.map((m) => m.toString())).toEqual(golden.reprs);
  });

  it('BatchNorm checks its input', () => {
    expect(() => new BatchNorm1d(3).forward(tensor([[[[1]]]]))).toThrow(
      'expected 2D or 3D input (got 4D input)',
    );
    expect(() => new BatchNorm2d(3).forward(tensor([[[1, 2, 3]]]))).toThrow(
      'expected 4D input (got 3D input)',
    );
    const bn = new BatchNorm1d(3);
    expect(() => bn.forward(tensor([[1, 2, 3]]))).toThrow(
      'Expected more than 1 value per channel when training, got input size torch.Size([1, 3])',
    );
    // a failed call changes nothing
    expect(bn.num_batches_tracked!.item()).toBe(0);
    expect(bn.running_mean!.tolist()).toEqual([0, 0, 0]);
    bn.eval();
    expect(bn.forward(tensor([[1, 2, 3]])).shape).toEqual([1, 3]);
    expect(() =>
      new BatchNorm1d(4).forward(
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ),
    ).toThrow('weight should contain 3 elements not 4');
    expect(() => N.batchNorm(tensor([[1, 2]]), null, null)).toThrow(
      'running_mean must be defined in evaluation mode',
    );
  });

  it('LayerNorm, GroupNorm and Embedding check their arguments', () => {
    const x = tensor([
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
    ]);
    expect(() => new LayerNorm(8).forward(x)).toThrow(
      'Given normalized_shape=[8], expected input with shape [*, 8], but got input of size[1, 2, 4]',
    );
    expect(() => new GroupNorm(4, 6)).toThrow('num_channels must be divisible by num_groups');
    expect(() => N.groupNorm(x, 4)).toThrow(
      'Expected number of channels in input to be divisible by num_groups, but got input of shape [1, 2, 4] and num_groups=4',
    );
    expect(() => new Embedding(5, 3, { paddingIdx: 5 })).toThrow(
      'Padding_idx must be within num_embeddings',
    );
    expect(() => new Embedding(5, 3, { paddingIdx: -6 })).toThrow(
      'Padding_idx must be within num_embeddings',
    );
    expect(() => new Embedding(5, 3).forward(tensor([0, 1]))).toThrow(/'indices'/);
    expect(() => new Embedding(5, 3).forward(tensor([0, 5], { dtype: 'int32' }))).toThrow();
  });
});
