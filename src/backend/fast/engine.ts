// What the native addon and the wasm module both offer: the C kernels behind one calling interface.
import type { Meta } from './meta.js';

/** An input as the engine receives it: its buffer and the element range [lo, hi) a view touches. */
export interface Operand<T = Float32Array> {
  readonly data: T;
  readonly lo: number;
  readonly hi: number;
}

/** The float32 output of a reduction, or its int32 output (argmax/argmin). */
export type ReduceOut = Float32Array | Int32Array;

/**
 * The C kernels of kernels/nabla.h. Each call reads the shapes and strides that were just written
 * to `meta`. Element offsets in the meta block are relative to `data` when `copiesInputs` is false
 * (native: the kernel reads the typed array in place) and to `lo` when it is true (wasm: only
 * [lo, hi) is copied into the module's memory).
 */
export interface FastEngine {
  readonly meta: Meta;
  readonly copiesInputs: boolean;
  /** Threads a kernel call may use. */
  readonly numThreads: number;
  setNumThreads(n: number): number;
  /** C = A·B, starting from the bias row when one is given (meta.gemm's `bias` offset). */
  sgemm(out: Float32Array, a: Operand, b: Operand, bias?: Operand): void;
  unary(out: Float32Array, x: Operand): void;
  binary(out: Float32Array, a: Operand, b: Operand): void;
  /** The fused program in meta (Meta.fused) over these leaves (one per leaf, in order). */
  fused(out: Float32Array, leaves: readonly Operand[]): void;
  compare(out: Uint8Array, a: Operand, b: Operand): void;
  where(out: Float32Array, c: Operand<Uint8Array>, a: Operand, b: Operand): void;
  reduce(out: ReduceOut, x: Operand): void;
  /** log_softmax along the middle dim of the contiguous [outer, len, inner] in meta (Meta.logSoftmax). */
  logSoftmax(out: Float32Array, x: Operand): void;
  /**
   * Batch norm's statistics over the [N, C, S] in meta (Meta.batchNorm): mean and biased variance
   * per channel, or with g, Σ g and Σ g·(x − coef[c]).
   */
  bnStats(out: Float32Array, x: Operand, coef: Operand | null, g: Operand | null): void;
  /** out = (x − coef[c])·coef[C + c] + coef[2C + c] (+ g·coef[3C + c]) over the [N, C, S] in meta. */
  bnApply(out: Float32Array, x: Operand, coef: Operand, g: Operand | null): void;
  unfold(out: Float32Array, x: Operand): void;
  fold(out: Float32Array, cols: Operand): void;
  /** Max pooling's indices (Meta.window geometry, the image = the input). */
  maxPoolIndex(out: Int32Array, x: Operand): void;
  /** A convolution (Meta.conv geometry); weight and bias contiguous. */
  conv2d(out: Float32Array, x: Operand, weight: Operand, bias: Operand | null): void;
  /** A convolution's weight gradient (Meta.conv geometry); grad contiguous. */
  conv2dWeightGrad(out: Float32Array, grad: Operand, x: Operand): void;
  /** A convolution's input gradient (Meta.conv geometry, the image = the output); grad and weight contiguous. */
  conv2dInputGrad(out: Float32Array, grad: Operand, weight: Operand): void;
  /**
   * out = x gathered at index along the walk in meta (Meta.indexed). False when an index was out
   * of range: out is then incomplete and the caller raises the error.
   */
  gather(out: Float32Array, x: Operand, index: Operand<Int32Array>): boolean;
  /**
   * out = x (the copy walk at X_COPY), then src written (scatter) or added (scatterAdd) at index
   * along the walk in meta. False when an index was out of range, as gather.
   */
  scatter(out: Float32Array, x: Operand, index: Operand<Int32Array>, src: Operand): boolean;
  /** Max pooling's input gradient (Meta.maxPoolBackward): zeros, then g added at index per plane. */
  maxPoolBackward(out: Float32Array, g: Operand, index: Operand<Int32Array>): void;
  /** Updates p (and buf) in place; the arrays are whole, contiguous and of equal length. */
  sgd(p: Float32Array, g: Float32Array, buf: Float32Array | null): void;
  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    vmax: Float32Array | null,
  ): void;
}
