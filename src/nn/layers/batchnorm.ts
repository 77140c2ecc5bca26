// nn.BatchNorm1d/2d/3d: per-channel batch normalisation with PyTorch's running statistics and buffers.
import { argsOrOptions, defineOptions, DTYPE, type Spec } from '../../options.js';
import { noGrad } from '../../autograd/grad_mode.js';
import type { DType } from '../../dtype.js';
import { ShapeError } from '../../errors.js';
import { empty, zeros } from '../../functions/creation.js';
import type { Tensor } from '../../tensor.js';
import { batchNorm } from '../functional/normalization.js';
import { ones_, zeros_ } from '../init.js';
import { libraryLayers, Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyBool, pyFloat } from '../pyrepr.js';

export interface BatchNormModuleOptions {
  /** Added to the variance before its square root (default 1e-5). */
  readonly eps?: number;
  /** The weight of each new batch in the running averages (default 0.1); null: cumulative average. */
  readonly momentum?: number | null;
  /** Learn a per-channel weight and bias (default true). */
  readonly affine?: boolean;
  /** Keep running statistics for eval mode (default true); without them batch statistics are always used. */
  readonly trackRunningStats?: boolean;
  readonly dtype?: DType;
}

/**
 * The shared body of BatchNorm1d/2d/3d (PyTorch's _BatchNorm). Parameters and buffers are
 * registered in PyTorch's order: weight, bias, running_mean, running_var, num_batches_tracked.
 */
export abstract class BatchNormBase extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  running_mean!: Tensor | null;
  running_var!: Tensor | null;
  /** NOTE: an int32 scalar here, where PyTorch's is int64 (nabla's int32 stands in for int64). */
  num_batches_tracked!: Tensor | null;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    opts?: BatchNormModuleOptions,
  ) {
    super();
    const dtype = opts?.dtype ?? 'float32';
    this.eps = opts?.eps ?? 1e-5;
    this.momentum = opts?.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts?.affine ?? true;
    this.trackRunningStats = opts?.trackRunningStats ?? true;
    this.weight = this.affine ? Parameter(empty([numFeatures], { dtype })) : null;
    this.bias = this.affine ? Parameter(empty([numFeatures], { dtype })) : null;
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int32' }) : null);
    this.resetParameters();
  }

  /** Throws unless the input has the dimensions this layer takes. */
  protected abstract checkInputDim(input: Tensor): void;

  resetRunningStats(): void {
    noGrad(() => {
      this.running_mean?.zero_();
      this.running_var?.fill_(1);
      this.num_batches_tracked?.zero_();
    });
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    const counting = this.training && this.trackRunningStats && this.num_batches_tracked !== null;
    let factor = this.momentum ?? 0;
    if (counting && this.momentum === null)
      factor = 1 / (Number(this.num_batches_tracked!.item()) + 1);
    // Batch statistics in training, and in eval when there are no running statistics.
    const useBatch = this.training || (this.running_mean === null && this.running_var === null);
    const passStats = !this.training || this.trackRunningStats;
    const out = batchNorm(
      input,
      passStats ? this.running_mean : null,
      passStats ? this.running_var : null,
      { weight: this.weight, bias: this.bias, training: useBatch, momentum: factor, eps: this.eps },
    );
    // NOTE: counted after a successful call (PyTorch counts first), so bad input changes nothing.
    if (counting) noGrad(() => this.num_batches_tracked!.add_(1));
    return out;
  }

  override extraRepr(): string {
    const momentum = this.momentum === null ? 'None' : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${momentum}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

const BATCH_NORM_SPEC: Spec<BatchNormModuleOptions> = {
  eps: 'number',
  momentum: ['number', 'null'],
  affine: 'boolean',
  trackRunningStats: 'boolean',
  dtype: DTYPE,
};
/** PyTorch's positionals after num_features. */
const BATCH_NORM_KEYS = ['eps', 'momentum', 'affine', 'trackRunningStats'] as const;

const BATCH_NORM1D = defineOptions<BatchNormModuleOptions>('nn.BatchNorm1d', BATCH_NORM_SPEC);
const BATCH_NORM2D = defineOptions<BatchNormModuleOptions>('nn.BatchNorm2d', BATCH_NORM_SPEC);
const BATCH_NORM3D = defineOptions<BatchNormModuleOptions>('nn.BatchNorm3d', BATCH_NORM_SPEC);

/** Batch normalisation of [N, C] or [N, C, L] inputs. */
export class BatchNorm1d extends BatchNormBase {
  /** BatchNorm1d(numFeatures, opts), or with PyTorch's positionals (eps, momentum, affine, ...). */
  constructor(
    numFeatures: number,
    epsOrOpts?: number | BatchNormModuleOptions,
    momentum?: number | null,
    affine?: boolean,
    trackRunningStats?: boolean,
  ) {
    const args = [epsOrOpts, momentum, affine, trackRunningStats];
    super(numFeatures, argsOrOptions(BATCH_NORM1D, BATCH_NORM_KEYS, args, undefined));
  }
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3)
      throw new ShapeError(`expected 2D or 3D input (got ${input.ndim}D input)`);
  }
}

/** Batch normalisation of [N, C, H, W] inputs. */
export class BatchNorm2d extends BatchNormBase {
  /** BatchNorm2d(numFeatures, opts), or with PyTorch's positionals (eps, momentum, affine, ...). */
  constructor(
    numFeatures: number,
    epsOrOpts?: number | BatchNormModuleOptions,
    momentum?: number | null,
    affine?: boolean,
    trackRunningStats?: boolean,
  ) {
    const args = [epsOrOpts, momentum, affine, trackRunningStats];
    super(numFeatures, argsOrOptions(BATCH_NORM2D, BATCH_NORM_KEYS, args, undefined));
  }
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 4) throw new ShapeError(`expected 4D input (got ${input.ndim}D input)`);
  }
}

/** Batch normalisation of [N, C, D, H, W] inputs. */
export class BatchNorm3d extends BatchNormBase {
  /** BatchNorm3d(numFeatures, opts), or with PyTorch's positionals (eps, momentum, affine, ...). */
  constructor(
    numFeatures: number,
    epsOrOpts?: number | BatchNormModuleOptions,
    momentum?: number | null,
    affine?: boolean,
    trackRunningStats?: boolean,
  ) {
    const args = [epsOrOpts, momentum, affine, trackRunningStats];
    super(numFeatures, argsOrOptions(BATCH_NORM3D, BATCH_NORM_KEYS, args, undefined));
  }
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 5) throw new ShapeError(`expected 5D input (got ${input.ndim}D input)`);
  }
}

libraryLayers(BatchNormBase, BatchNorm1d, BatchNorm2d, BatchNorm3d);
