// Views and movement (reshape, permute, expand, slicing, flip, repeat, pad) and joining (cat, stack, split).
import { argsOrOptions, defineOptions, isOptionsObject, type OptionSchema } from '../options.js';
import { ArgumentError, IndexError, ShapeError } from '../errors.js';
import { apply } from '../ops/apply.js';
import { sumToShape } from '../ops/call.js';
import {
  inferShape,
  isContiguous,
  normalizeDim,
  numel,
  sameShape,
  shapeStr,
  viewStrides,
} from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isTensor } from '../tensor_class.js';
import { arange, full, tensor } from './creation.js';

const PAD = defineOptions<PadOptions>('pad', { mode: 'string', value: 'number' });

/** @internal The dims of x that `shape` broadcast up from, summed back down (used by backward). */
export { sumToShape };

/** Accepts both `f([2, 3])` and `f(2, 3)`. */
export function sizesFromArgs(args: readonly (number | readonly number[])[]): number[] {
  const first = args[0];
  return Array.isArray(first) ? [...(first as readonly number[])] : (args as number[]);
}

export function contiguous(x: Tensor): Tensor {
  return isContiguous(x._layout) ? x : apply('cast', [x], { dtype: x.dtype });
}

/** A copy that autograd sees through (torch.clone). */
export function clone(x: Tensor): Tensor {
  return apply('cast', [x], { dtype: x.dtype });
}

export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel());
  if (viewStrides(x._layout, target) === undefined) {
    throw new ShapeError(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
  }
  return sameShape(target, x.shape) ? x : apply('view', [x], { shape: target });
}

/** A view when the layout allows one, otherwise a contiguous copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel());
  if (sameShape(target, x.shape)) return x;
  const base = viewStrides(x._layout, target) === undefined ? contiguous(x) : x;
  return apply('view', [base], { shape: target });
}

/** A dim given positionally or as PyTorch's keyword ({ dim }); a number passes straight through. */
function dimOf(
  schema: OptionSchema<{ dim?: number }>,
  dim: number | { dim?: number },
  dflt: number,
) {
  return typeof dim === 'number'
    ? dim
    : (argsOrOptions(schema, ['dim'], [dim], undefined).dim ?? dflt);
}

const FLATTEN = defineOptions<{ startDim?: number; endDim?: number }>('flatten', {
  startDim: 'integer',
  endDim: 'integer',
});
const SQUEEZE = defineOptions<{ dim?: number | readonly number[] }>('squeeze', { dim: 'dims' });
const UNSQUEEZE = defineOptions<{ dim?: number }>('unsqueeze', { dim: 'integer' });
const CAT = defineOptions<{ dim?: number }>('cat', { dim: 'integer' });
const STACK = defineOptions<{ dim?: number }>('stack', { dim: 'integer' });
const SPLIT = defineOptions<{ dim?: number }>('split', { dim: 'integer' });
const CHUNK = defineOptions<{ dim?: number }>('chunk', { dim: 'integer' });

