// The learning-rate finder: an exponential LR sweep with a smoothed loss, a suggestion at its steepest descent, and the model and optimizer restored afterwards.
import { defineOptions } from '../options.js';
import { noGrad } from '../autograd/grad_mode.js';
import { ArgumentError } from '../errors.js';
import { keep, tidy } from '../memory.js';
import type { Module } from '../nn/module.js';
import type { Optimizer, ParamState } from '../optim/optimizer.js';
import { getRngState, setRngState } from '../random.js';
import { Tensor } from '../tensor.js';

const LR_FIND = defineOptions<LrFindOptions>('lrFind', {
  startLr: 'number',
  endLr: 'number',
  numIter: 'integer',
  beta: 'number',
  divergeFactor: 'number',
  skipStart: 'integer',
  skipEnd: 'integer',
});

export interface LrFindOptions {
  /** The first learning rate of the sweep (default 1e-7). */
  readonly startLr?: number;
  /** The last (default 10). */
  readonly endLr?: number;
  /** Steps in the sweep; the rate grows by (endLr/startLr)^(1/(numIter−1)) per step (default 100). */
  readonly numIter?: number;
  /** The smoothing of the loss: an exponential moving average with bias correction (default 0.98). */
  readonly beta?: number;
  /** Stop once the smoothed loss exceeds this multiple of the best so far (default 4). */
  readonly divergeFactor?: number;
  /** Points left out at the start and end when looking for the steepest descent (default 10, 5). */
  readonly skipStart?: number;
  readonly skipEnd?: number;
}

export interface LrFindResult {
  /** The rate of each completed step. */
  readonly lrs: number[];
  /** The smoothed loss after each step. */
  readonly losses: number[];
  /** The raw loss of each step. */
  readonly rawLosses: number[];
  /** The rate at the steepest descent of the smoothed loss (undefined when the curve is too short). */
  readonly suggestion: number | undefined;
  readonly suggestionIndex: number | undefined;
  /** The lowest smoothed loss, and its rate. */
  readonly bestLoss: number;
  readonly bestLr: number;
  /** True when the sweep stopped early because the loss diverged (or became NaN/Inf). */
  readonly diverged: boolean;
}

/** Batches: an iterable, re-iterated when it runs out (a DataLoader, an array), or a factory. */
export type BatchSource<B> = Iterable<B> | (() => Iterable<B>);

function cloneState(v: unknown): unknown {
  if (v instanceof Tensor) return keep(noGrad(() => v.detach().clone()));
  if (Array.isArray(v)) return v.map(cloneState);
  return v;
}

/** Everything a sweep changes, copied so that it can be put back bit for bit. */
function snapshot(model: Module, optimizer: Optimizer<object>) {
  const tensors = [...model.parameters(), ...model.buffers()];
  for (const g of optimizer.paramGroups) for (const p of g.params) tensors.push(p);
  const unique = [...new Set(tensors)];
  const values = unique.map((t) => keep(noGrad(() => t.detach().clone())));
  const grads = unique.map((t) => (t.grad === null ? null : keep(noGrad(() => t.grad!.clone()))));
  const state = new Map<Tensor, ParamState>();
  for (const [p, s] of optimizer.state) {
    state.set(p, Object.fromEntries(Object.entries(s).map(([k, v]) => [k, cloneState(v)])));
  }
  const groups = optimizer.paramGroups.map((g) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(g)) if (k !== 'params') o[k] = cloneState(v);
    return o;
  });
  const rng = getRngState();
  const training = model.modules().map((m) => m.training);
  return () => {
    noGrad(() => unique.forEach((t, i) => t.copy_(values[i]!)));
    unique.forEach((t, i) => (t.grad = grads[i]!));
    optimizer.state.clear();
    for (const [p, s] of state) optimizer.state.set(p, s);
    optimizer.paramGroups.forEach((g, i) => {
      const rec = g as Record<string, unknown>;
      for (const k of Object.keys(rec)) if (k !== 'params' && !(k in groups[i]!)) delete rec[k];
      Object.assign(rec, groups[i]!);
    });
    setRngState(rng);
    model.modules().forEach((m, i) => (m.training = training[i]!));
    for (const v of values) v.dispose();
  };
}

