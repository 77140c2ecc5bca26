// Plots as Vega-Lite specs rendered to SVG with Vega (browser-safe): training curves, loss per step, the LR-finder curve, per-layer gradient norms.
import { defineOptions, type Spec } from '../options.js';
import type { TopLevelSpec } from 'vega-lite';
import type { LayerInfo, StepRecord } from './health.js';

const PLOT_SPEC: Spec<PlotOptions> = { title: 'string', width: 'number', height: 'number' };
const TRAINING_CURVES = defineOptions<PlotOptions>('plots.trainingCurvesSpec', PLOT_SPEC);
const STEP_LOSS = defineOptions<PlotOptions & { readonly window?: number }>('plots.stepLossSpec', {
  ...PLOT_SPEC,
  window: 'integer',
});
const LR_FINDER = defineOptions<PlotOptions>('plots.lrFinderSpec', PLOT_SPEC);
const GRAD_NORM = defineOptions<PlotOptions & { readonly kinds?: readonly LayerInfo['kind'][] }>(
  'plots.gradNormSpec',
  { ...PLOT_SPEC, kinds: 'array' },
);

/** A Vega-Lite specification; render it with renderSvg() (or vega-embed in a page). */
export type PlotSpec = TopLevelSpec;

/** One epoch's numbers, as `nabla train` records them (EpochMetrics fits). */
export interface EpochPoint {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss?: number;
  readonly trainAccuracy?: number;
  readonly valAccuracy?: number;
}

export interface PlotOptions {
  readonly title?: string;
  /** Plot area size in CSS pixels (default 440 × 260). */
  readonly width?: number;
  readonly height?: number;
}

/** What lrFinderSpec needs: the swept rates, the smoothed losses and the suggestion. */
export interface LrCurve {
  readonly lrs: readonly number[];
  readonly losses: readonly number[];
  readonly suggestion?: number | undefined;
}

/** What gradNormSpec needs: a GradientHealthMonitor has both. */
export interface GradNormSource {
  readonly layers: readonly LayerInfo[];
  readonly records: readonly StepRecord[];
}

const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

const CONFIG = {
  background: 'white',
  font: FONT,
  padding: 12,
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start', offset: 10 },
} as const;

function base(o: PlotOptions | undefined, title: string) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o?.title ?? title,
    config: CONFIG,
  } as const;
}

const size = (o: PlotOptions | undefined) => ({ width: o?.width ?? 440, height: o?.height ?? 260 });
const finite = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);

/**
 * A centred moving average over `window` points (shrinking at the ends), of the logarithms when
 * `log` (a geometric mean, which follows the data on a log axis); non-finite points are skipped.
 */
function centredAverage(xs: readonly number[], window: number, log: boolean): number[] {
  const half = Math.floor(window / 2);
  const f = (x: number) => (log ? Math.log(x) : x);
  return xs.map((_, i) => {
    let sum = 0;
    let n = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(xs.length - 1, i + half); j++) {
      const x = xs[j]!;
      if (Number.isFinite(x) && (!log || x > 0)) {
        sum += f(x);
        n++;
      }
    }
    return n === 0 ? NaN : log ? Math.exp(sum / n) : sum / n;
  });
}

/**
 * Loss (and accuracy, when present) per epoch, train and validation: two panels side by side,
 * one line per split.
 */
export function trainingCurvesSpec(epochs: readonly EpochPoint[], o?: PlotOptions): PlotSpec {
  TRAINING_CURVES.check(o);
  const rows = (metric: 'loss' | 'accuracy') =>
    epochs.flatMap((e) => {
      const t = metric === 'loss' ? e.trainLoss : e.trainAccuracy;
      const v = metric === 'loss' ? e.valLoss : e.valAccuracy;
      return [
        ...(finite(t) ? [{ epoch: e.epoch, split: 'train', value: t }] : []),
        ...(finite(v) ? [{ epoch: e.epoch, split: 'validation', value: v }] : []),
      ];
    });
  const panel = (metric: 'loss' | 'accuracy') => ({
    ...size({ ...o, width: o?.width ?? 320 }),
    data: { values: rows(metric) },
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: metric,
        scale: { zero: false },
        ...(metric === 'accuracy' ? { axis: { format: '.0%' } } : {}),
      },
      color: {
        field: 'split',
        type: 'nominal',
        title: null,
        scale: { domain: ['train', 'validation'], range: ['#1f77b4', '#ff7f0e'] },
      },
    },
  });
  const hasAcc = epochs.some((e) => finite(e.trainAccuracy) || finite(e.valAccuracy));
  return {
    ...base(o, 'Training curves'),
    hconcat: hasAcc ? [panel('loss'), panel('accuracy')] : [panel('loss')],
  } as PlotSpec;
}

/** The loss of every step (light) and a centred moving average (dark), log-scaled when it spans decades. */
export function stepLossSpec(
  losses: readonly number[],
  o?: PlotOptions & { readonly window?: number },
): PlotSpec {
  STEP_LOSS.check(o);
  const pos = losses.filter((l) => finite(l) && l > 0);
  const log = pos.length > 1 && Math.max(...pos) / Math.min(...pos) > 30;
  const window = o?.window ?? Math.max(3, 2 * Math.round(losses.length / 50) + 1);
  const smoothed = centredAverage(losses, window, log);
  const values = losses.flatMap((l, step) => [
    ...(finite(l) && (!log || l > 0) ? [{ step, series: 'loss', value: l }] : []),
    ...(finite(smoothed[step]) ? [{ step, series: 'smoothed', value: smoothed[step]! }] : []),
  ]);
  const line = (series: string, strokeWidth: number) => ({
    transform: [{ filter: { field: 'series', equal: series } }],
    mark: { type: 'line', strokeWidth },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: {
        field: 'value',
        type: 'quantitative',
        title: 'loss',
        scale: log ? { type: 'log' } : { zero: false },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: ['loss', 'smoothed'], range: ['#aec7e8', '#1f77b4'] },
      },
    },
  });
  return {
    ...base(o, 'Loss per step'),
    ...size(o),
    data: { values },
    layer: [line('loss', 1.2), line('smoothed', 2.5)],
  } as PlotSpec;
}

