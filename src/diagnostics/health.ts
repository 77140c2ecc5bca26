// Gradient-health monitor: per-layer gradient, weight, update and activation statistics recorded through hooks every N steps.
import { defineOptions } from '../options.js';
import { isGradEnabled } from '../autograd/grad_mode.js';
import type { RemovableHandle } from '../autograd/node.js';
import type { TypedArray } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import * as A from '../nn/layers/activation.js';
import type { Module } from '../nn/module.js';
import type { Closure, Optimizer } from '../optim/optimizer.js';
import { Tensor } from '../tensor.js';
import {
  DEFAULT_THRESHOLDS,
  diagnose,
  fmt,
  median,
  renderReport,
  type Diagnosis,
  type HealthThresholds,
} from './health_rules.js';

/** What a monitored layer is: it owns a weight matrix/kernel, only 1-d parameters, or is an activation. */
export type LayerKind = 'weight' | 'param' | 'activation';

/** One layer of the model as the monitor sees it. */
export interface LayerInfo {
  /** The module path ('0', 'fc1', 'block.conv'); '' is the model itself. */
  readonly name: string;
  /** The module's class name ('Linear', 'ReLU', ...). */
  readonly type: string;
  readonly kind: LayerKind;
  /** Position in the forward pass (first call on a recorded step), else registration order. */
  readonly order: number;
}

/** One layer's statistics at one recorded step; fields the layer does not have are absent. */
export interface LayerStats {
  /** ‖∂L/∂θ‖ over the layer's own parameters, as the optimizer sees it (after any clipping). */
  gradNorm?: number;
  /** ‖θ‖ before the step. */
  weightNorm?: number;
  /** ‖θ_after − θ_before‖ / ‖θ_before‖ around optimizer.step(). */
  updateRatio?: number;
  /** Mean and standard deviation of the layer's output (its activations). */
  actMean?: number;
  actStd?: number;
  /** ReLUs: the fraction of units (features, or channels) that are ≤ 0 for every sample in the batch. */
  deadFraction?: number;
  /** Counts of NaN/±Inf values in the gradient, the parameters after the step, and the output. */
  nonFiniteGrad?: number;
  nonFiniteWeight?: number;
  nonFiniteAct?: number;
}

/** Everything recorded at one optimizer step. */
export interface StepRecord {
  /** The optimizer step (0-based) that this record describes. */
  readonly step: number;
  readonly layers: Map<string, LayerStats>;
}

export interface MonitorOptions {
  /** Record every N optimizer steps (1 = every step; default 10). Steps in between cost a counter. */
  readonly every?: number;
  /** Override rule thresholds (see DEFAULT_THRESHOLDS). */
  readonly thresholds?: Partial<HealthThresholds>;
}

/** What report() returns: the diagnoses, per-layer medians, and the report as text. */
export interface HealthReport {
  readonly steps: number;
  readonly records: number;
  readonly diagnoses: readonly Diagnosis[];
  readonly layers: readonly LayerSummary[];
  readonly text: string;
}

/** A layer's medians over all records (NaN where it has no such statistic). */
export interface LayerSummary extends LayerInfo {
  readonly gradNorm: number;
  readonly weightNorm: number;
  readonly updateRatio: number;
  readonly actMean: number;
  readonly actStd: number;
  readonly deadFraction: number;
}

const ACTIVATIONS: readonly (abstract new (...a: never[]) => Module)[] = [
  A.ReLU,
  A.Sigmoid,
  A.Tanh,
  A.LeakyReLU,
  A.PReLU,
  A.ELU,
  A.SELU,
  A.GELU,
  A.SiLU,
  A.Mish,
  A.Hardtanh,
  A.Softplus,
];

/** The minimum batch for dead-unit counts: with fewer samples "≤ 0 for every sample" is chance. */
const MIN_DEAD_BATCH = 8;

interface Tracked {
  readonly info: { -readonly [K in keyof LayerInfo]: LayerInfo[K] };
  readonly module: Module;
  readonly params: readonly Tensor[];
}

function sumSquares(a: TypedArray): { ss: number; bad: number } {
  let ss = 0;
  let bad = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (Number.isFinite(v)) ss += v * v;
    else bad++;
  }
  return { ss, bad };
}

/** Mean, std, non-finite count and (for ReLUs) the dead fraction of one output, in one pass. */
function activationStats(t: Tensor, relu: boolean): LayerStats {
  const data = t.dataSync();
  const n = data.length;
  if (n === 0) return {};
  const batch = t.ndim >= 2 ? t.shape[0]! : 1;
  const units = t.ndim >= 2 ? t.shape[1]! : n;
  const inner = t.ndim >= 2 ? n / (batch * units) : 1;
  const alive = relu ? new Uint8Array(units) : undefined;
  let sum = 0;
  let sq = 0;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      bad++;
      continue;
    }
    sum += v;
    sq += v * v;
    if (alive !== undefined && v > 0) alive[Math.floor(i / inner) % units] = 1;
  }
  const m = n - bad;
  const mean = m > 0 ? sum / m : NaN;
  const variance = m > 1 ? Math.max(0, (sq - m * mean * mean) / (m - 1)) : 0;
  const out: LayerStats = { actMean: mean, actStd: Math.sqrt(variance), nonFiniteAct: bad };
  if (alive !== undefined && batch >= MIN_DEAD_BATCH && t.ndim >= 2) {
    let dead = 0;
    for (let u = 0; u < units; u++) if (alive[u] === 0) dead++;
    out.deadFraction = dead / units;
  }
  return out;
}

