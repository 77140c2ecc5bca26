// The shape of an op definition: its shape/dtype rule, what it saves, and its backward (the VJP).
import type { DType } from '../dtype.js';
import type { ParamsOf, Primitive, ViewPrimitive } from '../primitives.js';
import type { Shape, View } from '../shape.js';
import type { Tensor } from '../tensor.js';

export interface TensorMeta {
  readonly shape: Shape;
  readonly dtype: DType;
  /** The input's strides when it was recorded (a backward may produce its gradient in that layout). */
  readonly strides?: readonly number[];
}

/** What an op's rule decides before anything is allocated. */
export interface Inferred {
  readonly shape: Shape;
  readonly dtype: DType;
  /** A dtype to cast each input to first (recorded as a cast, so gradients are cast back). */
  readonly inputDTypes?: readonly (DType | undefined)[];
  /** A shape to broadcast each input to (stride 0) before it reaches the kernel. */
  readonly broadcastTo?: readonly (Shape | undefined)[];
}

export interface SaveContext<P extends Primitive> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly params: ParamsOf<P>;
  readonly needsInputGrad: readonly boolean[];
}

export interface BackwardContext<P extends Primitive> {
  readonly params: ParamsOf<P>;
  readonly inputs: readonly TensorMeta[];
  readonly output: TensorMeta;
  /** The tensors `save` returned, checked against in-place modification. */
  readonly saved: readonly (Tensor | null)[];
  readonly needsInputGrad: readonly boolean[];
}

interface OpDefBase<P extends Primitive> {
  /** Validates the inputs (throwing ShapeError / DTypeError in PyTorch's words) and gives the output. */
  infer(inputs: readonly TensorMeta[], params: ParamsOf<P>): Inferred;
  /** The tensors backward will need (null for those the needed gradients do not use). */
  save?(ctx: SaveContext<P>): readonly (Tensor | null)[];
  /** Gradients of the inputs given the output's gradient; absent for non-differentiable ops. */
  backward?(grad: Tensor, ctx: BackwardContext<P>): readonly (Tensor | null)[];
}

export interface KernelOpDef<P extends Primitive> extends OpDefBase<P> {
  readonly kind: 'kernel';
  /** Every backend's kernel writes every output element, so the output need not be zero-filled. */
  readonly overwrites?: boolean;
}

export interface ViewOpDef<P extends Primitive> extends OpDefBase<P> {
  readonly kind: 'view';
  /** The output's view of the input's storage. */
  view(input: View, params: ParamsOf<P>, out: Inferred): View;
}

export type OpDef<P extends Primitive> = P extends ViewPrimitive ? ViewOpDef<P> : KernelOpDef<P>;

/** Every primitive's definition: a missing one is a compile error. */
export type OpTable = { readonly [P in Primitive]: OpDef<P> };

/** An op definition with its parameter type erased: what apply() and the graph nodes hold. */
export interface ErasedOpDef {
  readonly kind: 'kernel' | 'view';
  readonly overwrites?: boolean;
  infer(inputs: readonly TensorMeta[], params: object): Inferred;
  save?(ctx: ErasedContext<SaveContext<Primitive>>): readonly (Tensor | null)[];
  backward?(
    grad: Tensor,
    ctx: ErasedContext<BackwardContext<Primitive>>,
  ): readonly (Tensor | null)[];
  view?(input: View, params: object, out: Inferred): View;
}

type ErasedContext<C> = Omit<C, 'params'> & { readonly params: object };
