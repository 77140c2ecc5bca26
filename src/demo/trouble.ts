// The trouble-lab panel: a deep MLP configured by its controls trains in a worker; per-layer gradient norms and the loss are plotted live, with the gradient-health monitor's diagnosis and advice.
import { escapeHtml } from '../diagnostics/explain_html.js';
import { drawChart, ramp, type Series } from './chart.js';
import type { DeepMlpOptions } from './nets.js';
import type { HealthEvent, TrainerWorker } from '../worker/index.js';
import type { DemoConfig, TroubleConfig } from './protocol.js';

type Preset = Record<string, string | boolean>;

/** The demonstrations of docs/tutorial.md (examples/gradient_health.ts) and two learning-rate mistakes. */
export const PRESETS: Readonly<Record<string, Preset>> = {
  vanishing: {
    depth: '20',
    width: '32',
    activation: 'sigmoid',
    init: 'normal0.1',
    batchNorm: false,
    lr: '0.1',
    clip: '',
    steps: '60',
  },
  fixedVanishing: {
    depth: '20',
    width: '32',
    activation: 'relu',
    init: 'kaiming',
    batchNorm: true,
    lr: '0.1',
    clip: '',
    steps: '60',
  },
  exploding: {
    depth: '10',
    width: '32',
    activation: 'relu',
    init: 'normal0.5',
    batchNorm: false,
    lr: '0.1',
    clip: '',
    steps: '30',
  },
  fixedExploding: {
    depth: '10',
    width: '32',
    activation: 'relu',
    init: 'normal0.5',
    batchNorm: false,
    lr: '0.05',
    clip: '1',
    steps: '60',
  },
  lrHigh: {
    depth: '3',
    width: '64',
    activation: 'relu',
    init: 'default',
    batchNorm: false,
    lr: '1',
    clip: '',
    steps: '60',
  },
  lrLow: {
    depth: '3',
    width: '64',
    activation: 'relu',
    init: 'default',
    batchNorm: false,
    lr: '0.00001',
    clip: '',
    steps: '60',
  },
};

const INITS: Readonly<Record<string, DeepMlpOptions['init']>> = {
  'normal0.1': { std: 0.1 },
  'normal0.5': { std: 0.5 },
  kaiming: 'kaiming',
  default: 'default',
};

function readConfig(form: HTMLFormElement): TroubleConfig {
  const f = new FormData(form);
  const num = (k: string, lo: number, hi: number) => {
    const v = Number(f.get(k));
    return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo;
  };
  const clip = String(f.get('clip') ?? '').trim();
  return {
    net: {
      depth: Math.round(num('depth', 2, 30)),
      width: Math.round(num('width', 4, 256)),
      activation: f.get('activation') as DeepMlpOptions['activation'],
      init: INITS[String(f.get('init'))]!,
      batchNorm: f.get('batchNorm') !== null,
    },
    lr: num('lr', 0, 100),
    clip: clip === '' ? null : num('clip', 1e-6, 1e6),
    steps: Math.round(num('steps', 10, 500)),
  };
}

function findingsHtml(findings: HealthEvent['diagnoses'], steps: number, done: boolean): string {
  if (findings.length === 0)
    return `<p class="healthy" data-kind="none">✓ No alarms ${done ? 'after' : 'so far,'} ${steps} steps.</p>`;
  return findings
    .map(
      (d) =>
        `<div class="finding ${d.severity}" data-kind="${escapeHtml(d.kind)}"><h3>${d.severity === 'error' ? '✗' : '⚠'} ${escapeHtml(d.title[0]!.toUpperCase() + d.title.slice(1))}</h3>` +
        `<p>${escapeHtml(d.message)}</p><p>What to do:</p><ul>${d.remedies.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul></div>`,
    )
    .join('');
}

