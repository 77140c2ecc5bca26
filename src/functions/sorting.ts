// Sorting and selection: sort, argsort, topk, kthvalue, median, mode (the sort primitive + gather) and unique.
import { allocArray, isFloating } from '../dtype.js';
import { IndexError, ShapeError } from '../errors.js';
import { apply } from '../ops/apply.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromArray, full, scalarTensor } from './creation.js';
import { add, cast, eq, ne, sub, where } from './elementwise.js';
import type { ValuesIndices } from './reduction.js';
import { cat, narrow, permute, reshape, squeezeDim, transpose } from './shape_ops.js';
import { defineOptions, isOptionsObject, type OptionSchema, type Spec } from '../options.js';

function valuesIndices(values: Tensor, indices: Tensor): ValuesIndices {
  return Object.assign([values, indices] as const, { values, indices });
}

/** The values at `indices` along dim (a gather: each gradient goes back to its element). */
function pick(x: Tensor, dim: number, indices: Tensor): Tensor {
  return apply('gather', [x, indices], { dim });
}

/** The sort primitive's permutation of x along dim (stable, NaN the largest). */
function order(x: Tensor, dim: number, descending: boolean): Tensor {
  return apply('sort', [x], { dim, descending });
}

/** The dim's size (1 for a 0-d tensor, which PyTorch treats as one element along dim 0). */
const sizeAlong = (x: Tensor, dim: number): number => (x.ndim === 0 ? 1 : x.shape[dim]!);

export interface SortOptions {
  /** Defaults to the last dim. */
  readonly dim?: number;
  readonly descending?: boolean;
  /** Accepted for PyTorch's signature: nabla's sort is always stable (equal values keep their order). */
  readonly stable?: boolean;
}

const SORT_SPEC: Spec<SortOptions> = { dim: 'integer', descending: 'boolean', stable: 'boolean' };
const SORT = defineOptions<SortOptions>('sort', SORT_SPEC);
const ARGSORT = defineOptions<SortOptions>('argsort', SORT_SPEC);

function sortArgs(
  schema: OptionSchema<SortOptions>,
  dim: number | SortOptions | undefined,
  descending?: boolean,
) {
  if (isOptionsObject(dim)) {
    const o = schema.checkGiven(dim);
    return { dim: o.dim ?? -1, descending: o.descending ?? false };
  }
  schema.checkArg('dim', dim);
  schema.checkArg('descending', descending);
  return { dim: dim ?? -1, descending: descending ?? false };
}

/**
 * sort(x, dim = -1, descending = false): the sorted values and their indices (int32). Stable: equal
 * values keep their order, in both directions; NaN sorts as the largest value, as in PyTorch.
 */
export function sort(x: Tensor, dim?: number | SortOptions, descending?: boolean): ValuesIndices {
  const a = sortArgs(SORT, dim, descending);
  const d = normalizeDim(a.dim, x.ndim);
  const indices = order(x, d, a.descending);
  return valuesIndices(pick(x, d, indices), indices);
}

/** argsort(x, dim = -1, descending = false): the indices that sort x along dim (stable). */
export function argsort(x: Tensor, dim?: number | SortOptions, descending?: boolean): Tensor {
  const a = sortArgs(ARGSORT, dim, descending);
  return order(x, normalizeDim(a.dim, x.ndim), a.descending);
}

export interface TopkOptions {
  readonly dim?: number;
  /** The k largest (default) or the k smallest. */
  readonly largest?: boolean;
  /** Accepted for PyTorch's signature: the k values always come sorted. */
  readonly sorted?: boolean;
}

const TOPK = defineOptions<TopkOptions>('topk', {
  dim: 'integer',
  largest: 'boolean',
  sorted: 'boolean',
});

/**
 * topk(x, k, dim = -1, largest = true, sorted = true): the k largest (or smallest) values along dim
 * and their indices, in sorted order; NaN counts as the largest value.
 */
export function topk(
  x: Tensor,
  k: number,
  dim?: number | TopkOptions,
  largest?: boolean,
  sorted?: boolean,
): ValuesIndices {
  let o: TopkOptions;
  if (isOptionsObject(dim)) {
    o = TOPK.checkGiven(dim);
  } else {
    TOPK.checkArg('dim', dim);
    TOPK.checkArg('largest', largest);
    TOPK.checkArg('sorted', sorted);
    o = {
      ...(dim !== undefined ? { dim } : {}),
      ...(largest !== undefined ? { largest } : {}),
      ...(sorted !== undefined ? { sorted } : {}),
    };
  }
  const d = normalizeDim(o.dim ?? -1, x.ndim);
  const n = sizeAlong(x, d);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new IndexError('selected index k out of range');
  const all = order(x, d, o.largest ?? true);
  const indices = x.ndim === 0 || k === n ? all : narrow(all, d, 0, k);
  return valuesIndices(pick(x, d, indices), indices);
}

