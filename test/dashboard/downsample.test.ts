// The dashboard's downsampler (a TensorBoard-style reservoir) and DashboardRun, which keeps every series of a run under MAX_POINTS.
import { describe, expect, it } from 'vitest';
import { MAX_POINTS, Reservoir, downsample } from '../../src/dashboard/downsample.js';
import type { DashboardEvent } from '../../src/dashboard/events.js';
import { DashboardRun } from '../../src/dashboard/run.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Reservoir', () => {
  it('keeps everything while it fits', () => {
    const r = new Reservoir<number>(10);
    for (const i of range(10)) r.add(i);
    expect(r.items).toEqual(range(10));
    expect(r.seen).toBe(10);
  });

  it('keeps at most its capacity, in arrival order, always with the latest item', () => {
    const r = new Reservoir<number>(100);
    for (const i of range(100_000)) {
      r.add(i);
      if (i % 9973 === 0 || i === 99_999) {
        expect(r.items.length).toBe(Math.min(100, i + 1));
        expect(r.items.at(-1)).toBe(i);
        for (let k = 1; k < r.items.length; k++)
          expect(r.items[k]!).toBeGreaterThan(r.items[k - 1]!);
      }
    }
    expect(r.seen).toBe(100_000);
  });

  it('samples the whole stream about uniformly (not only its start or its end)', () => {
    const kept = downsample(range(200_000), 1000);
    expect(kept).toHaveLength(1000);
    const perTenth = range(10).map((d) => kept.filter((x) => Math.floor(x / 20_000) === d).length);
    for (const n of perTenth) {
      expect(n).toBeGreaterThan(60);
      expect(n).toBeLessThan(140);
    }
  });

  it('is deterministic for a seed, and seeds differ', () => {
    const a = downsample(range(5000), 50, 1);
    expect(downsample(range(5000), 50, 1)).toEqual(a);
    expect(downsample(range(5000), 50, 2)).not.toEqual(a);
  });

  it('removeWhere drops the selected items and keeps sampling', () => {
    const r = new Reservoir<number>(5);
    for (const i of range(5)) r.add(i);
    r.removeWhere((x) => x >= 3);
    expect(r.items).toEqual([0, 1, 2]);
    r.add(10);
    expect(r.items).toEqual([0, 1, 2, 10]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new Reservoir(0)).toThrow(/capacity must be a positive integer, got 0/);
    expect(() => new Reservoir(2.5)).toThrow(/positive integer/);
  });
});

const scalars = (step: number, loss: number): DashboardEvent => ({
  type: 'scalars',
  time: 1000 + step,
  step,
  values: { 'train/loss': loss, lr: 0.1 },
});

describe('DashboardRun', () => {
  it('keeps at most MAX_POINTS per series of a long run, the last step included', () => {
    const run = new DashboardRun('long');
    run.ingest({ type: 'start', time: 1000, step: 0, totalSteps: 50_000, epochs: 1 });
    for (let s = 1; s <= 50_000; s++) {
      run.ingest(scalars(s, 1 / s));
      if (s % 10 === 0)
        run.ingest({
          type: 'layers',
          time: 1000 + s,
          step: s,
          layers: { '0 Linear': { gradNorm: s, weightNorm: 1 } },
        });
    }
    const snap = run.snapshot();
    expect(snap.scalars['train/loss']).toHaveLength(MAX_POINTS);
    expect(snap.scalars.lr).toHaveLength(MAX_POINTS);
    expect(snap.layers.gradNorm['0 Linear']).toHaveLength(MAX_POINTS);
    expect(snap.layers.updateRatio).toEqual({});
    expect(snap.scalars['train/loss']!.at(-1)).toEqual([50_000, 51_000, 1 / 50_000]);
    expect(snap.step).toBe(50_000);
    expect(snap.startTime).toBe(1000);
    // The size of what a page loads stays bounded.
    expect(JSON.stringify(snap).length).toBeLessThan(200_000);
  });

  it('a resumed run replaces the steps after its checkpoint', () => {
    const run = new DashboardRun('resumed');
    run.ingest({ type: 'start', time: 0, step: 0, totalSteps: 10, epochs: 1 });
    for (let s = 1; s <= 8; s++) run.ingest(scalars(s, s));
    run.ingest({ type: 'histogram', time: 8, step: 8, layer: 'a', min: 0, max: 1, counts: [1] });
    run.ingest({ type: 'end', time: 9, step: 8, status: 'interrupted' });
    expect(run.ended).toBe(true);
    run.ingest({ type: 'start', time: 20, step: 5, totalSteps: 10, epochs: 1 });
    expect(run.ended).toBe(false);
    const snap = run.snapshot();
    expect(snap.scalars['train/loss']!.map((p) => p[0])).toEqual([1, 2, 3, 4, 5]);
    expect(snap.histograms.a).toEqual([]);
    expect(snap.end).toBeNull();
  });

  it('holds the latest findings and the end', () => {
    const run = new DashboardRun('r');
    const finding = {
      kind: 'lr-too-high',
      severity: 'warning' as const,
      title: 'Learning rate too high',
      layers: ['0'],
      message: 'm',
      remedies: ['lower it'],
    };
    run.ingest({ type: 'findings', time: 1, step: 3, findings: [finding] });
    run.ingest({ type: 'end', time: 2, step: 3, status: 'finished', testAccuracy: 0.5 });
    const snap = run.snapshot();
    expect(snap.findings).toEqual([finding]);
    expect(snap.end).toMatchObject({ status: 'finished', testAccuracy: 0.5 });
  });
});
