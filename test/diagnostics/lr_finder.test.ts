// The LR finder: the sweep, the smoothing, the divergence stop, the suggestion, and a bitwise restore of model, optimizer and RNG.
import { describe, expect, it } from 'vitest';
import { digitsTensors } from '../../examples/gradient_health.js';
import { lrFind, steepestIndex } from '../../src/diagnostics/lr_finder.js';
import {
  getRngState,
  manualSeed,
  nn,
  optim,
  randn,
  tensor,
  Tensor,
  type optim as Optim,
} from '../../src/index.js';

function bytes(t: Tensor | null | undefined): string {
  if (t === null || t === undefined) return String(t);
  const a = t.dataSync();
  return `${t.dtype}[${t.shape.join(',')}]${Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')}`;
}

function optimizerBytes(opt: Optim.Optimizer<object>): string {
  const parts: string[] = [];
  for (const [p, s] of opt.state) {
    parts.push(bytes(p));
    for (const [k, v] of Object.entries(s))
      parts.push(k, v instanceof Tensor ? bytes(v) : JSON.stringify(v));
  }
  for (const g of opt.paramGroups)
    parts.push(JSON.stringify(Object.entries(g).filter(([k]) => k !== 'params')));
  return parts.join('|');
}

function net(): nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(64, 64),
    new nn.BatchNorm1d(64),
    new nn.ReLU(),
    new nn.Dropout(0.1),
    new nn.Linear(64, 10),
  );
}

const data = () => {
  const { x, y } = digitsTensors();
  return Array.from(
    { length: 20 },
    (_, i) => [x.narrow(0, i * 64, 64), y.narrow(0, i * 64, 64)] as const,
  );
};

