// NAdam (Adam with Nesterov momentum and momentum decay, weight decay): PyTorch's single-tensor algorithm.
import type { Tensor } from '../tensor.js';
import { defineOptions } from '../options.js';
import { checkNonNegative, scalarState } from './common.js';
import { AdamFamily, type AdamFamilyOptions } from './adam_family.js';
import { ADAM_FAMILY_SPEC } from './adam_family.js';
import { type ParamGroup, type ParamGroupInput, optimizerOptions } from './optimizer.js';

export interface NAdamOptions extends AdamFamilyOptions {
  momentumDecay: number;
}

const f32 = Math.fround;

const NADAM_OPTIONS = defineOptions<NAdamOptions>('optim.NAdam', {
  ...ADAM_FAMILY_SPEC,
  momentumDecay: 'number',
});

export class NAdam extends AdamFamily<NAdamOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<NAdamOptions>>,
    lrOrOpts?: number | Partial<NAdamOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(NADAM_OPTIONS, lrOrOpts, extra);
    const defaults: NAdamOptions = {
      lr: opts.lr ?? 2e-3,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
      momentumDecay: opts.momentumDecay ?? 4e-3,
    };
    checkNonNegative(defaults.momentumDecay, 'momentum_decay value');
    super(params, defaults, NADAM_OPTIONS);
  }

  protected updateGroup(g: ParamGroup<NAdamOptions>): void {
    const [beta1, beta2] = g.betas;
    for (const p of g.params) {
      if (p._grad === null) continue;
      // g := g + λ·p  (L2 penalty)
      const grad = this.l2(p._grad, p, g.weightDecay);
      // m := β₁·m + (1 − β₁)·g;  v := β₂·v + (1 − β₂)·g²
      const { state, step, expAvg, expAvgSq } = this.moments(p, grad, g, (s) => (s.muProduct = 1));
      const biasCorrection2 = 1 - beta2 ** step;
      // μ_t = β₁·(1 − ½·0.96^(t·ψ)),  μ_{t+1} likewise
      const mu = beta1 * (1 - 0.5 * 0.96 ** (step * g.momentumDecay));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * g.momentumDecay));
      // Π_t = Π_{t−1}·μ_t;  Π_{t+1} = Π_t·μ_{t+1}
      // NOTE: PyTorch keeps the product in a float32 0-d tensor; Math.fround repeats its rounding.
      const muProduct = f32(scalarState(state.muProduct) * f32(mu));
      state.muProduct = muProduct;
      const muProductNext = f32(f32(muProduct * f32(mu)) * f32(muNext));
      // d = √(v / (1 − β₂ᵗ)) + ε
      const denom = expAvgSq.div(biasCorrection2).sqrt().add_(g.eps);
      // p := p − η·(1 − μ_t)/(1 − Π_t) · g / d − η·μ_{t+1}/(1 − Π_{t+1}) · m / d
      p.addcdiv_(grad, denom, { value: (-g.lr * (1 - mu)) / (1 - muProduct) });
      p.addcdiv_(expAvg, denom, { value: (-g.lr * muNext) / (1 - muProductNext) });
    }
  }
}
