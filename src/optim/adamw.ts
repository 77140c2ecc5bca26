// AdamW (Adam with decoupled weight decay, AMSGrad and maximize): PyTorch's single-tensor algorithm.
import type { Tensor } from '../tensor.js';
import { zerosLike } from '../functions/creation.js';
import { checkBetas, checkNonNegative, scalarState } from './common.js';
import { Optimizer, type ParamGroup, type ParamGroupInput } from './optimizer.js';

export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

export class AdamW extends Optimizer<AdamWOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamWOptions>>,
    opts: Partial<AdamWOptions> = {},
  ) {
    const defaults: AdamWOptions = {
      lr: opts.lr ?? 1e-3,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 1e-2,
      amsgrad: opts.amsgrad ?? false,
      maximize: opts.maximize ?? false,
    };
    checkNonNegative(defaults.lr, 'learning rate');
    checkNonNegative(defaults.eps, 'epsilon value');
    checkBetas(defaults.betas);
    checkNonNegative(defaults.weightDecay, 'weight_decay value');
    super(params, defaults);
  }

  protected updateGroup(g: ParamGroup<AdamWOptions>): void {
    const [beta1, beta2] = g.betas;
    for (const p of g.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      if (state.step === undefined) {
        state.step = 0;
        state.expAvg = this.keepState(zerosLike(p));
        state.expAvgSq = this.keepState(zerosLike(p));
      }
      if (g.amsgrad && state.maxExpAvgSq === undefined) {
        state.maxExpAvgSq = this.keepState(zerosLike(p));
      }
      const expAvg = state.expAvg as Tensor;
      const expAvgSq = state.expAvgSq as Tensor;
      // g = ∇ (negated to maximize)
      const grad = g.maximize ? p.grad.neg() : p.grad;
      const step = scalarState(state.step) + 1;
      state.step = step;
      // p := p·(1 − ηλ)  (decoupled weight decay)
      p.mul_(1 - g.lr * g.weightDecay);
      // m := β₁·m + (1 − β₁)·g
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      // v := β₂·v + (1 − β₂)·g²
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
      const stepSize = g.lr / biasCorrection1;
      let denom: Tensor;
      if (g.amsgrad) {
        const maxExpAvgSq = state.maxExpAvgSq as Tensor;
        // v_max := max(v_max, v)
        maxExpAvgSq.copy_(maxExpAvgSq.maximum(expAvgSq));
        // d = √v_max / √(1 − β₂ᵗ) + ε
        denom = maxExpAvgSq.sqrt().div(biasCorrection2Sqrt).add_(g.eps);
      } else {
        // d = √v / √(1 − β₂ᵗ) + ε
        denom = expAvgSq.sqrt().div(biasCorrection2Sqrt).add_(g.eps);
      }
      // p := p − η/(1 − β₁ᵗ) · m / d
      p.addcdiv_(expAvg, denom, { value: -stepSize });
    }
  }
}
