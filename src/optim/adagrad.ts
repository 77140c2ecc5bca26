// Adagrad (learning-rate decay, weight decay, initial accumulator, maximize): PyTorch's single-tensor algorithm.
import type { Tensor } from '../tensor.js';
import { defineOptions } from '../options.js';
import { fullLike } from '../functions/creation.js';
import { checkNonNegative, scalarState } from './common.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, optimizerOptions } from './optimizer.js';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

const ADAGRAD_OPTIONS = defineOptions<AdagradOptions>('optim.Adagrad', {
  lr: 'number',
  lrDecay: 'number',
  weightDecay: 'number',
  initialAccumulatorValue: 'number',
  eps: 'number',
  maximize: 'boolean',
});

export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<AdagradOptions>>,
    lrOrOpts?: number | Partial<AdagradOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(ADAGRAD_OPTIONS, lrOrOpts, extra);
    const defaults: AdagradOptions = {
      lr: opts.lr ?? 1e-2,
      lrDecay: opts.lrDecay ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      initialAccumulatorValue: opts.initialAccumulatorValue ?? 0,
      eps: opts.eps ?? 1e-10,
      maximize: opts.maximize ?? false,
    };
    checkNonNegative(defaults.lr, 'learning rate');
    checkNonNegative(defaults.lrDecay, 'lr_decay value');
    checkNonNegative(defaults.weightDecay, 'weight_decay value');
    checkNonNegative(defaults.initialAccumulatorValue, 'initial_accumulator_value value');
    checkNonNegative(defaults.eps, 'epsilon value');
    super(params, defaults, ADAGRAD_OPTIONS);
  }

  /**
   * Adagrad's state exists from the start (as in PyTorch), so it is made when a group is added.
   * NOTE: the sum starts at the group's initialAccumulatorValue; PyTorch uses the constructor's for
   * every group (and makes no state for groups added later).
   */
  override addParamGroup(group: ParamGroupInput<AdagradOptions>): void {
    super.addParamGroup(group);
    const g = this.paramGroups[this.paramGroups.length - 1]!;
    for (const p of g.params) this.initState(p, g.initialAccumulatorValue);
  }

  // NOTE: TS-private, not #private: addParamGroup runs it from the base constructor, before # members exist.
  private initState(p: Tensor, initialAccumulatorValue: number): void {
    const state = this.stateOf(p);
    state.step = 0;
    state.sum = this.keepState(fullLike(p, initialAccumulatorValue));
  }

  protected updateGroup(g: ParamGroup<AdagradOptions>): void {
    for (const p of g.params) {
      if (p._grad === null) continue;
      const state = this.stateOf(p);
      if (state.sum === undefined) this.initState(p, g.initialAccumulatorValue);
      const sum = state.sum as Tensor;
      const step = scalarState(state.step) + 1;
      state.step = step;
      // g = ∇ (negated to maximize)
      let grad = g.maximize ? p._grad.neg() : p._grad;
      // g := g + λ·p  (L2 penalty)
      if (g.weightDecay !== 0) grad = grad.add(p, { alpha: g.weightDecay });
      // η_t = η / (1 + (t − 1)·decay)
      const clr = g.lr / (1 + (step - 1) * g.lrDecay);
      // G := G + g²
      sum.addcmul_(grad, grad, { value: 1 });
      // p := p − η_t·g / (√G + ε)
      const std = sum.sqrt().add_(g.eps);
      p.addcdiv_(grad, std, { value: -clr });
    }
  }
}
