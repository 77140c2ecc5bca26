// Tensor: a view of backend storage plus autograd state; every method delegates to an op or function.
// NOTE: over 500 lines on purpose: one short method per PyTorch Tensor method, each a one-line delegation; splitting them would scatter the API.
import { argsAfterOptions, defineOptions, isOptionsObject, optionsOrArg } from './options.js';

const REQUIRES_GRAD_ = defineOptions<{ requiresGrad?: boolean }>('Tensor.requiresGrad_', {
  requiresGrad: 'boolean',
});
import { backward as runBackward, type BackwardOptions } from './autograd/engine.js';
import { AccumulateGrad, type GradHook, type Node, type RemovableHandle } from './autograd/node.js';
import { isDType, isFloating, type DType, type TypedArray } from './dtype.js';
import { ArgumentError, AutogradError, NablaError } from './errors.js';
import { formatTensor } from './format.js';
import * as C from './functions/creation.js';
import * as E from './functions/elementwise.js';
import * as I from './functions/indexing.js';
import * as IP from './functions/inplace.js';
import * as L from './functions/linalg.js';
import * as P from './functions/pointwise.js';
import * as R from './functions/reduction.js';
import * as S from './functions/shape_ops.js';
import * as SO from './functions/sorting.js';
import type { ScatterReduction } from './primitives.js';
import { softmax, logSoftmax, type SoftmaxOptions } from './functions/activation.js';
import * as Cl from './functions/closeness.js';
import * as Dg from './functions/diagonal.js';
import * as Sc from './functions/scan.js';
import * as Tl from './functions/tiling.js';
import {
  attachStorage,
  retrackTensor,
  trackPending,
  trackTensor,
  untrackTensor,
  type Storage,
} from './memory.js';
import type { Backend } from './backend/backend.js';
import { disposePending, materialize } from './ops/fusion.js';
import { copyToDevice, toDevice } from './functions/device.js';
import { getBackend } from './backend/registry.js';
import { registerTensorClass, type Pending } from './tensor_class.js';
import { isContiguous, normalizeDim, numel, type Shape, type View } from './shape.js';

type TensorOrScalar = Tensor | number | boolean;
type Dims = number | readonly number[];

/** A nested array of numbers (or booleans), as tolist() returns. */
export type NestedList = number | boolean | NestedList[];

/**
 * A tensor whose dtype is `D`. Plain `Tensor` (any dtype) is what most code writes and what most
 * ops return; ops that always make booleans (comparisons, logical ops, isnan, all/any, bool())
 * return `Tensor<'bool'>`, whose item() is typed boolean. A `Tensor<'bool'>` is a `Tensor`.
 */
export class Tensor<D extends DType = DType> {
  /** The data (null while pending; replaced only by _moveTo). */
  #storage: Storage | null;
  #backend: Backend;
  /**
   * @internal A fused expression not yet computed (src/ops/fusion.ts): the storage is made and
   * filled the first time anything touches it (_storage).
   */
  _pending: Pending | null = null;
  /** @internal The tensor whose storage this one views (null for a tensor that owns its data). */
  readonly _base: Tensor | null;
  /** @internal */ _outputNr = 0;
  /** @internal How many autograd nodes hold this tensor for their backward (SavedTensor). */
  _savedCount = 0;
  /**
   * @internal Made by library code that did not hand it out (memory.ts internalScope): only the
   * graph holds it, so it is disposed when the last node that saved it frees it.
   */
  _graphOwned = false;
  /** @internal keep(): exempt from every tidy() and internal scope. */
  _kept = false;
  /** @internal Seen by user code (a hook's argument): no internal scope frees it (memory.ts). */
  _escaped = false;
  #view: View;
  #dtype: D;
  #gradFn: Node | null = null;
  #requiresGrad = false;
  #accumulator: AccumulateGrad | null = null;
  #disposed = false;
  #retainsGrad = false;
  #grad: Tensor | null = null;
  /** .grad was made by backward() and has not been handed to any code outside the library. */
  #gradUnseen = false;

  /** The gradient accumulated by backward() (leaves, and non-leaves after retainGrad()). */
  get grad(): Tensor | null {
    this.#gradUnseen = false;
    return this.#grad;
  }

  set grad(g: Tensor | null) {
    this.#grad = g;
    this.#gradUnseen = false;
  }

  /** @internal .grad for the library's own use (the optimizers): reading it hands nothing out. */
  get _grad(): Tensor | null {
    return this.#grad;
  }

  /** @internal Stores a gradient that backward() made and nothing else holds. */
  _setOwnGrad(g: Tensor): void {
    this.#grad = g;
    this.#gradUnseen = true;
  }

