// One run as the dashboard holds it: its events folded into downsampled series (at most MAX_POINTS per series), findings, config and model; snapshot() is what a page loads first.
import { MAX_POINTS, Reservoir } from './downsample.js';
import type {
  DashboardEvent,
  EndEvent,
  Finding,
  JsonNumber,
  LayerPoint,
  StartEvent,
} from './events.js';

/** A point of a series: the step, the wall-clock time (seconds since 1970) and the value. */
export type Point = readonly [step: number, time: number, value: JsonNumber];

/** A weight histogram at a step. */
export interface HistogramPoint {
  readonly step: number;
  readonly time: number;
  readonly min: number;
  readonly max: number;
  readonly counts: readonly number[];
}

/** The layer statistics that get a chart each. */
export const LAYER_STATS = ['gradNorm', 'weightNorm', 'updateRatio'] as const;
export type LayerStat = (typeof LAYER_STATS)[number];

/** Histograms kept per layer (each is a column of the heat map). */
export const MAX_HISTOGRAMS = 100;

/** A run's state as plain JSON: what the page draws. */
export interface RunSnapshot {
  readonly name: string;
  /** The run's latest start event (config, model, plan). */
  readonly start: StartEvent | null;
  /** The time of the first event: wall-clock axes count from it. */
  readonly startTime: number | null;
  readonly step: number;
  readonly scalars: Readonly<Record<string, readonly Point[]>>;
  readonly layers: Readonly<Record<LayerStat, Readonly<Record<string, readonly Point[]>>>>;
  readonly histograms: Readonly<Record<string, readonly HistogramPoint[]>>;
  readonly findings: readonly Finding[];
  readonly end: EndEvent | null;
}

/**
 * Folds a run's events into reservoirs: every scalar tag and every (statistic, layer) pair is a
 * series of at most `maxPoints` points, so the snapshot of a long run stays small.
 */
export class DashboardRun {
  readonly name: string;
  readonly maxPoints: number;
  #start: StartEvent | null = null;
  #startTime: number | null = null;
  #step = 0;
  readonly #scalars = new Map<string, Reservoir<Point>>();
  readonly #layers = new Map<LayerStat, Map<string, Reservoir<Point>>>(
    LAYER_STATS.map((s) => [s, new Map()]),
  );
  readonly #histograms = new Map<string, Reservoir<HistogramPoint>>();
  #findings: readonly Finding[] = [];
  #end: EndEvent | null = null;

  constructor(name: string, maxPoints: number = MAX_POINTS) {
    this.name = name;
    this.maxPoints = maxPoints;
  }

  /** The step of the latest event. */
  get step(): number {
    return this.#step;
  }

  get ended(): boolean {
    return this.#end !== null;
  }

  ingest(e: DashboardEvent): void {
    this.#startTime ??= e.time;
    this.#step = e.step;
    switch (e.type) {
      case 'start':
        this.#start = e;
        this.#end = null;
        // A resumed run repeats the steps after its checkpoint: drop what the old run drew there.
        this.#forEach((r) => r.removeWhere((p) => p[0] > e.step));
        for (const r of this.#histograms.values()) r.removeWhere((h) => h.step > e.step);
        break;
      case 'scalars':
        for (const [tag, v] of Object.entries(e.values))
          this.#reservoir(this.#scalars, tag).add([e.step, e.time, v]);
        break;
      case 'layers':
        for (const [layer, stats] of Object.entries(e.layers))
          for (const stat of LAYER_STATS) {
            const v = (stats as LayerPoint)[stat];
            if (v !== undefined)
              this.#reservoir(this.#layers.get(stat)!, layer).add([e.step, e.time, v]);
          }
        break;
      case 'histogram': {
        let r = this.#histograms.get(e.layer);
        if (r === undefined) {
          r = new Reservoir(Math.min(MAX_HISTOGRAMS, this.maxPoints));
          this.#histograms.set(e.layer, r);
        }
        r.add({ step: e.step, time: e.time, min: e.min, max: e.max, counts: e.counts });
        break;
      }
      case 'findings':
        this.#findings = e.findings;
        break;
      case 'end':
        this.#end = e;
        break;
    }
  }

  snapshot(): RunSnapshot {
    const items = (m: Map<string, Reservoir<Point>>) =>
      Object.fromEntries([...m].map(([k, r]) => [k, [...r.items]]));
    return {
      name: this.name,
      start: this.#start,
      startTime: this.#startTime,
      step: this.#step,
      scalars: items(this.#scalars),
      layers: {
        gradNorm: items(this.#layers.get('gradNorm')!),
        weightNorm: items(this.#layers.get('weightNorm')!),
        updateRatio: items(this.#layers.get('updateRatio')!),
      },
      histograms: Object.fromEntries([...this.#histograms].map(([k, r]) => [k, [...r.items]])),
      findings: this.#findings,
      end: this.#end,
    };
  }

  #reservoir(m: Map<string, Reservoir<Point>>, key: string): Reservoir<Point> {
    let r = m.get(key);
    if (r === undefined) {
      // NOTE: one seed for all (as TensorBoard): series fed at the same steps keep the same steps,
      // so a hover finds every layer's value at the step under the cursor.
      r = new Reservoir<Point>(this.maxPoints);
      m.set(key, r);
    }
    return r;
  }

  #forEach(f: (r: Reservoir<Point>) => void): void {
    for (const r of this.#scalars.values()) f(r);
    for (const m of this.#layers.values()) for (const r of m.values()) f(r);
  }
}
