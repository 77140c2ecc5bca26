// nn.functional losses (MSE, L1, smooth L1, Huber, cross entropy, NLL, BCE, BCE with logits, KL), composed from differentiable ops.
import { defineOptions, type Spec } from '../../options.js';
import { internalScope } from '../../memory.js';
import { apply } from '../../ops/apply.js';
import { noGrad } from '../../autograd/grad_mode.js';
import { isFloating } from '../../dtype.js';
import { ArgumentError, DTypeError, IndexError, ShapeError } from '../../errors.js';
import { logSoftmax } from '../../functions/activation.js';
import { abs, exp, log, neg, relu, sub, where } from '../../functions/elementwise.js';
import { gather, indexSelect } from '../../functions/shape_ops.js';
import { broadcastShapes, sameShape, shapeStr, type Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';

/** The keys of each loss's options, shared by nn.functional and the nn loss modules. */
export const LOSS_SPECS = {
  reduction: { reduction: 'string' } satisfies Spec<ReductionOptions>,
  smoothL1: { reduction: 'string', beta: 'number' } satisfies Spec<SmoothL1LossOptions>,
  huber: { reduction: 'string', delta: 'number' } satisfies Spec<HuberLossOptions>,
  nll: {
    reduction: 'string',
    weight: ['tensor', 'null'],
    ignoreIndex: 'integer',
  } satisfies Spec<NLLLossOptions>,
  crossEntropy: {
    reduction: 'string',
    weight: ['tensor', 'null'],
    ignoreIndex: 'integer',
    labelSmoothing: 'number',
  } satisfies Spec<CrossEntropyOptions>,
  bce: { reduction: 'string', weight: ['tensor', 'null'] } satisfies Spec<BCEOptions>,
  bceWithLogits: {
    reduction: 'string',
    weight: ['tensor', 'null'],
    posWeight: ['tensor', 'null'],
  } satisfies Spec<BCEWithLogitsOptions>,
  klDiv: { reduction: 'string', logTarget: 'boolean' } satisfies Spec<KLDivOptions>,
} as const;
const MSE = defineOptions<ReductionOptions>('nn.functional.mseLoss', LOSS_SPECS.reduction);
const L1 = defineOptions<ReductionOptions>('nn.functional.l1Loss', LOSS_SPECS.reduction);
const SMOOTH_L1 = defineOptions<SmoothL1LossOptions>(
  'nn.functional.smoothL1Loss',
  LOSS_SPECS.smoothL1,
);
const HUBER = defineOptions<HuberLossOptions>('nn.functional.huberLoss', LOSS_SPECS.huber);
const NLL = defineOptions<NLLLossOptions>('nn.functional.nllLoss', LOSS_SPECS.nll);
const CROSS_ENTROPY = defineOptions<CrossEntropyOptions>(
  'nn.functional.crossEntropy',
  LOSS_SPECS.crossEntropy,
);
const BCE = defineOptions<BCEOptions>('nn.functional.binaryCrossEntropy', LOSS_SPECS.bce);
const BCE_WITH_LOGITS = defineOptions<BCEWithLogitsOptions>(
  'nn.functional.binaryCrossEntropyWithLogits',
  LOSS_SPECS.bceWithLogits,
);
const KL_DIV = defineOptions<KLDivOptions>('nn.functional.klDiv', LOSS_SPECS.klDiv);

/** How the per-element losses are combined: kept ('none'), averaged ('mean', the default) or summed. */
export type Reduction = 'none' | 'mean' | 'sum';

export interface ReductionOptions {
  readonly reduction?: Reduction;
}

export interface SmoothL1LossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1; 0 gives the L1 loss). */
  readonly beta?: number;
}

export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1, must be positive). */
  readonly delta?: number;
}