  /**
   * @internal zeroGrad's setToNone: drops .grad. A gradient nothing outside the library has seen
   * is disposed at once, so its buffer serves the next backward (PyTorch frees it by refcount).
   */
  _dropGrad(): void {
    const g = this.#grad;
    this.#grad = null;
    if (g !== null && this.#gradUnseen) g.dispose();
    this.#gradUnseen = false;
  }

  private constructor(
    storage: Storage | null,
    view: View,
    dtype: D,
    base: Tensor | null,
    pending: Pending | null = null,
  ) {
    this.#storage = storage;
    this.#view = view;
    this.#dtype = dtype;
    this._base = base;
    if (pending !== null) {
      this._pending = pending;
      this.#backend = pending.backend;
      trackPending(this);
    } else {
      this.#backend = storage!.backend;
      trackTensor(this, storage!);
    }
  }

  /** @internal */
  static _create(storage: Storage, view: View, dtype: DType, base: Tensor | null): Tensor {
    return new Tensor(storage, view, dtype, base);
  }

  /** @internal A contiguous tensor whose data is `pending`'s result, computed on first touch. */
  static _createPending(view: View, dtype: DType, pending: Pending): Tensor {
    return new Tensor(null, view, dtype, null, pending);
  }

  /** @internal The storage holding the data; a pending tensor is computed first. */
  get _storage(): Storage {
    if (this._pending !== null) materialize(this);
    return this.#storage!;
  }

  /** @internal The backend the data lives on (or will: a pending tensor is not computed). */
  get _backend(): Backend {
    return this.#backend;
  }

  /** @internal Gives a pending tensor its computed storage (src/ops/fusion.ts). */
  _attach(storage: Storage): void {
    this._pending = null;
    this.#storage = storage;
    attachStorage(this, storage);
  }

  // ---- inspection ----

  get shape(): Shape {
    return this.#view.shape;
  }

  get dtype(): D {
    return this.#dtype;
  }

  get ndim(): number {
    return this.#view.shape.length;
  }

  /** The backend the data lives on ('cpu', 'wasm', ...). */
  get device(): string {
    return this.#backend.name;
  }

  /** @internal The tensor's shape, strides and offset into its storage. */
  get _layout(): View {
    return this.#view;
  }

  dim(): number {
    return this.ndim;
  }

  numel(): number {
    return numel(this.#view.shape);
  }

  /** size() is the shape; size(dim) one dimension of it. */
  size(): Shape;
  size(dim: number): number;
  size(dim?: number): Shape | number {
    return dim === undefined ? this.shape : this.shape[normalizeDim(dim, this.ndim)]!;
  }

  stride(): readonly number[];
  stride(dim: number): number;
  stride(dim?: number): readonly number[] | number {
    return dim === undefined
      ? this.#view.strides
      : this.#view.strides[normalizeDim(dim, this.ndim)]!;
  }

  storageOffset(): number {
    return this.#view.offset;
  }

  isContiguous(): boolean {
    return isContiguous(this.#view);
  }

  isFloatingPoint(): boolean {
    return isFloating(this.#dtype);
  }

  /** A contiguous copy of the data as a typed array (Uint8Array for bool). Synchronous backends only. */
  dataSync(): TypedArray {
    this._assertLive();
    const b = this._storage.backend;
    if (b.readSync === undefined) {
      throw new NablaError(
        `the ${b.name} backend cannot read synchronously here: use await tensor.data() (or await tensor.itemAsync())`,
      );
    }
    return b.readSync(this.#kernelView());
  }

  /** A contiguous copy of the data as a typed array; works on every backend. */
  async data(): Promise<TypedArray> {
    this._assertLive();
    return this._storage.backend.read(this.#kernelView());
  }

  /**
   * The value of a one-element tensor: a boolean for a bool tensor, a number otherwise. NOTE: typed
   * by the static dtype: a `Tensor<'bool'>` gives boolean, and any other `Tensor` number, so that
   * `total += loss.item()` compiles; a bool tensor typed as plain `Tensor` still returns a boolean.
   */
  item(this: Tensor<'bool'>): boolean;
  item(): number;
  item(): number | boolean {
    const n = this.numel();
    if (n !== 1)
      throw new ArgumentError(`a Tensor with ${n} elements cannot be converted to Scalar`);
    const v = this.dataSync()[0]!;
    return this.#dtype === 'bool' ? v !== 0 : v;
  }

  /**
   * item() that works on every backend: awaits the read where the backend cannot read
   * synchronously (webgpu in a browser). Portable code uses this and `await t.data()`.
   */
  async itemAsync(this: Tensor<'bool'>): Promise<boolean>;
  async itemAsync(): Promise<number>;
  async itemAsync(): Promise<number | boolean> {
    const n = this.numel();
    if (n !== 1)
      throw new ArgumentError(`a Tensor with ${n} elements cannot be converted to Scalar`);
    const v = (await this.data())[0]!;
    return this.#dtype === 'bool' ? v !== 0 : v;
  }

  /** tolist() that works on every backend (see itemAsync). */
  async tolistAsync(): Promise<NestedList> {
    return nest(await this.data(), this.shape, this.#dtype === 'bool');
  }

  /** The data as nested arrays (a number for a 0-d tensor). */
  tolist(): NestedList {
    return nest(this.dataSync(), this.shape, this.#dtype === 'bool');
  }

  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  #kernelView() {
    const v = this.#view;
    return {
      buffer: this._storage.buffer,
      dtype: this.#dtype,
      shape: v.shape,
      strides: v.strides,
      offset: v.offset,
    };
  }

  // ---- autograd state ----

  get requiresGrad(): boolean {
    return this.#gradFn !== null || this.#requiresGrad;
  }

  set requiresGrad(flag: boolean) {
    if (this.#gradFn !== null) {
      if (!flag) {
        throw new AutogradError(
          "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use varNoGrad = v.detach().",
        );
      }
      return;
    }
    if (flag && !isFloating(this.#dtype)) {
      throw new AutogradError(
        'only Tensors of floating point and complex dtype can require gradients',
      );
    }
    this.#requiresGrad = flag;
  }

  /** The node that produced this tensor (null for leaves): its name and nextFunctions describe the graph. */
  get gradFn(): Node | null {
    return this.#gradFn;
  }

  get isLeaf(): boolean {
    return this.#gradFn === null;
  }

  get retainsGrad(): boolean {
    return this.#retainsGrad;
  }

  /** @internal Makes this tensor the output `outputNr` of `node`. */
  _setHistory(node: Node, outputNr: number): void {
    this.#gradFn = node;
    this._outputNr = outputNr;
    this.#retainsGrad = false;
  }

  /** @internal The node a leaf's gradient flows into, created once and shared. */
  _gradAccumulator(): AccumulateGrad {
    this.#accumulator ??= new AccumulateGrad(this);
    return this.#accumulator;
  }

  /** requiresGrad_(flag = true), or requiresGrad_({ requiresGrad }). */
  requiresGrad_(flagOrOpts: boolean | { requiresGrad?: boolean } = true): this {
    this.requiresGrad =
      optionsOrArg(REQUIRES_GRAD_, 'requiresGrad', flagOrOpts)?.requiresGrad ?? true;
    return this;
  }

  /** Keeps .grad for a non-leaf tensor after backward (leaves always keep it). */
  retainGrad(): this {
    if (!this.requiresGrad)
      throw new AutogradError("can't retain_grad on Tensor that has requires_grad=False");
    if (this.isLeaf || this.#retainsGrad) return this;
    this.#retainsGrad = true;
    this.#gradFn!.setRetainer(this._outputNr, (g) => {
      const prev = this.grad;
      this.grad = prev === null ? g.detach().clone() : prev.detach().add(g.detach());
    });
    return this;
  }

  /** Registers a hook on this tensor's gradient; it may return a replacement gradient. */
  registerHook(hook: GradHook): RemovableHandle {
    if (!this.requiresGrad)
      throw new AutogradError("cannot register a hook on a tensor that doesn't require gradient");
    return this.#gradFn !== null
      ? this.#gradFn.addPreHook(this._outputNr, hook)
      : this._gradAccumulator().addPreHook(0, hook);
  }

  /** Computes the gradient of this tensor with respect to the graph's leaves, into their .grad. */
  /** backward(gradient?, { retainGraph, createGraph }), or backward({ retainGraph, ... }) alone. */
  backward(gradient?: Tensor | BackwardOptions | null, opts?: BackwardOptions): void {
    if (isOptionsObject(gradient)) {
      if (opts !== undefined) throw argsAfterOptions('Tensor.backward');
      runBackward(this, null, gradient as BackwardOptions);
    } else runBackward(this, gradient ?? null, opts);
  }

  /** A tensor sharing this one's data, cut from the graph. */
  detach(): Tensor {
    this._assertLive();
    return new Tensor(this._storage, this.#view, this.#dtype, this._base ?? this);
  }

  /** @internal A new tensor object over the same data and view, with no history. */
  _alias(): Tensor {
    this._assertLive();
    return new Tensor(this._storage, this.#view, this.#dtype, this._base);
  }

  /** Cuts this tensor from the graph in place, making it a leaf. */
  detach_(): this {
    if (this._base !== null && this.requiresGrad && this.#gradFn !== null) {
      throw new AutogradError("Can't detach views in-place. Use detach() instead.");
    }
    this.#gradFn = null;
    this.#requiresGrad = false;
    return this;
  }

  // ---- memory ----

  /** Frees the storage now (when no other view holds it); the tensor cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    if (this._pending !== null) disposePending(this);
    this.#disposed = true;
    if (this.#storage !== null) untrackTensor(this, this.#storage);
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** @internal */
  _assertLive(): void {
    if (this.#disposed) throw new NablaError('Tensor is disposed');
  }

  /** @internal ones with this tensor's shape, dtype and device. */
  _onesLike(): Tensor {
    return C.onesLike(this);
  }

  // ---- conversion ----

  /**
   * to(dtype), to(backend) or to({ dtype, device }), as PyTorch's `x.to(torch.float64)` and
   * `x.to('cuda')`: a backend name ('cpu', 'wasm', 'native') moves the data there. Returns this
   * tensor when nothing changes; otherwise a copy that autograd records.
   */
  to<T extends DType>(dtype: T): Tensor<T>;
  to(target: string | { readonly dtype?: DType; readonly device?: string }): Tensor;
  to(target: DType | string | { readonly dtype?: DType; readonly device?: string }): Tensor {
    const t =
      typeof target === 'string'
        ? isDType(target)
          ? { dtype: target }
          : { device: target }
        : target;
    let out = t.dtype !== undefined && t.dtype !== this.#dtype ? E.cast(this, t.dtype) : this;
    if (t.device !== undefined) out = toDevice(out, t.device);
    return out;
  }

  /**
   * @internal Moves this tensor's data to backend `device` in place, keeping the object (module.to
   * keeps its parameters' identity, as PyTorch assigns param.data): a contiguous copy there.
   */
  _moveTo(device: string): void {
    this._assertLive();
    if (getBackend(device).name === this.device) return;
    const moved = copyToDevice(this, device);
    const from = this._storage;
    retrackTensor(this, from, moved._storage);
    this.#storage = moved._storage;
    this.#backend = moved._backend;
    this.#view = moved._layout;
    moved.dispose();
  }

  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  int(): Tensor {
    return this.to('int32');
  }
  /** int32 stands in for PyTorch's int64. */
  long(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor<'bool'> {
    return this.to('bool');
  }
  clone(): Tensor {
    return S.clone(this);
  }
  contiguous(): Tensor {
    return S.contiguous(this);
  }

  // ---- elementwise ----

  add(other: TensorOrScalar, opts?: E.AlphaOptions): Tensor {
    return E.add(this, other, opts);
  }
  sub(other: TensorOrScalar, opts?: E.AlphaOptions): Tensor {
    return E.sub(this, other, opts);
  }
  mul(other: TensorOrScalar): Tensor {
    return E.mul(this, other);
  }
  div(other: TensorOrScalar, opts?: E.DivOptions): Tensor {
    return E.div(this, other, opts);
  }
  pow(exponent: TensorOrScalar): Tensor {
    return E.pow(this, exponent);
  }
  maximum(other: TensorOrScalar): Tensor {
    return E.maximum(this, other);
  }
  minimum(other: TensorOrScalar): Tensor {
    return E.minimum(this, other);
  }
  eq(other: TensorOrScalar): Tensor<'bool'> {
    return E.eq(this, other);
  }
  ne(other: TensorOrScalar): Tensor<'bool'> {
    return E.ne(this, other);
  }
  lt(other: TensorOrScalar): Tensor<'bool'> {
    return E.lt(this, other);
  }
  le(other: TensorOrScalar): Tensor<'bool'> {
    return E.le(this, other);
  }
  gt(other: TensorOrScalar): Tensor<'bool'> {
    return E.gt(this, other);
  }
  ge(other: TensorOrScalar): Tensor<'bool'> {
    return E.ge(this, other);
  }
  logicalAnd(other: TensorOrScalar): Tensor<'bool'> {
    return E.logicalAnd(this, other);
  }
  logicalOr(other: TensorOrScalar): Tensor<'bool'> {
    return E.logicalOr(this, other);
  }
  logicalXor(other: TensorOrScalar): Tensor<'bool'> {
    return E.logicalXor(this, other);
  }
  logicalNot(): Tensor<'bool'> {
    return E.logicalNot(this);
  }
  neg(): Tensor {
    return E.neg(this);
  }
  abs(): Tensor {
    return E.abs(this);
  }
  sign(): Tensor {
    return E.sign(this);
  }
  exp(): Tensor {
    return E.exp(this);
  }
  log(): Tensor {
    return E.log(this);
  }
  log1p(): Tensor {
    return E.log1p(this);
  }
  expm1(): Tensor {
    return E.expm1(this);
  }
  sqrt(): Tensor {
    return E.sqrt(this);
  }
  rsqrt(): Tensor {
    return E.rsqrt(this);
  }
  sin(): Tensor {
    return E.sin(this);
  }
  cos(): Tensor {
    return E.cos(this);
  }
  tanh(): Tensor {
    return E.tanh(this);
  }
  sigmoid(): Tensor {
    return E.sigmoid(this);
  }
  erf(): Tensor {
    return E.erf(this);
  }
  relu(): Tensor {
    return E.relu(this);
  }
  floor(): Tensor {
    return E.floor(this);
  }
  ceil(): Tensor {
    return E.ceil(this);
  }
  round(): Tensor {
    return E.round(this);
  }
  square(): Tensor {
    return E.square(this);
  }
  reciprocal(): Tensor {
    return E.reciprocal(this);
  }
  trunc(): Tensor {
    return P.trunc(this);
  }
  fix(): Tensor {
    return P.trunc(this);
  }
  isnan(): Tensor<'bool'> {
    return P.isnan(this);
  }
  isinf(): Tensor<'bool'> {
    return P.isinf(this);
  }
  isfinite(): Tensor<'bool'> {
    return P.isfinite(this);
  }
  tan(): Tensor {
    return P.tan(this);
  }
  asin(): Tensor {
    return P.asin(this);
  }
  acos(): Tensor {
    return P.acos(this);
  }
  atan(): Tensor {
    return P.atan(this);
  }
  atan2(other: TensorOrScalar): Tensor {
    return P.atan2(this, other);
  }
  sinh(): Tensor {
    return P.sinh(this);
  }
  cosh(): Tensor {
    return P.cosh(this);
  }
  asinh(): Tensor {
    return P.asinh(this);
  }
  acosh(): Tensor {
    return P.acosh(this);
  }
  atanh(): Tensor {
    return P.atanh(this);
  }
  log2(): Tensor {
    return P.log2(this);
  }
  log10(): Tensor {
    return P.log10(this);
  }
  exp2(): Tensor {
    return P.exp2(this);
  }
  lerp(end: Tensor, weight: Tensor | number): Tensor {
    return P.lerp(this, end, weight);
  }
  copysign(other: TensorOrScalar): Tensor {
    return P.copysign(this, other);
  }
  logaddexp(other: TensorOrScalar): Tensor {
    return P.logaddexp(this, other);
  }
  hypot(other: TensorOrScalar): Tensor {
    return P.hypot(this, other);
  }
  remainder(other: TensorOrScalar): Tensor {
    return P.remainder(this, other);
  }
  fmod(other: TensorOrScalar): Tensor {
    return P.fmod(this, other);
  }
  bitwiseAnd(other: TensorOrScalar): Tensor {
    return P.bitwiseAnd(this, other);
  }
  bitwiseOr(other: TensorOrScalar): Tensor {
    return P.bitwiseOr(this, other);
  }
  bitwiseXor(other: TensorOrScalar): Tensor {
    return P.bitwiseXor(this, other);
  }
  bitwiseNot(): Tensor {
    return P.bitwiseNot(this);
  }
  bitwiseLeftShift(other: TensorOrScalar): Tensor {
    return P.bitwiseLeftShift(this, other);
  }
  bitwiseRightShift(other: TensorOrScalar): Tensor {
    return P.bitwiseRightShift(this, other);
  }
  clamp(min?: TensorOrScalar | E.ClampOptions | null, max?: TensorOrScalar | null): Tensor {
    return E.clamp(this, min, max);
  }
  clip(min?: TensorOrScalar | E.ClampOptions | null, max?: TensorOrScalar | null): Tensor {
    return E.clamp(this, min, max);
  }
  /** x.where(condition, other): x where condition holds, else other. */
  where(condition: Tensor, other: TensorOrScalar): Tensor {
    return E.where(condition, this, other);
  }
  maskedFill(mask: Tensor, value: TensorOrScalar): Tensor {
    return I.maskedFill(this, mask, value);
  }
  maskedSelect(mask: Tensor): Tensor {
    return I.maskedSelect(this, mask);
  }
  isclose(other: Tensor, opts?: Cl.IscloseOptions): Tensor<'bool'> {
    return Cl.isclose(this, other, opts);
  }
  allclose(other: Tensor, opts?: Cl.IscloseOptions): boolean {
    return Cl.allclose(this, other, opts);
  }

  // ---- reductions ----

  sum(
    dim?: Dims | R.SumOptions | null,
    keepdim?: boolean | R.SumOptions,
    opts?: R.SumOptions,
  ): Tensor {
    return R.sum(this, dim, keepdim, opts);
  }
  mean(dim?: Dims | R.ReduceOptions | null, keepdim?: boolean): Tensor {
    return R.mean(this, dim, keepdim);
  }
  prod(
    dim?: Dims | R.SumOptions | null,
    keepdim?: boolean | R.SumOptions,
    opts?: R.SumOptions,
  ): Tensor {
    return R.prod(this, dim, keepdim, opts);
  }
  amax(dim?: Dims | R.ReduceOptions | null, keepdim?: boolean): Tensor {
    return R.amax(this, dim, keepdim);
  }
  amin(dim?: Dims | R.ReduceOptions | null, keepdim?: boolean): Tensor {
    return R.amin(this, dim, keepdim);
  }
  /** max() over everything; max(dim, keepdim?) gives [values, indices]; max(other) is maximum. */
  max(): Tensor;
  max(dim: number | R.DimKeepdimOptions, keepdim?: boolean): R.ValuesIndices;
  max(other: Tensor): Tensor;
  max(arg?: number | Tensor | R.DimKeepdimOptions, keepdim?: boolean): Tensor | R.ValuesIndices {
    if (arg === undefined) return R.amax(this);
    if (arg instanceof Tensor) return E.maximum(this, arg);
    return R.maxDimOf(this, arg, keepdim);
  }
  min(): Tensor;
  min(dim: number | R.DimKeepdimOptions, keepdim?: boolean): R.ValuesIndices;
  min(other: Tensor): Tensor;
  min(arg?: number | Tensor | R.DimKeepdimOptions, keepdim?: boolean): Tensor | R.ValuesIndices {
    if (arg === undefined) return R.amin(this);
    if (arg instanceof Tensor) return E.minimum(this, arg);
    return R.minDimOf(this, arg, keepdim);
  }
  argmax(dim?: number | null | R.DimKeepdimOptions, keepdim?: boolean): Tensor {
    return R.argmax(this, dim, keepdim);
  }
  argmin(dim?: number | null | R.DimKeepdimOptions, keepdim?: boolean): Tensor {
    return R.argmin(this, dim, keepdim);
  }
  var(
    dim?: Dims | R.VarOptions | null,
    unbiased?: boolean | R.VarOptions,
    keepdim?: boolean,
  ): Tensor {
    return R.variance(this, dim, unbiased, keepdim);
  }
  std(
    dim?: Dims | R.VarOptions | null,
    unbiased?: boolean | R.VarOptions,
    keepdim?: boolean,
  ): Tensor {
    return R.std(this, dim, unbiased, keepdim);
  }
  logsumexp(dim: Dims | { dim?: Dims; keepdim?: boolean }, keepdim?: boolean): Tensor {
    return R.logsumexp(this, dim, keepdim);
  }
  norm(p?: number | 'fro' | R.NormOptions, dim?: Dims | null, keepdim?: boolean): Tensor {
    return R.norm(this, p, dim, keepdim);
  }
  all(dim?: Dims | R.ReduceOptions | null, keepdim?: boolean): Tensor<'bool'> {
    return R.all(this, dim, keepdim);
  }
  any(dim?: Dims | R.ReduceOptions | null, keepdim?: boolean): Tensor<'bool'> {
    return R.any(this, dim, keepdim);
  }
  cumsum(dim: number | R.ScanOptions, opts?: R.ScanOptions): Tensor {
    return R.cumsum(this, dim, opts);
  }
  cumprod(dim: number | R.ScanOptions, opts?: R.ScanOptions): Tensor {
    return Sc.cumprod(this, dim, opts);
  }
  /** cummax(dim): [values, indices] of the running maximum. */
  cummax(dim: number): R.ValuesIndices {
    return Sc.cummax(this, dim);
  }
  cummin(dim: number): R.ValuesIndices {
    return Sc.cummin(this, dim);
  }
  logcumsumexp(dim: number): Tensor {
    return Sc.logcumsumexp(this, dim);
  }
  sort(dim?: number | SO.SortOptions, descending?: boolean): R.ValuesIndices {
    return SO.sort(this, dim, descending);
  }
  argsort(dim?: number | SO.SortOptions, descending?: boolean): Tensor {
    return SO.argsort(this, dim, descending);
  }
  topk(
    k: number,
    dim?: number | SO.TopkOptions,
    largest?: boolean,
    sorted?: boolean,
  ): R.ValuesIndices {
    return SO.topk(this, k, dim, largest, sorted);
  }
  kthvalue(k: number, dim?: number, keepdim?: boolean): R.ValuesIndices {
    return SO.kthvalue(this, k, dim, keepdim);
  }
  median(): Tensor;
  median(dim: number, keepdim?: boolean): R.ValuesIndices;
  median(dim?: number, keepdim?: boolean): Tensor | R.ValuesIndices {
    return dim === undefined ? SO.median(this) : SO.median(this, dim, keepdim);
  }
  mode(dim?: number, keepdim?: boolean): R.ValuesIndices {
    return SO.mode(this, dim, keepdim);
  }
  /** The sorted unique values; with returnInverse / returnCounts, [output, inverse?, counts?]. */
  unique(
    opts: SO.UniqueOptions & { returnInverse: true; returnCounts: true },
  ): [Tensor, Tensor, Tensor];
  unique(
    opts: SO.UniqueOptions & ({ returnInverse: true } | { returnCounts: true }),
  ): [Tensor, Tensor];
  unique(opts?: SO.UniqueOptions & { returnInverse?: false; returnCounts?: false }): Tensor;
  unique(opts?: SO.UniqueOptions): Tensor | Tensor[];
  unique(opts?: SO.UniqueOptions): Tensor | Tensor[] {
    return SO.unique(this, opts);
  }
  softmax(dim: number | SoftmaxOptions, opts?: SoftmaxOptions): Tensor {
    return softmax(this, dim, opts);
  }
  logSoftmax(dim: number | SoftmaxOptions, opts?: SoftmaxOptions): Tensor {
    return logSoftmax(this, dim, opts);
  }

  // ---- products ----

  matmul(other: Tensor): Tensor {
    return L.matmul(this, other);
  }
  mm(other: Tensor): Tensor {
    return L.mm(this, other);
  }
  bmm(other: Tensor): Tensor {
    return L.bmm(this, other);
  }
  dot(other: Tensor): Tensor {
    return L.dot(this, other);
  }
  outer(other: Tensor): Tensor {
    return L.outer(this, other);
  }

  // ---- views and movement ----

  reshape(...shape: readonly (number | readonly number[])[]): Tensor {
    return S.reshape(this, S.sizesFromArgs(shape));
  }
  view(...shape: readonly (number | readonly number[])[]): Tensor {
    return S.view(this, S.sizesFromArgs(shape));
  }
  viewAs(other: Tensor): Tensor {
    return S.view(this, other.shape);
  }
  reshapeAs(other: Tensor): Tensor {
    return S.reshape(this, other.shape);
  }
  flatten(startDim?: number | { startDim?: number; endDim?: number }, endDim?: number): Tensor {
    return S.flatten(this, startDim, endDim);
  }
  unflatten(dim: number, sizes: readonly number[]): Tensor {
    return S.unflatten(this, dim, sizes);
  }
  squeeze(dim?: number | readonly number[] | { dim?: number | readonly number[] }): Tensor {
    return S.squeeze(this, dim);
  }
  unsqueeze(dim: number | { dim?: number }): Tensor {
    return S.unsqueeze(this, dim);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return S.transpose(this, dim0, dim1);
  }
  permute(...dims: readonly (number | readonly number[])[]): Tensor {
    return S.permute(this, S.sizesFromArgs(dims));
  }
  t(): Tensor {
    return S.t(this);
  }
  /** All dims reversed (PyTorch's .T). */
  get T(): Tensor {
    return S.permute(
      this,
      this.shape.map((_, i) => this.ndim - 1 - i),
    );
  }
  /** The last two dims swapped (PyTorch's .mT). */
  get mT(): Tensor {
    return S.transpose(this, -2, -1);
  }
  expand(...sizes: readonly (number | readonly number[])[]): Tensor {
    return S.expand(this, S.sizesFromArgs(sizes));
  }
  expandAs(other: Tensor): Tensor {
    return S.expand(this, other.shape);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return S.narrow(this, dim, start, length);
  }
  /** x[..., start:end:step, ...] along one dim (Python slice bounds). */
  slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor {
    return S.slice(this, dim, start, end, step);
  }
  select(dim: number, index: number): Tensor {
    return S.select(this, dim, index);
  }
  /** PyTorch's x[...]: numbers, slice strings ('1:3', '::2', ':'), '...', null, index tensors/arrays. */
  index(...specs: I.IndexSpec[]): Tensor {
    return I.index(this, ...specs);
  }
  flip(dims: number | readonly number[]): Tensor {
    return S.flip(this, dims);
  }
  repeat(...sizes: readonly (number | readonly number[])[]): Tensor {
    return S.repeat(this, S.sizesFromArgs(sizes));
  }
  split(sizeOrSections: number | readonly number[], dim?: number | { dim?: number }): Tensor[] {
    return S.split(this, sizeOrSections, dim);
  }
  chunk(chunks: number, dim?: number | { dim?: number }): Tensor[] {
    return S.chunk(this, chunks, dim);
  }
  indexSelect(dim: number, index: Tensor | readonly number[]): Tensor {
    return S.indexSelect(this, dim, index);
  }
  gather(dim: number, index: Tensor): Tensor {
    return S.gather(this, dim, index);
  }
  scatter(dim: number, index: Tensor, src: TensorOrScalar): Tensor {
    return I.scatter(this, dim, index, src);
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return I.scatterAdd(this, dim, index, src);
  }
  tril(diagonal?: number): Tensor {
    return Dg.tril(this, diagonal);
  }
  triu(diagonal?: number): Tensor {
    return Dg.triu(this, diagonal);
  }
  diag(diagonal?: number): Tensor {
    return Dg.diag(this, diagonal);
  }
  diagonal(offset?: number, dim1?: number, dim2?: number): Tensor {
    return Dg.diagonal(this, offset, dim1, dim2);
  }
  roll(shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
    return Tl.roll(this, shifts, dims);
  }
  repeatInterleave(
    repeats: Tensor | number,
    dim?: number | null | Tl.RepeatInterleaveOptions,
    opts?: Tl.RepeatInterleaveOptions,
  ): Tensor {
    return Tl.repeatInterleave(this, repeats, dim, opts);
  }
  /** unfold(dimension, size, step): the windows of `size` every `step` along dimension, in a new last dim. */
  unfold(dimension: number, size: number, step: number): Tensor {
    return Tl.unfoldDim(this, dimension, size, step);
  }
  scatterReduce(
    dim: number,
    index: Tensor,
    src: Tensor,
    reduce: ScatterReduction,
    opts?: I.ScatterReduceOptions,
  ): Tensor {
    return I.scatterReduce(this, dim, index, src, reduce, opts);
  }

  // ---- in place ----

  add_(other: TensorOrScalar, opts?: E.AlphaOptions): this {
    IP.add_(this, other, opts);
    return this;
  }
  sub_(other: TensorOrScalar, opts?: E.AlphaOptions): this {
    IP.sub_(this, other, opts);
    return this;
  }
  mul_(other: TensorOrScalar): this {
    IP.mul_(this, other);
    return this;
  }
  div_(other: TensorOrScalar, opts?: E.DivOptions): this {
    IP.div_(this, other, opts);
    return this;
  }
  addcmul_(t1: Tensor, t2: Tensor, opts?: IP.ValueOptions): this {
    IP.addcmul_(this, t1, t2, opts);
    return this;
  }
  addcdiv_(t1: Tensor, t2: Tensor, opts?: IP.ValueOptions): this {
    IP.addcdiv_(this, t1, t2, opts);
    return this;
  }
  clamp_(min?: TensorOrScalar | E.ClampOptions | null, max?: TensorOrScalar | null): this {
    IP.clamp_(this, min, max);
    return this;
  }
  fill_(value: TensorOrScalar): this {
    IP.fill_(this, value);
    return this;
  }
  zero_(): this {
    IP.zero_(this);
    return this;
  }
  copy_(src: Tensor): this {
    IP.copy_(this, src);
    return this;
  }
  /** Fills with U(from, to) draws from the library generator (or opts.generator). */
  uniform_(from?: number | IP.UniformOptions, to?: number, opts?: IP.UniformOptions): this {
    IP.uniform_(this, from, to, opts);
    return this;
  }
  /** Fills with N(mean, std²) draws from the library generator (or opts.generator). */
  normal_(mean?: number | IP.NormalOptions, std?: number, opts?: IP.NormalOptions): this {
    IP.normal_(this, mean, std, opts);
    return this;
  }
}

registerTensorClass(Tensor);

/** Nested arrays of a contiguous row-major `data` of `shape` (a scalar for a 0-d shape). */
function nest(data: TypedArray, shape: readonly number[], isBool: boolean): NestedList {
  const build = (dim: number, offset: number): NestedList => {
    if (dim === shape.length) return isBool ? data[offset] !== 0 : data[offset]!;
    const size = shape[dim]!;
    const step = numel(shape.slice(dim + 1));
    const out: NestedList[] = [];
    for (let i = 0; i < size; i++) out.push(build(dim + 1, offset + i * step));
    return out;
  };
  return build(0, 0);
}
