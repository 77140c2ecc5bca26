// Indexing: scatter/scatterAdd/scatterReduce, maskedFill/maskedSelect, nonzero, oneHot, and x.index(...) (PyTorch's x[...]).
import { checkScalarArg, defineOptions } from '../options.js';
import { allocArray, checkedScalar } from '../dtype.js';
import { ArgumentError, DTypeError, IndexError, ShapeError } from '../errors.js';
import { apply } from '../ops/apply.js';
import type { ScatterReduction } from '../primitives.js';
import { broadcastShapes, normalizeDim, numel, shapeStr } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isTensor } from '../tensor_class.js';
import { arange, fromArray, scalarTensor, tensor } from './creation.js';
import { cast, eq, where, type TensorOrScalar } from './elementwise.js';
import {
  checkIndexRange,
  expand,
  indexOutOfBounds,
  indexSelect,
  permute,
  reshape,
  select,
  slice,
  unsqueeze,
} from './shape_ops.js';

function assertIndex(index: Tensor, op: string): void {
  if (index.dtype !== 'int32')
    throw new DTypeError(`${op}(): Expected dtype int32 for index, got ${index.dtype}`);
}

/** scatter's index checks: int32, and every value in [0, size) along dim (no wrapping). */
function scatterIndex(x: Tensor, dim: number, index: Tensor, op: string): number {
  assertIndex(index, op);
  const d = normalizeDim(dim, x.ndim);
  const size = x.shape[d] ?? 1;
  checkIndexRange(index, size, indexOutOfBounds(d, size));
  return d;
}

function sourceFor(x: Tensor, index: Tensor, src: TensorOrScalar): Tensor {
  if (isTensor(src)) return src.dtype === x.dtype ? src : cast(src, x.dtype);
  return expand(scalarTensor(src, x.dtype, x.device), index.shape);
}

/** scatter(dim, index, src): a copy of x with src written at the indexed positions. */
export function scatter(x: Tensor, dim: number, index: Tensor, src: TensorOrScalar): Tensor {
  const d = scatterIndex(x, dim, index, 'scatter');
  return apply('scatter', [x, index, sourceFor(x, index, src)], { dim: d });
}

/** scatterAdd(dim, index, src): a copy of x with src added at the indexed positions. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = scatterIndex(x, dim, index, 'scatter_add');
  return apply('scatterAdd', [x, index, sourceFor(x, index, src)], { dim: d });
}

export interface ScatterReduceOptions {
  /** Whether x's own values take part in the reduction (default true). */
  readonly includeSelf?: boolean;
}

const SCATTER_REDUCE = defineOptions<ScatterReduceOptions>('scatterReduce', {
  includeSelf: 'boolean',
});

const REDUCTIONS: readonly ScatterReduction[] = ['sum', 'prod', 'mean', 'amax', 'amin'];

/**
 * scatterReduce(dim, index, src, reduce, { includeSelf = true }): a copy of x with each src element
 * reduced ('sum', 'prod', 'mean', 'amax' or 'amin') into the position its index picks; with
 * includeSelf false the values of x at those positions are left out of the reduction.
 */
export function scatterReduce(
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor,
  reduce: ScatterReduction,
  opts?: ScatterReduceOptions,
): Tensor {
  SCATTER_REDUCE.check(opts);
  if (!REDUCTIONS.includes(reduce)) {
    throw new ArgumentError('reduce argument must be either sum, prod, mean, amax or amin.');
  }
  const d = scatterIndex(x, dim, index, 'scatter_reduce');
  return apply('scatterReduce', [x, index, sourceFor(x, index, src)], {
    dim: d,
    reduce,
    includeSelf: opts?.includeSelf ?? true,
  });
}

function assertMask(mask: Tensor, op: string): void {
  if (mask.dtype !== 'bool') {
    throw new DTypeError(
      `${op} only supports boolean masks, but got mask with dtype ${mask.dtype}`,
    );
  }
}

