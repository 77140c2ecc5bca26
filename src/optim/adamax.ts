// Adamax (Adam with the infinity norm; weight decay, maximize): PyTorch's single-tensor algorithm.
import { zerosLike } from '../functions/creation.js';
import type { Tensor } from '../tensor.js';
import { defineOptions } from '../options.js';
import { checkBetas, checkNonNegative, scalarState } from './common.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, optimizerOptions } from './optimizer.js';

export interface AdamaxOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

const ADAMAX_OPTIONS = defineOptions<AdamaxOptions>('optim.Adamax', {
  lr: 'number',
  betas: 'array',
  eps: 'number',
  weightDecay: 'number',
  maximize: 'boolean',
});

export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamaxOptions>>,
    lrOrOpts?: number | Partial<AdamaxOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(ADAMAX_OPTIONS, lrOrOpts, extra);
    const defaults: AdamaxOptions = {
      lr: opts.lr ?? 2e-3,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
      maximize: opts.maximize ?? false,
    };
    checkNonNegative(defaults.lr, 'learning rate');
    checkNonNegative(defaults.eps, 'epsilon value');
    checkBetas(defaults.betas);
    checkNonNegative(defaults.weightDecay, 'weight_decay value');
    super(params, defaults, ADAMAX_OPTIONS);
  }

  protected updateGroup(g: ParamGroup<AdamaxOptions>): void {
    const [beta1, beta2] = g.betas;
    for (const p of g.params) {
      if (p._grad === null) continue;
      const state = this.stateOf(p);
      if (state.step === undefined) {
        state.step = 0;
        state.expAvg = this.keepState(zerosLike(p));
        state.expInf = this.keepState(zerosLike(p));
      }
      const step = scalarState(state.step) + 1;
      state.step = step;
      const expAvg = state.expAvg as Tensor;
      const expInf = state.expInf as Tensor;
      // g = ∇ (negated to maximize)
      let grad = g.maximize ? p._grad.neg() : p._grad;
      // g := g + λ·p  (L2 penalty)
      if (g.weightDecay !== 0) grad = grad.add(p, { alpha: g.weightDecay });
      // m := β₁·m + (1 − β₁)·g
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      // u := max(β₂·u, |g| + ε)  (a NaN on either side wins, as amax)
      expInf.mul_(beta2);
      expInf.copy_(expInf.maximum(grad.abs().add_(g.eps)));
      // p := p − η/(1 − β₁ᵗ) · m / u
      const clr = g.lr / (1 - beta1 ** step);
      p.addcdiv_(expAvg, expInf, { value: -clr });
    }
  }
}