/** flatten(x, startDim = 0, endDim = -1), or flatten(x, { startDim, endDim }). */
export function flatten(
  x: Tensor,
  startOrOpts: number | { startDim?: number; endDim?: number } = 0,
  endArg = -1,
): Tensor {
  let [startDim, endDim] = [startOrOpts as number, endArg];
  if (typeof startOrOpts !== 'number') {
    const o = argsOrOptions(
      FLATTEN,
      ['startDim', 'endDim'],
      [startOrOpts, endArg === -1 ? undefined : endArg],
      undefined,
    );
    [startDim, endDim] = [o.startDim ?? 0, o.endDim ?? -1];
  }
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.ndim);
  const e = normalizeDim(endDim, x.ndim);
  if (s > e)
    throw new ArgumentError('flatten() has invalid args: start_dim cannot come after end_dim');
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normalizeDim(dim, x.ndim);
  const inner = inferShape(sizes, x.shape[d]!);
  return view(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

/** Removes size-1 dims: all of them, or those listed (others are left as they are). */
export function squeeze(
  x: Tensor,
  dimOrOpts?: number | readonly number[] | { dim?: number | readonly number[] },
): Tensor {
  const dim = isOptionsObject(dimOrOpts)
    ? argsOrOptions(SQUEEZE, ['dim'], [dimOrOpts], undefined).dim
    : (dimOrOpts as number | readonly number[] | undefined);
  if (dim === undefined)
    return reshape(
      x,
      x.shape.filter((s) => s !== 1),
    );
  const dims = (typeof dim === 'number' ? [dim] : dim).map((d) => normalizeDim(d, x.ndim));
  return reshape(
    x,
    x.shape.filter((s, i) => !(s === 1 && dims.includes(i))),
  );
}

/** @internal Removes one dim known to be of size 1. */
export function squeezeDim(x: Tensor, dim: number): Tensor {
  return squeeze(x, dim);
}

export function unsqueeze(x: Tensor, dim: number | { dim?: number }): Tensor {
  const d = normalizeDim(dimOf(UNSQUEEZE, dim, NaN), x.ndim + 1);
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new ShapeError(
      `permute(): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${x.ndim} is not equal to len(dims) = ${dims.length}`,
    );
  }
  const norm = dims.map((d) => normalizeDim(d, x.ndim));
  if (new Set(norm).size !== norm.length)
    throw new ShapeError('permute(): duplicate dims are not allowed.');
  if (norm.every((d, i) => d === i)) return x;
  return apply('permute', [x], { dims: norm });
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim === 0) return x;
  const a = normalizeDim(dim0, x.ndim);
  const b = normalizeDim(dim1, x.ndim);
  if (a === b) return x;
  const dims = x.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

/** t(): the transpose of a matrix; 0-d and 1-d tensors are returned as they are. */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2)
    throw new ShapeError(`t() expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/** expand(sizes): broadcast to a larger shape without copying; -1 keeps a dim's size. */
export function expand(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.ndim) {
    throw new ShapeError(
      `expand: the number of sizes provided (${sizes.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`,
    );
  }
  const lead = sizes.length - x.ndim;
  const target = sizes.map((s, i) => {
    if (s === -1) {
      if (i < lead)
        throw new ShapeError(
          `The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ${i}`,
        );
      return x.shape[i - lead]!;
    }
    return s;
  });
  if (sameShape(target, x.shape)) return x;
  return apply('expand', [x], { shape: target });
}

/** Python-style slice bounds along one dim: clamped, negatives counted from the end. */
export function slice(
  x: Tensor,
  dim: number,
  start?: number | null,
  end?: number | null,
  step = 1,
): Tensor {
  const d = normalizeDim(dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new ArgumentError('slice step must be positive');
  const size = x.shape[d]!;
  const clampBound = (v: number | null | undefined, dflt: number) => {
    if (v === null || v === undefined) return dflt;
    const w = v < 0 ? v + size : v;
    return Math.min(Math.max(w, 0), size);
  };
  const s = clampBound(start, 0);
  const e = Math.max(s, clampBound(end, size));
  if (s === 0 && e === size && step === 1) return x;
  return apply('slice', [x], { dim: d, start: s, end: e, step });
}

/** narrow(dim, start, length): the view x[..., start:start+length, ...]. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, x.ndim);
  const size = x.shape[d]!;
  const s = start < 0 ? start + size : start;
  if (s < 0 || s > size)
    throw new ShapeError(
      `start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`,
    );
  if (length < 0 || s + length > size)
    throw new ShapeError(`start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  return apply('slice', [x], { dim: d, start: s, end: s + length, step: 1 });
}

/** select(dim, index): the slice at one index, with that dim removed. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim(dim, x.ndim);
  const size = x.shape[d]!;
  if (index < -size || index >= size) {
    throw new ShapeError(
      `select(): index ${index} out of range for tensor of size ${shapeStr(x.shape)} at dimension ${d}`,
    );
  }
  const i = index < 0 ? index + size : index;
  return squeezeDim(apply('slice', [x], { dim: d, start: i, end: i + 1, step: 1 }), d);
}

/** indexSelect along dim with a 1-d integer index (gather with the index broadcast). */
export function indexSelect(x: Tensor, dim: number, index: Tensor | readonly number[]): Tensor {
  const idx = isTensor(index)
    ? index
    : tensor(index as number[], { dtype: 'int32', device: x.device });
  if (idx.dtype !== 'int32') {
    throw new ShapeError(`index_select(): Expected dtype int32 for index, got ${idx.dtype}`);
  }
  if (idx.ndim > 1) throw new ShapeError('index_select(): Index is supposed to be a vector');
  const d = normalizeDim(dim, x.ndim);
  checkIndexRange(idx, x.shape[d] ?? 1, () => new IndexError('index out of range in self'));
  if (x.ndim === 0) return apply('gather', [x, reshape(idx, [])], { dim: 0 });
  const n = idx.numel();
  const shaped = reshape(
    idx,
    x.shape.map((_, i) => (i === d ? n : 1)),
  );
  const outShape = x.shape.map((s, i) => (i === d ? n : s));
  return apply('gather', [x, expand(shaped, outShape)], { dim: d });
}

/**
 * Checks the values of an index tensor against [0, size), as PyTorch's gather, scatter,
 * index_select and embedding do (a negative index is an error there, unlike in x[...]).
 * NOTE: the gather/scatter primitives, like the C kernels, count a negative index from the end:
 * library code may pass one; user indices pass through here first. The check reads the index on
 * the host, so it is skipped on a backend that only reads asynchronously.
 */
export function checkIndexRange(
  index: Tensor,
  size: number,
  error: (value: number) => Error,
): void {
  if (index._backend.readSync === undefined || index.numel() === 0) return;
  const data = index.dataSync();
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= size) throw error(v);
  }
}