/** Values and indices with the selected dim dropped unless keepdim (a 0-d input stays 0-d). */
function selected(x: Tensor, d: number, indices: Tensor, keepdim: boolean): ValuesIndices {
  const values = pick(x, d, indices);
  if (keepdim || x.ndim === 0) return valuesIndices(values, indices);
  return valuesIndices(squeezeDim(values, d), squeezeDim(indices, d));
}

/**
 * kthvalue(x, k, dim = -1, keepdim = false): the k-th smallest value along dim (NaN the largest)
 * and its index; among equal values the one PyTorch's quickselect picks.
 */
export function kthvalue(x: Tensor, k: number, dim = -1, keepdim = false): ValuesIndices {
  const d = normalizeDim(dim, x.ndim);
  const n = sizeAlong(x, d);
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new IndexError(`kthvalue(): selected number k out of range for dimension ${d}`);
  }
  return selected(x, d, apply('kthIndex', [x], { dim: d, k }), keepdim);
}

function checkNonEmpty(op: string, x: Tensor, d: number): void {
  if (x.ndim > 0 && x.shape[d] === 0)
    throw new IndexError(`${op}(): Expected reduction dim ${d} to have non-zero size.`);
}

/**
 * The index (size 1 along d) of each line's lower median: the ⌊(n−1)/2⌋-th element of the stable
 * sort, or the first NaN where the line has one (the median of a line with NaN is NaN).
 */
function medianIndex(x: Tensor, d: number): Tensor {
  const sortedIdx = order(x, d, false);
  if (x.ndim === 0) return sortedIdx;
  const n = x.shape[d]!;
  const mid = narrow(sortedIdx, d, (n - 1) >> 1, 1);
  if (!isFloating(x.dtype)) return mid;
  // the NaNs sort last, in their order: the first of them sits at n − (their count)
  const nans = apply('sum', [cast(ne(x, x), 'int32')], { dims: [d], keepdim: true });
  const firstNan = pick(sortedIdx, d, where(eq(nans, 0), 0, sub(n, nans)));
  return where(eq(nans, 0), mid, firstNan);
}

/**
 * median(x): the lower median of all elements (NaN if any is NaN); its gradient is shared evenly
 * among the elements equal to it, as PyTorch's. median(x, dim, keepdim = false): the lower median
 * along dim and its index; the gradient goes to that index.
 */
