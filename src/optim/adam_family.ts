// What Adam, AdamW, NAdam and RAdam share: their option checks and the moment estimates m and v.
import { zerosLike } from '../functions/creation.js';
import type { Tensor } from '../tensor.js';
import { checkBetas, checkNonNegative, scalarState } from './common.js';
import type { OptionSchema, Spec } from '../options.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

export interface AdamFamilyOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** The keys every optimizer of the family takes. */
export const ADAM_FAMILY_SPEC: Spec<AdamFamilyOptions> = {
  lr: 'number',
  betas: 'array',
  eps: 'number',
  weightDecay: 'number',
};

export interface Moments {
  readonly state: ParamState;
  /** The step count t, already incremented for this update. */
  readonly step: number;
  readonly expAvg: Tensor;
  readonly expAvgSq: Tensor;
}

export abstract class AdamFamily<O extends AdamFamilyOptions> extends Optimizer<O> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<O>>,
    defaults: O,
    schema: OptionSchema<O>,
  ) {
    checkNonNegative(defaults.lr, 'learning rate');
    checkNonNegative(defaults.eps, 'epsilon value');
    checkBetas(defaults.betas);
    checkNonNegative(defaults.weightDecay, 'weight_decay value');
    super(params, defaults, schema);
  }

  /**
   * Creates the state on first use (step 0, zero moments, plus `init`), counts the step, and
   * updates m := β₁·m + (1 − β₁)·g and v := β₂·v + (1 − β₂)·g².
   */
  protected moments(
    p: Tensor,
    grad: Tensor,
    g: ParamGroup<O>,
    init?: (s: ParamState) => void,
  ): Moments {
    const [beta1, beta2] = g.betas;
    const state = this.stateOf(p);
    if (state.step === undefined) {
      state.step = 0;
      init?.(state);
      state.expAvg = this.keepState(zerosLike(p));
      state.expAvgSq = this.keepState(zerosLike(p));
    }
    const step = scalarState(state.step) + 1;
    state.step = step;
    const expAvg = state.expAvg as Tensor;
    const expAvgSq = state.expAvgSq as Tensor;
    expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
    expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
    return { state, step, expAvg, expAvgSq };
  }

  /** g + λ·p, the L2 penalty folded into the gradient (Adam, NAdam, RAdam). */
  protected l2(grad: Tensor, p: Tensor, weightDecay: number): Tensor {
    return weightDecay !== 0 ? grad.add(p, { alpha: weightDecay }) : grad;
  }
}