function firstTensor(x: unknown): Tensor | undefined {
  if (x instanceof Tensor) return x;
  if (Array.isArray(x)) return x.find((e): e is Tensor => e instanceof Tensor);
  return undefined;
}

const MONITOR = defineOptions<MonitorOptions>('GradientHealthMonitor', {
  every: 'integer',
  thresholds: 'object',
});

/**
 * Watches a model and its optimizer through hooks: forward hooks on its layers (activations) and a
 * wrapper around optimizer.step() (gradients as the optimizer sees them, weights, and the update
 * each step makes). Every `every` steps it records per-layer statistics; recordLoss() adds the
 * loss of each step. report() applies the rules of health_rules.ts. remove() restores the model
 * and optimizer exactly as they were.
 *
 * Without an optimizer, call beforeStep() and afterStep() around your own parameter update.
 */
export class GradientHealthMonitor {
  readonly every: number;
  readonly thresholds: HealthThresholds;
  /** The records, oldest first. */
  readonly records: StepRecord[] = [];
  /** The loss of every step passed to recordLoss(), in order. */
  readonly losses: number[] = [];
  readonly #layers: Tracked[] = [];
  readonly #handles: RemovableHandle[] = [];
  #restoreStep: (() => void) | undefined;
  #step = 0;
  #pending: Map<string, LayerStats> | undefined;
  #snapshot: Map<string, TypedArray[]> | undefined;
  #seen = new Set<string>();
  #callOrder = 0;
  #removed = false;

