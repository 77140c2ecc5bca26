// A training loop written as in PyTorch (no tidy) frees what only the library can reach, and never a tensor user code holds.
import { describe, expect, it } from 'vitest';
import {
  emptyCache,
  manualSeed,
  memory,
  nn,
  optim,
  randint,
  randn,
  setMemoryTracking,
  type Tensor,
} from '../../src/index.js';

setMemoryTracking(true);

const F = nn.functional;

function setup(extra?: nn.Module) {
  manualSeed(0);
  const layers: nn.Module[] = [new nn.Linear(64, 128), new nn.ReLU(), new nn.Linear(128, 64)];
  if (extra) layers.push(extra);
  layers.push(new nn.ReLU(), new nn.Linear(64, 10));
  const model = new nn.Sequential(...layers);
  const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const x = randn([96, 64]);
  const y = randint(0, 10, [96]);
  const step = () => {
    opt.zeroGrad();
    const logits = model.forward(x) as Tensor;
    const loss = F.crossEntropy(logits, y);
    loss.backward();
    opt.step();
    return { logits, loss: loss.item() as number };
  };
  return { model, step };
}

describe('a PyTorch-style loop without tidy()', () => {
  it('keeps only what user code can reach: the logits and the loss of each step', () => {
    const { step } = setup();
    for (let i = 0; i < 3; i++) step();
    const before = memory();
    const steps = 20;
    for (let i = 0; i < steps; i++) step();
    const grown = (memory().bytes - before.bytes) / steps;
    // The graph of one step holds ~200 KiB (activations, gradients, masks); what stays live until
    // the garbage collector runs is the returned logits (96×10 floats) and the 0-d loss.
    expect(grown).toBeLessThanOrEqual(96 * 10 * 4 + 64);
  });

  it('serves its buffers from the pool after the first step', () => {
    const { step } = setup();
    step();
    step();
    emptyCache();
    step(); // frees its intermediates into the cache as backward and the scopes finish with them
    expect(memory().cached.buffers).toBeGreaterThan(0);
  });

  it('never reuses a buffer that user code holds: hooks, retainGrad, outputs kept in an array', () => {
    // A user-defined module inside the Sequential that keeps its input: user code, never freed.
    class Spy extends nn.Module {
      last: Tensor | null = null;
      forward(x: Tensor): Tensor {
        this.last = x;
        return x.mul(1);
      }
    }
    const spy = new Spy();
    const { model, step } = setup(spy);
    const seen: { t: Tensor; copy: number[][] }[] = [];
    const grads: Tensor[] = [];
    const relu = (model as nn.Sequential).get(1);
    relu.registerForwardHook((_m, _args, out) => {
      const t = out as Tensor;
      t.retainGrad();
      seen.push({ t, copy: t.tolist() as number[][] });
    });
    const kept: { logits: Tensor; copy: number[][] }[] = [];
    const spied: { t: Tensor; copy: number[][] }[] = [];
    for (let i = 0; i < 6; i++) {
      const { logits } = step();
      kept.push({ logits, copy: logits.tolist() as number[][] });
      spied.push({ t: spy.last!, copy: spy.last!.tolist() as number[][] });
      grads.push(seen[seen.length - 1]!.t.grad!);
    }
    const gradCopies = grads.map((g) => g.tolist());
    for (let i = 0; i < 6; i++) step(); // more steps: any wrongly freed buffer is reused by now
    for (const s of [...seen, ...spied]) expect(s.t.tolist()).toEqual(s.copy);
    for (const k of kept) expect(k.logits.tolist()).toEqual(k.copy);
    grads.slice(0, 6).forEach((g, i) => expect(g.tolist()).toEqual(gradCopies[i]));
    expect(seen.every((s) => !s.t.isDisposed)).toBe(true);
  });

  it('trains to the same numbers as the same loop inside tidy()', async () => {
    const { tidy } = await import('../../src/index.js');
    const plain = setup();
    const losses = Array.from({ length: 15 }, () => plain.step().loss);
    const scoped = setup();
    const tidyLosses = Array.from({ length: 15 }, () => tidy(() => scoped.step().loss));
    expect(losses).toEqual(tidyLosses);
    expect(losses[14]!).toBeLessThan(losses[0]!);
  });
});
