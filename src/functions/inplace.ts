// In-place ops (add_, mul_, addcdiv_, copy_, ...): compute, validate, write, bump the version, rebase history.
import { isGradEnabled } from '../autograd/grad_mode.js';
import { canCast } from '../dtype.js';
import { AutogradError, DTypeError, ShapeError } from '../errors.js';
import { kernelInputOf } from '../ops/apply.js';
import { sameShape, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { scalarTensor, zerosLike } from './creation.js';
import {
  add,
  cast,
  clamp,
  div,
  mul,
  sub,
  where,
  type AlphaOptions,
  type TensorOrScalar,
} from './elementwise.js';
import { clone, expand } from './shape_ops.js';

function checkLeaf(self: Tensor): void {
  if (isGradEnabled() && self.requiresGrad && self.isLeaf) {
    throw new AutogradError(
      'a leaf Variable that requires grad is being used in an in-place operation.',
    );
  }
}

/** Writes `result` into `self`; everything is checked before the first byte changes. */
function writeInto(self: Tensor, result: Tensor, castAllowed: boolean): Tensor {
  self._assertLive();
  if (!sameShape(result.shape, self.shape)) {
    throw new ShapeError(
      `output with shape ${shapeStr(self.shape)} doesn't match the broadcast shape ${shapeStr(result.shape)}`,
    );
  }
  if (!castAllowed && !canCast(result.dtype, self.dtype)) {
    throw new DTypeError(
      `result type ${result.dtype} can't be cast to the desired output type ${self.dtype}`,
    );
  }
  const recording = isGradEnabled() && result.requiresGrad;
  if (recording && self._base !== null) {
    throw new AutogradError(
      'in-place operations that record gradients are not supported on views; apply the op to the base tensor or use the out-of-place form',
    );
  }
  const src = recording && result.gradFn === null ? clone(result) : result;
  self._storage.backend.assign(kernelInputOf(self), kernelInputOf(src));
  self._storage.version++;
  if (recording) self._setHistory(src.gradFn!, src._outputNr);
  return self;
}

function inplace(self: Tensor, compute: () => Tensor): Tensor {
  checkLeaf(self);
  return writeInto(self, compute(), false);
}

export const add_ = (self: Tensor, other: TensorOrScalar, opts?: AlphaOptions): Tensor =>
  inplace(self, () => add(self, other, opts));
export const sub_ = (self: Tensor, other: TensorOrScalar, opts?: AlphaOptions): Tensor =>
  inplace(self, () => sub(self, other, opts));
export const mul_ = (self: Tensor, other: TensorOrScalar): Tensor =>
  inplace(self, () => mul(self, other));
export const div_ = (self: Tensor, other: TensorOrScalar): Tensor =>
  inplace(self, () => div(self, other));

export interface ValueOptions {
  readonly value?: number;
}

/** self + value · t1 · t2 */
export const addcmul_ = (self: Tensor, t1: Tensor, t2: Tensor, opts?: ValueOptions): Tensor =>
  inplace(self, () => add(self, mul(mul(t1, opts?.value ?? 1), t2)));

/** self + value · t1 / t2 */
export const addcdiv_ = (self: Tensor, t1: Tensor, t2: Tensor, opts?: ValueOptions): Tensor =>
  inplace(self, () => add(self, div(mul(t1, opts?.value ?? 1), t2)));

export const clamp_ = (
  self: Tensor,
  min?: TensorOrScalar | null,
  max?: TensorOrScalar | null,
): Tensor => inplace(self, () => clamp(self, min, max));

/** fill_(value): every element becomes value; the old values get no gradient. */
export function fill_(self: Tensor, value: TensorOrScalar): Tensor {
  checkLeaf(self);
  const v = value instanceof Tensor ? value : scalarTensor(value, self.dtype, self.device);
  if (v.ndim !== 0) {
    throw new ShapeError(
      `fill_ only supports 0-dimension value tensor but got tensor with ${v.ndim} dimensions.`,
    );
  }
  let r = expand(cast(v, self.dtype), self.shape);
  if (isGradEnabled() && self.requiresGrad) r = where(zerosLike(self, { dtype: 'bool' }), self, r);
  return writeInto(self, r, true);
}

export const zero_ = (self: Tensor): Tensor => fill_(self, 0);

/** copy_(src): copies src (broadcast, any dtype) into self. */
export function copy_(self: Tensor, src: Tensor): Tensor {
  checkLeaf(self);
  const r = expand(src, self.shape);
  return writeInto(self, r.requiresGrad && isGradEnabled() ? clone(cast(r, self.dtype)) : r, true);
}