export interface NLLLossOptions extends ReductionOptions {
  /** A weight per class ([C]); 'mean' then divides by the summed weights of the counted targets. */
  readonly weight?: Tensor | null;
  /** A target value that is skipped: it adds nothing and is not counted by 'mean' (default -100). */
  readonly ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NLLLossOptions {
  /** Mixes the target with the uniform distribution: (1 − ε)·target + ε/C (default 0). */
  readonly labelSmoothing?: number;
}

export interface BCEOptions extends ReductionOptions {
  /** A weight per element, broadcast to the target's shape. */
  readonly weight?: Tensor | null;
}

export interface BCEWithLogitsOptions extends BCEOptions {
  /** A weight of the positive examples, broadcast against the target (usually one per class). */
  readonly posWeight?: Tensor | null;
}

export interface KLDivOptions {
  /** 'batchmean' divides the sum by the batch size (the KL divergence); 'mean' by the element count. */
  readonly reduction?: Reduction | 'batchmean';
  /** The target is given as log-probabilities (default false). */
  readonly logTarget?: boolean;
}

// ---- shared checks ----

function reductionOf(r: string | undefined, allowed: readonly string[] = REDUCTIONS): string {
  const reduction = r ?? 'mean';
  if (!allowed.includes(reduction)) {
    throw new ArgumentError(`${reduction} is not a valid value for reduction`);
  }
  return reduction;
}

const REDUCTIONS: readonly string[] = ['none', 'mean', 'sum'];

function applyReduction(loss: Tensor, reduction: string): Tensor {
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  return loss;
}

function assertFloating(x: Tensor, op: string, what = 'input'): void {
  if (!isFloating(x.dtype)) {
    throw new DTypeError(`${op}(): expected a floating point ${what}, got ${x.dtype}`);
  }
}

/** PyTorch's way of printing a shape in Python-level messages. */
function torchSize(shape: Shape): string {
  return `torch.Size(${shapeStr(shape)})`;
}

/**
 * NOTE: PyTorch warns and broadcasts when the target's size differs from the input's (which
 * almost always hides a bug, e.g. [N] against [N, 1]); nabla makes it an error, in its words.
 */
function assertSameSize(input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(
      `Using a target size (${torchSize(target.shape)}) that is different to the input size (${torchSize(input.shape)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
    );
  }
}

/** The values of a host-readable tensor, or null on a backend that reads asynchronously. */
function hostValues(t: Tensor): ArrayLike<number> | null {
  return t._backend.readSync === undefined ? null : t.dataSync();
}

// ---- regression losses ----

/** Mean squared error: (input − target)². */
export function mseLoss(input: Tensor, target: Tensor, opts?: ReductionOptions): Tensor {
  MSE.check(opts);
  return internalScope(() => {
    const reduction = reductionOf(opts?.reduction);
    assertFloating(input, 'mse_loss');
    assertSameSize(input, target);
    const d = sub(input, target);
    return applyReduction(d.mul(d), reduction);
  });
}

/** Mean absolute error: |input − target| (the gradient at 0 is 0, as in PyTorch). */
export function l1Loss(input: Tensor, target: Tensor, opts?: ReductionOptions): Tensor {
  L1.check(opts);
  return internalScope(() => {
    const reduction = reductionOf(opts?.reduction);
    assertFloating(input, 'l1_loss');
    assertSameSize(input, target);
    return applyReduction(abs(sub(input, target)), reduction);
  });
}

/** Smooth L1: 0.5·d²/β where |d| < β, else |d| − 0.5·β (d = input − target); β = 0 is the L1 loss. */
export function smoothL1Loss(input: Tensor, target: Tensor, opts?: SmoothL1LossOptions): Tensor {
  SMOOTH_L1.check(opts);
  return internalScope(() => {
    const reduction = reductionOf(opts?.reduction);
    const beta = opts?.beta ?? 1;
    assertFloating(input, 'smooth_l1_loss');
    assertSameSize(input, target);
    if (!(beta >= 0))
      throw new ArgumentError('smooth_l1_loss does not support negative values for beta.');
    if (beta === 0) return l1Loss(input, target, { reduction: reduction as Reduction });
    const d = sub(input, target);
    const z = abs(d);
    // The quadratic piece is written with d (not |d|) so that its gradient, d/β, has no kink at 0.
    const loss = where(z.lt(beta), d.mul(d).mul(0.5).div(beta), z.sub(0.5 * beta));
    return applyReduction(loss, reduction);
  });
}

/** Huber: 0.5·d² where |d| < δ, else δ·(|d| − 0.5·δ) (d = input − target). */
export function huberLoss(input: Tensor, target: Tensor, opts?: HuberLossOptions): Tensor {
  HUBER.check(opts);
  return internalScope(() => {
    const reduction = reductionOf(opts?.reduction);
    const delta = opts?.delta ?? 1;
    assertFloating(input, 'huber_loss');
    assertSameSize(input, target);
    if (!(delta > 0))
      throw new ArgumentError('huber_loss does not support non-positive values for delta.');
    const d = sub(input, target);
    const z = abs(d);
    const loss = where(z.lt(delta), d.mul(d).mul(0.5), z.sub(0.5 * delta).mul(delta));
    return applyReduction(loss, reduction);
  });
}

// ---- classification losses ----

/** Checks the class weights: one per class, or none. */
function checkClassWeight(weight: Tensor | null, nClasses: number, prefix = ''): void {
  if (weight === null) return;
  if (weight.ndim !== 1 || weight.numel() !== nClasses) {
    throw new ShapeError(
      `${prefix}weight tensor should be defined either for all ${nClasses} classes or no classes but got weight tensor of shape: ${shapeStr(weight.shape)}`,
    );
  }
}

/** The shape, dtype and range checks of nll_loss (in PyTorch's words), for input [C], [N, C] or [N, C, d1, ...]. */
function checkNll(input: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number): void {
  if (input.ndim < 1) throw new ShapeError(`Expected 1 or more dimensions (got ${input.ndim})`);
  if (target.dtype !== 'int32') {
    throw new DTypeError(`expected scalar type int32 but found ${target.dtype}`);
  }
  if (input.ndim === 1) {
    if (target.ndim !== 0) {
      throw new ShapeError(
        `size mismatch (got input: ${shapeStr(input.shape)}, target: ${shapeStr(target.shape)})`,
      );
    }
  } else {
    if (target.ndim > 0 && input.shape[0] !== target.shape[0]) {
      throw new ShapeError(
        `Expected input batch_size (${input.shape[0]}) to match target batch_size (${target.shape[0]}).`,
      );
    }
    if (input.ndim === 2 && target.ndim > 1) {
      throw new ShapeError('0D or 1D target tensor expected, multi-target not supported');
    }
    const expected = [input.shape[0]!, ...input.shape.slice(2)];
    if (!sameShape(expected, target.shape)) {
      throw new ShapeError(
        `Expected target size ${shapeStr(expected)}, got ${shapeStr(target.shape)}`,
      );
    }
  }
  const nClasses = input.shape[input.ndim === 1 ? 0 : 1]!;
  checkClassWeight(weight, nClasses);
  const values = hostValues(target);
  if (values === null) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== ignoreIndex && (v < 0 || v >= nClasses)) {
      throw new IndexError(`Target ${v} is out of bounds.`);
    }
  }
}

interface NllTerms {
  /** −w[t]·input[t] per target, 0 where the target is ignored. */
  readonly loss: Tensor;
  /** w[t] per target (1 without weights), 0 where the target is ignored: what 'mean' divides by. */
  readonly counted: Tensor;
  /** Where the target is not ignoreIndex. */
  readonly valid: Tensor;
}

/** The per-target terms of nll_loss; the class dim is 0 for input [C] and 1 otherwise. */
function nllTerms(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
): NllTerms {
  const valid = target.ne(ignoreIndex);
  // Ignored targets would index out of range: they pick class 0 and are masked out afterwards.
  const safe = where(valid, target, 0);
  const picked =
    input.ndim === 1
      ? gather(input, 0, safe.reshape([1])).reshape([])
      : gather(input, 1, safe.unsqueeze(1)).squeeze(1);
  if (weight === null) {
    return {
      loss: where(valid, neg(picked), 0),
      counted: valid.to(input.dtype),
      valid,
    };
  }
  const w = indexSelect(weight.to(input.dtype), 0, safe.reshape([-1])).reshape(target.shape);
  const counted = where(valid, w, 0);
  return { loss: where(valid, neg(picked.mul(w)), 0), counted, valid };
}

/**
 * nll_loss as one primitive (its backward one more): what nllLoss and crossEntropy run unless
 * they need the per-target terms (label smoothing) or a gradient for the class weights.
 */
function fusedNll(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
  reduction: string, // checked by reductionOf
): Tensor | null {
  if (weight?.requiresGrad === true) return null;
  return apply('nllLoss', weight === null ? [input, target] : [input, target, weight], {
    ignoreIndex,
    reduction: reduction as Reduction,
  });
}

function reduceNll(terms: NllTerms, reduction: string): Tensor {
  if (reduction === 'none') return terms.loss;
  if (reduction === 'sum') return terms.loss.sum();
  // 'mean' divides by the summed weight of the counted targets (NaN when none is counted, as PyTorch).
  return terms.loss.sum().div(terms.counted.sum());
}

/**
 * Negative log-likelihood of log-probabilities: input [C], [N, C] or [N, C, d1, ...] and int32
 * class indices [], [N] or [N, d1, ...]: −weight[t]·input[t] per target.
 */
export function nllLoss(input: Tensor, target: Tensor, opts?: NLLLossOptions): Tensor {
  NLL.check(opts);
  return internalScope(() => {
    const reduction = reductionOf(opts?.reduction);
    const weight = opts?.weight ?? null;
    const ignoreIndex = opts?.ignoreIndex ?? -100;
    assertFloating(input, 'nll_loss');
    checkNll(input, target, weight, ignoreIndex);
    return (
      fusedNll(input, target, weight, ignoreIndex, reduction) ??
      reduceNll(nllTerms(input, target, weight, ignoreIndex), reduction)
    );
  });
}

/** The class weights shaped to broadcast along the class dim of an input with `ndim` dims. */
function classWeightView(weight: Tensor, ndim: number, dtype: Tensor['dtype']): Tensor {
  const w = weight.to(dtype);
  if (ndim <= 1) return w;
  return w.reshape([1, weight.numel(), ...new Array<number>(ndim - 2).fill(1)]);
}

/**
 * Cross entropy of logits: input [C], [N, C] or [N, C, d1, ...]. The target is either int32 class
 * indices ([], [N] or [N, d1, ...]) or class probabilities (floating, the input's shape).
 * Computed as PyTorch 1.13 does, from logSoftmax (stable for any logits): with class indices
 * 'mean' divides by the summed weight of the non-ignored targets; with probabilities by the
 * number of samples. Label smoothing ε mixes in the uniform distribution:
 * (1 − ε)·nll + ε/C·Σ_c −w_c·logp_c, the smoothing term reduced like the nll term.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts?: CrossEntropyOptions): Tensor {
  CROSS_ENTROPY.check(opts);
  return internalScope(() => {
    const reduction = reductionOf(opts?.reduction);
    const weight = opts?.weight ?? null;
    const ignoreIndex = opts?.ignoreIndex ?? -100;
    const smoothing = opts?.labelSmoothing ?? 0;
    assertFloating(input, 'cross_entropy');
    if (input.ndim < 1) throw new ShapeError(`Expected 1 or more dimensions (got ${input.ndim})`);
    // NOTE: PyTorch silently ignores a negative label_smoothing; nabla rejects it like one above 1.
    if (!(smoothing >= 0 && smoothing <= 1)) {
      throw new ArgumentError(`label_smoothing must be between 0.0 and 1.0. Got: ${smoothing}`);
    }
    const classDim = input.ndim === 1 ? 0 : 1;
    const nClasses = input.shape[classDim]!;
    if (sameShape(input.shape, target.shape)) {
      if (!isFloating(target.dtype)) {
        throw new DTypeError(
          `Expected floating point type for target with class probabilities, got ${target.dtype}`,
        );
      }
      if (ignoreIndex >= 0) {
        throw new ArgumentError('ignore_index is not supported for floating point target');
      }
      checkClassWeight(weight, nClasses, 'cross_entropy: ');
      return probabilityCrossEntropy(input, target, weight, smoothing, reduction);
    }
    checkNll(input, target, weight, ignoreIndex);
    const logp = logSoftmax(input, classDim);
    if (smoothing === 0) {
      const fused = fusedNll(logp, target, weight, ignoreIndex, reduction);
      if (fused !== null) return fused;
    }
    const terms = nllTerms(logp, target, weight, ignoreIndex);
    const nll = reduceNll(terms, reduction);
    if (smoothing === 0) return nll;
    // The smoothing term: −Σ_c w_c·logp_c per target, 0 where ignored, reduced like the nll term.
    const weighted =
      weight === null ? logp : logp.mul(classWeightView(weight, logp.ndim, logp.dtype));
    const smooth = where(terms.valid, neg(weighted.sum(classDim)), 0);
    const reduced =
      reduction === 'none'
        ? smooth
        : reduction === 'sum'
          ? smooth.sum()
          : smooth.sum().div(terms.counted.sum());
    return nll.mul(1 - smoothing).add(reduced.mul(smoothing / nClasses));
  });
}

/** Cross entropy against class probabilities: −Σ_c w_c·target_c·logp_c per sample. */
function probabilityCrossEntropy(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  smoothing: number,
  reduction: string,
): Tensor {
  const classDim = input.ndim === 1 ? 0 : 1;
  const nClasses = input.shape[classDim]!;
  const logp = logSoftmax(input, classDim);
  const t = smoothing > 0 ? target.mul(1 - smoothing).add(smoothing / nClasses) : target;
  let prod = logp.mul(t);
  if (weight !== null) prod = prod.mul(classWeightView(weight, input.ndim, logp.dtype));
  if (reduction === 'none') return neg(prod.sum(classDim));
  if (reduction === 'sum') return neg(prod.sum());
  return neg(prod.sum()).div(input.numel() / nClasses);
}

// ---- binary losses ----

/** BCE's input must be probabilities of the target's size, and the weight must broadcast to it. */
function checkBinary(op: string, input: Tensor, target: Tensor, weight: Tensor | null): void {
  assertFloating(input, op);
  if (!isFloating(target.dtype)) {
    throw new DTypeError(`Found dtype ${target.dtype} but expected ${input.dtype}`);
  }
  if (weight !== null) {
    const shape = broadcastShapes(target.shape, weight.shape);
    if (!sameShape(shape, target.shape)) {
      throw new ShapeError(
        `${op}: the weight of shape ${shapeStr(weight.shape)} does not broadcast to the target's shape ${shapeStr(target.shape)}`,
      );
    }
  }
}