/** PyTorch's error for an index outside [0, size) of gather and scatter. */
export const indexOutOfBounds = (dim: number, size: number) => (v: number) =>
  new IndexError(`index ${v} is out of bounds for dimension ${dim} with size ${size}`);

/** gather(dim, index): out[i][j] = x[index[i][j]][j] for dim 0, and so on. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim(dim, x.ndim);
  if (index.dtype === 'int32') {
    const size = x.shape[d] ?? 1;
    checkIndexRange(index, size, indexOutOfBounds(d, size));
  }
  return apply('gather', [x, index], { dim: d });
}

export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const list = (typeof dims === 'number' ? [dims] : dims).map((dim) => normalizeDim(dim, x.ndim));
  list.forEach((d, i) => {
    if (list.indexOf(d) !== i)
      throw new ShapeError(`dim ${d} appears multiple times in the list of dims`);
  });
  let y = x;
  for (const d of list) {
    const n = x.shape[d] ?? 1;
    if (n <= 1) continue;
    y = indexSelect(y, d, arange(n - 1, -1, -1, { device: x.device }));
  }
  return y;
}

/** repeat(sizes): tiles the tensor, as torch.Tensor.repeat. */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.ndim) {
    throw new ShapeError(
      'Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor',
    );
  }
  const lead = sizes.length - x.ndim;
  const src = [...new Array<number>(lead).fill(1), ...x.shape];
  // View as [1, s0, 1, s1, ...], expand to [r0, s0, r1, s1, ...], then merge the pairs.
  const interleaved = src.flatMap((s) => [1, s]);
  const expanded = src.flatMap((s, i) => [sizes[i]!, s]);
  return reshape(
    expand(reshape(x, interleaved), expanded),
    src.map((s, i) => s * sizes[i]!),
  );
}

