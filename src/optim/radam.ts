// RAdam (Adam with variance rectification, weight decay): PyTorch's single-tensor algorithm.
import type { Tensor } from '../tensor.js';
import { zerosLike } from '../functions/creation.js';
import { checkBetas, checkNonNegative, scalarState } from './common.js';
import { Optimizer, type ParamGroup, type ParamGroupInput } from './optimizer.js';

export interface RAdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

export class RAdam extends Optimizer<RAdamOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<RAdamOptions>>,
    opts: Partial<RAdamOptions> = {},
  ) {
    const defaults: RAdamOptions = {
      lr: opts.lr ?? 1e-3,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
    };
    checkNonNegative(defaults.lr, 'learning rate');
    checkNonNegative(defaults.eps, 'epsilon value');
    checkBetas(defaults.betas);
    checkNonNegative(defaults.weightDecay, 'weight_decay value');
    super(params, defaults);
  }

  protected updateGroup(g: ParamGroup<RAdamOptions>): void {
    const [beta1, beta2] = g.betas;
    for (const p of g.params) {
      if (p.grad === null) continue;
      const state = this.stateOf(p);
      if (state.step === undefined) {
        state.step = 0;
        state.expAvg = this.keepState(zerosLike(p));
        state.expAvgSq = this.keepState(zerosLike(p));
      }
      const expAvg = state.expAvg as Tensor;
      const expAvgSq = state.expAvgSq as Tensor;
      const step = scalarState(state.step) + 1;
      state.step = step;
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
      let grad = p.grad;
      // g := g + λ·p  (L2 penalty)
      if (g.weightDecay !== 0) grad = grad.add(p, { alpha: g.weightDecay });
      // m := β₁·m + (1 − β₁)·g
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      // v := β₂·v + (1 − β₂)·g²
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
      // m̂ = m / (1 − β₁ᵗ)
      const biasCorrectedExpAvg = expAvg.div(biasCorrection1);
      // ρ_∞ = 2/(1 − β₂) − 1;  ρ_t = ρ_∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
      const rhoInf = 2 / (1 - beta2) - 1;
      const rhoT = rhoInf - (2 * step * beta2 ** step) / biasCorrection2;
      if (rhoT > 5) {
        // r = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
        const rect = Math.sqrt(
          ((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT),
        );
        // l = √(1 − β₂ᵗ) / (√v + ε)  (NOTE: PyTorch's float / tensor is reciprocal(tensor) · float)
        const adaptiveLr = expAvgSq.sqrt().add_(g.eps).reciprocal().mul(Math.sqrt(biasCorrection2));
        // p := p − m̂·η·l·r
        p.add_(biasCorrectedExpAvg.mul(g.lr).mul(adaptiveLr).mul(rect), { alpha: -1 });
      } else {
        // p := p − m̂·η  (too few steps to trust the variance: SGD with momentum)
        p.add_(biasCorrectedExpAvg.mul(g.lr), { alpha: -1 });
      }
    }
  }
}
