// ASGD (averaged SGD with a decaying step size; weight decay, maximize): PyTorch's single-tensor algorithm.
import { zerosLike } from '../functions/creation.js';
import type { Tensor } from '../tensor.js';
import { defineOptions } from '../options.js';
import { checkNonNegative, scalarState } from './common.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, optimizerOptions } from './optimizer.js';

export interface ASGDOptions {
  lr: number;
  lambd: number;
  alpha: number;
  t0: number;
  weightDecay: number;
  maximize: boolean;
}

const ASGD_OPTIONS = defineOptions<ASGDOptions>('optim.ASGD', {
  lr: 'number',
  lambd: 'number',
  alpha: 'number',
  t0: 'number',
  weightDecay: 'number',
  maximize: 'boolean',
});

export class ASGD extends Optimizer<ASGDOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<ASGDOptions>>,
    lrOrOpts?: number | Partial<ASGDOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(ASGD_OPTIONS, lrOrOpts, extra);
    const defaults: ASGDOptions = {
      lr: opts.lr ?? 1e-2,
      lambd: opts.lambd ?? 1e-4,
      alpha: opts.alpha ?? 0.75,
      t0: opts.t0 ?? 1e6,
      weightDecay: opts.weightDecay ?? 0,
      maximize: opts.maximize ?? false,
    };
    checkNonNegative(defaults.lr, 'learning rate');
    checkNonNegative(defaults.weightDecay, 'weight_decay value');
    super(params, defaults, ASGD_OPTIONS);
  }

  /**
   * NOTE: PyTorch keeps eta and mu as float32 0-d tensors whatever the parameters' dtype, so they
   * are rounded to float32 here (Math.fround) and the float64 runs agree too.
   */
  protected updateGroup(g: ParamGroup<ASGDOptions>): void {
    for (const p of g.params) {
      if (p._grad === null) continue;
      const state = this.stateOf(p);
      if (state.step === undefined) {
        state.step = 0;
        state.eta = Math.fround(g.lr);
        state.mu = 1;
        state.ax = this.keepState(zerosLike(p));
      }
      const step = scalarState(state.step) + 1;
      state.step = step;
      const eta = Math.fround(scalarState(state.eta));
      const mu = Math.fround(scalarState(state.mu));
      const ax = state.ax as Tensor;
      // g = ∇ (negated to maximize)
      let grad = g.maximize ? p._grad.neg() : p._grad;
      // g := g + λ·p  (L2 penalty)
      if (g.weightDecay !== 0) grad = grad.add(p, { alpha: g.weightDecay });
      // p := p·(1 − λ_d·η);  p := p − η·g
      p.mul_(1 - g.lambd * eta);
      p.add_(grad, { alpha: -eta });
      // x̄ := x̄ + μ·(p − x̄)  (x̄ := p while μ = 1)
      if (mu !== 1) ax.add_(p.sub(ax).mul(mu));
      else ax.copy_(p);
      // η := η₀ / (1 + λ_d·η₀·t)^α;  μ := 1 / max(1, t − t₀)
      state.eta = Math.fround(g.lr / Math.pow(1 + g.lambd * g.lr * step, g.alpha));
      state.mu = Math.fround(1 / Math.max(1, step - g.t0));
    }
  }
}
