// The gradient-health monitor: what it records and restores, its rules, and the demonstrations (vanishing, exploding, their fixes, healthy runs).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demos, trainWatched } from '../../examples/gradient_health.js';
import { parseTrainArgs, train } from '../../src/cli/train.js';
import { GradientHealthMonitor } from '../../src/diagnostics/health.js';
import { diagnose, type HealthThresholds } from '../../src/diagnostics/health_rules.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { manualSeed, nn, noGrad, optim, tensor, type Tensor } from '../../src/index.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

const kinds = (m: GradientHealthMonitor) => m.diagnose().map((d) => d.kind);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function smallNet(): nn.Sequential {
  manualSeed(0);
  return new nn.Sequential(
    new nn.Linear(64, 64),
    new nn.ReLU(),
    new nn.Linear(64, 64),
    new nn.ReLU(),
    new nn.Linear(64, 10),
  );
}

describe('GradientHealthMonitor: recording', () => {
  it('records gradient norm, weight norm and update ratio exactly (SGD: ‖Δw‖ = lr·‖g‖)', () => {
    manualSeed(1);
    const lin = new nn.Linear(3, 2);
    const model = new nn.Sequential(lin, new nn.ReLU());
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const monitor = new GradientHealthMonitor(model, opt, { every: 1 });
    const x = tensor([
      [1, -2, 3],
      [0.5, 1, -1],
    ]);
    const out = model.forward(x) as Tensor;
    out.sum().backward();
    const g = Math.hypot(
      ...(lin.weight.grad!.tolist() as number[][]).flat(),
      ...(lin.bias!.grad!.tolist() as number[]),
    );
    const w = Math.hypot(
      ...(lin.weight.tolist() as number[][]).flat(),
      ...(lin.bias!.tolist() as number[]),
    );
    opt.step();
    const s = monitor.records[0]!.layers.get('0')!;
    expect(s.gradNorm).toBeCloseTo(g, 5);
    expect(s.weightNorm).toBeCloseTo(w, 5);
    expect(s.updateRatio).toBeCloseTo((0.1 * g) / w, 5);
    expect(s.nonFiniteGrad).toBe(0);
    expect(s.nonFiniteWeight).toBe(0);
    // The Linear's output statistics.
    const o = (out.tolist() as number[][]).flat();
    const relu = monitor.records[0]!.layers.get('1')!;
    expect(relu.actMean).toBeCloseTo(mean(o), 5);
    // Fewer than 8 samples: no dead-unit count (with 2 samples "≤ 0 for all" is chance).
    expect(relu.deadFraction).toBeUndefined();
  });

  it('counts dead ReLU units: ≤ 0 for every sample in the batch, per feature or channel', () => {
    const model = new nn.Sequential(new nn.ReLU());
    const opt = new optim.SGD([nn.Parameter(tensor([0]))], { lr: 0.1 });
    const monitor = new GradientHealthMonitor(model, opt, { every: 1 });
    // 8 samples, 4 features: feature 0 is always negative, feature 3 always 0, 1 and 2 fire sometimes.
    const rows = Array.from({ length: 8 }, (_, i) => [
      -1 - i,
      i % 2 === 0 ? 1 : -1,
      i === 7 ? 2 : -3,
      0,
    ]);
    model.forward(tensor(rows));
    opt.step();
    expect(monitor.records[0]!.layers.get('0')!.deadFraction).toBe(0.5);
    // Images: [N, C, H, W], a unit is a channel.
    const img = Array.from({ length: 8 }, () => [
      [
        [-1, -1],
        [-1, -1],
      ],
      [
        [-1, 2],
        [-1, -1],
      ],
    ]);
    model.forward(tensor(img));
    opt.step();
    expect(monitor.records[1]!.layers.get('0')!.deadFraction).toBe(0.5);
  });

  it('records every N steps only, and not in eval mode or under noGrad', () => {
    const model = smallNet();
    const { monitor } = trainWatched(model, new optim.SGD(model.parameters(), { lr: 0.05 }), {
      steps: 12,
      every: 5,
    });
    expect(monitor.records.map((r) => r.step)).toEqual([0, 5, 10]);
    expect(monitor.losses).toHaveLength(12);
    expect(monitor.layers.map((l) => `${l.name}:${l.kind}`)).toEqual([
      '0:weight',
      '1:activation',
      '2:weight',
      '3:activation',
      '4:weight',
    ]);
    const m2 = smallNet();
    const opt = new optim.SGD(m2.parameters(), { lr: 0.05 });
    const mon = new GradientHealthMonitor(m2, opt, { every: 1 });
    m2.eval();
    m2.forward(tensor([[...Array(64).keys()]]));
    m2.train();
    noGrad(() => m2.forward(tensor([[...Array(64).keys()]])));
    expect(mon.records).toHaveLength(0);
    opt.step(); // no gradients yet: a record with weights but no gradient norms
    const s = mon.records[0]!.layers.get('0')!;
    expect(s.actMean).toBeUndefined();
    expect(s.gradNorm).toBeUndefined();
    expect(s.updateRatio).toBe(0);
  });

  it('remove() restores optimizer.step and detaches the forward hooks', () => {
    const model = smallNet();
    const opt = new optim.SGD(model.parameters(), { lr: 0.05 });
    const protoStep = Object.getPrototypeOf(opt).step as unknown;
    expect(Object.hasOwn(opt, 'step')).toBe(false);
    const monitor = new GradientHealthMonitor(model, opt, { every: 1 });
    expect(opt.step).not.toBe(protoStep);
    monitor.remove();
    expect(Object.hasOwn(opt, 'step')).toBe(false);
    expect(opt.step).toBe(protoStep);
    (model.forward(tensor([[...Array(64).keys()]])) as Tensor).sum().backward();
    opt.step();
    expect(monitor.records).toHaveLength(0);
    // An optimizer with its own step property gets it back.
    const own = new optim.SGD(model.parameters(), { lr: 0.05 });
    const mine = (() => undefined) as Optimizer<object>['step'];
    Object.defineProperty(own, 'step', { value: mine, writable: true, configurable: true });
    const m2 = new GradientHealthMonitor(model, own);
    m2.remove();
    expect(own.step).toBe(mine);
  });

  it('does not change training: the same losses with and without a monitor', () => {
    const run = (watch: boolean) => {
      const model = smallNet();
      const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
      const r = trainWatched(model, opt, { steps: 8, every: watch ? 1 : 1000 });
      return r.losses;
    };
    expect(run(true)).toEqual(run(false));
  });

  it('without an optimizer, beforeStep()/afterStep() bracket a hand-written update', () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU(), new nn.Linear(2, 1));
    const monitor = new GradientHealthMonitor(model, undefined, { every: 1 });
    const loss = nn.functional.mseLoss(model.forward(tensor([[1, 2]])) as Tensor, tensor([[1]]));
    loss.backward();
    monitor.recordLoss(loss);
    monitor.beforeStep();
    for (const p of model.parameters()) p.detach().sub_(p.grad!.mul(0.01));
    monitor.afterStep();
    const s = monitor.records[0]!.layers.get('2')!;
    expect(s.updateRatio).toBeGreaterThan(0);
    expect(monitor.report().text).toMatch(/Gradient health: 1 steps, 1 records/);
  });
});

