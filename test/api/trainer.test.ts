// Trainer through the public entry: the digits MLP to a test accuracy, the order of its events, stops, and an exact resume from an in-memory checkpoint.
import { describe, expect, it } from 'vitest';
import {
  Generator,
  Trainer,
  data,
  manualSeed,
  nn,
  optim,
  randint,
  randn,
  tensor,
  type TrainingCheckpoint,
} from '../../src/index.js';
import { Digits } from '../../src/data/node/index.js';

/** The digits as [N, 1, 8, 8] images, split 70/10/20 with a fixed seed. */
function digits() {
  const d = new Digits({ shape: 'image' });
  const x = tensor(Array.from(d.features)).reshape([d.length, 1, 8, 8]);
  const y = tensor(Array.from(d.targets), { dtype: 'int32' });
  const [train, val, test] = data.randomSplit(new data.TensorDataset(x, y), [0.7, 0.1, 0.2], {
    generator: new Generator(1234),
  });
  return { train: train!, val: val!, test: test! };
}

const mlp = () =>
  new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(64, 256),
    new nn.ReLU(),
    new nn.Linear(256, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );

/** 40 random samples of 4 features in 3 classes (the same whatever the seed): 4 batches of 10. */
function tiny(seed = 0) {
  manualSeed(123);
  const ds = new data.TensorDataset(randn([40, 4]), randint(0, 3, [40]));
  manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
  return { model, ds };
}

describe('Trainer', () => {
  it('trains the digits MLP to above 95% test accuracy', async () => {
    manualSeed(0);
    const { train, val, test } = digits();
    const model = mlp();
    const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
    const trainer = new Trainer({
      model,
      optimizer,
      train,
      val,
      epochs: 8,
      batchSize: 32,
      generator: new Generator(0),
      scheduler: new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: 8 }),
    });
    const r = await trainer.fit();
    expect(r.metrics).toHaveLength(8);
    expect(r.steps).toBe(8 * 40);
    expect(r.stepLosses).toHaveLength(320);
    expect(r.metrics[7]!.trainLoss).toBeLessThan(r.metrics[0]!.trainLoss);
    expect(r.metrics[7]!.valAccuracy).toBeGreaterThan(0.9);
    // The cosine schedule ran once per epoch: the last epoch's lr is lr·(1 + cos(7π/8))/2.
    expect(r.metrics[7]!.lr).toBeCloseTo((3e-3 * (1 + Math.cos((7 * Math.PI) / 8))) / 2, 8);
    const { accuracy, samples } = trainer.evaluate(test);
    expect(samples).toBe(test.length);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('fires its events in order, checkpointing before each epoch end', async () => {
    const { model, ds } = tiny();
    const log: string[] = [];
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      train: ds,
      val: ds,
      epochs: 2,
      batchSize: 10,
      onCheckpoint: (ck) => void log.push(`checkpoint ${ck.epoch}/${ck.step}`),
      callbacks: { fitStart: (e) => void log.push(`fitStart ${e.epochs}x${e.batchesPerEpoch}`) },
    });
    trainer.on('epochStart', (e) => void log.push(`epochStart ${e.epoch}`));
    trainer.on('afterBackward', (e) => {
      // Gradients are there and the optimizer has not stepped yet.
      expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
      log.push(`afterBackward ${e.step}`);
    });
    trainer.on(
      'step',
      (e) => void log.push(`step ${e.step} ${e.progress.done}/${e.progress.total}`),
    );
    trainer.on('epochEnd', async (e) => {
      await new Promise((r) => setTimeout(r, 1)); // awaited before the run goes on
      log.push(`epochEnd ${e.metrics.epoch}`);
    });
    trainer.on('fitEnd', (r) => void log.push(`fitEnd ${r.steps}`));
    const off = trainer.on('step', () => void log.push('removed before fit'));
    off();
    await trainer.fit();
    const epoch = (n: number) => [
      `epochStart ${n}`,
      ...[1, 2, 3, 4].flatMap((b) => {
        const s = 4 * (n - 1) + b;
        return [`afterBackward ${s - 1}`, `step ${s} ${b}/4`];
      }),
      `checkpoint ${n}/${4 * n}`,
      `epochEnd ${n}`,
    ];
    expect(log).toEqual(['fitStart 2x4', ...epoch(1), ...epoch(2), 'fitEnd 8']);
    expect(trainer.history.metrics.map((m) => m.epoch)).toEqual([1, 2]);
    expect(trainer.position).toEqual({ epoch: 2, step: 8, batchInEpoch: 0 });
  });

  it('stops at a step limit with a checkpoint, and at shouldStop without one', async () => {
    const { model, ds } = tiny();
    const saved: TrainingCheckpoint[] = [];
    const stops: string[] = [];
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      train: ds,
      epochs: 3,
      batchSize: 10,
      onCheckpoint: (ck) => void saved.push(ck),
      callbacks: { stop: (e) => void stops.push(`${e.reason} ${e.step}`) },
    });
    let r = await trainer.fit({ untilStep: 6 });
    expect([r.steps, r.interrupted, r.metrics.length]).toEqual([6, false, 1]);
    expect(saved.map((c) => [c.epoch, c.step, c.batchInEpoch])).toEqual([
      [1, 4, 0],
      [1, 6, 2],
    ]);
    r = await trainer.fit({ shouldStop: () => trainer.position.step >= 7 });
    expect([r.steps, r.interrupted]).toEqual([7, true]);
    expect(saved).toHaveLength(2);
    expect(stops).toEqual(['steps 6', 'interrupted 7']);
  });

  it('lets timers in across many short epochs, so a stop requested from outside arrives', async () => {
    // Each epoch (4 tiny steps) is far shorter than yieldEvery (50 ms); the clock must run across
    // epochs, or a worker's stop message (a task, like this timer) never gets in before fit() ends.
    const { model, ds } = tiny();
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      train: ds,
      epochs: 5000,
      batchSize: 10,
    });
    let stop = false;
    setTimeout(() => (stop = true), 0);
    const r = await trainer.fit({ shouldStop: () => stop });
    expect(r.interrupted).toBe(true);
    expect(r.steps).toBeLessThan(20_000);
  });

  it('resumes from its checkpoint bitwise, whatever the seed it was rebuilt under', async () => {
    const run = (seed: number, opts: { untilStep?: number; resume?: TrainingCheckpoint } = {}) => {
      const { model, ds } = tiny(seed);
      const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
      let last: TrainingCheckpoint | undefined;
      const trainer = new Trainer({
        model,
        optimizer,
        train: ds,
        epochs: 3,
        batchSize: 10,
        generator: new Generator(seed),
        scheduler: {
          scheduler: new optim.lrScheduler.OneCycleLR(optimizer, { maxLr: 0.05, totalSteps: 12 }),
          interval: 'step',
        },
        onCheckpoint: (ck) => void (last = ck),
      });
      if (opts.resume) expect(trainer.loadStateDict(opts.resume)).toEqual([]);
      return trainer.fit({ untilStep: opts.untilStep }).then((r) => ({ r, model, last }));
    };
    const a = await run(0);
    const b = await run(0, { untilStep: 6 });
    const c = await run(7, { resume: b.last! });
    expect(c.r.stepLosses).toEqual(a.r.stepLosses);
    const weights = (m: nn.Module) => m.parameters().map((p) => p.tolist());
    expect(weights(c.model)).toEqual(weights(a.model));
  });
});