/** Sets up the panel inside `root` (the #trouble section), training in the worker `run` serves. */
export function troubleLab(
  root: HTMLElement,
  run: TrainerWorker<DemoConfig>,
  dataUrl: string,
): void {
  const form = root.querySelector<HTMLFormElement>('#trouble-form')!;
  const stop = root.querySelector<HTMLButtonElement>('#trouble-stop')!;
  const norms = root.querySelector<HTMLCanvasElement>('#trouble-norms')!;
  const lossCanvas = root.querySelector<HTMLCanvasElement>('#trouble-loss')!;
  const legend = root.querySelector<HTMLElement>('#trouble-legend')!;
  const status = root.querySelector<HTMLElement>('#trouble-status')!;
  const diagnosis = root.querySelector<HTMLElement>('#trouble-diagnosis')!;
  /** One curve of ‖∂L/∂θ‖ over steps per weight layer, labelled with its module path. */
  let layers: Series[] = [];
  const loss: Series = { label: 'loss', color: '#0969da', points: [] };
  let total = 0;
  let diagnoses: HealthEvent['diagnoses'] = [];
  /** The latest run asked for, and the run whose events are shown (0 while one is starting). */
  let latest = 0;
  let shown = 0;

  const start = async () => {
    const id = ++latest;
    shown = 0;
    const config = readConfig(form);
    total = config.steps;
    layers = [];
    diagnoses = [];
    loss.points.length = 0;
    legend.innerHTML = '';
    diagnosis.innerHTML = '';
    root.dataset.state = 'running';
    status.textContent = 'starting…';
    stop.disabled = false;
    try {
      // The run before ends first: its last events have arrived once stop() resolves.
      await run.stop();
      if (id !== latest) return;
      await run.build({ kind: 'trouble', dataUrl, run: config });
      if (id !== latest) return;
      shown = id;
      const result = await run.fit();
      if (id !== latest) return;
      diagnosis.innerHTML = findingsHtml(diagnoses, result.steps, true);
      root.dataset.state = 'done';
      stop.disabled = true;
      status.textContent = `done: ${result.steps} steps`;
    } catch (e) {
      if (id !== latest) return;
      const message = e instanceof Error ? e.message : String(e);
      console.warn(`nabla demo: ${message}`);
      status.textContent = `error: ${message}`;
      root.dataset.state = 'error';
      stop.disabled = true;
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void start();
  });
  stop.addEventListener('click', () => void run.stop());
  for (const b of root.querySelectorAll<HTMLButtonElement>('button[data-preset]'))
    b.addEventListener('click', () => {
      for (const [k, v] of Object.entries(PRESETS[b.dataset.preset!]!)) {
        const input = form.elements.namedItem(k) as HTMLInputElement | HTMLSelectElement;
        if (typeof v === 'boolean') (input as HTMLInputElement).checked = v;
        else input.value = v;
      }
      void start();
    });

  // The monitor's record of each step: every weight layer's gradient norm, and the diagnoses so far.
  run.on('health', (h) => {
    if (shown !== latest) return;
    if (layers.length === 0) {
      const weights = h.layers.filter((l) => l.kind === 'weight');
      layers = weights.map((l, i) => ({
        label: l.name,
        color: ramp(i, weights.length),
        points: [],
      }));
      legend.innerHTML = layers
        .map((s) => `<span><i style="background:${s.color}"></i>${escapeHtml(s.label)}</span>`)
        .join('');
    }
    const byName = new Map(h.layers.map((l) => [l.name, l.gradNorm ?? NaN]));
    for (const s of layers) s.points.push({ x: h.step, y: byName.get(s.label) ?? NaN });
    drawChart(norms, layers, { log: true });
    diagnoses = h.diagnoses;
    diagnosis.innerHTML = findingsHtml(diagnoses, h.step, false);
  });
  run.on('step', (e) => {
    if (shown !== latest) return;
    loss.points.push({ x: e.step, y: e.loss });
    drawChart(lossCanvas, [loss]);
    status.textContent = `step ${e.step} of ${total}, loss ${Number(e.loss.toPrecision(4))}`;
  });
}
