// The primitive vocabulary shared by op definitions and backends: names and parameter types only.
import type { DType } from './dtype.js';

export const UNARY_PRIMITIVES = [
  'neg',
  'abs',
  'sign',
  'exp',
  'log',
  'log1p',
  'expm1',
  'sqrt',
  'rsqrt',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'erf',
  'relu',
  'floor',
  'ceil',
  'round',
  'logicalNot',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'asinh',
  'acosh',
  'atanh',
  'log2',
  'log10',
  'bitwiseNot',
] as const;
export type UnaryPrimitive = (typeof UNARY_PRIMITIVES)[number];

export const BINARY_PRIMITIVES = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'logicalAnd',
  'logicalOr',
  'logicalXor',
  'atan2',
  'copysign',
  'hypot',
  'divTrunc',
  'divFloor',
  'remainder',
  'fmod',
  'bitwiseAnd',
  'bitwiseOr',
  'bitwiseXor',
  'bitwiseLeftShift',
  'bitwiseRightShift',
  'reluBackward',
] as const;
export type BinaryPrimitive = (typeof BINARY_PRIMITIVES)[number];

export const REDUCE_PRIMITIVES = [
  'sum',
  'prod',
  'amax',
  'amin',
  'argmax',
  'argmin',
  'all',
  'any',
] as const;
export type ReducePrimitive = (typeof REDUCE_PRIMITIVES)[number];

/** Primitives that only re-describe existing storage (no kernel, no copy). */
export const VIEW_PRIMITIVES = [
  'view',
  'permute',
  'expand',
  'slice',
  'diagonal',
  'windows',
] as const;
export type ViewPrimitive = (typeof VIEW_PRIMITIVES)[number];

export interface ReduceParams {
  /** Sorted, normalised dims to reduce over. */
  readonly dims: readonly number[];
  readonly keepdim: boolean;
}