describe('health rules', () => {
  it('flag a learning rate far too low, a diverging loss, and dead ReLUs, naming the layers', () => {
    const low = smallNet();
    const r1 = trainWatched(low, new optim.SGD(low.parameters(), { lr: 1e-5 }), {
      steps: 20,
      every: 2,
    });
    expect(kinds(r1.monitor)).toEqual(['lr-too-low']);
    expect(r1.monitor.diagnose()[0]!.layers).toEqual(['0', '2', '4']);

    const high = smallNet();
    const r2 = trainWatched(high, new optim.SGD(high.parameters(), { lr: 2, momentum: 0.9 }), {
      steps: 60,
      every: 2,
    });
    expect(kinds(r2.monitor)).toEqual(['dead-relu', 'lr-too-high']);
    expect(r2.monitor.diagnose()[1]!.message).toMatch(/the loss diverges/i);
    expect(r2.monitor.diagnose()[0]!.layers).toEqual(['1', '3']);

    const dead = smallNet();
    nn.init.constant_((dead as unknown as Record<string, nn.Linear>)['0']!.bias!, -3);
    const r3 = trainWatched(dead, new optim.Adam(dead.parameters(), { lr: 1e-3 }), {
      steps: 20,
      every: 2,
    });
    expect(kinds(r3.monitor)).toContain('dead-relu');
    expect(kinds(r3.monitor)).not.toContain('vanishing-gradients');
  });

  it('oscillation and large update ratios are flagged as a learning rate too high', () => {
    const net = smallNet();
    const r = trainWatched(net, new optim.SGD(net.parameters(), { lr: 1 }), {
      steps: 60,
      every: 2,
    });
    const d = r.monitor.diagnose();
    expect(d.map((x) => x.kind)).toEqual(['lr-too-high']);
    // Plain SGD at lr 1: the last layer moves by 0.116 of its norm per step (median).
    expect(d[0]!.layers).toContain('4');
    expect(d[0]!.message).toMatch(/4 \(Linear\) \(0\.1\d+\)/);
    expect(d[0]!.remedies.join(' ')).toMatch(/Lower the learning rate/);
  });

  it('take no decision on too few records, and accept threshold overrides', () => {
    const net = smallNet();
    const r = trainWatched(net, new optim.SGD(net.parameters(), { lr: 1e-5 }), {
      steps: 4,
      every: 2,
    });
    expect(r.monitor.diagnose()).toEqual([]);
    const t: Partial<HealthThresholds> = { minRecords: 2 };
    const m = r.monitor;
    expect(
      diagnose(m.layers, m.records, m.losses, { ...m.thresholds, ...t }).map((x) => x.kind),
    ).toEqual(['lr-too-low']);
  });
});

