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
  /**
   * True when buffers are ordinary JavaScript objects that the garbage collector frees (typed
   * arrays); false when free() must be called (GPU buffers), so every tensor is finalised.
   */
  readonly gcManaged: boolean;
  /**
   * A zero-filled buffer of `size` elements of `dtype`; with `overwrite`, the caller writes every
   * element itself, so the buffer may hold anything.
   */
  alloc(dtype: DType, size: number, overwrite?: boolean): B;
  free(buffer: B): void;
  /** Copies host data (already of the buffer's dtype) into the buffer from element `offset`. */
  write(buffer: B, data: TypedArray, offset: number): void;
  /** A contiguous host copy of a view; absent on backends that can only read asynchronously. */
  readSync?(view: KernelInput<B>): TypedArray;
  read(view: KernelInput<B>): Promise<TypedArray>;
  /** Writes `src` (same shape, any dtype) into the strided `dst`, converting: the in-place path. */
  assign(dst: KernelInput<B>, src: KernelInput<B>): void;
  readonly kernels: KernelTable<B>;
  /** Optional fused optimizer updates; src/optim uses them when every tensor involved qualifies. */
  readonly fused?: FusedOps<B>;
  /** Optional fused elementwise chains over float32 (src/ops/fusion.ts records them). */
  readonly fusion?: Fusion<B>;
  /**
   * Freed buffers kept for reuse (memory().cached). Backends that share one cache share this
   * method (the same function), and memory() counts it once.
   */
  cacheStats?(): CacheStats;
  /** Lets the kept buffers go (emptyCache()); shared like cacheStats. */
  emptyCache?(): void;
}

/** What a backend's cache of freed buffers holds. */
export interface CacheStats {
  readonly buffers: number;
  readonly bytes: number;
}

/** A contiguous float32 run of a buffer: `size` elements from element `offset`. */
export interface FusedTensor<B> {
  readonly buffer: B;
  readonly offset: number;
  readonly size: number;
}

/** SGD's options for one step; `first` is true when the momentum buffer starts from this step's d. */
export interface FusedSGDOptions {
  readonly lr: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly maximize: boolean;
  readonly first: boolean;
}

/** Adam's options for one step; stepSize = lr / (1 − β₁ᵗ), biasCorrection2Sqrt = √(1 − β₂ᵗ). */
export interface FusedAdamOptions {
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly stepSize: number;
  readonly biasCorrection2Sqrt: number;
  readonly maximize: boolean;
  /** AdamW: p·(1 − ηλ) instead of adding λ·p to the gradient. */
  readonly decoupled: boolean;
  readonly amsgrad: boolean;
}

/**
 * In-place float32 optimizer updates that give the same result as the composed ops of src/optim
 * (every scalar and every intermediate rounded to float32 in the same order).
 */
/** A leaf of a fused program: a contiguous run of n elements from `offset`, or one element (scalar). */
export interface FusionLeaf<B> {
  readonly buffer: B;
  readonly offset: number;
  readonly scalar: boolean;
}

/**
 * Elementwise chains run as one pass (kernels/fused.c). A program is a list of instructions
 * [op, a, b] (b = -1 for a unary op); an operand v < 0 is leaf -v - 1, v >= 0 the result of
 * instruction v; the last instruction's result is the output.
 */
export interface Fusion<B> {
  /** Most leaves and instructions of one program. */
  readonly maxLeaves: number;
  readonly maxInstructions: number;
  /**
   * The op code of primitive `op` in a program, or -1 when it cannot fuse for an output of `n`
   * elements (not supported, or eager execution would not run the C kernel it must match bit for bit).
   */
  code(op: string, n: number): number;
  /** Writes the program's n results into `out` (float32, contiguous). */
  run(out: B, n: number, leaves: readonly FusionLeaf<B>[], program: readonly number[]): void;
}

export interface FusedOps<B> {
  /** p, and buf when momentum ≠ 0 (null otherwise), are updated in place. */
  sgd?(
    p: FusedTensor<B>,
    grad: FusedTensor<B>,
    buf: FusedTensor<B> | null,
    opts: FusedSGDOptions,
  ): void;
  /** p, m, v and vmax (AMSGrad only; null otherwise) are updated in place. */
  adam?(
    p: FusedTensor<B>,
    grad: FusedTensor<B>,
    m: FusedTensor<B>,
    v: FusedTensor<B>,
    vmax: FusedTensor<B> | null,
    opts: FusedAdamOptions,
  ): void;
}
