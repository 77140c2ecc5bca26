// Reductions: sum, mean, prod, max/min (with indices), argmax, var/std, logsumexp, norm, all/any, cumsum.
import { isFloating, notImplementedFor, type DType } from '../dtype.js';
import { DTypeError, IndexError, OptionError } from '../errors.js';
import {
  argsAfterOptions,
  defineOptions,
  DTYPE,
  isOptionsObject,
  oneOf,
  type OptionSchema,
  type Spec,
} from '../options.js';
import { apply } from '../ops/apply.js';
import type { ReducePrimitive } from '../primitives.js';
import { normalizeDim, normalizeDims } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad } from '../autograd/grad_mode.js';
import { add, cast, div, exp, log, sqrt, sub, where } from './elementwise.js';
import { squeezeDim } from './shape_ops.js';

export type Dims = number | readonly number[];

export interface ReduceOptions {
  readonly dim?: Dims;
  readonly keepdim?: boolean;
}

const REDUCE_SPEC: Spec<ReduceOptions> = { dim: ['dims', 'null'], keepdim: 'boolean' };
const MEAN = defineOptions<ReduceOptions>('mean', REDUCE_SPEC);
const AMAX = defineOptions<ReduceOptions>('amax', REDUCE_SPEC);
const AMIN = defineOptions<ReduceOptions>('amin', REDUCE_SPEC);
const ALL = defineOptions<ReduceOptions>('all', REDUCE_SPEC);
const ANY = defineOptions<ReduceOptions>('any', REDUCE_SPEC);