export function cat(tensors: readonly Tensor[], dimOrOpts: number | { dim?: number } = 0): Tensor {
  const dim = dimOf(CAT, dimOrOpts, 0);
  if (tensors.length === 0)
    throw new ShapeError('torch.cat(): expected a non-empty list of Tensors');
  // PyTorch skips 1-d empty tensors (legacy behaviour) when others have more dims.
  const list = tensors.filter((t) => !(t.ndim === 1 && t.numel() === 0));
  const parts = list.length > 0 ? list : [tensors[0]!];
  const ref = parts[0]!;
  if (ref.ndim === 0)
    throw new ShapeError('zero-dimensional tensor (at position 0) cannot be concatenated');
  const d = normalizeDim(dim, ref.ndim);
  parts.forEach((p, k) => {
    if (p.ndim !== ref.ndim) {
      throw new ShapeError(
        `Tensors must have same number of dimensions: got ${ref.ndim} and ${p.ndim}`,
      );
    }
    for (let i = 0; i < ref.ndim; i++) {
      if (i !== d && p.shape[i] !== ref.shape[i]) {
        throw new ShapeError(
          `Sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[i]} but got size ${p.shape[i]} for tensor number ${k} in the list.`,
        );
      }
    }
  });
  if (parts.length === 1) return parts[0]!;
  return apply('cat', parts, { dim: d });
}

export function stack(
  tensors: readonly Tensor[],
  dimOrOpts: number | { dim?: number } = 0,
): Tensor {
  const dim = dimOf(STACK, dimOrOpts, 0);
  if (tensors.length === 0) throw new ShapeError('stack expects a non-empty TensorList');
  const ref = tensors[0]!;
  tensors.forEach((p, k) => {
    if (!sameShape(p.shape, ref.shape)) {
      throw new ShapeError(
        `stack expects each tensor to be equal size, but got ${shapeStr(ref.shape)} at entry 0 and ${shapeStr(p.shape)} at entry ${k}`,
      );
    }
  });
  const d = normalizeDim(dim, ref.ndim + 1);
  return cat(
    tensors.map((p) => unsqueeze(p, d)),
    d,
  );
}

/** split(sizeOrSections, dim): views of equal size (the last may be smaller), or of the listed sizes. */
export function split(
  x: Tensor,
  sizeOrSections: number | readonly number[],
  dim: number | { dim?: number } = 0,
): Tensor[] {
  const d = normalizeDim(dimOf(SPLIT, dim, 0), x.ndim);
  const size = x.shape[d]!;
  let sections: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0) {
      throw new ArgumentError(`split_size must be a positive integer, but got ${sizeOrSections}`);
    }
    sections = [];
    for (let at = 0; at < size; at += sizeOrSections)
      sections.push(Math.min(sizeOrSections, size - at));
    if (sections.length === 0) sections.push(0);
  } else {
    sections = [...sizeOrSections];
    const total = sections.reduce((a, b) => a + b, 0);
    if (total !== size) {
      throw new ShapeError(
        `split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${d}), but got split_sizes=${shapeStr(sections)}`,
      );
    }
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sections) {
    out.push(narrow(x, d, at, s));
    at += s;
  }
  return out;
}

