// Reductions: sum, mean, prod, max/min (with indices), argmax, var/std, logsumexp, norm, all/any, cumsum.
import { isFloating, notImplementedFor, type DType } from '../dtype.js';
import { DTypeError, IndexError } from '../errors.js';
import { apply } from '../ops/apply.js';
import type { ReducePrimitive } from '../primitives.js';
import { normalizeDim, normalizeDims } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad } from '../autograd/grad_mode.js';
import { add, cast, div, exp, log, sqrt, sub, where } from './elementwise.js';
import { squeezeDim } from './shape_ops.js';
import { checkOptions } from '../options.js';

export type Dims = number | readonly number[];

export interface ReduceOptions {
  readonly dim?: Dims;
  readonly keepdim?: boolean;
}

/** Reads PyTorch's (dim?, keepdim?) arguments, also given as one options object. */
export function reduceArgs(
  dim?: Dims | ReduceOptions | null,
  keepdim?: boolean,
): { dim: Dims | undefined; keepdim: boolean } {
  if (dim !== null && typeof dim === 'object' && !Array.isArray(dim)) {
    const o = dim as ReduceOptions;
    return { dim: o.dim, keepdim: o.keepdim ?? false };
  }
  return { dim: (dim ?? undefined) as Dims | undefined, keepdim: keepdim ?? false };
}

export function reduce(
  op: ReducePrimitive,
  x: Tensor,
  dim: Dims | undefined,
  keepdim: boolean,
): Tensor {
  return apply(op, [x], { dims: normalizeDims(dim, x.ndim), keepdim });
}

/** The dtype sum and prod give: integral and bool inputs sum to int32 (PyTorch: int64). */
function sumDType(d: DType): DType {
  return isFloating(d) ? d : 'int32';
}

/** sum's and prod's options: PyTorch's dim and keepdim, and the dtype to cast the input to first. */
export interface SumOptions extends ReduceOptions {
  readonly dtype?: DType;
}

/** Reads (dim?, keepdim?, { dtype }?) or ({ dim, keepdim, dtype }): the input cast, dims, keepdim. */
function sumArgs(
  op: string,
  x: Tensor,
  dim: Dims | SumOptions | null | undefined,
  keepdim: boolean | SumOptions | undefined,
  opts: SumOptions | undefined,
) {
  const objectArg = (v: unknown): v is SumOptions =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  const o: SumOptions = objectArg(dim) ? dim : objectArg(keepdim) ? keepdim : (opts ?? {});
  checkOptions(op, o, objectArg(dim) ? ['dim', 'keepdim', 'dtype'] : ['dtype']);
  const a = objectArg(dim)
    ? reduceArgs(dim)
    : reduceArgs(dim, objectArg(keepdim) ? undefined : keepdim);
  const input = cast(x, o.dtype ?? sumDType(x.dtype));
  return { input, dim: a.dim, keepdim: a.keepdim };
}

/**
 * sum(x, dim?, keepdim?, { dtype }?): with dtype the input is cast to it first, as PyTorch's
 * `dtype=` (sum(x, { dtype }) or sum(x, { dim, keepdim, dtype }) also work).
 */
export function sum(
  x: Tensor,
  dim?: Dims | SumOptions | null,
  keepdim?: boolean | SumOptions,
  opts?: SumOptions,
): Tensor {
  const a = sumArgs('sum', x, dim, keepdim, opts);
  return reduce('sum', a.input, a.dim, a.keepdim);
}

function reducedCount(x: Tensor, dim: Dims | undefined): number {
  return normalizeDims(dim, x.ndim).reduce((n, d) => n * x.shape[d]!, 1);
}

export function mean(x: Tensor, dim?: Dims | ReduceOptions | null, keepdim?: boolean): Tensor {
  if (!isFloating(x.dtype)) {
    throw new DTypeError(
      `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${x.dtype}`,
    );
  }
  const a = reduceArgs(dim, keepdim);
  return div(reduce('sum', x, a.dim, a.keepdim), reducedCount(x, a.dim));
}

/** prod(x, dim?, keepdim?, { dtype }?), with dtype as sum's. */
export function prod(
  x: Tensor,
  dim?: Dims | SumOptions | null,
  keepdim?: boolean | SumOptions,
  opts?: SumOptions,
): Tensor {
  const a = sumArgs('prod', x, dim, keepdim, opts);
  return reduce('prod', a.input, a.dim, a.keepdim);
}

/** amax: the maximum over dims; the gradient is shared evenly among ties. */
export function amax(x: Tensor, dim?: Dims | ReduceOptions | null, keepdim?: boolean): Tensor {
  const a = reduceArgs(dim, keepdim);
  return reduce('amax', x, a.dim, a.keepdim);
}