describe('demonstrations', () => {
  it('a 20-layer sigmoid MLP with N(0, 0.1²) init is diagnosed as vanishing gradients', () => {
    const { monitor } = demos.vanishing();
    const report = monitor.report();
    expect(report.diagnoses.map((d) => d.kind)).toEqual(['vanishing-gradients']);
    const d = report.diagnoses[0]!;
    // The early layers are named, the last one is not; the remedies say what to change.
    expect(d.layers.slice(0, 3)).toEqual(['0', '2', '4']);
    expect(d.layers).not.toContain('38');
    expect(d.remedies.join('\n')).toMatch(/ReLU/);
    expect(d.remedies.join('\n')).toMatch(/Kaiming/);
    expect(d.remedies.join('\n')).toMatch(/BatchNorm/);
    // Orders of magnitude: the first layer gets < 1e-10 of the last layer's gradient.
    const first = report.layers.find((l) => l.name === '0')!.gradNorm;
    const last = report.layers.find((l) => l.name === '38')!.gradNorm;
    expect(first / last).toBeLessThan(1e-10);
    expect(report.text).toMatch(/✗ Vanishing gradients\n/);
    expect(report.text).toMatch(/19 Sigmoid layers/);
  });

  it('the same depth with ReLU, Kaiming init and BatchNorm trains with no alarm', () => {
    const { monitor, losses } = demos.fixedVanishing();
    expect(monitor.diagnose()).toEqual([]);
    expect(monitor.report().text).toMatch(/No alarms/);
    expect(mean(losses.slice(-5))).toBeLessThan(0.85 * mean(losses.slice(0, 5)));
  });

  it('a deep net with large init and a high LR is diagnosed as exploding', () => {
    const { monitor } = demos.exploding();
    const d = monitor.diagnose();
    expect(d.map((x) => x.kind)).toEqual(['exploding-gradients']);
    expect(d[0]!.severity).toBe('error');
    expect(d[0]!.message).toMatch(
      /Non-finite values \(NaN or Inf\) from step \d+ on, first in 0 \(Linear\)/,
    );
    expect(d[0]!.message).toMatch(/total gradient norm went/);
    expect(d[0]!.remedies.join('\n')).toMatch(/clipGradNorm_/);
  });

  it('clipGradNorm_ and a lower LR fix it: no alarm, and the loss falls', () => {
    const { monitor, losses } = demos.fixedExploding();
    expect(monitor.diagnose()).toEqual([]);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(mean(losses.slice(-5))).toBeLessThan(0.1 * losses[0]!);
  });

  it('a healthy digits run (nabla train --diagnose) raises no alarm', async () => {
    const cfg = parseTrainArgs([
      '--epochs',
      '4',
      '--diagnose',
      '--out',
      mkdtempSync(join(tmpdir(), 'nabla-health-')),
      '--quiet',
    ]);
    if (cfg === 'help') throw new Error('unreachable');
    let text = '';
    const r = await train(cfg, { write: (s: string) => (text += s) }, () => false);
    expect(r.testAccuracy).toBeGreaterThan(0.9);
    expect(text).toMatch(/Gradient health: 160 steps/);
    expect(text).toMatch(/✓ No alarms/);
    expect(text).not.toMatch(/✗/);
  });

  it.skipIf(!existsSync(FASHION))('a healthy Fashion-MNIST run raises no alarm', async () => {
    const cfg = parseTrainArgs([
      '--data',
      'fashion-mnist',
      '--limit',
      '3000',
      '--epochs',
      '2',
      '--diagnose',
      '--out',
      mkdtempSync(join(tmpdir(), 'nabla-health-')),
      '--quiet',
    ]);
    if (cfg === 'help') throw new Error('unreachable');
    let text = '';
    const r = await train(cfg, { write: (s: string) => (text += s) }, () => false);
    expect(r.testAccuracy).toBeGreaterThan(0.65);
    expect(text).toMatch(/✓ No alarms/);
    expect(text).not.toMatch(/✗/);
  });
});
