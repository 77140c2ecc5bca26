// In-place ops (add_, mul_, addcdiv_, copy_, ...): compute, validate, write, bump the version, rebase history.
import { isGradEnabled } from '../autograd/grad_mode.js';
import { canCast, checkedScalar } from '../dtype.js';
import { AutogradError, DTypeError, ShapeError } from '../errors.js';
import { kernelInputOf } from '../ops/apply.js';
import { beforeWrite } from '../memory.js';
import { sameShape, shapeStr } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isTensor } from '../tensor_class.js';
import { fromArray, scalarTensor, zerosLike } from './creation.js';
import { allocArray, isFloating } from '../dtype.js';
import { defaultGenerator, fillNormal, fillUniform, type Generator } from '../random.js';
import {
  add,
  cast,
  clamp,
  div,
  mul,
  sub,
  where,
  type AlphaOptions,
  type ClampOptions,
  type DivOptions,
  type TensorOrScalar,
} from './elementwise.js';
import { argsOrOptions, checkScalarArg, defineOptions, isOptionsObject } from '../options.js';
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
  const dst = kernelInputOf(self);
  const from = kernelInputOf(src);
  beforeWrite(self._storage); // pending tensors that read self are computed first
  self._storage.backend.assign(dst, from);
  self._storage.version++;
  if (recording) self._setHistory(src.gradFn!, src._outputNr);
  return self;
}

function inplace(self: Tensor, compute: () => Tensor): Tensor {
  checkLeaf(self);
  return writeInto(self, compute(), false);
}

/**
 * What an op whose backward saves self reads: self, or (NOTE: as PyTorch's original_self) a recorded
 * copy of it when a gradient will flow, so that overwriting self cannot invalidate what was saved.
 */
function original(self: Tensor, ...others: (TensorOrScalar | null | undefined)[]): Tensor {
  const recording = isGradEnabled() && [self, ...others].some((t) => isTensor(t) && t.requiresGrad);
  return recording ? clone(self) : self;
}

export const add_ = (self: Tensor, other: TensorOrScalar, opts?: AlphaOptions): Tensor =>
  inplace(self, () => add(self, other, opts));
export const sub_ = (self: Tensor, other: TensorOrScalar, opts?: AlphaOptions): Tensor =>
  inplace(self, () => sub(self, other, opts));
export const mul_ = (self: Tensor, other: TensorOrScalar): Tensor =>
  inplace(self, () => mul(original(self, other), other));
export const div_ = (self: Tensor, other: TensorOrScalar, opts?: DivOptions): Tensor =>
  inplace(self, () => div(original(self, other), other, opts));

export interface ValueOptions {
  readonly value?: number;
}

const ADDCMUL_ = defineOptions<ValueOptions>('addcmul_', { value: 'number' });
const ADDCDIV_ = defineOptions<ValueOptions>('addcdiv_', { value: 'number' });

/** self + value · t1 · t2 */
export const addcmul_ = (self: Tensor, t1: Tensor, t2: Tensor, opts?: ValueOptions): Tensor =>
  inplace(self, () => add(self, mul(mul(t1, ADDCMUL_.check(opts)?.value ?? 1), t2)));

/** self + value · t1 / t2 */
export const addcdiv_ = (self: Tensor, t1: Tensor, t2: Tensor, opts?: ValueOptions): Tensor =>
  inplace(self, () => add(self, div(mul(t1, ADDCDIV_.check(opts)?.value ?? 1), t2)));

export const clamp_ = (
  self: Tensor,
  min?: TensorOrScalar | ClampOptions | null,
  max?: TensorOrScalar | null,
): Tensor => {
  const o = isOptionsObject(min) ? (min as ClampOptions) : null;
  const bounds = o === null ? [min as TensorOrScalar | null | undefined, max] : [o.min, o.max];
  return inplace(self, () => clamp(original(self, ...bounds), min, max));
};

/** fill_(value): every element becomes value; the old values get no gradient. */
export function fill_(self: Tensor, value: TensorOrScalar): Tensor {
  checkScalarArg('fill_', 'value', value);
  checkLeaf(self);
  const v = isTensor(value)
    ? value
    : scalarTensor(checkedScalar(Number(value), self.dtype), self.dtype, self.device);
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

export interface GeneratorOptions {
  readonly generator?: Generator;
}

/** uniform_'s bounds and generator, as PyTorch's keywords `from` and `to`. */
export interface UniformOptions extends GeneratorOptions {
  readonly from?: number;
  readonly to?: number;
}

/** normal_'s mean, standard deviation and generator, as PyTorch's keywords. */
export interface NormalOptions extends GeneratorOptions {
  readonly mean?: number;
  readonly std?: number;
}

const UNIFORM_ = defineOptions<UniformOptions>('uniform_', {
  from: 'number',
  to: 'number',
  generator: 'object',
});
const NORMAL_ = defineOptions<NormalOptions>('normal_', {
  mean: 'number',
  std: 'number',
  generator: 'object',
});

function randomFill(
  self: Tensor,
  op: 'uniform_' | 'normal_',
  fill: (a: Float32Array | Float64Array, gen: Generator) => void,
  opts?: GeneratorOptions,
): Tensor {
  checkLeaf(self);
  if (!isFloating(self.dtype))
    throw new DTypeError(`${op} expects a floating point tensor, got ${self.dtype}`);
  const arr = allocArray(self.dtype, self.numel()) as Float32Array | Float64Array;
  fill(arr, opts?.generator ?? defaultGenerator);
  return writeInto(self, fromArray(arr, self.shape, self.dtype, { device: self.device }), true);
}

/**
 * uniform_(from, to) or uniform_({ from, to, generator }): fills with draws from U(from, to), as
 * torch.Tensor.uniform_ draws them.
 */
export function uniform_(
  self: Tensor,
  from?: number | UniformOptions,
  to?: number,
  opts?: UniformOptions,
): Tensor {
  const o = argsOrOptions(UNIFORM_, ['from', 'to'], [from, to], opts);
  const [lo, hi] = [o.from ?? 0, o.to ?? 1];
  return randomFill(self, 'uniform_', (a, g) => fillUniform(a, lo, hi, g), o);
}

/**
 * normal_(mean, std) or normal_({ mean, std, generator }): fills with draws from N(mean, std²),
 * as torch.Tensor.normal_ draws them.
 */
export function normal_(
  self: Tensor,
  mean?: number | NormalOptions,
  std?: number,
  opts?: NormalOptions,
): Tensor {
  const o = argsOrOptions(NORMAL_, ['mean', 'std'], [mean, std], opts);
  const [m, s] = [o.mean ?? 0, o.std ?? 1];
  return randomFill(self, 'normal_', (a, g) => fillNormal(a, m, s, g), o);
}
