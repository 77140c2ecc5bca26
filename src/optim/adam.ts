// Adam (with AMSGrad, L2 weight decay and maximize) and AdamW: PyTorch's single-tensor algorithms.
import { zerosLike } from '../functions/creation.js';
import type { Tensor } from '../tensor.js';
import { AdamFamily, type AdamFamilyOptions } from './adam_family.js';
import { scalarState } from './common.js';
import { fusedOpsFor, fusedTensor, markWritten } from './fused.js';
import { defineOptions, type OptionSchema, type Spec } from '../options.js';
import { ADAM_FAMILY_SPEC } from './adam_family.js';
import { optimizerOptions, type ParamGroup, type ParamGroupInput } from './optimizer.js';

export interface AdamOptions extends AdamFamilyOptions {
  amsgrad: boolean;
  maximize: boolean;
}

function adamDefaults(opts: Partial<AdamOptions>, weightDecay: number): AdamOptions {
  return {
    lr: opts.lr ?? 1e-3,
    betas: opts.betas ?? [0.9, 0.999],
    eps: opts.eps ?? 1e-8,
    weightDecay: opts.weightDecay ?? weightDecay,
    amsgrad: opts.amsgrad ?? false,
    maximize: opts.maximize ?? false,
  };
}

const ADAM_SPEC: Spec<AdamOptions> = {
  ...ADAM_FAMILY_SPEC,
  amsgrad: 'boolean',
  maximize: 'boolean',
};
const ADAM_OPTIONS = defineOptions<AdamOptions>('optim.Adam', ADAM_SPEC);
const ADAMW_OPTIONS = defineOptions<AdamOptions>('optim.AdamW', ADAM_SPEC);
/** The schema a subclass checks its options against (AdamW's names it in errors). */
const SCHEMA_OF = new Map<abstract new (...args: never[]) => Adam, OptionSchema<AdamOptions>>();

export class Adam extends AdamFamily<AdamOptions> {
  /** AdamW decays the weights directly instead of adding λ·p to the gradient. */
  protected readonly decoupledWeightDecay: boolean = false;

  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>,
    lrOrOpts?: number | Partial<AdamOptions>,
    ...extra: readonly never[]
  ) {
    const schema = SCHEMA_OF.get(new.target) ?? ADAM_OPTIONS;
    super(params, adamDefaults(optimizerOptions(schema, lrOrOpts, extra), 0), schema);
  }

  protected updateGroup(g: ParamGroup<AdamOptions>): void {
    const [, beta2] = g.betas;
    for (const p of g.params) {
      if (p._grad === null) continue;
      if (this.#fusedStep(p, p._grad, g)) continue;
      // g = ∇ (negated to maximize)
      let grad = g.maximize ? p._grad.neg() : p._grad;
      if (this.decoupledWeightDecay) {
        // p := p·(1 − ηλ)  (decoupled weight decay)
        p.mul_(1 - g.lr * g.weightDecay);
      } else {
        // g := g + λ·p  (L2 penalty)
        grad = this.l2(grad, p, g.weightDecay);
      }
      // m := β₁·m + (1 − β₁)·g;  v := β₂·v + (1 − β₂)·g²
      const { state, step, expAvg, expAvgSq } = this.moments(p, grad, g);
      const biasCorrection1 = 1 - g.betas[0] ** step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
      const stepSize = g.lr / biasCorrection1;
      let v = expAvgSq;
      if (g.amsgrad) {
        // v_max := max(v_max, v)
        state.maxExpAvgSq ??= this.keepState(zerosLike(p));
        const maxExpAvgSq = state.maxExpAvgSq as Tensor;
        maxExpAvgSq.copy_(maxExpAvgSq.maximum(expAvgSq));
        v = maxExpAvgSq;
      }
      // d = √v / √(1 − β₂ᵗ) + ε
      const denom = v.sqrt().div(biasCorrection2Sqrt).add_(g.eps);
      // p := p − η/(1 − β₁ᵗ) · m / d
      p.addcdiv_(expAvg, denom, { value: -stepSize });
    }
  }

  /** The same update in one pass, when the backend offers it for these tensors. */
  #fusedStep(p: Tensor, grad: Tensor, g: ParamGroup<AdamOptions>): boolean {
    if (fusedOpsFor([p, grad])?.adam === undefined) return false;
    const state = this.stateOf(p);
    if (state.step === undefined) {
      state.step = 0;
      state.expAvg = this.keepState(zerosLike(p));
      state.expAvgSq = this.keepState(zerosLike(p));
    }
    if (g.amsgrad) state.maxExpAvgSq ??= this.keepState(zerosLike(p));
    const m = state.expAvg as Tensor;
    const v = state.expAvgSq as Tensor;
    const vmax = g.amsgrad ? (state.maxExpAvgSq as Tensor) : null;
    const fused = fusedOpsFor([p, grad, m, v, vmax]);
    if (fused?.adam === undefined) return false;
    const step = scalarState(state.step) + 1;
    state.step = step;
    const [beta1, beta2] = g.betas;
    fused.adam(
      fusedTensor(p),
      fusedTensor(grad),
      fusedTensor(m),
      fusedTensor(v),
      vmax === null ? null : fusedTensor(vmax),
      {
        lr: g.lr,
        weightDecay: g.weightDecay,
        beta1,
        beta2,
        eps: g.eps,
        stepSize: g.lr / (1 - beta1 ** step),
        biasCorrection2Sqrt: Math.sqrt(1 - beta2 ** step),
        maximize: g.maximize,
        decoupled: this.decoupledWeightDecay,
        amsgrad: g.amsgrad,
      },
    );
    markWritten(p, m, v, vmax);
    return true;
  }
}

export type AdamWOptions = AdamOptions;

/** AdamW: Adam with decoupled weight decay (default λ = 0.01). */
export class AdamW extends Adam {
  protected override readonly decoupledWeightDecay: boolean = true;

  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamWOptions>>,
    lrOrOpts?: number | Partial<AdamWOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(ADAMW_OPTIONS, lrOrOpts, extra);
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 1e-2 });
  }
}

SCHEMA_OF.set(AdamW, ADAMW_OPTIONS);
