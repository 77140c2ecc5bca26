// Rprop (resilient backpropagation: sign-based steps with per-element step sizes): PyTorch's single-tensor algorithm.
import { ArgumentError } from '../errors.js';
import { fullLike, zerosLike } from '../functions/creation.js';
import type { Tensor } from '../tensor.js';
import { defineOptions } from '../options.js';
import { checkNonNegative, pyFloat, scalarState } from './common.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, optimizerOptions } from './optimizer.js';

export interface RpropOptions {
  lr: number;
  etas: [number, number];
  stepSizes: [number, number];
  maximize: boolean;
}

const RPROP_OPTIONS = defineOptions<RpropOptions>('optim.Rprop', {
  lr: 'number',
  etas: 'array',
  stepSizes: 'array',
  maximize: 'boolean',
});

export class Rprop extends Optimizer<RpropOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<RpropOptions>>,
    lrOrOpts?: number | Partial<RpropOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(RPROP_OPTIONS, lrOrOpts, extra);
    const defaults: RpropOptions = {
      lr: opts.lr ?? 1e-2,
      etas: opts.etas ?? [0.5, 1.2],
      stepSizes: opts.stepSizes ?? [1e-6, 50],
      maximize: opts.maximize ?? false,
    };
    checkNonNegative(defaults.lr, 'learning rate');
    const [etaminus, etaplus] = defaults.etas;
    if (!(etaminus > 0 && etaminus < 1 && etaplus > 1)) {
      throw new ArgumentError(`Invalid eta values: ${pyFloat(etaminus)}, ${pyFloat(etaplus)}`);
    }
    super(params, defaults, RPROP_OPTIONS);
  }

  protected updateGroup(g: ParamGroup<RpropOptions>): void {
    const [etaminus, etaplus] = g.etas;
    const [stepSizeMin, stepSizeMax] = g.stepSizes;
    for (const p of g.params) {
      if (p._grad === null) continue;
      const state = this.stateOf(p);
      if (state.step === undefined) {
        state.step = 0;
        state.prev = this.keepState(zerosLike(p));
        // NOTE: the group's lr at the first step; later lr changes do not reach the step sizes (as PyTorch).
        state.stepSize = this.keepState(fullLike(p._grad, g.lr));
      }
      state.step = scalarState(state.step) + 1;
      const prev = state.prev as Tensor;
      const stepSize = state.stepSize as Tensor;
      // g = ∇ (negated to maximize)
      const grad = g.maximize ? p._grad.neg() : p._grad;
      // s = sign(g·g_prev), then +1 → η₊, −1 → η₋, 0 → 1  (NaN stays NaN)
      const sign = grad.mul(prev).sign();
      const positive = sign.gt(0);
      const negative = sign.lt(0);
      const factor = sign
        .maskedFill(positive, etaplus)
        .maskedFill(negative, etaminus)
        .maskedFill(sign.eq(0), 1);
      // Δ := clamp(Δ·s, Δ_min, Δ_max)
      stepSize.mul_(factor).clamp_(stepSizeMin, stepSizeMax);
      // where the gradient changed sign, skip this step and forget it: g := 0
      const masked = grad.maskedFill(negative, 0);
      // p := p − sign(g)·Δ
      p.addcmul_(masked.sign(), stepSize, { value: -1 });
      prev.copy_(masked);
    }
  }
}
