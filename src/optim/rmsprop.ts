// RMSprop (centered, momentum, weight decay, maximize): PyTorch's single-tensor algorithm.
import type { Tensor } from '../tensor.js';
import { defineOptions } from '../options.js';
import { zerosLike } from '../functions/creation.js';
import { checkNonNegative, scalarState } from './common.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, optimizerOptions } from './optimizer.js';

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

const RMSPROP_OPTIONS = defineOptions<RMSpropOptions>('optim.RMSprop', {
  lr: 'number',
  alpha: 'number',
  eps: 'number',
  weightDecay: 'number',
  momentum: 'number',
  centered: 'boolean',
  maximize: 'boolean',
});

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<RMSpropOptions>>,
    lrOrOpts?: number | Partial<RMSpropOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(RMSPROP_OPTIONS, lrOrOpts, extra);
    const defaults: RMSpropOptions = {
      lr: opts.lr ?? 1e-2,
      alpha: opts.alpha ?? 0.99,
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
      momentum: opts.momentum ?? 0,
      centered: opts.centered ?? false,
      maximize: opts.maximize ?? false,
    };
    checkNonNegative(defaults.lr, 'learning rate');
    checkNonNegative(defaults.eps, 'epsilon value');
    checkNonNegative(defaults.momentum, 'momentum value');
    checkNonNegative(defaults.weightDecay, 'weight_decay value');
    checkNonNegative(defaults.alpha, 'alpha value');
    super(params, defaults, RMSPROP_OPTIONS);
  }

  protected updateGroup(g: ParamGroup<RMSpropOptions>): void {
    for (const p of g.params) {
      if (p._grad === null) continue;
      const state = this.stateOf(p);
      if (state.step === undefined) {
        state.step = 0;
        state.squareAvg = this.keepState(zerosLike(p));
      }
      if (g.momentum > 0 && state.momentumBuffer === undefined) {
        state.momentumBuffer = this.keepState(zerosLike(p));
      }
      if (g.centered && state.gradAvg === undefined) {
        state.gradAvg = this.keepState(zerosLike(p));
      }
      state.step = scalarState(state.step) + 1;
      const squareAvg = state.squareAvg as Tensor;
      // g = ∇ (negated to maximize)
      let grad = g.maximize ? p._grad.neg() : p._grad;
      // g := g + λ·p  (L2 penalty)
      if (g.weightDecay !== 0) grad = grad.add(p, { alpha: g.weightDecay });
      // s := α·s + (1 − α)·g²
      squareAvg.mul_(g.alpha).addcmul_(grad, grad, { value: 1 - g.alpha });
      let avg: Tensor;
      if (g.centered) {
        const gradAvg = state.gradAvg as Tensor;
        // ḡ := α·ḡ + (1 − α)·g
        gradAvg.mul_(g.alpha).add_(grad, { alpha: 1 - g.alpha });
        // a = √(s − ḡ²)
        avg = squareAvg.clone().addcmul_(gradAvg, gradAvg, { value: -1 }).sqrt();
      } else {
        // a = √s
        avg = squareAvg.sqrt();
      }
      // a := a + ε
      avg.add_(g.eps);
      if (g.momentum > 0) {
        const buf = state.momentumBuffer as Tensor;
        // b := μ·b + g / a;  p := p − η·b
        buf.mul_(g.momentum).addcdiv_(grad, avg);
        p.add_(buf, { alpha: -g.lr });
      } else {
        // p := p − η·g / a
        p.addcdiv_(grad, avg, { value: -g.lr });
      }
    }
  }
}
