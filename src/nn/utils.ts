// nn.utils: gradient clipping and flattening parameters to one vector and back.
import { argsOrOptions, defineOptions } from '../options.js';
import { noGrad } from '../autograd/grad_mode.js';
import { ArgumentError, NablaError } from '../errors.js';
import { zeros } from '../functions/creation.js';
import { div } from '../functions/elementwise.js';
import { cat, stack } from '../functions/shape_ops.js';
import type { Tensor } from '../tensor.js';

export interface ClipGradNormOptions {
  /** The p of the p-norm (2 by default; Infinity for the max norm). */
  readonly normType?: number;
  /** Throw when the total norm is NaN or infinite instead of scaling by it. */
  readonly errorIfNonfinite?: boolean;
}

const CLIP_GRAD_NORM = defineOptions<ClipGradNormOptions>('nn.utils.clipGradNorm_', {
  normType: 'number',
  errorIfNonfinite: 'boolean',
});

const CLIP_GRAD_VALUE = defineOptions<{ clipValue?: number }>('nn.utils.clipGradValue_', {
  clipValue: 'number',
});

function withGrads(parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const list =
    'shape' in parameters ? [parameters as Tensor] : [...(parameters as Iterable<Tensor>)];
  return list.filter((p) => p._grad !== null);
}

/**
 * Scales all gradients together so that their total norm is at most maxNorm, as PyTorch does
 * (coefficient maxNorm / (norm + 1e-6), clamped at 1). Returns the total norm before clipping.
 */
export function clipGradNorm_(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  opts?: ClipGradNormOptions,
): Tensor {
  CLIP_GRAD_NORM.check(opts);
  const params = withGrads(parameters);
  const normType = opts?.normType ?? 2;
  return noGrad(() => {
    if (params.length === 0) return zeros([]);
    const grads = params.map((p) => p._grad!.detach());
    const total =
      normType === Infinity
        ? stack(grads.map((g) => g.abs().amax())).amax()
        : stack(grads.map((g) => g.norm(normType))).norm(normType);
    const t = total.item() as number;
    if (opts?.errorIfNonfinite && !Number.isFinite(t)) {
      throw new NablaError(
        `The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`errorIfNonfinite: false\``,
      );
    }
    const coef = div(maxNorm, total.add(1e-6)).clamp(null, 1);
    for (const g of grads) g.mul_(coef);
    return total;
  });
}

/** Clamps every gradient element into [−clipValue, clipValue]. */
/** clipGradValue_(parameters, clipValue) or clipGradValue_(parameters, { clipValue }). */
export function clipGradValue_(
  parameters: Tensor | Iterable<Tensor>,
  clipValueOrOpts: number | { clipValue?: number },
): void {
  const clipValue = argsOrOptions(
    CLIP_GRAD_VALUE,
    ['clipValue'],
    [clipValueOrOpts],
    undefined,
  ).clipValue;
  if (clipValue === undefined) throw new ArgumentError("clipGradValue_(): missing 'clipValue'");
  noGrad(() => {
    for (const p of withGrads(parameters)) p._grad!.clamp_(-clipValue, clipValue);
  });
}

/** All parameters flattened into one vector, in order. */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  return cat([...parameters].map((p) => p.reshape(-1)));
}

/** Copies consecutive slices of `vec` into the parameters (the inverse of parametersToVector). */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (vec.ndim !== 1)
    throw new ArgumentError(`expected a 1-d vector, but got a ${vec.ndim}-d tensor`);
  const params = [...parameters];
  const total = params.reduce((n, p) => n + p.numel(), 0);
  if (total !== vec.numel()) {
    throw new ArgumentError(`vector has ${vec.numel()} elements but the parameters have ${total}`);
  }
  noGrad(() => {
    let at = 0;
    for (const p of params) {
      const n = p.numel();
      p.copy_(vec.narrow(0, at, n).reshape(p.shape));
      at += n;
    }
  });
}
