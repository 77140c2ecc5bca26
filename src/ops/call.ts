// The primitive-call layer: typed calls of apply() that backward rules are written with.
import { checkScalarArg } from '../options.js';
import { resultType, type DType, type Scalar } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import type { BinaryPrimitive, ParamsOf, Primitive, UnaryPrimitive } from '../primitives.js';
import { inferShape, normalizeDim, sameShape, viewStrides, isContiguous } from '../shape.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isTensor } from '../tensor_class.js';
import type { apply as applyFn } from './apply.js';
import { fromArray, full, scalarTensor } from './create.js';

// NOTE: backward rules sit below the public functions (src/functions/*), which call down into
// apply(); so they use these instead. Each makes the same apply() calls, with the same shortcuts
// (a no-op returns its input), as the public function of the same name, without its argument
// checking: backward rules only pass shapes and dims their forward already validated.

// NOTE: apply() dispatches through the op table, whose backward rules call apply() again: this
// module holds the one late-bound edge of that loop. apply.ts binds itself here when it loads, and
// no backward rule can run before some apply() has recorded its node.
let dispatch: typeof applyFn | undefined;

/** @internal Called once, by apply.ts. */
export function bindApply(fn: typeof applyFn): void {
  dispatch = fn;
}

/** apply() as backward rules call it. */
export function apply<P extends Primitive>(
  op: P,
  inputs: readonly Tensor[],
  params: ParamsOf<P>,
): Tensor {
  return dispatch!(op, inputs, params);
}

export type Operand = Tensor | Scalar;

/** Turns a scalar operand into a 0-d tensor of the dtype the operation will compute in. */
export function asTensor(x: Operand, others: readonly Operand[]): Tensor {
  if (isTensor(x)) return x;
  checkScalarArg('operand', 'other', x);
  const like = others.find((o): o is Tensor => isTensor(o));
  if (like === undefined) throw new ArgumentError('expected at least one tensor operand');
  return scalarTensor(x, resultType(others), like.device);
}

function binary(op: BinaryPrimitive, a: Operand, b: Operand): Tensor {
  const both = [a, b];
  return apply(op, [asTensor(a, both), asTensor(b, both)], {});
}

function unary(op: UnaryPrimitive, x: Tensor): Tensor {
  return apply(op, [x], {});
}

export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
export const pow = (a: Operand, b: Operand): Tensor => binary('pow', a, b);
export const eq = (a: Tensor, b: Operand): Tensor => binary('eq', a, b);
export const lt = (a: Tensor, b: Operand): Tensor => binary('lt', a, b);
export const le = (a: Tensor, b: Operand): Tensor => binary('le', a, b);
export const gt = (a: Tensor, b: Operand): Tensor => binary('gt', a, b);
export const ge = (a: Tensor, b: Operand): Tensor => binary('ge', a, b);
export const logicalAnd = (a: Tensor, b: Operand): Tensor => binary('logicalAnd', a, b);
export const neg = (x: Tensor): Tensor => unary('neg', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const sign = (x: Tensor): Tensor => unary('sign', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sin = (x: Tensor): Tensor => unary('sin', x);
export const cos = (x: Tensor): Tensor => unary('cos', x);

/** where(cond, a, b): a where cond is true, else b. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const ab = [a, b];
  return apply('where', [cond, asTensor(a, [...ab, cond]), asTensor(b, [...ab, cond])], {});
}

export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : apply('cast', [x], { dtype });
}

/** Zeros of `shape` on `device`. */
export function zeros(shape: Shape, dtype: DType, device: string): Tensor {
  return full(shape, 0, { dtype, device, requiresGrad: false });
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, t.dtype, t.device);
}

/** A view when the layout allows one, otherwise a contiguous copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel());
  if (sameShape(target, x.shape)) return x;
  const base =
    viewStrides(x._layout, target) === undefined && !isContiguous(x._layout)
      ? apply('cast', [x], { dtype: x.dtype })
      : x;
  return apply('view', [base], { shape: target });
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const norm = dims.map((d) => normalizeDim(d, x.ndim));
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

/** Broadcasts to `shape` (no -1 entries) without copying. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(shape, x.shape)) return x;
  return apply('expand', [x], { shape: [...shape] });
}

/** The view x[..., start:start+length, ...] along `dim` (start ≥ 0). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, x.ndim);
  return apply('slice', [x], { dim: d, start, end: start + length, step: 1 });
}

/** Reverses `dim` (a gather with the index n-1, ..., 0). */
export function flip(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.ndim);
  const n = x.shape[d] ?? 1;
  if (n <= 1) return x;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = n - 1 - i;
  const index = fromArray(idx, [n], 'int32', { device: x.device });
  const shaped = reshape(
    index,
    x.shape.map((_, i) => (i === d ? n : 1)),
  );
  return apply('gather', [x, expand(shaped, x.shape)], { dim: d });
}

/** Zero padding: `pads` lists non-negative (before, after) pairs starting from the last dim. */
export function padZeros(x: Tensor, pads: readonly number[]): Tensor {
  let y = x;
  for (let k = 0; k < pads.length / 2; k++) {
    const d = x.ndim - 1 - k;
    const before = pads[2 * k]!;
    const after = pads[2 * k + 1]!;
    if (before === 0 && after === 0) continue;
    // (the full-length narrow is kept so the graph is the one F.pad records)
    const cropped = narrow(y, d, 0, y.shape[d]!);
    const shape = cropped.shape.map((s, i) => (i === d ? s + before + after : s));
    const filled = full(shape, 0, { dtype: y.dtype, device: y.device });
    y = apply('sliceScatter', [filled, cropped], {
      dim: d,
      start: before,
      end: before + cropped.shape[d]!,
      step: 1,
    });
  }
  return y;
}

/** The dims of g that `shape` was broadcast along, summed back down to `shape`. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const summed = dims.length > 0 ? apply('sum', [g], { dims, keepdim: true }) : g;
  return reshape(summed, shape);
}
