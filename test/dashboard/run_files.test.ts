// A run as the dashboard records and reads it: DashboardRecorder's events from a real Trainer, events.jsonl written and followed, and runs without one read from metrics.json / metrics.csv.
import { appendFileSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
} from '../../src/index.js';
import { GradientHealthMonitor } from '../../src/diagnostics/health.js';
import type { DashboardEvent, ScalarsEvent } from '../../src/dashboard/events.js';
import { histogram } from '../../src/dashboard/recorder.js';
import { DashboardRun } from '../../src/dashboard/run.js';
import { recordRun } from '../../src/node/dashboard.js';
import {
  EventsFile,
  EventsReader,
  eventsFromMetrics,
  parseEvents,
} from '../../src/node/dashboard_runs.js';
import { tmp } from '../helpers/cli.js';

/** 40 random samples of 4 features in 3 classes: 4 batches of 10, 2 epochs. */
function tinyTrainer() {
  manualSeed(123);
  const ds = new data.TensorDataset(randn([40, 4]), randint(0, 3, [40]));
  const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
  const trainer = new Trainer({
    model,
    optimizer,
    train: ds,
    val: ds,
    epochs: 2,
    batchSize: 10,
    generator: new Generator(0),
  });
  const monitor = new GradientHealthMonitor(model, optimizer, { every: 1 });
  return { trainer, monitor };
}