export function amin(x: Tensor, dim?: Dims | ReduceOptions | null, keepdim?: boolean): Tensor {
  const a = reduceArgs(dim, keepdim);
  return reduce('amin', x, a.dim, a.keepdim);
}

/** The values and indices of max(dim) / min(dim): an array [values, indices] with named fields. */
export type ValuesIndices = readonly [Tensor, Tensor] & {
  readonly values: Tensor;
  readonly indices: Tensor;
};

/** @internal The pair [values, indices] with the named fields. */
export function valuesIndices(values: Tensor, indices: Tensor): ValuesIndices {
  return Object.assign([values, indices] as const, { values, indices });
}

export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argReduce('argmax', x, dim ?? undefined, keepdim);
}

export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argReduce('argmin', x, dim ?? undefined, keepdim);
}

function argReduce(
  op: 'argmax' | 'argmin',
  x: Tensor,
  dim: number | undefined,
  keepdim: boolean,
): Tensor {
  if (dim === undefined) {
    const flat = apply(op, [x.reshape([-1])], { dims: [0], keepdim: false });
    return keepdim ? flat.reshape(x.shape.map(() => 1)) : flat;
  }
  return apply(op, [x], { dims: normalizeDims(dim, x.ndim), keepdim });
}

/**
 * max along a dim: values and the index of the first maximum. The gradient goes to that index
 * only, as in PyTorch (the full reduction max() shares it among ties instead).
 */
export function maxDim(
  x: Tensor,
  dim: number,
  keepdim = false,
  op: 'argmax' | 'argmin' = 'argmax',
): ValuesIndices {
  const d = normalizeDim(dim, x.ndim);
  if (x.ndim > 0 && x.shape[d] === 0) {
    throw new IndexError(
      `${op === 'argmax' ? 'max' : 'min'}(): Expected reduction dim ${d} to have non-zero size.`,
    );
  }
  const idx = apply(op, [x], { dims: x.ndim === 0 ? [] : [d], keepdim: true });
  const values = x.ndim === 0 ? x.mul(1) : apply('gather', [x, idx], { dim: d });
  if (keepdim || x.ndim === 0) return valuesIndices(values, idx);
  return valuesIndices(squeezeDim(values, d), squeezeDim(idx, d));
}

export function minDim(x: Tensor, dim: number, keepdim = false): ValuesIndices {
  return maxDim(x, dim, keepdim, 'argmin');
}

export interface VarOptions extends ReduceOptions {
  /** Bessel's correction: true (default) divides by N−1. */
  readonly unbiased?: boolean;
  /** Degrees of freedom subtracted from N; overrides `unbiased`. */
  readonly correction?: number;
}

const VAR_KEYS = ['dim', 'keepdim', 'unbiased', 'correction'] as const;

function varArgs(
  op: string,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
) {
  let opts: VarOptions;
  if (dim !== null && typeof dim === 'object' && !Array.isArray(dim)) {
    opts = dim as VarOptions;
    checkOptions(op, opts, VAR_KEYS);
  } else {
    opts = { ...(dim !== null && dim !== undefined ? { dim: dim as Dims } : {}) };
    if (typeof unbiased === 'object') {
      checkOptions(op, unbiased, VAR_KEYS);
      opts = { ...opts, ...unbiased };
    } else {
      if (unbiased !== undefined) opts = { ...opts, unbiased };
      if (keepdim !== undefined) opts = { ...opts, keepdim };
    }
  }
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  return { dim: opts.dim, keepdim: opts.keepdim ?? false, correction };
}

/** var(x, dim?, unbiased = true, keepdim = false), two-pass around the mean. */
export function variance(
  x: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): Tensor {
  return varianceOf('var', x, dim, unbiased, keepdim);
}

function varianceOf(
  op: string,
  x: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): Tensor {
  if (!isFloating(x.dtype)) {
    throw new DTypeError(
      op.endsWith('_mean')
        ? `${op} only support floating point and complex dtypes`
        : `std and var only support floating point dtypes, got ${x.dtype}`,
    );
  }
  const a = varArgs(op, dim, unbiased, keepdim);
  const n = reducedCount(x, a.dim);
  const dof = n - a.correction;
  const m = reduce('sum', x, a.dim, true).div(n);
  if (dof > 0 || !(x.requiresGrad && isGradEnabled())) {
    const d = sub(x, m);
    return div(reduce('sum', d.mul(d), a.dim, a.keepdim), Math.max(0, dof));
  }
  // NOTE: no degrees of freedom left (dof ≤ 0). The value is Σd²/0 (inf, or NaN where every
  // element equals the mean), and the gradient PyTorch's (2/dof)·g·(x − mean), with 2/0 = inf:
  // ±inf, NaN where x equals the mean, finite (or −0) for dof < 0. Composed through the mean,
  // inf − inf would make it NaN everywhere, so the mean is detached here: first order only.
  const d = sub(x, m.detach());
  const ss = reduce('sum', d.mul(d), a.dim, a.keepdim);
  if (x.ndim === 0 && dof === 0) return div(sub(x, x.detach()), 0); // PyTorch: g·inf
  if (dof === 0) return div(ss, 0);
  // forward Σd²/0 as above; the gradient divides by the negative dof instead
  return add(div(ss, 0).detach(), div(sub(ss, ss.detach()), dof));
}