/** maskedFill(mask, value): value where mask is true; keeps x's dtype. */
export function maskedFill(x: Tensor, mask: Tensor, value: TensorOrScalar): Tensor {
  checkScalarArg('maskedFill', 'value', value);
  assertMask(mask, 'masked_fill_');
  const v = isTensor(value)
    ? value
    : scalarTensor(checkedScalar(Number(value), x.dtype), x.dtype, x.device);
  if (v.ndim !== 0) {
    throw new ShapeError(
      `masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ${v.ndim} dimension(s).`,
    );
  }
  return where(mask, cast(v, x.dtype), x);
}

/** nonzero(): the indices of non-zero elements, as an int32 tensor [n, ndim]. */
export function nonzero(x: Tensor): Tensor {
  const data = x.dataSync();
  const hits: number[] = [];
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) hits.push(i);
  const nd = x.ndim;
  const out = allocArray('int32', hits.length * nd);
  hits.forEach((flat, k) => {
    let rem = flat;
    for (let d = nd - 1; d >= 0; d--) {
      const s = x.shape[d]!;
      out[k * nd + d] = rem % s;
      rem = Math.floor(rem / s);
    }
  });
  return fromArray(out, [hits.length, nd], 'int32', { device: x.device });
}

/** maskedSelect(mask): the elements where mask is true, as a 1-d tensor. */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  assertMask(mask, 'masked_select');
  const shape = broadcastShapes(x.shape, mask.shape);
  const flatX = reshape(expand(x, shape), [-1]);
  const flatMask = reshape(expand(mask, shape), [-1]);
  const idx = reshape(nonzero(flatMask), [-1]);
  return indexSelect(flatX, 0, idx);
}

/** oneHot(index, numClasses = max + 1): an int32 tensor with a trailing class dim. */
export function oneHot(index: Tensor, numClasses = -1): Tensor {
  assertIndex(index, 'one_hot');
  let n = numClasses;
  const data = index.dataSync();
  let max = -1;
  for (let i = 0; i < data.length; i++) {
    if (data[i]! < 0) throw new IndexError('Class values must be non-negative.');
    max = Math.max(max, data[i]!);
  }
  if (n === -1) n = max + 1;
  else if (max >= n) throw new IndexError('Class values must be smaller than num_classes.');
  const classes = arange(n, { device: index.device });
  return cast(eq(unsqueeze(index, -1), classes), 'int32');
}

/**
 * One entry of x.index(...): an integer, a slice string ('1:3', '::2', ':'), '...', null for a new
 * axis, or an integer/boolean tensor or array for advanced indexing.
 */
export type IndexSpec = number | string | null | Tensor | readonly number[] | readonly boolean[];

interface SliceSpec {
  readonly start: number | null;
  readonly stop: number | null;
  readonly step: number;
}

function parseSlice(s: string): SliceSpec {
  const parts = s.split(':');
  if (parts.length < 2 || parts.length > 3) throw new ArgumentError(`invalid slice '${s}'`);
  const num = (p: string | undefined): number | null => {
    if (p === undefined || p.trim() === '') return null;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new ArgumentError(`invalid slice '${s}'`);
    return v;
  };
  const step = num(parts[2]) ?? 1;
  if (step <= 0) throw new ArgumentError('step must be greater than zero');
  return { start: num(parts[0]), stop: num(parts[1]), step };
}

function toIndexTensor(
  spec: Tensor | readonly number[] | readonly boolean[],
  device: string,
): Tensor {
  if (isTensor(spec)) {
    if (spec.dtype !== 'int32' && spec.dtype !== 'bool') {
      throw new IndexError('tensors used as indices must be long, int, byte or bool tensors');
    }
    return spec;
  }
  const isBool = spec.length > 0 && typeof spec[0] === 'boolean';
  return tensor(spec as number[], { dtype: isBool ? 'bool' : 'int32', device });
}

/** Checks an integer index tensor against a dim's size and wraps negatives (host-side). */
function normalizedIndex(idx: Tensor, size: number, dim: number): Int32Array {
  const data = idx.dataSync() as Int32Array;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < -size || v >= size)
      throw new IndexError(`index ${v} is out of bounds for dimension ${dim} with size ${size}`);
    out[i] = v < 0 ? v + size : v;
  }
  return out;
}

