// RAdam (Adam with variance rectification, weight decay): PyTorch's single-tensor algorithm.
import type { Tensor } from '../tensor.js';
import { defineOptions } from '../options.js';
import { AdamFamily, type AdamFamilyOptions } from './adam_family.js';
import { ADAM_FAMILY_SPEC } from './adam_family.js';
import { type ParamGroup, type ParamGroupInput, optimizerOptions } from './optimizer.js';

export type RAdamOptions = AdamFamilyOptions;

const RADAM_OPTIONS = defineOptions<RAdamOptions>('optim.RAdam', {
  ...ADAM_FAMILY_SPEC,
});

export class RAdam extends AdamFamily<RAdamOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<RAdamOptions>>,
    lrOrOpts?: number | Partial<RAdamOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(RADAM_OPTIONS, lrOrOpts, extra);
    const defaults: RAdamOptions = {
      lr: opts.lr ?? 1e-3,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
    };
    super(params, defaults, RADAM_OPTIONS);
  }

  protected updateGroup(g: ParamGroup<RAdamOptions>): void {
    const [beta1, beta2] = g.betas;
    for (const p of g.params) {
      if (p._grad === null) continue;
      // g := g + λ·p  (L2 penalty);  m := β₁·m + (1 − β₁)·g;  v := β₂·v + (1 − β₂)·g²
      const { step, expAvg, expAvgSq } = this.moments(p, this.l2(p._grad, p, g.weightDecay), g);
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
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