export interface SliceParams {
  readonly dim: number;
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

/** The sliding-window geometry of unfold (im2col) and fold (col2im), as [height, width] pairs. */
export interface WindowParams {
  readonly kernelSize: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly stride: readonly [number, number];
}

/** nll_loss's options: targets equal to ignoreIndex count for nothing. */
export interface NllParams {
  readonly ignoreIndex: number;
  readonly reduction: 'none' | 'sum' | 'mean';
}

/** batchNorm's options: eps, whether the stats are the batch's own, and which affine inputs follow. */
export interface BatchNormParams {
  readonly eps: number;
  readonly training: boolean;
  readonly weight: boolean;
  readonly bias: boolean;
}

/** scatter_reduce's reductions. */
export type ScatterReduction = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';

type NoParams = Readonly<Record<never, never>>;

/**
 * An activation a product applies to its sums as it stores them: relu, or the exact GELU
 * x·½·(1 + erf(x·√½)) in that order of float32 operations (F.gelu's composition).
 */
export type Epilogue = 'relu' | 'gelu';

/** The parameters of every primitive. Adding a primitive starts here. */
export type PrimitiveParams = { readonly [P in UnaryPrimitive]: NoParams } & {
  readonly [P in BinaryPrimitive]: NoParams;
} & { readonly [P in ReducePrimitive]: ReduceParams } & {
  /** Copy to a contiguous buffer of `dtype` (a plain copy when the dtype is unchanged). */
  readonly cast: { readonly dtype: DType };
  readonly clamp: { readonly min: number | undefined; readonly max: number | undefined };
  readonly where: NoParams;
  /** The p-norm over dims; p may be Infinity, -Infinity or 0. */
  readonly norm: ReduceParams & { readonly p: number };
  readonly cumsum: { readonly dim: number };
  /** log_softmax along dim: (x − max) − log Σ exp(x − max), the max taken as 0 where it is ±inf. */
  readonly logSoftmax: { readonly dim: number };
  /**
   * Negative log-likelihood: log-probabilities [C], [N, C] or [N, C, d...], int32 targets [], [N]
   * or [N, d...] and optional class weights [C] to −w[t]·input[t] per target (0 where ignored),
   * reduced by `reduction` ('mean' divides by the summed weight of the counted targets).
   */
  readonly nllLoss: NllParams;
  /** nllLoss's input gradient: the output's gradient, the targets and the weights to `shape`. */
  readonly nllLossBackward: NllParams & { readonly shape: readonly number[] };
  /** The running product along dim. */
  readonly cumprod: { readonly dim: number };
  /** The running log Σ exp along dim, one stable log-add-exp per step (PyTorch's logcumsumexp). */
  readonly logcumsumexp: { readonly dim: number };
  /**
   * int32 index of the running max (or min) along dim, as PyTorch's cummax/cummin: the latest
   * index among ties, and a NaN, once seen, stays the extreme (the latest NaN's index).
   */
  readonly cumExtremeIndex: { readonly dim: number; readonly op: 'max' | 'min' };
  /** Batched matrix product: [...b, m, k] @ [...b, k, n], batch dims broadcast. */
  readonly matmul: NoParams;
  /**
   * x·Wᵀ + b: x [..., in], weight [out, in] and an optional bias [out] to [..., out] (torch's
   * F.linear with a 2-d weight), without a transposed copy of the weight. `activation` applies
   * relu or the exact (erf) GELU to the sums as they are stored: the pre-activation is never
   * written (nn.Sequential fuses Linear → ReLU / GELU this way; src/nn/container.ts).
   */
  readonly linear: { readonly activation?: Epilogue };
  /**
   * Batch norm's statistics of x [N, C, *] (floating): [2, C], row 0 the per-channel mean over every
   * dim but 1, row 1 the biased variance (two passes, float64 accumulators). Not differentiable.
   */
  readonly batchNormStats: NoParams;
  /**
   * Batch norm's gradient statistics: g and x [N, C, *] and stats [2, C] (mean in row 0) to
   * [2, C]: row 0 Σ g, row 1 Σ g·(x − mean) per channel (float64 accumulators). Not differentiable.
   */
  readonly batchNormGradStats: NoParams;
  /**
   * y = (x − mean)·rsqrt(var + eps)·w + b per channel of x [N, C, *], from stats [2, C] and the
   * optional weight [C] and bias [C] (inputs 2 and 3 as `weight`/`bias` say, in that order).
   * `training`: the stats are x's own (the backward is the full batch-norm gradient), else they
   * are constants (running statistics).
   */
  readonly batchNorm: BatchNormParams;
  /**
   * Training-mode batch norm's input gradient: g, x [N, C, *], stats [2, C], gradStats [2, C]
   * (batchNormGradStats) and the optional weight [C] to
   * dx = w·invstd·(g − Σg/n − (x − mean)·invstd²·Σg(x − mean)/n). Not differentiable.
   */
  readonly batchNormBackward: { readonly eps: number; readonly weight: boolean };
  readonly view: { readonly shape: readonly number[] };
  readonly permute: { readonly dims: readonly number[] };
  readonly expand: { readonly shape: readonly number[] };
  readonly slice: SliceParams;
  /**
   * The entries (i, i + offset) of dims dim1 and dim2 (distinct, normalised) as a new last dim,
   * the other dims kept in order (torch.diagonal).
   */
  readonly diagonal: { readonly offset: number; readonly dim1: number; readonly dim2: number };
  /**
   * Tensor.unfold: the windows of `size` every `step` along dim (normalised, of a tensor with at
   * least one dim): dim becomes the window count and a last dim of `size` is added.
   */
  readonly windows: { readonly dim: number; readonly size: number; readonly step: number };
  /** A copy of input 0 with input 1 written into the slice. */
  readonly sliceScatter: SliceParams;
  readonly cat: { readonly dim: number };
  readonly gather: { readonly dim: number };
  /** A copy of input 0 with input 2 written at the positions that input 1 indexes along dim. */
  readonly scatter: { readonly dim: number };
  readonly scatterAdd: { readonly dim: number };
  /**
   * Max pooling's input gradient, the gradient of a gather along the last dim: g and int32 index
   * of one shape [..., L] to zeros of [..., size] with each g added at its index (repeats sum up).
   */
  readonly maxPoolBackward: { readonly size: number };
  /** A copy of input 0 with input 2 reduced into the positions that input 1 indexes along dim. */
  readonly scatterReduce: {
    readonly dim: number;
    readonly reduce: ScatterReduction;
    readonly includeSelf: boolean;
  };
  /** A stable sort's permutation along dim as int32 indices, NaN ordered as the largest value. */
  readonly sort: { readonly dim: number; readonly descending: boolean };
  /**
   * The index of each line's k-th smallest value (1-based k, NaN the largest) along dim, as int32
   * of size 1 along dim: PyTorch's quickselect, so that among equal values it picks the same one.
   */
  readonly kthIndex: { readonly dim: number; readonly k: number };
  /** im2col: [N, C, H, W] (or [C, H, W]) to [N, C·kh·kw, L] (or [C·kh·kw, L]), zero padded. */
  readonly unfold: WindowParams;
  /** col2im, the adjoint of unfold: [N, C·kh·kw, L] summed into [N, C, ...outputSize]. */
  readonly fold: WindowParams & { readonly outputSize: readonly [number, number] };
  /**
   * Max pooling's indices: [N, C, H, W] (or [C, H, W]) to int32 [N, C, ...grid], for each window
   * the plane index h·W + w of its maximum (PyTorch's max_pool2d indices). Windows that run past
   * the image (ceil mode) see only the image.
   */
  readonly maxPoolIndices: WindowParams & { readonly grid: readonly [number, number] };
  /**
   * 2-d convolution, groups 1: x [N, C, H, W], weight [O, C, kh, kw] and an optional bias [O] to
   * [N, O, oh, ow] (kernelSize is the weight's). `activation` 'relu' applies relu as the output is
   * stored (nn.Sequential fuses Conv2d → ReLU this way).
   */
  readonly conv2d: WindowParams & { readonly activation?: 'relu' };
  /** conv2d's weight gradient: dY [N, O, oh, ow] and x [N, C, H, W] to [O, C, kh, kw]. */
  readonly conv2dWeightGrad: WindowParams;
  /** conv2d's input gradient: dY [N, O, oh, ow] and weight [O, C, kh, kw] to [N, C, ...inputSize]. */
  readonly conv2dInputGrad: WindowParams & { readonly inputSize: readonly [number, number] };
};

export type Primitive = keyof PrimitiveParams;
export type ParamsOf<P extends Primitive> = PrimitiveParams[P];
export type KernelPrimitive = Exclude<Primitive, ViewPrimitive>;

export function isViewPrimitive(p: Primitive): p is ViewPrimitive {
  return (VIEW_PRIMITIVES as readonly string[]).includes(p);
}