/** x.index(...specs): PyTorch's x[...], basic indexing as views and advanced indexing as a gather. */
export function index(x: Tensor, ...specs: IndexSpec[]): Tensor {
  const consumed = (s: IndexSpec) => {
    if (s === null || s === '...') return 0;
    if (isTensor(s)) return s.dtype === 'bool' ? s.ndim : 1;
    if (Array.isArray(s) && s.length > 0 && typeof s[0] === 'boolean') return 1;
    return 1;
  };
  const ellipses = specs.filter((s) => s === '...').length;
  if (ellipses > 1) throw new IndexError('an index can only have a single ellipsis');
  const used = specs.reduce((n: number, s) => n + consumed(s), 0);
  if (used > x.ndim) throw new IndexError(`too many indices for tensor of dimension ${x.ndim}`);
  const expanded: IndexSpec[] = [];
  for (const s of specs) {
    if (s === '...') for (let i = 0; i < x.ndim - used; i++) expanded.push(':');
    else expanded.push(s);
  }
  let y = x;
  let d = 0;
  const advanced: { dim: number; index: Tensor }[] = [];
  for (const s of expanded) {
    if (s === null) {
      y = unsqueeze(y, d);
      d++;
    } else if (typeof s === 'number') {
      const size = y.shape[d]!;
      if (!Number.isInteger(s) || s < -size || s >= size) {
        throw new IndexError(`index ${s} is out of bounds for dimension ${d} with size ${size}`);
      }
      y = select(y, d, s);
    } else if (typeof s === 'string') {
      const sl = parseSlice(s === ':' ? '::' : s);
      y = slice(y, d, sl.start, sl.stop, sl.step);
      d++;
    } else {
      const idx = toIndexTensor(s, x.device);
      if (idx.dtype === 'bool') {
        for (let k = 0; k < idx.ndim; k++) {
          if (idx.shape[k] !== y.shape[d + k]) {
            throw new IndexError(
              `The shape of the mask ${shapeStr(idx.shape)} at index ${k} does not match the shape of the indexed tensor ${shapeStr(y.shape)} at index ${d + k}`,
            );
          }
        }
        const nz = nonzero(idx);
        for (let k = 0; k < idx.ndim; k++) advanced.push({ dim: d + k, index: select(nz, 1, k) });
        d += idx.ndim;
      } else {
        advanced.push({ dim: d, index: idx });
        d++;
      }
    }
  }
  if (advanced.length === 0) return y;
  return advancedIndex(y, advanced);
}

function advancedIndex(y: Tensor, advanced: readonly { dim: number; index: Tensor }[]): Tensor {
  const dims = advanced.map((a) => a.dim);
  const bshape = broadcastShapes(...advanced.map((a) => a.index.shape));
  const adjacent = dims.every((v, i) => i === 0 || v === dims[i - 1]! + 1);
  const rest = y.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const moved = permute(y, [...dims, ...rest]);
  const sizes = dims.map((dm) => y.shape[dm]!);
  // Linear index into the flattened advanced dims, checked on the host before combining.
  const n = numel(bshape);
  const linear = new Int32Array(n);
  let stride = 1;
  for (let k = advanced.length - 1; k >= 0; k--) {
    const a = advanced[k]!;
    const idx = normalizedIndex(expand(a.index, bshape).contiguous(), sizes[k]!, a.dim);
    for (let i = 0; i < n; i++) linear[i]! += idx[i]! * stride;
    stride *= sizes[k]!;
  }
  const restShape = rest.map((i) => y.shape[i]!);
  const flat = reshape(moved, [stride, ...restShape]);
  const picked = indexSelect(flat, 0, fromArray(linear, [n], 'int32', { device: y.device }));
  const out = reshape(picked, [...bshape, ...restShape]);
  const first = dims[0]!;
  if (!adjacent || first === 0) return out;
  // Adjacent advanced dims keep their place: move the broadcast dims back to position `first`.
  const nb = bshape.length;
  const order = [
    ...restShape.slice(0, first).map((_, i) => nb + i),
    ...bshape.map((_, i) => i),
    ...restShape.slice(first).map((_, i) => nb + first + i),
  ];
  return permute(out, order);
}