/** Reads PyTorch's (dim?, keepdim?) arguments, also given as one options object (checked by `schema`). */
export function reduceArgs(
  schema: OptionSchema<ReduceOptions>,
  dim?: Dims | ReduceOptions | null,
  keepdim?: boolean,
): { dim: Dims | undefined; keepdim: boolean } {
  if (isOptionsObject(dim)) {
    const o = schema.checkGiven(dim);
    if (keepdim !== undefined) throw argsAfterOptions(schema.name);
    return { dim: o.dim ?? undefined, keepdim: o.keepdim ?? false };
  }
  schema.checkArg('dim', dim);
  schema.checkArg('keepdim', keepdim);
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

const SUM_SPEC: Spec<SumOptions> = { ...REDUCE_SPEC, dtype: DTYPE };
const SUM = defineOptions<SumOptions>('sum', SUM_SPEC);
const PROD = defineOptions<SumOptions>('prod', SUM_SPEC);

/**
 * Reads (dim?, keepdim?, { dtype }?), (dim, { keepdim?, dtype? }) or ({ dim, keepdim, dtype }),
 * checked by `schema`: the input cast, dims and keepdim.
 */
function sumArgs(
  schema: OptionSchema<SumOptions>,
  x: Tensor,
  dim: Dims | SumOptions | null | undefined,
  keepdim: boolean | SumOptions | undefined,
  opts: SumOptions | undefined,
) {
  if (isOptionsObject(dim)) {
    if (keepdim !== undefined || opts !== undefined) throw argsAfterOptions(schema.name);
    const o = schema.checkGiven(dim);
    const input = cast(x, o.dtype ?? sumDType(x.dtype));
    return { input, dim: o.dim ?? undefined, keepdim: o.keepdim ?? false };
  }
  schema.checkArg('dim', dim);
  let rest: SumOptions = {};
  if (isOptionsObject(keepdim)) {
    if (opts !== undefined) throw argsAfterOptions(schema.name);
    rest = schema.checkGiven(keepdim);
  } else {
    schema.checkArg('keepdim', keepdim);
    if (opts !== undefined) rest = schema.checkGiven(opts);
    if (keepdim !== undefined && rest.keepdim !== undefined)
      throw multipleValues(schema, 'keepdim');
  }
  if (rest.dim !== undefined && dim !== undefined && dim !== null)
    throw multipleValues(schema, 'dim');
  const input = cast(x, rest.dtype ?? sumDType(x.dtype));
  const keep = typeof keepdim === 'boolean' ? keepdim : rest.keepdim;
  return { input, dim: rest.dim ?? dim ?? undefined, keepdim: keep ?? false };
}

/** Python's error for an argument given both positionally and as a keyword. */
export function multipleValues(schema: OptionSchema<unknown>, key: string): OptionError {
  return new OptionError(`${schema.name}() got multiple values for argument '${key}'`);
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
  const a = sumArgs(SUM, x, dim, keepdim, opts);
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
  const a = reduceArgs(MEAN, dim, keepdim);
  return div(reduce('sum', x, a.dim, a.keepdim), reducedCount(x, a.dim));
}

/** prod(x, dim?, keepdim?, { dtype }?), with dtype as sum's. */
export function prod(
  x: Tensor,
  dim?: Dims | SumOptions | null,
  keepdim?: boolean | SumOptions,
  opts?: SumOptions,
): Tensor {
  const a = sumArgs(PROD, x, dim, keepdim, opts);
  return reduce('prod', a.input, a.dim, a.keepdim);
}

/** amax: the maximum over dims; the gradient is shared evenly among ties. */
export function amax(x: Tensor, dim?: Dims | ReduceOptions | null, keepdim?: boolean): Tensor {
  const a = reduceArgs(AMAX, dim, keepdim);
  return reduce('amax', x, a.dim, a.keepdim);
}

export function amin(x: Tensor, dim?: Dims | ReduceOptions | null, keepdim?: boolean): Tensor {
  const a = reduceArgs(AMIN, dim, keepdim);
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

/** argmax/argmin/max/min/logsumexp's (dim, keepdim) as PyTorch's keywords. */
export interface DimKeepdimOptions {
  readonly dim?: number | null;
  readonly keepdim?: boolean;
}

const DIM_KEEPDIM: Spec<DimKeepdimOptions> = { dim: ['integer', 'null'], keepdim: 'boolean' };
const ARGMAX = defineOptions<DimKeepdimOptions>('argmax', DIM_KEEPDIM);
const ARGMIN = defineOptions<DimKeepdimOptions>('argmin', DIM_KEEPDIM);
const MAX_DIM = defineOptions<DimKeepdimOptions>('max', DIM_KEEPDIM);
const MIN_DIM = defineOptions<DimKeepdimOptions>('min', DIM_KEEPDIM);
const LOGSUMEXP = defineOptions<{ dim?: Dims; keepdim?: boolean }>('logsumexp', {
  dim: 'dims',
  keepdim: 'boolean',
});

/** (dim, keepdim) given positionally, or as one options object in dim's place. */
function dimKeepdim<D>(
  schema: OptionSchema<{ dim?: D | null; keepdim?: boolean }>,
  dim: D | null | undefined | { dim?: D | null; keepdim?: boolean },
  keepdim: boolean | undefined,
): { dim: D | undefined; keepdim: boolean } {
  if (isOptionsObject(dim) && !Array.isArray(dim)) {
    if (keepdim !== undefined) throw argsAfterOptions(schema.name);
    const o = schema.checkGiven(dim);
    return { dim: o.dim ?? undefined, keepdim: o.keepdim ?? false };
  }
  schema.checkArg('dim', dim);
  schema.checkArg('keepdim', keepdim);
  return { dim: (dim ?? undefined) as D | undefined, keepdim: keepdim ?? false };
}

export function argmax(
  x: Tensor,
  dim?: number | null | DimKeepdimOptions,
  keepdim?: boolean,
): Tensor {
  const a = dimKeepdim(ARGMAX, dim, keepdim);
  return argReduce('argmax', x, a.dim, a.keepdim);
}

export function argmin(
  x: Tensor,
  dim?: number | null | DimKeepdimOptions,
  keepdim?: boolean,
): Tensor {
  const a = dimKeepdim(ARGMIN, dim, keepdim);
  return argReduce('argmin', x, a.dim, a.keepdim);
}

/** max(x, dim, keepdim) or max(x, { dim, keepdim }): the values and indices along dim. */
export function maxDimOf(x: Tensor, dim: number | DimKeepdimOptions, keepdim?: boolean) {
  const a = dimKeepdim(MAX_DIM, dim, keepdim);
  if (a.dim === undefined) throw new IndexError("max(): missing option 'dim'");
  return maxDim(x, a.dim, a.keepdim);
}

/** min(x, dim, keepdim) or min(x, { dim, keepdim }). */
export function minDimOf(x: Tensor, dim: number | DimKeepdimOptions, keepdim?: boolean) {
  const a = dimKeepdim(MIN_DIM, dim, keepdim);
  if (a.dim === undefined) throw new IndexError("min(): missing option 'dim'");
  return minDim(x, a.dim, a.keepdim);
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

const VAR_SPEC: Spec<VarOptions> = {
  dim: ['dims', 'null'],
  keepdim: 'boolean',
  unbiased: 'boolean',
  correction: 'number',
};
const VAR = defineOptions<VarOptions>('var', VAR_SPEC);
const STD = defineOptions<VarOptions>('std', VAR_SPEC);
const VAR_MEAN = defineOptions<VarOptions>('varMean', VAR_SPEC);
const STD_MEAN = defineOptions<VarOptions>('stdMean', VAR_SPEC);

function varArgs(
  schema: OptionSchema<VarOptions>,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
) {
  let opts: VarOptions;
  if (isOptionsObject(dim)) {
    opts = schema.checkGiven(dim);
    if (unbiased !== undefined || keepdim !== undefined) throw argsAfterOptions(schema.name);
  } else {
    schema.checkArg('dim', dim);
    opts = { ...(dim !== null && dim !== undefined ? { dim: dim as Dims } : {}) };
    if (isOptionsObject(unbiased)) {
      opts = { ...opts, ...schema.checkGiven(unbiased) };
      if (keepdim !== undefined) throw argsAfterOptions(schema.name);
    } else {
      schema.checkArg('unbiased', unbiased);
      schema.checkArg('keepdim', keepdim);
      if (unbiased !== undefined) opts = { ...opts, unbiased };
      if (keepdim !== undefined) opts = { ...opts, keepdim };
    }
  }
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  return { dim: opts.dim ?? undefined, keepdim: opts.keepdim ?? false, correction };
}

/** var(x, dim?, unbiased = true, keepdim = false), two-pass around the mean. */
export function variance(
  x: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): Tensor {
  return varianceOf(VAR, x, dim, unbiased, keepdim);
}

function varianceOf(
  schema: OptionSchema<VarOptions>,
  x: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): Tensor {
  if (!isFloating(x.dtype)) {
    throw new DTypeError(
      schema === VAR_MEAN || schema === STD_MEAN
        ? `${schema === VAR_MEAN ? 'var_mean' : 'std_mean'} only support floating point and complex dtypes`
        : `std and var only support floating point dtypes, got ${x.dtype}`,
    );
  }
  const a = varArgs(schema, dim, unbiased, keepdim);
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
  return stdOf(STD, x, dim, unbiased, keepdim);
}

function stdOf(
  schema: OptionSchema<VarOptions>,
  x: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): Tensor {
  const v = varianceOf(schema, x, dim, unbiased, keepdim);
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
  return withMean(x, varianceOf(VAR_MEAN, x, dim, unbiased, keepdim), dim, unbiased, keepdim);
}

/** stdMean(x, dim?, unbiased?, keepdim?): [std, mean], as torch.std_mean. */
export function stdMean(
  x: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): [Tensor, Tensor] {
  return withMean(x, stdOf(STD_MEAN, x, dim, unbiased, keepdim), dim, unbiased, keepdim);
}

function withMean(
  x: Tensor,
  first: Tensor,
  dim?: Dims | VarOptions | null,
  unbiased?: boolean | VarOptions,
  keepdim?: boolean,
): [Tensor, Tensor] {
  const a = varArgs(VAR_MEAN, dim, unbiased, keepdim);
  return [first, div(reduce('sum', x, a.dim, a.keepdim), reducedCount(x, a.dim))];
}

/** log Σ exp(x), stable: the max is subtracted first (and a max of ±inf is treated as 0). */
export function logsumexp(
  x: Tensor,
  dimOrOpts: Dims | { dim?: Dims; keepdim?: boolean },
  keepdimArg?: boolean,
): Tensor {
  const a = dimKeepdim(LOGSUMEXP, dimOrOpts, keepdimArg);
  if (a.dim === undefined) throw new IndexError("logsumexp(): missing option 'dim'");
  const [dim, keepdim] = [a.dim, a.keepdim];
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

/** norm's arguments as PyTorch's keywords. */
export interface NormOptions {
  readonly p?: number | 'fro';
  readonly dim?: Dims | null;
  readonly keepdim?: boolean;
}

const NORM = defineOptions<NormOptions>('norm', {
  p: oneOf(['number'], 'fro'),
  dim: ['dims', 'null'],
  keepdim: 'boolean',
});

/**
 * norm(x, p = 2, dim?, keepdim = false), or norm(x, { p, dim, keepdim }): the vector p-norm (p
 * may be ±Infinity or 0).
 */
export function norm(
  x: Tensor,
  pOrOpts: number | 'fro' | NormOptions = 2,
  dim?: Dims | null,
  keepdim = false,
): Tensor {
  let p: number | 'fro';
  if (isOptionsObject(pOrOpts)) {
    if (dim !== undefined || keepdim) throw argsAfterOptions('norm');
    const o = NORM.checkGiven(pOrOpts);
    [p, dim, keepdim] = [o.p ?? 2, o.dim, o.keepdim ?? false];
  } else {
    [p] = [pOrOpts];
    NORM.checkArg('p', p);
    NORM.checkArg('dim', dim);
    NORM.checkArg('keepdim', keepdim);
  }
  if (!isFloating(x.dtype))
    throw new DTypeError(`norm(): input dtype should be floating point, got ${x.dtype}`);
  return apply('norm', [x], {
    p: p === 'fro' ? 2 : p,
    dims: normalizeDims(dim ?? undefined, x.ndim),
    keepdim,
  });
}

export function all(
  x: Tensor,
  dim?: Dims | ReduceOptions | null,
  keepdim?: boolean,
): Tensor<'bool'> {
  const a = reduceArgs(ALL, dim, keepdim);
  return reduce('all', x, a.dim, a.keepdim) as Tensor<'bool'>;
}

export function any(
  x: Tensor,
  dim?: Dims | ReduceOptions | null,
  keepdim?: boolean,
): Tensor<'bool'> {
  const a = reduceArgs(ANY, dim, keepdim);
  return reduce('any', x, a.dim, a.keepdim) as Tensor<'bool'>;
}

/** cumsum's and cumprod's keywords: PyTorch's dim and the dtype to cast the input to first. */
export interface ScanOptions {
  readonly dim?: number;
  readonly dtype?: DType;
}

export const SCAN_SPEC: Spec<ScanOptions> = { dim: 'integer', dtype: DTYPE };
const CUMSUM = defineOptions<ScanOptions>('cumsum', SCAN_SPEC);

/**
 * The keywords of (dim, opts?) or ({ dim, ... }), checked by `schema`: undefined for a bare dim
 * (the hot path checks and allocates nothing). Refuses dim given both ways, or options followed
 * by more arguments; the caller refuses a missing dim.
 */
export function dimKeywords<T extends { readonly dim?: number }>(
  schema: OptionSchema<T>,
  dim: number | T,
  opts: T | undefined,
): T | undefined {
  if (typeof dim === 'number') {
    if (opts === undefined) return undefined;
    const o = schema.checkGiven(opts);
    if (o.dim !== undefined) throw multipleValues(schema, 'dim');
    return o;
  }
  if (opts !== undefined) throw argsAfterOptions(schema.name);
  return schema.checkGiven(dim);
}

/**
 * The input of cumsum or cumprod (PyTorch's kernel `kernel`): cast to dtype first if given, as
 * PyTorch, or else integral and bool inputs to int32 (PyTorch: int64); bool results are refused.
 */
export function scanInput(kernel: string, x: Tensor, dtype: DType | undefined): Tensor {
  const to = dtype ?? sumDType(x.dtype);
  if (to === 'bool') throw notImplementedFor(kernel, to);
  return cast(x, to);
}

/**
 * cumsum(x, dim, { dtype }?) or cumsum(x, { dim, dtype }): the running sum along dim, the input
 * cast to dtype first if given.
 */
export function cumsum(x: Tensor, dim: number | ScanOptions, opts?: ScanOptions): Tensor {
  const o = dimKeywords(CUMSUM, dim, opts);
  const d = typeof dim === 'number' ? dim : o?.dim;
  if (d === undefined) throw new IndexError("cumsum(): missing option 'dim'");
  const input = scanInput('cumsum_out_cpu', x, o?.dtype);
  return apply('cumsum', [input], { dim: normalizeDim(d, x.ndim) });
}
