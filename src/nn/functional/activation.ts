// nn.functional activations, linear and dropout, composed from primitives (gradients by composition).
import { argsOrOptions, defineOptions } from '../../options.js';
import { internalScope } from '../../memory.js';
import { ArgumentError } from '../../errors.js';
import { fromArray } from '../../functions/creation.js';
import { clamp, erf, expm1, log1p, minimum, where } from '../../functions/elementwise.js';
import { defaultGenerator, type Generator } from '../../random.js';
import { allocArray, isFloating } from '../../dtype.js';
import { apply } from '../../ops/apply.js';
import type { Tensor } from '../../tensor.js';
import type { Epilogue } from '../../primitives.js';

const GELU = defineOptions<{ approximate?: GeluApproximate }>('nn.functional.gelu', {
  approximate: 'string',
});
const SOFTPLUS = defineOptions<{ beta?: number; threshold?: number }>('nn.functional.softplus', {
  beta: 'number',
  threshold: 'number',
});
const DROPOUT = defineOptions<DropoutOptions>('nn.functional.dropout', {
  p: 'number',
  training: 'boolean',
  generator: 'object',
});

export { logSoftmax, softmax, type SoftmaxOptions } from '../../functions/activation.js';
import {
  SOFTMAX_SPEC,
  dimOf,
  softmax as softmaxOf,
  type SoftmaxOptions,
} from '../../functions/activation.js';
import { dimKeywords, norm } from '../../functions/reduction.js';

export const relu = (x: Tensor): Tensor => x.relu();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const tanh = (x: Tensor): Tensor => x.tanh();

const LEAKY_RELU = defineOptions<{ negativeSlope?: number }>('nn.functional.leakyRelu', {
  negativeSlope: 'number',
});
const ELU = defineOptions<{ alpha?: number }>('nn.functional.elu', { alpha: 'number' });
const HARDTANH = defineOptions<{ minVal?: number; maxVal?: number }>('nn.functional.hardtanh', {
  minVal: 'number',
  maxVal: 'number',
});

/**
 * x for x > 0, slope·x otherwise (the gradient at 0 is the slope, as PyTorch); the slope may be
 * given as { negativeSlope }.
 */
export function leakyRelu(
  x: Tensor,
  slopeOrOpts: number | { negativeSlope?: number } = 0.01,
): Tensor {
  const negativeSlope =
    typeof slopeOrOpts === 'number'
      ? slopeOrOpts
      : (argsOrOptions(LEAKY_RELU, ['negativeSlope'], [slopeOrOpts], undefined).negativeSlope ??
        0.01);
  return internalScope(() => {
    return where(x.gt(0), x, x.mul(negativeSlope));
  });
}

/** PReLU: like leakyRelu with a learned slope, one per channel (dim 1) or shared. */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  return internalScope(() => {
    const w =
      weight.numel() === 1 || x.ndim < 2
        ? weight.reshape(weight.numel() === 1 ? [] : [-1])
        : weight.reshape([-1, ...new Array<number>(x.ndim - 2).fill(1)]);
    return where(x.gt(0), x, x.mul(w));
  });
}

