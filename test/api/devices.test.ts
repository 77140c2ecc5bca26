// Moving tensors and models between backends, as PyTorch's x.to(device) and model.to(device).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceError,
  manualSeed,
  nn,
  optim,
  randn,
  setBackend,
  tensor,
  type Tensor,
} from '../../src/index.js';
import { loadFastBackends } from '../../src/node.js';

let fast = 'wasm';
beforeAll(async () => {
  const loaded = await loadFastBackends({ quiet: true, threads: 1 });
  expect(loaded.wasm).not.toBeNull();
  if (process.env.NABLA_REQUIRE_NATIVE === '1') expect(loaded.errors.native).toBeUndefined();
  if (loaded.native !== null) fast = 'native';
  setBackend('cpu');
});

describe('tensor.to(backend)', () => {
  it('copies to another backend, differentiably (the gradient comes back)', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.to(fast);
    expect(y.device).toBe(fast);
    expect(y.gradFn?.name).toBe('ToCopyBackward');
    expect(y.tolist()).toEqual([1, 2, 3]);
    y.mul(y).sum().backward();
    expect(x.grad!.device).toBe('cpu');
    expect(x.grad!.tolist()).toEqual([2, 4, 6]);
    expect(x.to('cpu')).toBe(x);
    expect(x.to({ device: fast, dtype: 'float64' }).dtype).toBe('float64');
  });

  it('names the fix when devices are mixed', () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]).to(fast);
    expect(() => a.add(b)).toThrow(DeviceError);
    expect(() => a.add(b)).toThrow(`tensor.to('cpu')`);
    expect(() => a.to('quantum')).toThrow(DeviceError);
  });
});

describe('module.to(backend)', () => {
  function build() {
    manualSeed(0);
    const model = new nn.Sequential(
      new nn.Linear(6, 8),
      new nn.BatchNorm1d(8),
      new nn.ReLU(),
      new nn.Linear(8, 3),
    );
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const x = randn([16, 6]);
    const y = randn([16, 3]);
    const step = (m: nn.Sequential, xs: Tensor, ys: Tensor) => {
      opt.zeroGrad();
      const loss = nn.functional.mseLoss((m.forward as (x: Tensor) => Tensor)(xs), ys);
      loss.backward();
      opt.step();
      return loss.item() as number;
    };
    return { model, opt, x, y, step };
  }

  it('moves parameters, gradients, buffers and optimizer state in place, mid-training', () => {
    const ref = build();
    const refLosses = Array.from({ length: 6 }, () => ref.step(ref.model, ref.x, ref.y));

    const run = build();
    const params = run.model.parameters();
    const losses = [run.step(run.model, run.x, run.y), run.step(run.model, run.x, run.y)];
    expect(run.model.to(fast)).toBe(run.model);
    // The same Parameter objects (the optimizer holds them), now on the fast backend.
    expect(run.model.parameters()).toEqual(params);
    for (const p of params) expect(p.device).toBe(fast);
    for (const b of run.model.buffers()) expect(b.device).toBe(fast);
    const xs = run.x.to(fast);
    const ys = run.y.to(fast);
    for (let i = 0; i < 4; i++) losses.push(run.step(run.model, xs, ys));
    for (const p of params) expect(p.grad!.device).toBe(fast);
    const state = run.opt.stateDict().state;
    for (const s of Object.values(state))
      for (const v of Object.values(s))
        if (typeof v === 'object' && v !== null) expect((v as Tensor).device).toBe(fast);
    losses.forEach((l, i) => expect(l).toBeCloseTo(refLosses[i]!, 4));
    run.model.to('cpu');
    for (const p of params) expect(p.device).toBe('cpu');
  });
});

describe('the default backend', () => {
  it("keeps the user's choice over the entry points' one, but selectBackend('auto') pins nothing", async () => {
    const { setDefaultBackend } = await import('../../src/backend/registry.js');
    const { getBackend, selectBackend } = await import('../../src/index.js');
    selectBackend('cpu');
    expect(setDefaultBackend(fast)).toBe('cpu'); // the entry finishing its load later changes nothing
    expect(selectBackend('auto')).toBe(fast);
    expect(setDefaultBackend('wasm')).toBe('wasm'); // 'auto' left it to the entry points
    expect(getBackend().name).toBe('wasm');
    setBackend('cpu');
  });
});
