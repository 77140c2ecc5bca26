// nn loss modules (MSELoss, CrossEntropyLoss, BCEWithLogitsLoss, ...): options held as state, forward calls nn.functional.
import { ArgumentError } from '../errors.js';
import { defineOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional/loss.js';
import { libraryLayers, Module } from './module.js';

export type {
  BCEOptions,
  BCEWithLogitsOptions,
  CrossEntropyOptions,
  HuberLossOptions,
  KLDivOptions,
  NLLLossOptions,
  Reduction,
  ReductionOptions,
  SmoothL1LossOptions,
} from './functional/loss.js';

function checkReduction(reduction: string, allowed: readonly string[]): void {
  if (!allowed.includes(reduction)) {
    throw new ArgumentError(`${reduction} is not a valid value for reduction`);
  }
}

const REDUCTIONS = ['none', 'mean', 'sum'] as const;

const MSE_LOSS = defineOptions<F.ReductionOptions>('nn.MSELoss', F.LOSS_SPECS.reduction);
const L1_LOSS = defineOptions<F.ReductionOptions>('nn.L1Loss', F.LOSS_SPECS.reduction);
const SMOOTH_L1_LOSS = defineOptions<F.SmoothL1LossOptions>(
  'nn.SmoothL1Loss',
  F.LOSS_SPECS.smoothL1,
);
const HUBER_LOSS = defineOptions<F.HuberLossOptions>('nn.HuberLoss', F.LOSS_SPECS.huber);
const NLL_LOSS = defineOptions<F.NLLLossOptions>('nn.NLLLoss', F.LOSS_SPECS.nll);
const CROSS_ENTROPY_LOSS = defineOptions<F.CrossEntropyOptions>(
  'nn.CrossEntropyLoss',
  F.LOSS_SPECS.crossEntropy,
);
const BCE_LOSS = defineOptions<F.BCEOptions>('nn.BCELoss', F.LOSS_SPECS.bce);
const BCE_WITH_LOGITS_LOSS = defineOptions<F.BCEWithLogitsOptions>(
  'nn.BCEWithLogitsLoss',
  F.LOSS_SPECS.bceWithLogits,
);
const KL_DIV_LOSS = defineOptions<F.KLDivOptions>('nn.KLDivLoss', F.LOSS_SPECS.klDiv);

/** PyTorch's _Loss: holds the reduction ('mean' unless told otherwise), checked when constructed. */
abstract class Loss extends Module {
  readonly reduction: F.Reduction;

  constructor(opts?: F.ReductionOptions) {
    super();
    this.reduction = opts?.reduction ?? 'mean';
    checkReduction(this.reduction, REDUCTIONS);
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

/** nn.MSELoss: the squared error (input − target)², reduced. */
export class MSELoss extends Loss {
  constructor(opts?: F.ReductionOptions) {
    super(MSE_LOSS.check(opts));
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

/** nn.L1Loss: the absolute error |input − target|, reduced. */
export class L1Loss extends Loss {
  constructor(opts?: F.ReductionOptions) {
    super(L1_LOSS.check(opts));
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

/** nn.SmoothL1Loss: quadratic below beta (default 1), linear above. */
export class SmoothL1Loss extends Loss {
  readonly beta: number;

  constructor(opts?: F.SmoothL1LossOptions) {
    super(SMOOTH_L1_LOSS.check(opts));
    this.beta = opts?.beta ?? 1;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** nn.HuberLoss: quadratic below delta (default 1), delta-scaled linear above. */
export class HuberLoss extends Loss {
  readonly delta: number;

  constructor(opts?: F.HuberLossOptions) {
    super(HUBER_LOSS.check(opts));
    this.delta = opts?.delta ?? 1;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** PyTorch's _WeightedLoss: the class or element weights are a buffer named `weight` (null when absent). */
abstract class WeightedLoss extends Loss {
  declare readonly weight: Tensor | null;

  constructor(opts?: F.ReductionOptions & { readonly weight?: Tensor | null }) {
    super(opts);
    this.registerBuffer('weight', opts?.weight ?? null);
  }
}

/** nn.NLLLoss: the negative log-likelihood of log-probabilities at int32 class indices. */
export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;

  constructor(opts?: F.NLLLossOptions) {
    super(NLL_LOSS.check(opts));
    this.ignoreIndex = opts?.ignoreIndex ?? -100;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
    });
  }
}

/** nn.CrossEntropyLoss: logSoftmax and NLL in one, with class indices or class probabilities. */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;

  constructor(opts?: F.CrossEntropyOptions) {
    super(CROSS_ENTROPY_LOSS.check(opts));
    this.ignoreIndex = opts?.ignoreIndex ?? -100;
    this.labelSmoothing = opts?.labelSmoothing ?? 0;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
      reduction: this.reduction,
    });
  }
}

/** nn.BCELoss: binary cross entropy of probabilities (logs clamped at −100). */
export class BCELoss extends WeightedLoss {
  constructor(opts?: F.BCEOptions) {
    super(BCE_LOSS.check(opts));
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** nn.BCEWithLogitsLoss: sigmoid and binary cross entropy in one stable formula; buffers weight and pos_weight. */
export class BCEWithLogitsLoss extends WeightedLoss {
  declare readonly pos_weight: Tensor | null;

  constructor(opts?: F.BCEWithLogitsOptions) {
    super(BCE_WITH_LOGITS_LOSS.check(opts));
    this.registerBuffer('pos_weight', opts?.posWeight ?? null);
  }

  /** The pos_weight buffer under its camelCase name. */
  get posWeight(): Tensor | null {
    return this.pos_weight;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      posWeight: this.pos_weight,
      reduction: this.reduction,
    });
  }
}

/** nn.KLDivLoss: the KL divergence of log-probabilities from a target; reduction may be 'batchmean'. */
export class KLDivLoss extends Module {
  readonly reduction: F.Reduction | 'batchmean';
  readonly logTarget: boolean;

  constructor(opts?: F.KLDivOptions) {
    super();
    KL_DIV_LOSS.check(opts);
    this.reduction = opts?.reduction ?? 'mean';
    checkReduction(this.reduction, [...REDUCTIONS, 'batchmean']);
    this.logTarget = opts?.logTarget ?? false;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

libraryLayers(
  Loss,
  MSELoss,
  L1Loss,
  SmoothL1Loss,
  HuberLoss,
  WeightedLoss,
  NLLLoss,
  CrossEntropyLoss,
  BCELoss,
  BCEWithLogitsLoss,
  KLDivLoss,
);