describe('lrFind', () => {
  it('restores parameters, buffers, gradients, optimizer state and options, RNG and modes bit for bit', () => {
    manualSeed(0);
    const model = net();
    const opt = new optim.Adam(model.parameters(), { lr: 3e-3, weightDecay: 1e-4 });
    const batches = data();
    const loss = ([x, y]: (typeof batches)[number]) =>
      nn.functional.crossEntropy(model.forward(x) as Tensor, y);
    // Some history first: optimizer moments, running statistics, leftover gradients.
    for (const b of batches.slice(0, 3)) {
      opt.zeroGrad();
      loss(b).backward();
      opt.step();
    }
    loss(batches[3]!).backward();
    (model as unknown as Record<string, nn.Module>)['3']!.eval();
    const before = {
      params: model.parameters().map(bytes),
      buffers: model.buffers().map(bytes),
      grads: model.parameters().map((p) => bytes(p.grad)),
      opt: optimizerBytes(opt),
      rng: JSON.stringify(getRngState(), (_, v: unknown) =>
        typeof v === 'bigint' ? String(v) : v,
      ),
      modes: model.modules().map((m) => m.training),
    };
    const r = lrFind(model, opt, batches, loss, { numIter: 60, startLr: 1e-6, endLr: 10 });
    expect(r.lrs.length).toBeGreaterThan(20);
    expect(model.parameters().map(bytes)).toEqual(before.params);
    expect(model.buffers().map(bytes)).toEqual(before.buffers);
    expect(model.parameters().map((p) => bytes(p.grad))).toEqual(before.grads);
    expect(optimizerBytes(opt)).toEqual(before.opt);
    expect(
      JSON.stringify(getRngState(), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    ).toEqual(before.rng);
    expect(model.modules().map((m) => m.training)).toEqual(before.modes);
    expect(opt.paramGroups[0]!.lr).toBe(3e-3);
  });

  it('sweeps exponentially, smooths with bias correction, stops on divergence and suggests the steepest descent', () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 10));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const batches = data();
    const r = lrFind(
      model,
      opt,
      batches,
      ([x, y]) => nn.functional.crossEntropy(model.forward(x) as Tensor, y),
      { divergeFactor: 1.3 },
    );
    // lr_i = 1e-7 · (1e8)^(i/99)
    expect(r.lrs[0]).toBeCloseTo(1e-7, 20);
    expect(r.lrs[1]! / r.lrs[0]!).toBeCloseTo(10 ** (8 / 99), 10);
    // Bias-corrected EMA: the first smoothed value is the first loss; the second a weighted mean.
    expect(r.losses[0]).toBeCloseTo(r.rawLosses[0]!, 12);
    const avg2 = 0.98 * 0.02 * r.rawLosses[0]! + 0.02 * r.rawLosses[1]!;
    expect(r.losses[1]).toBeCloseTo(avg2 / (1 - 0.98 ** 2), 12);
    // SGD with momentum diverges before lr 10: the sweep stops with the loss above 1.3× the best.
    // (Cross-entropy saturates near ln 10 when the units die, so the default 4× needs a wilder loss.)
    expect(r.diverged).toBe(true);
    expect(r.lrs.length).toBeLessThan(100);
    expect(r.losses.at(-1)!).toBeGreaterThan(1.3 * r.bestLoss);
    expect(r.losses.slice(0, -1).every((l) => l <= 1.3 * r.bestLoss)).toBe(true);
    // The suggestion is where the smoothed curve falls fastest, below the rate of the minimum.
    expect(r.suggestion).toBe(r.lrs[r.suggestionIndex!]);
    expect(r.suggestionIndex).toBe(steepestIndex(r.losses));
    expect(r.suggestion!).toBeGreaterThan(1e-3);
    expect(r.suggestion!).toBeLessThanOrEqual(r.bestLr);
    // Training from scratch at the suggestion learns, and far faster than 100× below it.
    const trainAt = (lr: number) => {
      manualSeed(1);
      const fresh = new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 10));
      const o2 = new optim.SGD(fresh.parameters(), { lr, momentum: 0.9 });
      let epochLoss = 0;
      for (let epoch = 0; epoch < 3; epoch++) {
        epochLoss = 0;
        for (const [x, y] of batches) {
          const l = nn.functional.crossEntropy(fresh.forward(x) as Tensor, y);
          o2.zeroGrad();
          l.backward();
          o2.step();
          epochLoss += (l.item() as number) / batches.length;
        }
      }
      return epochLoss;
    };
    const atSuggestion = trainAt(r.suggestion!);
    expect(atSuggestion).toBeLessThan(1.5);
    expect(atSuggestion).toBeLessThan(trainAt(r.suggestion! / 100) - 0.5);
  });

  it('steepestIndex: central differences, skipping the ends', () => {
    const ys = [5, 5, 5, 4.9, 4.5, 3, 1, 0.8, 0.7, 2, 9];
    expect(steepestIndex(ys, 0, 0)).toBe(5);
    expect(steepestIndex(ys, 2, 1)).toBe(5);
    expect(steepestIndex([1, 2])).toBeUndefined();
    // Too short for the default skips: the whole curve is searched.
    expect(steepestIndex([3, 2, 0, -4], 10, 5)).toBe(3);
  });

  it('cycles a short batch source, stops at NaN, and restores even when the step throws', () => {
    manualSeed(0);
    const w = nn.Parameter(randn([4]));
    const model = new (class extends nn.Module {
      w = w;
      forward(): Tensor {
        return this.w.square().sum();
      }
    })();
    const opt = new optim.SGD([w], { lr: 0.1 });
    const before = bytes(w);
    const r = lrFind(model, opt, [0], () => model.forward(), {
      startLr: 0.01,
      endLr: 1e6,
      numIter: 50,
    });
    expect(r.diverged).toBe(true);
    expect(bytes(w)).toBe(before);
    let calls = 0;
    expect(() =>
      lrFind(
        model,
        opt,
        () => [1, 2],
        () => {
          if (++calls === 3) throw new Error('boom');
          return model.forward();
        },
      ),
    ).toThrow('boom');
    expect(bytes(w)).toBe(before);
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
    expect(() => lrFind(model, opt, [], () => model.forward())).toThrow(/empty/);
    expect(() =>
      lrFind(model, opt, [0], () => model.forward(), { startLr: 1, endLr: 0.1 }),
    ).toThrow(/startLr < endLr/);
    expect(tensor([1]).shape).toEqual([1]);
  });
});