describe('recording a Trainer', () => {
  it('writes events.jsonl: start, scalars and layers every step, epochs, findings, end', async () => {
    const dir = tmp('nabla-events-');
    const { trainer, monitor } = tinyTrainer();
    const rec = await recordRun(trainer, { dir, monitor, config: { lr: 0.1 }, data: { n: 40 } });
    expect(rec.url).toBeUndefined();
    await trainer.fit();
    rec.finish('finished', 0.75);
    await rec.close();
    const events = parseEvents(readFileSync(join(dir, 'events.jsonl'), 'utf8'), 'events.jsonl');
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('start');
    expect(types.at(-1)).toBe('end');
    const start = events[0] as Extract<DashboardEvent, { type: 'start' }>;
    expect(start).toMatchObject({
      step: 0,
      totalSteps: 8,
      epochs: 2,
      config: { lr: 0.1 },
      data: { n: 40 },
    });
    expect(start.model!.parameters).toBe(4 * 8 + 8 + 8 * 3 + 3);
    expect(start.model!.summary).toContain('Linear(in_features=4, out_features=8, bias=True)');
    const steps = events.filter(
      (e): e is ScalarsEvent => e.type === 'scalars' && 'train/loss' in e.values,
    );
    expect(steps.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps.map((e) => e.values['train/loss'])).toEqual(trainer.history.stepLosses);
    expect(steps[0]!.values.lr).toBe(0.1);
    const epochs = events.filter(
      (e): e is ScalarsEvent => e.type === 'scalars' && 'val/loss' in e.values,
    );
    expect(epochs.map((e) => [e.step, e.values.epoch, e.values['val/loss']])).toEqual(
      trainer.history.metrics.map((m) => [m.epoch * 4, m.epoch, m.valLoss]),
    );
    const layers = events.filter((e) => e.type === 'layers');
    expect(layers).toHaveLength(8);
    expect(Object.keys(layers[0]!.type === 'layers' ? layers[0]!.layers : {})).toEqual([
      '0 Linear',
      '2 Linear',
    ]);
    // Weight histograms at records 0 and 5 (every 5th), one per weight layer.
    const hists = events.filter((e) => e.type === 'histogram');
    expect(hists.map((h) => [h.step, h.type === 'histogram' && h.layer])).toEqual([
      [1, '0 Linear'],
      [1, '2 Linear'],
      [6, '0 Linear'],
      [6, '2 Linear'],
    ]);
    expect(events.filter((e) => e.type === 'findings')).toHaveLength(3); // two epochs and the end
    expect(events.at(-1)).toMatchObject({
      type: 'end',
      step: 8,
      status: 'finished',
      testAccuracy: 0.75,
    });
    // Times are wall-clock seconds, in order.
    const times = events.map((e) => e.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(Math.abs(times[0]! - Date.now() / 1000)).toBeLessThan(60);
    // What a page would load of it.
    const run = new DashboardRun('r');
    for (const e of events) run.ingest(e);
    expect(run.snapshot().layers.gradNorm['0 Linear']).toHaveLength(8);
    monitor.remove();
  });

  it('a resumed run appends; a fresh one starts the file again', () => {
    const dir = tmp('nabla-events-');
    const one: DashboardEvent = { type: 'end', time: 1, step: 1, status: 'finished' };
    for (const append of [false, true]) {
      const f = new EventsFile(dir, { append });
      f.write(one);
      f.close();
    }
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    new EventsFile(dir, { append: false }).close();
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8')).toBe('');
  });
});

describe('weight histograms', () => {
  it('count values over equal bins from the min to the max, skipping non-finite values', () => {
    expect(histogram([0, 1, 2, 3, 4, NaN, Infinity], 2)).toEqual({
      min: 0,
      max: 4,
      counts: [2, 3],
    });
    expect(histogram([5, 5], 3)).toEqual({ min: 5, max: 5, counts: [2, 0, 0] });
    expect(histogram([], 2)).toEqual({ min: 0, max: 0, counts: [0, 0] });
  });
});

describe('reading a run folder', () => {
  it('EventsReader returns completed lines only, and follows the file as it grows', () => {
    const dir = tmp('nabla-events-');
    const path = join(dir, 'events.jsonl');
    const reader = new EventsReader(dir);
    expect(reader.read()).toEqual([]);
    const a = JSON.stringify({ type: 'scalars', time: 1, step: 1, values: { x: 1 } });
    const b = JSON.stringify({ type: 'scalars', time: 2, step: 2, values: { x: 2 } });
    writeFileSync(path, `${a}\n${b.slice(0, 10)}`);
    expect(reader.read().map((e) => e.step)).toEqual([1]);
    appendFileSync(path, `${b.slice(10)}\n`);
    expect(reader.read().map((e) => e.step)).toEqual([2]);
    expect(reader.read()).toEqual([]);
    // A new run in the folder starts the file again: read from its start.
    writeFileSync(path, `${b}\n`);
    expect(reader.read().map((e) => e.step)).toEqual([2]);
  });

  it('names the line of a bad event', () => {
    expect(() => parseEvents('{"type":"end","time":1,"step":1}\nnot json\n', 'f')).toThrow(
      'f:2: not a JSON line',
    );
    expect(() => parseEvents('{"type":"what","time":1,"step":1}\n', 'f', 7)).toThrow(
      'f:7: not a dashboard event',
    );
  });

  it('a run without events.jsonl: metrics.json gives every step loss and the epochs', () => {
    const dir = tmp('nabla-metrics-');
    const epoch = (i: number) => ({
      epoch: i,
      trainLoss: 1 / i,
      trainAccuracy: 0.5,
      valLoss: 2 / i,
      valAccuracy: 0.6,
      samplesPerSecond: 100,
      seconds: 2,
      lr: 0.01,
    });
    writeFileSync(
      join(dir, 'metrics.json'),
      JSON.stringify({
        config: { model: 'mlp', epochs: 2 },
        data: { name: 'digits' },
        epochs: [epoch(1), epoch(2)],
        stepLosses: [4, 3, 2, 1],
        testAccuracy: 0.9,
        interrupted: false,
      }),
    );
    utimesSync(join(dir, 'metrics.json'), 1000, 1000);
    const events = eventsFromMetrics(dir);
    expect(events[0]).toMatchObject({
      type: 'start',
      time: 996,
      totalSteps: 4,
      epochs: 2,
      config: { model: 'mlp' },
    });
    const losses = events.filter(
      (e): e is ScalarsEvent => e.type === 'scalars' && 'train/loss' in e.values,
    );
    expect(losses.map((e) => [e.step, e.time, e.values['train/loss']])).toEqual([
      [1, 997, 4],
      [2, 998, 3],
      [3, 999, 2],
      [4, 1000, 1],
    ]);
    const epochs = events.filter(
      (e): e is ScalarsEvent => e.type === 'scalars' && 'val/loss' in e.values,
    );
    expect(epochs.map((e) => [e.step, e.values['val/loss']])).toEqual([
      [2, 2],
      [4, 1],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'end', status: 'finished', testAccuracy: 0.9 });
  });

  it('only metrics.csv: the epochs, one step each; nothing at all: an error naming the folder', () => {
    const dir = tmp('nabla-metrics-');
    writeFileSync(join(dir, 'metrics.csv'), 'epoch,trainLoss,valLoss\n1,0.9,1.1\n2,0.5,0.7\n');
    const events = eventsFromMetrics(dir);
    const epochs = events.filter((e): e is ScalarsEvent => e.type === 'scalars');
    expect(epochs.map((e) => [e.step, e.values['epoch/train_loss'], e.values['val/loss']])).toEqual(
      [
        [1, 0.9, 1.1],
        [2, 0.5, 0.7],
      ],
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(() => eventsFromMetrics(empty)).toThrow(
      `${empty} has no events.jsonl, metrics.json or metrics.csv`,
    );
  });
});