/** The smallest x·(1 − x) PyTorch divides by in BCE's gradient. */
const BCE_EPSILON = 1e-12;

/**
 * Binary cross entropy of probabilities: −w·(t·log x + (1 − t)·log(1 − x)), each log clamped
 * at −100 as PyTorch does, so x = 0 or 1 gives a finite loss.
 *
 * NOTE: PyTorch's gradient is its own formula, (x − t)/max(x·(1 − x), 1e−12), not the derivative
 * of the clamped logs (which is NaN or 0 at x = 0 and 1). Where x·(1 − x) ≥ 1e−12 the two agree
 * and the loss is the plain composition; elsewhere (x at or within ~1e−12 of 0 or 1) the value is
 * the clamped formula and the input's gradient comes from a term of value zero,
 * x·c − (x·c).detach() with c = (x − t)/1e−12, which reproduces PyTorch's. The target's gradient
 * there is the clamped logs' log(1 − x) − log(x) (±100 at x = 0 or 1, where PyTorch gives ±inf).
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts?: BCEOptions): Tensor {
  BCE.check(opts);
  return internalScope(() => {
    const reduction = reductionOf(opts?.reduction);
    const weight = opts?.weight ?? null;
    if (!sameShape(input.shape, target.shape)) {
      throw new ShapeError(
        `Using a target size (${torchSize(target.shape)}) that is different to the input size (${torchSize(input.shape)}) is deprecated. Please ensure they have the same size.`,
      );
    }
    checkBinary('binary_cross_entropy', input, target, weight);
    const values = hostValues(input);
    if (values !== null) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (!(v >= 0 && v <= 1))
          throw new ArgumentError('all elements of input should be between 0 and 1');
      }
    }
    const x = input;
    const t = target;
    const inner = noGrad(() => x.mul(sub(1, x)).ge(BCE_EPSILON));
    // Where inner: the plain formula, on an input made safe for the logs elsewhere.
    const xs = where(inner, x, 0.5);
    const plain = t
      .sub(1)
      .mul(log(sub(1, xs)))
      .sub(t.mul(log(xs)));
    // Elsewhere: the clamped formula (no gradient to x through the logs) plus PyTorch's gradient.
    const xd = x.detach();
    const clampedLog1m = log(sub(1, xd)).clamp(-100);
    const clampedLog = log(xd).clamp(-100);
    const clamped = t.sub(1).mul(clampedLog1m).sub(t.mul(clampedLog));
    const slope = noGrad(() => x.sub(t).div(BCE_EPSILON));
    const surrogate = x.mul(slope);
    const edge = clamped.add(surrogate.sub(surrogate.detach()));
    let loss = where(inner, plain, edge);
    if (weight !== null) loss = loss.mul(weight);
    return applyReduction(loss, reduction);
  });
}

/**
 * Binary cross entropy of logits, in PyTorch's stable form: with m = max(−x, 0),
 * (1 − t)·x + l·(m + log(e^(−m) + e^(−x−m))) where l = 1 + (posWeight − 1)·t (l = 1 without
 * posWeight); the bracket is log(1 + e^(−x)) without overflow. Times weight, then reduced.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts?: BCEWithLogitsOptions,
): Tensor {
  BCE_WITH_LOGITS.check(opts);
  return internalScope(() => {
    const reduction = reductionOf(opts?.reduction);
    const weight = opts?.weight ?? null;
    const posWeight = opts?.posWeight ?? null;
    if (!sameShape(input.shape, target.shape)) {
      throw new ShapeError(
        `Target size (${torchSize(target.shape)}) must be the same as input size (${torchSize(input.shape)})`,
      );
    }
    checkBinary('binary_cross_entropy_with_logits', input, target, weight);
    // NOTE: m only keeps the exponentials in range; the loss does not depend on it, so it is a constant.
    const m = noGrad(() => relu(neg(input)));
    const logTerm = log(exp(neg(m)).add(exp(neg(input).sub(m))));
    const linear = sub(1, target).mul(input);
    let loss: Tensor;
    if (posWeight === null) {
      loss = linear.add(m).add(logTerm);
    } else {
      const logWeight = posWeight.sub(1).mul(target).add(1);
      loss = linear.add(logWeight.mul(logTerm.add(m)));
    }
    if (weight !== null) loss = loss.mul(weight);
    return applyReduction(loss, reduction);
  });
}

// ---- divergence ----

/**
 * Kullback-Leibler divergence of log-probabilities `input` from `target`: target·(log target −
 * input) per element, with target·log target = 0 where target = 0 (PyTorch's xlogy); with
 * logTarget, exp(target)·(target − input). PyTorch's default reduction 'mean' averages over every
 * element; 'batchmean' (the true KL divergence) divides the sum by the batch size.
 */
export function klDiv(input: Tensor, target: Tensor, opts?: KLDivOptions): Tensor {
  KL_DIV.check(opts);
  return internalScope(() => {
    const reduction = reductionOf(opts?.reduction, [...REDUCTIONS, 'batchmean']);
    assertFloating(input, 'kl_div');
    let loss: Tensor;
    if (opts?.logTarget === true) {
      loss = exp(target).mul(target.sub(input));
    } else {
      // xlogy(t, t): 0 where t = 0 (the log sees 1 there, so no NaN reaches the gradient).
      const safe = where(target.eq(0), 1, target);
      loss = target.mul(log(safe)).sub(target.mul(input));
    }
    if (reduction === 'batchmean') {
      const sum = loss.sum();
      return input.ndim === 0 ? sum : sum.div(input.shape[0]!);
    }
    return applyReduction(loss, reduction);
  });
}
