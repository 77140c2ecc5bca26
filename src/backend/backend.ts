// The narrow contract every backend implements: buffers, reads and writes, and one kernel per primitive.
import type { DType, TypedArray } from '../dtype.js';
import type { KernelPrimitive, ParamsOf } from '../primitives.js';
import type { Shape } from '../shape.js';

/** A possibly strided input: a stride of 0 means the dimension is broadcast. */
export interface KernelInput<B> {
  readonly buffer: B;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

/** A freshly allocated, contiguous output. */
export interface KernelOutput<B> {
  readonly buffer: B;
  readonly dtype: DType;
  readonly shape: Shape;
}

export type Kernel<B, P extends KernelPrimitive> = (
  out: KernelOutput<B>,
  inputs: readonly KernelInput<B>[],
  params: ParamsOf<P>,
) => void;

/** One kernel per primitive that computes: a backend missing one does not compile. */
export type KernelTable<B> = { readonly [P in KernelPrimitive]: Kernel<B, P> };

export interface Backend<B = unknown> {
  readonly name: string;
  readonly version: string;
  /** A zero-filled buffer of `size` elements of `dtype`. */
  alloc(dtype: DType, size: number): B;
  free(buffer: B): void;
  /** Copies host data (already of the buffer's dtype) into the buffer from element `offset`. */
  write(buffer: B, data: TypedArray, offset: number): void;
  /** A contiguous host copy of a view; absent on backends that can only read asynchronously. */
  readSync?(view: KernelInput<B>): TypedArray;
  read(view: KernelInput<B>): Promise<TypedArray>;
  /** Writes `src` (same shape, any dtype) into the strided `dst`, converting: the in-place path. */
  assign(dst: KernelInput<B>, src: KernelInput<B>): void;
  readonly kernels: KernelTable<B>;
}