/** α·(eˣ − 1) for x ≤ 0; expm1 sees min(x, 0) so the unused branch never overflows. */
export function elu(x: Tensor, alphaOrOpts: number | { alpha?: number } = 1): Tensor {
  const alpha =
    typeof alphaOrOpts === 'number'
      ? alphaOrOpts
      : (argsOrOptions(ELU, ['alpha'], [alphaOrOpts], undefined).alpha ?? 1);
  return internalScope(() => {
    return where(x.gt(0), x, expm1(minimum(x, 0)).mul(alpha));
  });
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

export function selu(x: Tensor): Tensor {
  return internalScope(() => {
    return elu(x, SELU_ALPHA).mul(SELU_SCALE);
  });
}

export type GeluApproximate = 'none' | 'tanh';

/** GELU: x·Φ(x) exactly (with erf), or PyTorch's tanh approximation. */
export function gelu(x: Tensor, opts?: { approximate?: GeluApproximate }): Tensor {
  GELU.check(opts);
  return internalScope(() => {
    if ((opts?.approximate ?? 'none') === 'tanh') {
      const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
      return x.mul(0.5).mul(inner.tanh().add(1));
    }
    return x.mul(0.5).mul(erf(x.mul(Math.SQRT1_2)).add(1));
  });
}

/** SiLU (swish): x·σ(x). */
export function silu(x: Tensor): Tensor {
  return internalScope(() => {
    return x.mul(x.sigmoid());
  });
}

/** Mish: x·tanh(softplus(x)). */
export function mish(x: Tensor): Tensor {
  return internalScope(() => {
    return x.mul(softplus(x).tanh());
  });
}

/**
 * Softplus: log(1 + e^(βx))/β, and x where βx > threshold. The log1p branch sees at most the
 * threshold, so it never overflows (and its unused gradient is never NaN).
 */
export function softplus(x: Tensor, opts?: { beta?: number; threshold?: number }): Tensor {
  SOFTPLUS.check(opts);
  return internalScope(() => {
    const beta = opts?.beta ?? 1;
    const threshold = opts?.threshold ?? 20;
    const bx = x.mul(beta);
    const soft = log1p(minimum(bx, threshold).exp()).div(beta);
    return where(bx.gt(threshold), x, soft);
  });
}

/** Hardtanh: clamp to [min, max], with zero gradient at the boundaries as PyTorch. */
export function hardtanh(
  x: Tensor,
  minOrOpts: number | { minVal?: number; maxVal?: number } = -1,
  maxArg?: number,
): Tensor {
  const o =
    typeof minOrOpts === 'number' && (maxArg === undefined || typeof maxArg === 'number')
      ? { minVal: minOrOpts, maxVal: maxArg }
      : argsOrOptions(HARDTANH, ['minVal', 'maxVal'], [minOrOpts, maxArg], undefined);
  const [minVal, maxVal] = [o.minVal ?? -1, o.maxVal ?? 1];
  return internalScope(() => {
    if (maxVal < minVal)
      throw new ArgumentError('hardtanh: max_val must be greater than or equal to min_val');
    const inside = x.gt(minVal).logicalAnd(x.lt(maxVal));
    return where(inside, x, clamp(x, minVal, maxVal).detach());
  });
}

export function relu6(x: Tensor): Tensor {
  return internalScope(() => {
    return hardtanh(x, 0, 6);
  });
}

/** y = x·Wᵀ + b: one primitive for a 2-d weight and a bias of its output size, else composed. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return linearThen(x, weight, bias, undefined);
}

/**
 * @internal act(x·Wᵀ + b), the activation (relu, or the exact GELU) applied by the linear primitive
 * as it stores the sums (nn.Sequential's Linear → ReLU / GELU), else after the composed product.
 */
export function linearThen(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  activation: Epilogue | undefined,
): Tensor {
  const b = bias ?? undefined;
  if (
    x.ndim >= 1 &&
    weight.ndim === 2 &&
    isFloating(x.dtype) &&
    weight.dtype === x.dtype &&
    (b === undefined || (b.ndim === 1 && b.shape[0] === weight.shape[0] && b.dtype === x.dtype))
  ) {
    const params = activation === undefined ? {} : { activation };
    return apply('linear', b === undefined ? [x, weight] : [x, weight, b], params);
  }
  return internalScope(() => {
    const y = x.matmul(weight.t());
    const z = bias ? y.add(bias) : y;
    return activation === undefined ? z : activation === 'relu' ? relu(z) : gelu(z);
  });
}

export interface DropoutOptions {
  readonly p?: number;
  readonly training?: boolean;
  readonly generator?: Generator;
}

/**
 * Dropout: zeroes each element with probability p and scales the rest by 1/(1 − p), drawing the
 * mask as PyTorch's cpu bernoulli_ does (so a seed gives PyTorch's mask).
 */
export function dropout(x: Tensor, opts?: DropoutOptions): Tensor {
  DROPOUT.check(opts);
  return internalScope(() => {
    const p = opts?.p ?? 0.5;
    if (!(p >= 0 && p <= 1))
      throw new ArgumentError(`dropout probability has to be between 0 and 1, but got ${p}`);
    if (!(opts?.training ?? true) || p === 0) return x;
    if (p === 1) return x.mul(0);
    const gen = opts?.generator ?? defaultGenerator;
    const keep = 1 - p;
    const noise = allocArray(x.isFloatingPoint() ? x.dtype : 'float32', x.numel());
    for (let i = 0; i < noise.length; i++) noise[i] = gen.uniform53() < keep ? 1 : 0;
    const mask = fromArray(noise, x.shape, x.isFloatingPoint() ? x.dtype : 'float32', {
      device: x.device,
    }).div(keep);
    return x.mul(mask);
  });
}

/**
 * CELU: max(0, x) + min(0, α·(e^(x/α) − 1)). As PyTorch, x ≤ 0 takes the exponential branch
 * (so NaN takes the linear one, gradient 1) and x/α is computed as x·(1/α).
 */
export function celu(x: Tensor, alpha = 1): Tensor {
  if (alpha === 0) throw new ArgumentError('ZeroDivisionError: alpha cannot be 0 for CELU');
  return internalScope(() => {
    const neg = x.le(0);
    return where(neg, expm1(where(neg, x, 0).mul(1 / alpha)).mul(alpha), x);
  });
}

/**
 * Hardswish: x·min(max(x + 3, 0), 6)/6, each piece computed as PyTorch does (−0 below −3, NaN at
 * −inf) and with PyTorch's gradient: 0 below −3, x/3 + 1/2 on [−3, 3], 1 above (and at NaN).
 */
export function hardswish(x: Tensor): Tensor {
  return internalScope(() => {
    const lo = x.lt(-3);
    const le3 = x.le(3);
    const mid = lo.logicalNot().logicalAnd(le3);
    const rest = lo.logicalOr(le3).logicalNot();
    const xm = where(mid, x, 0);
    const low = where(lo, x, 0).mul(0).div(6);
    const high = where(rest, x, 0).mul(6).div(6);
    return where(lo, low, where(mid, xm.mul(xm.add(3)).div(6), high));
  });
}

/** Hardsigmoid: min(max(x + 3, 0), 6)/6; the gradient is 1/6 strictly inside (−3, 3), else 0. */
export function hardsigmoid(x: Tensor): Tensor {
  return internalScope(() => {
    const inside = x.gt(-3).logicalAnd(x.lt(3));
    const outside = clamp(x.add(3), 0, 6).div(6).detach();
    return where(inside, x.add(3).div(6), outside);
  });
}

/**
 * LogSigmoid: min(x, 0) − log(1 + e^(−|x|)), stable for large |x|; the branches are written
 * with where so that the gradient at 0 is PyTorch's 1/2.
 */
export function logsigmoid(x: Tensor): Tensor {
  return internalScope(() => {
    const neg = x.lt(0);
    const negAbs = where(neg, x, x.neg());
    return where(neg, x, 0).sub(log1p(negAbs.exp()));
  });
}

/** Softsign: x / (1 + |x|). */
export function softsign(x: Tensor): Tensor {
  return internalScope(() => {
    return x.div(x.abs().add(1));
  });
}

const SOFTMIN = defineOptions<SoftmaxOptions>('nn.functional.softmin', SOFTMAX_SPEC);

/**
 * Softmin: softmax(−x, dim), −x cast to dtype first if given (as PyTorch: negated, then cast);
 * softmin(x, dim, { dtype }?) or softmin(x, { dim, dtype }).
 */
export function softmin(x: Tensor, dim: number | SoftmaxOptions, opts?: SoftmaxOptions): Tensor {
  const o = dimKeywords(SOFTMIN, dim, opts);
  const d = dimOf(SOFTMIN, dim, o);
  return internalScope(() => {
    return softmaxOf(x.neg(), d, o?.dtype === undefined ? undefined : { dtype: o.dtype });
  });
}

export interface NormalizeOptions {
  /** The exponent of the norm (default 2). */
  readonly p?: number;
  /** The dim to normalise over (default 1). */
  readonly dim?: number;
  /** The smallest norm divided by (default 1e-12). */
  readonly eps?: number;
}

const NORMALIZE = defineOptions<NormalizeOptions>('nn.functional.normalize', {
  p: 'number',
  dim: 'integer',
  eps: 'number',
});

/** F.normalize: x / max(‖x‖ₚ, eps) along dim, as PyTorch (the norm's gradient stops below eps). */
export function normalize(x: Tensor, opts?: NormalizeOptions): Tensor {
  NORMALIZE.check(opts);
  const p = opts?.p ?? 2;
  const dim = opts?.dim ?? 1;
  const eps = opts?.eps ?? 1e-12;
  return internalScope(() => {
    const n = norm(x, p, dim, true);
    return x.div(clamp(n, eps, null).expand(x.shape));
  });
}