function* cycle<B>(src: BatchSource<B>): Generator<B> {
  for (;;) {
    let any = false;
    for (const b of typeof src === 'function' ? src() : src) {
      any = true;
      yield b;
    }
    if (!any) throw new ArgumentError('lrFind: the batch source is empty');
  }
}

/**
 * The index of the steepest descent of `ys` over evenly spaced x (central differences inside,
 * one-sided at the ends), among indices [skipStart, n − skipEnd).
 */
export function steepestIndex(
  ys: readonly number[],
  skipStart = 10,
  skipEnd = 5,
): number | undefined {
  const n = ys.length;
  if (n < 3) return undefined;
  let lo = skipStart;
  let hi = n - skipEnd;
  if (hi - lo < 3) {
    lo = 0;
    hi = n;
  }
  let best: number | undefined;
  let bestSlope = Infinity;
  for (let i = lo; i < hi; i++) {
    const slope =
      i === 0 ? ys[1]! - ys[0]! : i === n - 1 ? ys[i]! - ys[i - 1]! : (ys[i + 1]! - ys[i - 1]!) / 2;
    if (slope < bestSlope) {
      bestSlope = slope;
      best = i;
    }
  }
  return best;
}

/**
 * Sweeps the learning rate exponentially from startLr to endLr, one optimizer step per batch, and
 * records the loss smoothed with a bias-corrected moving average; stops early once it diverges.
 * The suggestion is the rate where the smoothed loss falls fastest (per decade of lr). Afterwards
 * the model's parameters, buffers and gradients, the optimizer's state and options, the global
 * generator and the training flags are exactly as before.
 *
 * `step` computes the loss of one batch (a forward pass); lrFind does zeroGrad, backward and step.
 */
export function lrFind<B>(
  model: Module,
  optimizer: Optimizer<object>,
  batches: BatchSource<B>,
  step: (batch: B) => Tensor,
  opts?: LrFindOptions,
): LrFindResult {
  LR_FIND.check(opts);
  const startLr = opts?.startLr ?? 1e-7;
  const endLr = opts?.endLr ?? 10;
  const numIter = opts?.numIter ?? 100;
  const beta = opts?.beta ?? 0.98;
  const divergeFactor = opts?.divergeFactor ?? 4;
  if (!(startLr > 0) || !(endLr > startLr))
    throw new ArgumentError(`lrFind: need 0 < startLr < endLr, got ${startLr} and ${endLr}`);
  if (!Number.isInteger(numIter) || numIter < 2)
    throw new ArgumentError(`lrFind: numIter must be an integer >= 2, got ${numIter}`);
  if (!(beta >= 0 && beta < 1))
    throw new ArgumentError(`lrFind: beta must be in [0, 1), got ${beta}`);
  const restore = snapshot(model, optimizer);
  const lrs: number[] = [];
  const losses: number[] = [];
  const rawLosses: number[] = [];
  let avg = 0;
  let best = Infinity;
  let bestLr = NaN;
  let diverged = false;
  try {
    const it = cycle(batches);
    for (let i = 0; i < numIter; i++) {
      const lr = startLr * (endLr / startLr) ** (i / (numIter - 1));
      for (const g of optimizer.paramGroups) (g as Record<string, unknown>).lr = lr;
      const batch = it.next().value as B;
      const raw = tidy(() => {
        const loss = step(batch);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return loss.item() as number;
      });
      if (!Number.isFinite(raw)) {
        diverged = true;
        break;
      }
      avg = beta * avg + (1 - beta) * raw;
      const smoothed = avg / (1 - beta ** (i + 1));
      lrs.push(lr);
      rawLosses.push(raw);
      losses.push(smoothed);
      if (smoothed < best) {
        best = smoothed;
        bestLr = lr;
      }
      if (i > 0 && smoothed > divergeFactor * best) {
        diverged = true;
        break;
      }
    }
  } finally {
    restore();
  }
  const idx = steepestIndex(losses, opts?.skipStart ?? 10, opts?.skipEnd ?? 5);
  return {
    lrs,
    losses,
    rawLosses,
    suggestion: idx === undefined ? undefined : lrs[idx],
    suggestionIndex: idx,
    bestLoss: best,
    bestLr,
    diverged,
  };
}