  constructor(model: Module, optimizer?: Optimizer<object>, opts?: MonitorOptions) {
    MONITOR.check(opts);
    const every = opts?.every ?? 10;
    if (!Number.isInteger(every) || every < 1)
      throw new ArgumentError(`every must be a positive integer, got ${every}`);
    this.every = every;
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...opts?.thresholds };
    let order = 0;
    for (const [name, module] of model.namedModules()) {
      const params = module.parameters({ recurse: false }).filter((p) => p.requiresGrad);
      const activation = ACTIVATIONS.some((C) => module instanceof C);
      if (params.length === 0 && !activation) continue;
      const kind: LayerKind = params.some((p) => p.ndim >= 2)
        ? 'weight'
        : params.length > 0
          ? 'param'
          : 'activation';
      const t: Tracked = {
        info: { name, type: module.constructor.name, kind, order: order++ },
        module,
        params,
      };
      this.#layers.push(t);
      const relu = module instanceof A.ReLU;
      this.#handles.push(
        module.registerForwardHook((m, _args, output) => {
          if (this.#pending === undefined || !m.training || !isGradEnabled()) return;
          this.#onForward(t, output, relu);
        }),
      );
    }
    if (optimizer !== undefined) this.#wrapStep(optimizer);
    this.#arm();
  }

  /** Optimizer steps seen so far. */
  get step(): number {
    return this.#step;
  }

  /** The monitored layers, in forward order (as far as it has been seen). */
  get layers(): LayerInfo[] {
    return this.#layers.map((l) => ({ ...l.info })).sort((a, b) => a.order - b.order);
  }

  /** Adds the loss of the current step (a number, or a 0-d tensor read with item()). */
  recordLoss(loss: Tensor | number): void {
    this.losses.push(typeof loss === 'number' ? loss : (loss.item() as number));
  }

  /** Reads gradients and weights before an update; the optimizer wrapper calls it for you. */
  beforeStep(): void {
    if (this.#pending === undefined) return;
    const snap = new Map<string, TypedArray[]>();
    for (const l of this.#layers) {
      if (l.params.length === 0) continue;
      let gss = 0;
      let gbad = 0;
      let any = false;
      let wss = 0;
      let wbad = 0;
      const copies: TypedArray[] = [];
      for (const p of l.params) {
        const w = p.dataSync();
        copies.push(w);
        const ws = sumSquares(w);
        wss += ws.ss;
        wbad += ws.bad;
        if (p._grad !== null) {
          any = true;
          const g = sumSquares(p._grad.dataSync());
          gss += g.ss;
          gbad += g.bad;
        }
      }
      snap.set(l.info.name, copies);
      const s = this.#stats(l.info.name);
      if (any) {
        s.gradNorm = gbad > 0 ? NaN : Math.sqrt(gss);
        s.nonFiniteGrad = gbad;
      }
      s.weightNorm = wbad > 0 ? NaN : Math.sqrt(wss);
    }
    this.#snapshot = snap;
  }

  /** Measures the update and closes the step; the optimizer wrapper calls it for you. */
  afterStep(): void {
    const pending = this.#pending;
    const snap = this.#snapshot;
    if (pending !== undefined && snap !== undefined) {
      for (const l of this.#layers) {
        const before = snap.get(l.info.name);
        if (before === undefined) continue;
        let dss = 0;
        let bad = 0;
        l.params.forEach((p, i) => {
          const now = p.dataSync();
          const old = before[i]!;
          for (let j = 0; j < now.length; j++) {
            const v = now[j]!;
            if (!Number.isFinite(v)) bad++;
            const d = v - old[j]!;
            dss += d * d;
          }
        });
        const s = this.#stats(l.info.name);
        const w = s.weightNorm ?? NaN;
        // A layer whose weights were all zero has no meaningful ratio (unless nothing moved).
        s.updateRatio = w > 0 ? Math.sqrt(dss) / w : dss === 0 ? 0 : NaN;
        s.nonFiniteWeight = bad;
      }
    }
    if (pending !== undefined) this.records.push({ step: this.#step, layers: pending });
    this.#snapshot = undefined;
    this.#step++;
    this.#arm();
  }

  /** The diagnoses so far (see health_rules.ts for the rules and their thresholds). */
  diagnose(): Diagnosis[] {
    return diagnose(this.layers, this.records, this.losses, this.thresholds);
  }

  /** Per-layer medians over the records. */
  summary(): LayerSummary[] {
    return this.layers.map((info) => {
      const med = (f: keyof LayerStats) =>
        median(this.records.map((r) => r.layers.get(info.name)?.[f]));
      return {
        ...info,
        gradNorm: med('gradNorm'),
        weightNorm: med('weightNorm'),
        updateRatio: med('updateRatio'),
        actMean: med('actMean'),
        actStd: med('actStd'),
        deadFraction: med('deadFraction'),
      };
    });
  }

  /** The structured diagnoses, per-layer medians, and the whole report as text. */
  report(): HealthReport {
    const diagnoses = this.diagnose();
    const layers = this.summary();
    const text = renderReport({
      steps: this.#step,
      every: this.every,
      records: this.records.length,
      losses: this.losses,
      diagnoses,
      layers,
    });
    return { steps: this.#step, records: this.records.length, diagnoses, layers, text };
  }

  /** One line for a progress log: the alarms so far, or the state of the gradients. */
  summaryLine(): string {
    const d = this.diagnose();
    if (d.length > 0) return `health: ${d.map((x) => x.title).join('; ')}`;
    const last = this.records.at(-1);
    if (last === undefined) return 'health: no records yet';
    const w = this.layers.filter((l) => l.kind === 'weight');
    const g = (i: number) => last.layers.get(w.at(i)?.name ?? '')?.gradNorm;
    const ratios = [...last.layers.values()].map((s) => s.updateRatio);
    return `health: ok (grad norm first/last layer ${fmt(g(0))}/${fmt(g(-1))}, median update/weight ${fmt(median(ratios))})`;
  }

  /** Removes every hook and restores optimizer.step. */
  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    for (const h of this.#handles) h.remove();
    this.#handles.length = 0;
    this.#restoreStep?.();
    this.#pending = undefined;
  }

  #arm(): void {
    // NOTE: between records this is all the monitor does per step (hooks return at once).
    if (this.#removed || this.#step % this.every !== 0) {
      this.#pending = undefined;
      return;
    }
    this.#pending = new Map();
    this.#seen = new Set();
    this.#callOrder = 0;
  }

  #stats(name: string): LayerStats {
    let s = this.#pending!.get(name);
    if (s === undefined) {
      s = {};
      this.#pending!.set(name, s);
    }
    return s;
  }

  #onForward(t: Tracked, output: unknown, relu: boolean): void {
    const out = firstTensor(output);
    if (out === undefined || !out.isFloatingPoint()) return;
    Object.assign(this.#stats(t.info.name), activationStats(out, relu));
    if (!this.#seen.has(t.info.name)) {
      this.#seen.add(t.info.name);
      t.info.order = this.#callOrder++;
    }
  }

  #wrapStep(opt: Optimizer<object>): void {
    const own = Object.getOwnPropertyDescriptor(opt, 'step');
    const inner = opt.step;
    const wrapped = (closure?: Closure): number | undefined => {
      this.beforeStep();
      const r = inner.call(opt, closure);
      this.afterStep();
      return r;
    };
    Object.defineProperty(opt, 'step', { value: wrapped, writable: true, configurable: true });
    this.#restoreStep = () => {
      if (opt.step !== wrapped) return; // someone wrapped it after us: leave theirs in place
      if (own === undefined) delete (opt as { step?: unknown }).step;
      else Object.defineProperty(opt, 'step', own);
    };
  }
}