/** std = √var; where it is 0 its gradient is 0, as PyTorch masks it (not ∞·0 = NaN). */
export function std(
  x: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): Tensor {
  return stdOf('std', x, dim, unbiased, keepdim);
}

function stdOf(
  op: string,
  x: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): Tensor {
  const v = varianceOf(op, x, dim, unbiased, keepdim);
  if (!v.requiresGrad) return sqrt(v);
  const zero = v.eq(0);
  return where(zero, 0, sqrt(where(zero, 1, v)));
}

/**
 * varMean(x, dim?, unbiased?, keepdim?): [var, mean] with var's options (a pair, as
 * torch.var_mean); the mean is reduced as the variance is (keepdim alike).
 */
export function varMean(
  x: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): [Tensor, Tensor] {
  return withMean(x, varianceOf('var_mean', x, dim, unbiased, keepdim), dim, unbiased, keepdim);
}

/** stdMean(x, dim?, unbiased?, keepdim?): [std, mean], as torch.std_mean. */
export function stdMean(
  x: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): [Tensor, Tensor] {
  return withMean(x, stdOf('std_mean', x, dim, unbiased, keepdim), dim, unbiased, keepdim);
}

function withMean(
  x: Tensor,
  first: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): [Tensor, Tensor] {
  const a = varArgs('', dim, unbiased, keepdim);
  return [first, div(reduce('sum', x, a.dim, a.keepdim), reducedCount(x, a.dim))];
}

/** log Σ exp(x), stable: the max is subtracted first (and a max of ±inf is treated as 0). */
export function logsumexp(x: Tensor, dim: Dims, keepdim = false): Tensor {
  const xf = isFloating(x.dtype) ? x : cast(x, 'float32');
  const m = noGrad(() => {
    const mx = reduce('amax', xf, dim, true);
    return where(mx.abs().eq(Infinity), 0, mx);
  });
  const s = log(reduce('sum', exp(sub(xf, m)), dim, true));
  const out = add(s, m);
  return keepdim ? out : squeezeDims(out, normalizeDims(dim, x.ndim));
}

function squeezeDims(x: Tensor, dims: readonly number[]): Tensor {
  return x.reshape(x.shape.filter((_, i) => !dims.includes(i)));
}

/** norm(x, p = 2, dim?, keepdim = false): the vector p-norm (p may be ±Infinity or 0). */
export function norm(x: Tensor, p: number | 'fro' = 2, dim?: Dims | null, keepdim = false): Tensor {
  if (!isFloating(x.dtype))
    throw new DTypeError(`norm(): input dtype should be floating point, got ${x.dtype}`);
  return apply('norm', [x], {
    p: p === 'fro' ? 2 : p,
    dims: normalizeDims(dim ?? undefined, x.ndim),
    keepdim,
  });
}

export function all(x: Tensor, dim?: Dims | ReduceOptions | null, keepdim?: boolean): Tensor {
  const a = reduceArgs(dim, keepdim);
  return reduce('all', x, a.dim, a.keepdim);
}

export function any(x: Tensor, dim?: Dims | ReduceOptions | null, keepdim?: boolean): Tensor {
  const a = reduceArgs(dim, keepdim);
  return reduce('any', x, a.dim, a.keepdim);
}

/** cumsum's and cumprod's options: the dtype to cast the input to first (PyTorch's `dtype=`). */
export interface ScanOptions {
  readonly dtype?: DType;
}

/**
 * The input of cumsum or cumprod (`op`, PyTorch's kernel `kernel`): cast to opts.dtype first, as
 * PyTorch, or else integral and bool inputs to int32 (PyTorch: int64); bool results are refused.
 */
export function scanInput(op: string, kernel: string, x: Tensor, opts?: ScanOptions): Tensor {
  checkOptions(op, opts, ['dtype']);
  const dtype = opts?.dtype ?? sumDType(x.dtype);
  if (dtype === 'bool') throw notImplementedFor(kernel, dtype);
  return cast(x, dtype);
}

/** cumsum(x, dim, { dtype }?): the running sum along dim, the input cast to dtype first if given. */
export function cumsum(x: Tensor, dim: number, opts?: ScanOptions): Tensor {
  const input = scanInput('cumsum', 'cumsum_out_cpu', x, opts);
  return apply('cumsum', [input], { dim: normalizeDim(dim, x.ndim) });
}