/** chunk(chunks, dim): at most `chunks` views of size ceil(n / chunks). */
export function chunk(
  x: Tensor,
  chunks: number,
  dimOrOpts: number | { dim?: number } = 0,
): Tensor[] {
  const dim = dimOf(CHUNK, dimOrOpts, 0);
  if (!Number.isInteger(chunks) || chunks <= 0)
    throw new ArgumentError(`chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const d = normalizeDim(dim, x.ndim);
  const size = x.shape[d]!;
  return split(x, Math.max(1, Math.ceil(size / chunks)), d);
}

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';
const PAD_MODES: readonly string[] = ['constant', 'reflect', 'replicate', 'circular'];

export interface PadOptions {
  readonly mode?: PadMode;
  readonly value?: number;
}

/**
 * The source index along one dim for each padded position, for the non-constant modes. Negative
 * pads crop: position i runs from -before to size + after. Circular padding wraps around what is
 * left after the crop, as PyTorch's _pad_circular copies from the cropped output.
 */
function padIndex(
  size: number,
  before: number,
  after: number,
  mode: Exclude<PadMode, 'constant'>,
): number[] {
  const out: number[] = [];
  const keepStart = Math.max(0, -before);
  const kept = size - keepStart - Math.max(0, -after);
  for (let i = -before; i < size + after; i++) {
    let j: number;
    if (mode === 'replicate') j = Math.min(Math.max(i, 0), size - 1);
    else if (mode === 'circular') j = keepStart + ((((i - keepStart) % kept) + kept) % kept);
    else {
      const period = 2 * (size - 1);
      j = period === 0 ? 0 : ((i % period) + period) % period;
      if (j >= size) j = period - j;
    }
    out.push(j);
  }
  return out;
}

/** PyTorch's narrow inside constant_pad_nd, with its errors. */
function padCrop(y: Tensor, d: number, start: number, length: number): Tensor {
  const size = y.shape[d]!;
  if (start !== size && (start < -size || start >= size)) {
    throw new IndexError(
      `Dimension out of range (expected to be in range of [${-size}, ${size - 1}], but got ${start})`,
    );
  }
  if (length < 0 || start > size - length)
    throw new ShapeError(`start (${start}) + length (${length}) exceeds dimension size (${size}).`);
  return apply('slice', [y], { dim: d, start, end: start + length, step: 1 });
}

/** F.pad's constant mode, as PyTorch's constant_pad_nd: negative pads crop, then the rest pads. */
function constantPad(x: Tensor, pads: readonly number[], value: number): Tensor {
  const k = pads.length / 2;
  const dimOf = (i: number) => x.ndim - 1 - i;
  let y = x;
  // The outermost padded dim first, its front then its back, as PyTorch narrows.
  for (let i = k - 1; i >= 0; i--) {
    const d = dimOf(i);
    const [before, after] = [pads[2 * i]!, pads[2 * i + 1]!];
    if (before < 0) y = padCrop(y, d, -before, y.shape[d]! + before);
    if (after < 0) y = padCrop(y, d, 0, y.shape[d]! + after);
  }
  if (pads.every((p) => p <= 0)) return y;
  for (let i = k - 1; i >= 0; i--) {
    const d = dimOf(i);
    const [before, after] = [pads[2 * i]!, pads[2 * i + 1]!];
    if (x.shape[d]! + before + after <= 0) {
      throw new ShapeError(
        `The input size ${x.shape[d]}, plus negative padding ${before} and ${after} resulted in a negative output size, which is invalid. Check dimension ${d} of your input.`,
      );
    }
  }
  for (let i = 0; i < k; i++) {
    const d = dimOf(i);
    const before = Math.max(0, pads[2 * i]!);
    const after = Math.max(0, pads[2 * i + 1]!);
    if (before === 0 && after === 0) continue;
    const shape = y.shape.map((v, j) => (j === d ? v + before + after : v));
    const filled = full(shape, value, { dtype: y.dtype, device: y.device });
    y = apply('sliceScatter', [filled, y], {
      dim: d,
      start: before,
      end: before + y.shape[d]!,
      step: 1,
    });
  }
  return y;
}

/**
 * The checks of PyTorch's reflection/replication/circular pads (in their words and order; the
 * messages depend on how many dims are padded, as PyTorch has one kernel for each).
 */
function checkModePad(
  x: Tensor,
  pads: readonly number[],
  mode: Exclude<PadMode, 'constant'>,
): void {
  const k = pads.length / 2;
  const dimOf = (i: number) => x.ndim - 1 - i;
  const sizes = Array.from({ length: k }, (_, i) => x.shape[dimOf(i)]!);
  const outs = sizes.map((v, i) => v + pads[2 * i]! + pads[2 * i + 1]!);
  if (mode === 'circular') {
    for (let i = k - 1; i >= 0; i--) {
      const [before, after] = [pads[2 * i]!, pads[2 * i + 1]!];
      // NOTE: PyTorch wraps from the cropped data; a pad longer than what the crop leaves reads
      // memory it never wrote (garbage), so nabla refuses it as wrapping around more than once.
      const kept = sizes[i]! - Math.max(0, -before) - Math.max(0, -after);
      const overRaw = before > sizes[i]! || after > sizes[i]!;
      if (overRaw) throw new ArgumentError('Padding value causes wrapping around more than once.');
      if (outs[i]! < 0)
        throw new ShapeError('Negative padding value is resulting in an empty dimension');
      if (before > kept || after > kept)
        throw new ArgumentError('Padding value causes wrapping around more than once.');
    }
    return;
  }
  if (mode === 'reflect') {
    for (let i = 0; i < k; i++) {
      const [before, after] = [pads[2 * i]!, pads[2 * i + 1]!];
      if (before >= sizes[i]! || after >= sizes[i]!) {
        const input = k === 2 ? String(x.ndim) : shapeStr(x.shape);
        throw new ArgumentError(
          `Argument #${4 + 2 * i}: Padding size should be less than the corresponding input dimension, but got: padding (${before}, ${after}) at dimension ${dimOf(i)} of input ${input}`,
        );
      }
    }
  }
  if (outs.every((v) => v < 1)) {
    const [w, h, d] = sizes;
    const [ow, oh, od] = outs;
    const reflect = mode === 'reflect';
    if (k === 1) {
      throw new ShapeError(
        reflect
          ? `2input (W: ${w})is too small. Calculated output W: ${ow}`
          : `input (W: ${w}) is too small. Calculated output W: ${ow}`,
      );
    }
    if (k === 2) {
      throw new ShapeError(
        `input (H: ${h}, W: ${w}${reflect ? ')is' : ' ) is'} too small. Calculated output H: ${oh} W: ${ow}`,
      );
    }
    if (k === 3) {
      throw new ShapeError(
        `input (D: ${d} H: ${h}, W: ${w}) is too small. Calculated output D: ${od} H: ${oh} W: ${ow}`,
      );
    }
    throw new ShapeError(`input ${shapeStr(x.shape)} is too small for padding ${shapeStr(pads)}`);
  }
  if (outs.some((v) => v < 0)) {
    if (mode === 'reflect' && k === 2)
      throw new ShapeError('numel: integer multiplication overflow');
    const shape = x.shape.map((v, j) => (j >= x.ndim - k ? outs[x.ndim - 1 - j]! : v));
    throw new ShapeError(
      `Trying to create tensor with negative dimension ${shape.find((v) => v < 0)}: ${shapeStr(shape)}`,
    );
  }
}

