// Adadelta (weight decay, maximize): PyTorch's single-tensor algorithm.
import { ArgumentError } from '../errors.js';
import { zerosLike } from '../functions/creation.js';
import type { Tensor } from '../tensor.js';
import { defineOptions } from '../options.js';
import { checkNonNegative, scalarState } from './common.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, optimizerOptions } from './optimizer.js';

export interface AdadeltaOptions {
  lr: number;
  rho: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

const ADADELTA_OPTIONS = defineOptions<AdadeltaOptions>('optim.Adadelta', {
  lr: 'number',
  rho: 'number',
  eps: 'number',
  weightDecay: 'number',
  maximize: 'boolean',
});

export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<AdadeltaOptions>>,
    lrOrOpts?: number | Partial<AdadeltaOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(ADADELTA_OPTIONS, lrOrOpts, extra);
    const defaults: AdadeltaOptions = {
      lr: opts.lr ?? 1,
      rho: opts.rho ?? 0.9,
      eps: opts.eps ?? 1e-6,
      weightDecay: opts.weightDecay ?? 0,
      maximize: opts.maximize ?? false,
    };
    checkNonNegative(defaults.lr, 'learning rate');
    if (!(defaults.rho >= 0 && defaults.rho <= 1)) {
      throw new ArgumentError(`Invalid rho value: ${defaults.rho}`);
    }
    checkNonNegative(defaults.eps, 'epsilon value');
    checkNonNegative(defaults.weightDecay, 'weight_decay value');
    super(params, defaults, ADADELTA_OPTIONS);
  }

  protected updateGroup(g: ParamGroup<AdadeltaOptions>): void {
    for (const p of g.params) {
      if (p._grad === null) continue;
      const state = this.stateOf(p);
      if (state.step === undefined) {
        state.step = 0;
        state.squareAvg = this.keepState(zerosLike(p));
        state.accDelta = this.keepState(zerosLike(p));
      }
      state.step = scalarState(state.step) + 1;
      const squareAvg = state.squareAvg as Tensor;
      const accDelta = state.accDelta as Tensor;
      // g = ∇ (negated to maximize)
      let grad = g.maximize ? p._grad.neg() : p._grad;
      // g := g + λ·p  (L2 penalty)
      if (g.weightDecay !== 0) grad = grad.add(p, { alpha: g.weightDecay });
      // s := ρ·s + (1 − ρ)·g²
      squareAvg.mul_(g.rho).addcmul_(grad, grad, { value: 1 - g.rho });
      // Δ = √(a + ε) / √(s + ε) · g
      const std = squareAvg.add(g.eps).sqrt();
      const delta = accDelta.add(g.eps).sqrt().div_(std).mul_(grad);
      // a := ρ·a + (1 − ρ)·Δ²
      accDelta.mul_(g.rho).addcmul_(delta, delta, { value: 1 - g.rho });
      // p := p − η·Δ
      p.add_(delta, { alpha: -g.lr });
    }
  }
}
