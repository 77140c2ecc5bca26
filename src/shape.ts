// Shapes, strides and views: broadcasting, dimension normalising, contiguity and reshape-as-view.
import { IndexError, ShapeError } from './errors.js';

export type Shape = readonly number[];

/** Where a tensor's elements live inside its storage: element i has offset + Σ index·stride. */
export interface View {
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  return strides;
}

export function contiguousView(shape: Shape): View {
  return { shape, strides: contiguousStrides(shape), offset: 0 };
}

/** True when the view walks its storage in row-major order with no gaps (size-1 dims are free). */
export function isContiguous(view: View): boolean {
  let expected = 1;
  for (let i = view.shape.length - 1; i >= 0; i--) {
    const size = view.shape[i]!;
    if (size === 1) continue;
    if (view.strides[i] !== expected) return false;
    expected *= size;
  }
  return true;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Normalises a possibly negative dim; 0-d tensors accept dims -1 and 0, as in PyTorch. */
export function normalizeDim(dim: number, ndim: number): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new IndexError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** Normalises a dim list (or all dims when undefined), rejecting repeats; returns them sorted. */
export function normalizeDims(
  dims: number | readonly number[] | undefined,
  ndim: number,
): number[] {
  if (dims === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out: number[] = [];
  for (const d of list) {
    const nd = ndim === 0 ? (normalizeDim(d, 0), -1) : normalizeDim(d, ndim);
    if (nd < 0) continue;
    if (out.includes(nd))
      throw new ShapeError(`dim ${nd} appears multiple times in the list of dims`);
    out.push(nd);
  }
  return out.sort((a, b) => a - b);
}

/** The broadcast of several shapes, with PyTorch's error naming the first mismatch. */
export function broadcastShapes(...shapes: Shape[]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k]!;
    for (let i = 0; i < s.length; i++) {
      const o = ndim - s.length + i;
      const a = out[o]!;
      const b = s[i]!;
      if (a === b || b === 1) continue;
      if (a === 1) {
        out[o] = b;
        continue;
      }
      throw new ShapeError(
        `The size of tensor a (${a}) must match the size of tensor b (${b}) at non-singleton dimension ${o}`,
      );
    }
  }
  return out;
}

/** A view of `view` broadcast to `shape` (stride 0 along the broadcast dims); no data moves. */
export function broadcastView(view: View, shape: Shape): View {
  if (sameShape(view.shape, shape)) return view;
  const lead = shape.length - view.shape.length;
  if (lead < 0)
    throw new ShapeError(`cannot broadcast ${shapeStr(view.shape)} to ${shapeStr(shape)}`);
  const strides = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < view.shape.length; i++) {
    const size = view.shape[i]!;
    const target = shape[lead + i]!;
    if (size === target) strides[lead + i] = view.strides[i]!;
    else if (size === 1) strides[lead + i] = 0;
    else
      throw new ShapeError(
        `The expanded size of the tensor (${target}) must match the existing size (${size}) at non-singleton dimension ${lead + i}.  Target sizes: ${shapeStr(shape)}.  Tensor sizes: ${shapeStr(view.shape)}`,
      );
  }
  return { shape, strides, offset: view.offset };
}

/** Resolves a -1 in a requested shape and checks the element count, in PyTorch's words. */
export function inferShape(requested: readonly number[], size: number): number[] {
  let infer = -1;
  let known = 1;
  for (let i = 0; i < requested.length; i++) {
    const s = requested[i]!;
    if (s === -1) {
      if (infer >= 0) throw new ShapeError('only one dimension can be inferred');
      infer = i;
    } else if (!Number.isInteger(s) || s < 0) {
      throw new ShapeError(`invalid shape dimension ${s}`);
    } else known *= s;
  }
  const out = [...requested];
  if (infer >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`shape '${shapeStr(requested)}' is invalid for input of size ${size}`);
    }
    out[infer] = size / known;
  } else if (known !== size) {
    throw new ShapeError(`shape '${shapeStr(requested)}' is invalid for input of size ${size}`);
  }
  return out;
}

/**
 * Strides that let `view` be seen with `newShape` without copying, or undefined when the
 * requested shape splits or merges dimensions that are not laid out contiguously.
 */
export function viewStrides(view: View, newShape: Shape): number[] | undefined {
  const oldShape = view.shape;
  const oldStrides = view.strides;
  if (numel(oldShape) === 0) return contiguousStrides(newShape);
  if (oldShape.length === 0) return new Array<number>(newShape.length).fill(1);
  const newStrides = new Array<number>(newShape.length).fill(0);
  // Walk chunks of old dims that are contiguous with each other, and match new dims against them.
  let viewD = newShape.length - 1;
  let chunkBaseStride = oldStrides[oldStrides.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
    tensorNumel *= oldShape[tensorD]!;
    const endOfChunk =
      tensorD === 0 ||
      (oldShape[tensorD - 1] !== 1 && oldStrides[tensorD - 1] !== tensorNumel * chunkBaseStride);
    if (endOfChunk) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return undefined;
      if (tensorD > 0) {
        chunkBaseStride = oldStrides[tensorD - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return undefined;
  return newStrides;
}

/** Checks an index against a dimension's size and wraps a negative one, in PyTorch's words. */
export function normalizeIndex(index: number, size: number, dim: number): number {
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new IndexError(`index ${index} is out of bounds for dimension ${dim} with size ${size}`);
  }
  return index < 0 ? index + size : index;
}

/** How many windows fit along one dim (PyTorch's div_rtn, i.e. a floor division). */
export function windowCount(size: number, k: number, d: number, p: number, s: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}
