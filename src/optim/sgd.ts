// SGD with momentum, dampening, Nesterov, weight decay and maximize: PyTorch's single-tensor algorithm.
import { ArgumentError } from '../errors.js';
import { zerosLike } from '../functions/creation.js';
import type { Tensor } from '../tensor.js';
import { defineOptions } from '../options.js';
import { fusedOpsFor, fusedTensor, markWritten } from './fused.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, optimizerOptions } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

const SGD_OPTIONS = defineOptions<SGDOptions>('optim.SGD', {
  lr: 'number',
  momentum: 'number',
  dampening: 'number',
  weightDecay: 'number',
  nesterov: 'boolean',
  maximize: 'boolean',
});

export class SGD extends Optimizer<SGDOptions> {
  constructor(
    params: Iterable<Tensor> | Iterable<ParamGroupInput<SGDOptions>>,
    lrOrOpts?: number | Partial<SGDOptions>,
    ...extra: readonly never[]
  ) {
    const opts = optimizerOptions(SGD_OPTIONS, lrOrOpts, extra);
    const defaults: SGDOptions = {
      // NOTE: no default lr, as PyTorch's `required`: each group must then give one (else
      // "parameter group didn't specify a value of required optimization parameter lr")
      lr: opts.lr as number,
      momentum: opts.momentum ?? 0,
      dampening: opts.dampening ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      nesterov: opts.nesterov ?? false,
      maximize: opts.maximize ?? false,
    };
    if (opts.lr !== undefined && !(opts.lr >= 0))
      throw new ArgumentError(`Invalid learning rate: ${opts.lr}`);
    if (defaults.momentum < 0)
      throw new ArgumentError(`Invalid momentum value: ${defaults.momentum}`);
    if (defaults.weightDecay < 0)
      throw new ArgumentError(`Invalid weight_decay value: ${defaults.weightDecay}`);
    if (defaults.nesterov && (defaults.momentum <= 0 || defaults.dampening !== 0)) {
      throw new ArgumentError('Nesterov momentum requires a momentum and zero dampening');
    }
    super(params, defaults, SGD_OPTIONS);
  }

  protected updateGroup(g: ParamGroup<SGDOptions>): void {
    for (const p of g.params) {
      if (p._grad === null) continue;
      if (this.#fusedStep(p, p._grad, g)) continue;
      // d = ∇ (negated to maximize), plus weight decay λ·p
      let d = g.maximize ? p._grad.neg() : p._grad;
      if (g.weightDecay !== 0) d = d.add(p, { alpha: g.weightDecay });
      if (g.momentum !== 0) {
        const state = this.stateOf(p);
        let buf = state.momentumBuffer as Tensor | null | undefined;
        // b := μ·b + (1 − dampening)·d  (b starts as d)
        if (buf === undefined || buf === null) {
          buf = this.keepState(d.clone());
          state.momentumBuffer = buf;
        } else {
          buf.mul_(g.momentum).add_(d, { alpha: 1 - g.dampening });
        }
        d = g.nesterov ? d.add(buf, { alpha: g.momentum }) : buf;
      } else {
        // NOTE: PyTorch records an empty buffer without momentum, so state dicts have the same keys.
        this.stateOf(p).momentumBuffer ??= null;
      }
      // p := p − η·d
      p.add_(d, { alpha: -g.lr });
    }
  }

  /** The same update in one pass, when the backend offers it for these tensors. */
  #fusedStep(p: Tensor, grad: Tensor, g: ParamGroup<SGDOptions>): boolean {
    const fused = fusedOpsFor([p, grad]);
    if (fused?.sgd === undefined) return false;
    const state = this.stateOf(p);
    let buf = (state.momentumBuffer ?? null) as Tensor | null;
    if (g.momentum === 0) {
      state.momentumBuffer ??= null;
      buf = null;
    } else if (buf !== null && fusedOpsFor([p, buf]) === null) {
      return false;
    }
    const first = g.momentum !== 0 && buf === null;
    if (first) {
      buf = this.keepState(zerosLike(p));
      state.momentumBuffer = buf;
    }
    fused.sgd(fusedTensor(p), fusedTensor(grad), buf === null ? null : fusedTensor(buf), {
      lr: g.lr,
      weightDecay: g.weightDecay,
      momentum: g.momentum,
      dampening: g.dampening,
      nesterov: g.nesterov,
      maximize: g.maximize,
      first,
    });
    markWritten(p, buf);
    return true;
  }
}
