// Walking strided views on the cpu backend: dimension coalescing, row iteration and strided copies.
import type { DType, TypedArray } from '../../dtype.js';
import type { Shape } from '../../shape.js';

/** A loop nest over several operands that share one shape, each with its own strides. */
export interface Walk {
  readonly shape: readonly number[];
  readonly strides: readonly (readonly number[])[];
}

/**
 * Drops size-1 dims and merges neighbours that every operand lays out contiguously, so that the
 * innermost loop is as long as possible. Always returns at least one dim.
 */
export function coalesce(shape: Shape, strides: readonly (readonly number[])[]): Walk {
  const k = strides.length;
  const outShape: number[] = [];
  const outStrides: number[][] = new Array<number[]>(k);
  for (let j = 0; j < k; j++) outStrides[j] = [];
  // NOTE: plain loops, no closures: this runs for every elementwise call on a small tensor.
  for (let i = 0; i < shape.length; i++) {
    const size = shape[i]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    let mergeable = last >= 0;
    for (let j = 0; j < k && mergeable; j++) {
      mergeable = outStrides[j]![last] === strides[j]![i]! * size;
    }
    if (mergeable) {
      outShape[last]! *= size;
      for (let j = 0; j < k; j++) outStrides[j]![last] = strides[j]![i]!;
    } else {
      outShape.push(size);
      for (let j = 0; j < k; j++) outStrides[j]!.push(strides[j]![i]!);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (let j = 0; j < k; j++) outStrides[j]!.push(0);
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Calls `row(offsets, n)` once per innermost row of the walk; `offsets[k]` is operand k's offset of
 * the row's first element, and the row has `n` elements at the walk's innermost strides.
 */
export function forEachRow(
  walk: Walk,
  start: readonly number[],
  row: (offsets: number[], n: number) => void,
): void {
  const { shape, strides } = walk;
  const inner = shape.length - 1;
  const n = shape[inner]!;
  if (n === 0) return;
  let rows = 1;
  for (let d = 0; d < inner; d++) rows *= shape[d]!;
  if (rows === 0) return;
  const k = start.length;
  const offs = start.slice();
  const idx = new Array<number>(inner).fill(0);
  for (let r = 0; r < rows; r++) {
    row(offs, n);
    for (let d = inner - 1; d >= 0; d--) {
      idx[d]!++;
      for (let j = 0; j < k; j++) offs[j]! += strides[j]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let j = 0; j < k; j++) offs[j]! -= strides[j]![d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** Whether strides lay `shape` out row-major without gaps (size-1 dims may have any stride). */
export function isDense(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    if (size !== 1 && strides[d] !== expected) return false;
    expected *= size;
  }
  return true;
}

/** Contiguous row-major strides. */
export function denseStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Copies a strided source into a strided destination of the same shape, converting dtypes. */
export function copyStrided(
  dst: TypedArray,
  dstDType: DType,
  dstStrides: readonly number[],
  dstOffset: number,
  src: TypedArray,
  srcStrides: readonly number[],
  srcOffset: number,
  shape: Shape,
): void {
  const walk = coalesce(shape, [dstStrides, srcStrides]);
  const ds = walk.strides[0]!;
  const ss = walk.strides[1]!;
  const dIn = ds[ds.length - 1]!;
  const sIn = ss[ss.length - 1]!;
  const toBool = dstDType === 'bool';
  forEachRow(walk, [dstOffset, srcOffset], (o, n) => {
    let d = o[0]!;
    let s = o[1]!;
    if (toBool) {
      for (let i = 0; i < n; i++, d += dIn, s += sIn) dst[d] = src[s] !== 0 ? 1 : 0;
    } else if (dIn === 1 && sIn === 1) {
      for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
    } else {
      for (let i = 0; i < n; i++, d += dIn, s += sIn) dst[d] = src[s]!;
    }
  });
}
