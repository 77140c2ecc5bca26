// The dashboard's events: what a training run reports (one JSON object per line of events.jsonl, and per server-sent event), browser-safe plain data.
import type { Diagnosis } from '../diagnostics/health_rules.js';

/** A number as JSON carries it: NaN and ±Infinity become null (a gap in a chart). */
export type JsonNumber = number | null;

/** The layer statistics a dashboard plots, as the gradient-health monitor records them. */
export interface LayerPoint {
  readonly gradNorm?: JsonNumber;
  readonly weightNorm?: JsonNumber;
  readonly updateRatio?: JsonNumber;
}

/** One finding of the health monitor: a Diagnosis as plain data (any kind a file may name). */
export type Finding = Omit<Diagnosis, 'kind'> & { readonly kind: string };

/**
 * `time` is wall-clock seconds since 1970 (Date.now() / 1000) and `step` the optimizer steps
 * done so far: the x axes of every chart.
 */
interface Stamp {
  readonly time: number;
  readonly step: number;
}

/** The run (re)starts at `step` (non-zero when resuming): its config and model. */
export interface StartEvent extends Stamp {
  readonly type: 'start';
  /** The planned optimizer steps and epochs of the whole run. */
  readonly totalSteps: number;
  readonly epochs: number;
  readonly config?: Readonly<Record<string, unknown>>;
  /** The model as it prints (Module.toString()) and its parameter count. */
  readonly model?: { readonly summary: string; readonly parameters: number };
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Scalars at a step, by tag ('train/loss', 'lr', 'val/accuracy', ...). */
export interface ScalarsEvent extends Stamp {
  readonly type: 'scalars';
  readonly values: Readonly<Record<string, JsonNumber>>;
}

/** Per-layer statistics at a recorded step, by layer (module path). */
export interface LayersEvent extends Stamp {
  readonly type: 'layers';
  readonly layers: Readonly<Record<string, LayerPoint>>;
}

/** A histogram of one layer's weights: `counts` over equal bins from `min` to `max`. */
export interface HistogramEvent extends Stamp {
  readonly type: 'histogram';
  readonly layer: string;
  readonly min: number;
  readonly max: number;
  readonly counts: readonly number[];
}

/** The health monitor's findings so far (each event replaces the previous list). */
export interface FindingsEvent extends Stamp {
  readonly type: 'findings';
  readonly findings: readonly Finding[];
}

/** The run ended. */
export interface EndEvent extends Stamp {
  readonly type: 'end';
  readonly status: 'finished' | 'interrupted' | 'stopped';
  readonly testAccuracy?: JsonNumber;
}

export type DashboardEvent =
  StartEvent | ScalarsEvent | LayersEvent | HistogramEvent | FindingsEvent | EndEvent;

export const EVENT_TYPES: readonly DashboardEvent['type'][] = [
  'start',
  'scalars',
  'layers',
  'histogram',
  'findings',
  'end',
];

/** A finite number as is, anything else as null. */
export const jsonNumber = (x: number | undefined): JsonNumber =>
  x !== undefined && Number.isFinite(x) ? x : null;

/** Whether a parsed JSON value looks like a dashboard event (a type we know, a step and a time). */
export function isDashboardEvent(x: unknown): x is DashboardEvent {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Record<string, unknown>;
  return (
    EVENT_TYPES.includes(e.type as DashboardEvent['type']) &&
    typeof e.step === 'number' &&
    typeof e.time === 'number'
  );
}