export function median(x: Tensor): Tensor;
export function median(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function median(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  if (dim !== undefined) {
    const d = normalizeDim(dim, x.ndim);
    checkNonEmpty('median', x, d);
    return selected(x, d, medianIndex(x, d), keepdim);
  }
  if (x.numel() === 0) {
    // NaN, still recorded from x (its gradient is empty), as PyTorch's
    if (!isFloating(x.dtype)) return scalarTensor(Number.NaN, x.dtype, x.device);
    return add(apply('sum', [x], { dims: x.shape.map((_, i) => i), keepdim: false }), Number.NaN);
  }
  const flat = reshape(x, [-1]);
  const m = reshape(pick(flat, 0, medianIndex(flat, 0)), []).detach();
  if (!isFloating(x.dtype)) return m;
  // NOTE: the value is m exactly; amax over the elements equal to m (NaNs when m is NaN, counted
  // as 0 here and made NaN again by the added −0 / NaN) shares the gradient evenly among them.
  const isNan = ne(flat, flat);
  const equal = where(ne(m, m), isNan, eq(flat, m));
  const masked = where(equal, where(isNan, 0, flat), -Infinity);
  const shared = apply('amax', [masked], { dims: [0], keepdim: false });
  return add(shared, where(ne(m, m), Number.NaN, -0));
}

/**
 * mode(x, dim = -1, keepdim = false): the most frequent value along dim (the smallest of equally
 * frequent ones) and its index: the last occurrence of that value, as PyTorch's CPU kernel gives
 * for lines it sorts by insertion (up to 16 elements). Each NaN counts as a value of its own.
 */
export function mode(x: Tensor, dim = -1, keepdim = false): ValuesIndices {
  const d = normalizeDim(dim, x.ndim);
  checkNonEmpty('mode', x, d);
  if (x.ndim === 0) return selected(x, d, order(x, d, false), keepdim);
  // work along the last dim: the values in sorted order, runs of equal values, their lengths
  const xt = transpose(x, d, -1);
  const last = x.ndim - 1;
  const n = x.shape[d]!;
  const idx = order(xt, last, false);
  const s = pick(xt, last, idx);
  const lead = full([...s.shape.slice(0, -1), 1], true, { dtype: 'bool', device: x.device });
  const starts = cat([lead, ne(narrow(s, last, 1, n - 1), narrow(s, last, 0, n - 1))], last);
  const runId = sub(apply('cumsum', [cast(starts, 'int32')], { dim: last }), 1);
  const zeros = full(s.shape, 0, { dtype: 'int32', device: x.device });
  const ones = full(s.shape, 1, { dtype: 'int32', device: x.device });
  const lengths = apply('scatterAdd', [zeros, runId, ones], { dim: last });
  // the first longest run is the smallest value; its last element ends where its run ends
  const best = apply('argmax', [lengths], { dims: [last], keepdim: true });
  const ends = sub(apply('cumsum', [lengths], { dim: last }), 1);
  const at = pick(idx, last, pick(ends, last, best));
  return selected(x, d, transpose(at, d, -1), keepdim);
}

export interface UniqueOptions {
  /** Accepted for PyTorch's signature: the unique values always come sorted. */
  readonly sorted?: boolean;
  /** Also return, for each input element, the index of its value in the output. */
  readonly returnInverse?: boolean;
  /** Also return how often each unique value occurs. */
  readonly returnCounts?: boolean;
  /** Unique slices along this dim; undefined: unique elements of the flattened input. */
  readonly dim?: number;
}

const UNIQUE = defineOptions<UniqueOptions>('unique', {
  sorted: 'boolean',
  returnInverse: 'boolean',
  returnCounts: 'boolean',
  dim: 'integer',
});

/** The comparison of unique: ascending, NaN last; each NaN is distinct (see unique). */
function compareValues(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * unique(x, { sorted, returnInverse, returnCounts, dim }): the sorted unique elements (or slices
 * along dim), and with the flags the inverse indices and the counts (int32): the output alone, or
 * [output, inverse?, counts?] as PyTorch's tuple. Not differentiable (as in PyTorch).
 * NOTE: each NaN is a unique value of its own (PyTorch 1.13's CPU kernel mishandles NaN).
 */
export function unique(
  x: Tensor,
  opts: UniqueOptions & { readonly returnInverse: true; readonly returnCounts: true },
): [Tensor, Tensor, Tensor];
export function unique(
  x: Tensor,
  opts: UniqueOptions & ({ readonly returnInverse: true } | { readonly returnCounts: true }),
): [Tensor, Tensor];
export function unique(
  x: Tensor,
  opts?: UniqueOptions & { readonly returnInverse?: false; readonly returnCounts?: false },
): Tensor;
export function unique(x: Tensor, opts?: UniqueOptions): Tensor | Tensor[];
export function unique(x: Tensor, opts?: UniqueOptions): Tensor | Tensor[] {
  UNIQUE.check(opts);
  const dim = opts?.dim;
  const flat = dim === undefined;
  if (!flat && x.ndim === 0)
    throw new IndexError(`Dimension specified as ${dim} but tensor has no dimensions`);
  const d = flat ? 0 : normalizeDim(dim, x.ndim);
  if (!flat && x.shape[d] !== 0 && x.numel() === 0) {
    throw new ShapeError(
      "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied",
    );
  }
  // each slice along d (the other dims in their order) as a row of numbers; elements when flat
  const front = [d, ...x.shape.map((_, i) => i).filter((i) => i !== d)];
  const moved = flat
    ? reshape(x, [-1, 1])
    : reshape(permute(x, front).contiguous(), [x.shape[d]!, x.numel() / x.shape[d]! || 0]);
  const rows = moved.shape[0]!;
  const width = moved.shape[1]!;
  const data = moved.dataSync();
  // the rows' numbers, row after row, in float64
  const keys = Float64Array.from(data as ArrayLike<number>, Number);
  const cmp = (a: number, b: number): number => {
    for (let j = 0; j < width; j++) {
      const c = compareValues(keys[a * width + j]!, keys[b * width + j]!);
      if (c !== 0) return c;
    }
    return 0;
  };
  const same = (a: number, b: number): boolean => {
    // NaN !== NaN: every NaN is distinct
    for (let j = 0; j < width; j++) if (keys[a * width + j] !== keys[b * width + j]) return false;
    return true;
  };
  const sortedRows = Array.from({ length: rows }, (_, i) => i).sort(cmp);
  const firsts: number[] = [];
  const counts: number[] = [];
  const inverse = new Int32Array(rows);
  for (const i of sortedRows) {
    if (firsts.length === 0 || !same(firsts[firsts.length - 1]!, i)) {
      firsts.push(i);
      counts.push(0);
    }
    counts[counts.length - 1]!++;
    inverse[i] = firsts.length - 1;
  }
  const u = firsts.length;
  const values = allocArray(x.dtype, u * width);
  firsts.forEach((r, k) => {
    for (let j = 0; j < width; j++) values[k * width + j] = data[r * width + j]!;
  });
  const device = { device: x.device };
  let output: Tensor;
  if (flat) output = fromArray(values, [u], x.dtype, device);
  else {
    const rest = front.slice(1).map((i) => x.shape[i]!);
    const back = front.map((_, i) => front.indexOf(i));
    output = permute(fromArray(values, [u, ...rest], x.dtype, device), back).contiguous();
  }
  const result = [output];
  if (opts?.returnInverse) {
    result.push(fromArray(inverse, flat ? [...x.shape] : [rows], 'int32', device));
  }
  if (opts?.returnCounts) result.push(fromArray(Int32Array.from(counts), [u], 'int32', device));
  return result.length === 1 ? output : result;
}
