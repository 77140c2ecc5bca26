// DashboardRecorder: turns a Trainer's events (and a gradient-health monitor's records) into dashboard events for a sink (a file, a server, a worker's postMessage); browser-safe.
import type { GradientHealthMonitor, LayerInfo } from '../diagnostics/health.js';
import { ArgumentError } from '../errors.js';
import { defineOptions } from '../options.js';
import type { Module } from '../nn/module.js';
import type { Trainer } from '../train/index.js';
import { jsonNumber, type DashboardEvent, type EndEvent, type Finding } from './events.js';

export interface RecorderOptions {
  /** The run's config, shown as is. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** What the data is (name, sizes), shown beside the config. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** A monitor on the trainer's model and optimizer: per-layer norms, histograms and findings. */
  readonly monitor?: GradientHealthMonitor;
  /** Weight histograms at every n-th record of the monitor (default 5; 0: none). */
  readonly histogramEvery?: number;
  /** Bins per histogram (default 30). */
  readonly bins?: number;
}

const RECORDER = defineOptions<RecorderOptions>('DashboardRecorder', {
  config: 'object',
  data: 'object',
  monitor: 'object',
  histogramEvery: 'integer',
  bins: 'integer',
});

const now = (): number => Date.now() / 1000;

/** How a layer is labelled on the charts: its module path and class, '(model)' for the root. */
export const layerLabel = (l: Pick<LayerInfo, 'name' | 'type'>): string =>
  `${l.name === '' ? '(model)' : l.name} ${l.type}`;

/** Counts of `values` over `bins` equal bins from their min to their max (non-finite values skipped). */
export function histogram(
  values: ArrayLike<number>,
  bins: number,
): { min: number; max: number; counts: number[] } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array<number>(bins).fill(0);
  if (min > max) return { min: 0, max: 0, counts };
  const width = (max - min) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const b = width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0;
    counts[b]!++;
  }
  return { min, max, counts };
}

/**
 * Follows a Trainer and emits dashboard events: `start` when fit() starts, `scalars` every step
 * (train/loss, train/accuracy, lr, samples/s) and every epoch (epoch/*, val/*), `layers` (and
 * now and then `histogram`) at each record of the monitor, `findings` after each epoch, and
 * `end` when finish() is called.
 */
export class DashboardRecorder {
  readonly #trainer: Trainer;
  readonly #sink: (e: DashboardEvent) => void;
  readonly #o: RecorderOptions;
  readonly #off: (() => void)[] = [];
  #records = 0;
  #step = 0;

  constructor(trainer: Trainer, sink: (e: DashboardEvent) => void, opts: RecorderOptions = {}) {
    RECORDER.check(opts);
    const every = opts.histogramEvery ?? 5;
    const bins = opts.bins ?? 30;
    if (every < 0) throw new ArgumentError(`histogramEvery must be >= 0, got ${every}`);
    if (bins < 1) throw new ArgumentError(`bins must be >= 1, got ${bins}`);
    this.#trainer = trainer;
    this.#sink = sink;
    this.#o = opts;
    this.#records = opts.monitor?.records.length ?? 0;
    const t = trainer;
    this.#off.push(
      t.on('fitStart', (e) => {
        this.#step = e.step;
        this.#emit({
          type: 'start',
          step: e.step,
          totalSteps: e.maxSteps,
          epochs: e.epochs,
          ...(opts.config !== undefined ? { config: opts.config } : {}),
          ...(opts.data !== undefined ? { data: opts.data } : {}),
          model: { summary: t.model.toString(), parameters: t.model.countParameters() },
        });
      }),
      t.on('step', (e) => {
        this.#step = e.step;
        this.#emit({
          type: 'scalars',
          step: e.step,
          values: {
            'train/loss': jsonNumber(e.loss),
            'train/accuracy': jsonNumber(e.progress.accuracy),
            lr: jsonNumber(t.optimizer.paramGroups[0]?.lr as number | undefined),
            'samples/s': jsonNumber(e.progress.samplesPerSecond),
          },
        });
        this.#layers(e.step, every, bins);
      }),
      t.on('epochEnd', (e) => {
        const m = e.metrics;
        this.#emit({
          type: 'scalars',
          step: this.#step,
          values: {
            epoch: m.epoch,
            'epoch/train_loss': jsonNumber(m.trainLoss),
            'epoch/train_accuracy': jsonNumber(m.trainAccuracy),
            'val/loss': jsonNumber(m.valLoss),
            'val/accuracy': jsonNumber(m.valAccuracy),
          },
        });
        this.#findings();
      }),
      t.on('fitEnd', () => this.#findings()),
    );
  }

  /** Emits the end of the run (after any test evaluation) and stops following the trainer. */
  finish(status: EndEvent['status'], testAccuracy?: number): void {
    this.detach();
    this.#emit({
      type: 'end',
      step: this.#step,
      status,
      ...(testAccuracy !== undefined ? { testAccuracy: jsonNumber(testAccuracy) } : {}),
    });
  }

  /** Stops following the trainer (idempotent). */
  detach(): void {
    for (const off of this.#off.splice(0)) off();
  }

  #emit(e: DistributiveOmit<DashboardEvent, 'time'>): void {
    this.#sink({ ...e, time: now() } as DashboardEvent);
  }

  /** The monitor's new records as `layers` events, with weight histograms at every n-th. */
  #layers(step: number, every: number, bins: number): void {
    const monitor = this.#o.monitor;
    if (monitor === undefined) return;
    const records = monitor.records;
    if (records.length === this.#records) return;
    const infos = monitor.layers;
    for (const r of records.slice(this.#records)) {
      const layers: Record<
        string,
        { gradNorm?: number | null; weightNorm?: number | null; updateRatio?: number | null }
      > = {};
      for (const l of infos) {
        const s = r.layers.get(l.name);
        if (s?.gradNorm === undefined && s?.weightNorm === undefined) continue;
        layers[layerLabel(l)] = {
          ...(s.gradNorm !== undefined ? { gradNorm: jsonNumber(s.gradNorm) } : {}),
          ...(s.weightNorm !== undefined ? { weightNorm: jsonNumber(s.weightNorm) } : {}),
          ...(s.updateRatio !== undefined ? { updateRatio: jsonNumber(s.updateRatio) } : {}),
        };
      }
      this.#emit({ type: 'layers', step, layers });
    }
    const index = records.length - 1;
    if (every > 0 && index % every === 0) this.#histograms(step, infos, bins);
    this.#records = records.length;
  }

  #histograms(step: number, infos: readonly LayerInfo[], bins: number): void {
    const modules = new Map<string, Module>(this.#trainer.model.namedModules());
    for (const l of infos) {
      if (l.kind !== 'weight') continue;
      const weight = modules
        .get(l.name)
        ?.parameters({ recurse: false })
        .find((p) => p.ndim >= 2);
      if (weight === undefined) continue;
      const h = histogram(weight.dataSync(), bins);
      this.#emit({ type: 'histogram', step, layer: layerLabel(l), ...h });
    }
  }

  #findings(): void {
    const monitor = this.#o.monitor;
    if (monitor === undefined) return;
    const findings: Finding[] = monitor.diagnose().map((d) => ({
      kind: d.kind,
      severity: d.severity,
      title: d.title,
      layers: [...d.layers],
      message: d.message,
      remedies: [...d.remedies],
    }));
    this.#emit({ type: 'findings', step: this.#step, findings });
  }
}

/** Omit over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