/** The LR finder's smoothed loss against the learning rate (log x), the suggestion marked. */
export function lrFinderSpec(curve: LrCurve, o?: PlotOptions): PlotSpec {
  LR_FINDER.check(o);
  const values = curve.lrs
    .map((lr, i) => ({ lr, loss: curve.losses[i]! }))
    .filter((p) => finite(p.loss) && p.lr > 0);
  const s = curve.suggestion;
  const at =
    s === undefined
      ? undefined
      : values.reduce((best, p) =>
          Math.abs(Math.log(p.lr / s)) < Math.abs(Math.log(best.lr / s)) ? p : best,
        );
  // NOTE: the sweep ends where the loss explodes; the interesting part is the descent before it, so
  // the y axis stops a little above the starting loss and the line is clipped there.
  const ys = values.map((p) => p.loss);
  const min = ys.length > 0 ? Math.min(...ys) : 0;
  const max = ys.length > 0 ? Math.max(...ys) : 1;
  const span = Math.max((ys[0] ?? min) - min, 0.05 * Math.abs(min), 1e-9);
  const hi = Math.min(max, min + 3 * span);
  const lo = min - 0.05 * (hi - min);
  const layers: unknown[] = [
    {
      data: { values },
      mark: { type: 'line', strokeWidth: 2, color: '#1f77b4', clip: true },
      encoding: {
        x: {
          field: 'lr',
          type: 'quantitative',
          title: 'learning rate',
          scale: { type: 'log' },
          axis: { format: '.0e' },
        },
        y: {
          field: 'loss',
          type: 'quantitative',
          title: 'loss (smoothed)',
          scale: { domain: [lo, hi], nice: false },
        },
      },
    },
  ];
  if (at !== undefined && s !== undefined) {
    const mark = [{ lr: at.lr, loss: at.loss, label: `suggested lr ${s.toExponential(1)}` }];
    layers.push(
      {
        data: { values: mark },
        mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] },
        encoding: { x: { field: 'lr', type: 'quantitative' } },
      },
      {
        data: { values: mark },
        mark: { type: 'point', filled: true, size: 90, color: '#d62728' },
        encoding: {
          x: { field: 'lr', type: 'quantitative' },
          y: { field: 'loss', type: 'quantitative' },
        },
      },
      {
        data: { values: mark },
        mark: { type: 'text', align: 'left', dx: 6, dy: -16, fontSize: 12, color: '#d62728' },
        encoding: {
          x: { field: 'lr', type: 'quantitative' },
          y: { field: 'loss', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
    );
  }
  return { ...base(o, 'Learning-rate finder'), ...size(o), layer: layers } as PlotSpec;
}

/**
 * Per-layer gradient norms over the recorded steps (log y), one line per layer, coloured from the
 * first layer (dark) to the last (light). By default only layers with a weight matrix or kernel.
 */
export function gradNormSpec(
  src: GradNormSource,
  o?: PlotOptions & { readonly kinds?: readonly LayerInfo['kind'][] },
): PlotSpec {
  GRAD_NORM.check(o);
  const kinds = o?.kinds ?? ['weight'];
  const layers = [...src.layers]
    .filter((l) => kinds.includes(l.kind))
    .sort((a, b) => a.order - b.order);
  const name = (l: LayerInfo) => `${l.name === '' ? '(model)' : l.name} ${l.type}`;
  const values = src.records.flatMap((r) =>
    layers.flatMap((l) => {
      const g = r.layers.get(l.name)?.gradNorm;
      return finite(g) && g > 0 ? [{ step: r.step, layer: name(l), gradNorm: g }] : [];
    }),
  );
  const gs = values.map((v) => v.gradNorm);
  const decades = gs.length > 0 ? Math.log10(Math.max(...gs) / Math.min(...gs)) : 0;
  const tiny = gs.length > 0 && (Math.min(...gs) < 1e-3 || Math.max(...gs) >= 1e4);
  return {
    ...base(o, 'Gradient norm per layer'),
    ...(o?.title === undefined
      ? {
          title: {
            text: 'Gradient norm per layer',
            subtitle: 'dark: first layers, light: last layers',
          },
        }
      : {}),
    ...size(o),
    data: { values },
    mark: { type: 'line', strokeWidth: 1.8 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: {
        field: 'gradNorm',
        type: 'quantitative',
        title: '‖∂L/∂W‖',
        scale: { type: 'log' },
        axis: { format: tiny || decades > 4 ? '.0e' : '~g' },
      },
      color: {
        field: 'layer',
        type: 'ordinal',
        title: 'layer',
        sort: layers.map(name),
        scale: { scheme: 'viridis' },
        legend: { columns: layers.length > 12 ? 2 : 1, symbolType: 'stroke' },
      },
    },
  } as PlotSpec;
}

/** Renders a Vega-Lite spec to an SVG document (Vega, headless; loaded on first use). */
export async function renderSvg(spec: PlotSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