/**
 * F.pad: `pads` lists (before, after) pairs starting from the last dim, as PyTorch does.
 * Negative pads crop, in every mode, as PyTorch 1.13's kernels do.
 */
export function pad(x: Tensor, pads: readonly number[], opts?: PadOptions): Tensor {
  PAD.check(opts);
  if (pads.length % 2 !== 0) throw new ArgumentError('Padding length must be divisible by 2');
  if (pads.length / 2 > x.ndim) throw new ArgumentError('Padding length too large');
  const mode = opts?.mode ?? 'constant';
  if (!PAD_MODES.includes(mode)) throw new ArgumentError(`Unrecognised padding mode ${mode}`);
  if (mode === 'constant') return constantPad(x, pads, opts?.value ?? 0);
  if (opts?.value !== undefined && opts.value !== 0)
    throw new ArgumentError(`Padding mode "${mode}" doesn't take in value argument`);
  checkModePad(x, pads, mode);
  let y = x;
  for (let k = 0; k < pads.length / 2; k++) {
    const d = x.ndim - 1 - k;
    const before = pads[2 * k]!;
    const after = pads[2 * k + 1]!;
    if (before === 0 && after === 0) continue;
    const idx = padIndex(y.shape[d]!, before, after, mode);
    y = indexSelect(y, d, tensor(idx, { dtype: 'int32', device: y.device }));
  }
  return y;
}
