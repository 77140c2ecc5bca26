// nn.GroupNorm: normalisation over groups of channels with a per-channel affine, as PyTorch's.
import { argsOrOptions, defineOptions, DTYPE } from '../../options.js';
import type { DType } from '../../dtype.js';
import { ArgumentError } from '../../errors.js';
import { empty } from '../../functions/creation.js';
import type { Tensor } from '../../tensor.js';
import { groupNorm } from '../functional/normalization.js';
import { ones_, zeros_ } from '../init.js';
import { libraryLayers, Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyBool, pyFloat } from '../pyrepr.js';

export interface GroupNormModuleOptions {
  /** Added to the variance before its square root (default 1e-5). */
  readonly eps?: number;
  /** Learn a per-channel weight and bias (default true). */
  readonly affine?: boolean;
  readonly dtype?: DType;
}

const GROUP_NORM = defineOptions<GroupNormModuleOptions>('nn.GroupNorm', {
  eps: 'number',
  affine: 'boolean',
  dtype: DTYPE,
});

export class GroupNorm extends Module {
  /** [numChannels], initialised to ones (null without affine). */
  weight: Tensor | null;
  bias: Tensor | null;
  readonly eps: number;
  readonly affine: boolean;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    epsOrOpts?: number | GroupNormModuleOptions,
    affine?: boolean,
  ) {
    super();
    // NOTE: PyTorch's positionals after num_channels: eps, affine.
    const opts = argsOrOptions(GROUP_NORM, ['eps', 'affine'], [epsOrOpts, affine], undefined);
    if (numChannels % numGroups !== 0)
      throw new ArgumentError('num_channels must be divisible by num_groups');
    const dtype = opts?.dtype ?? 'float32';
    this.eps = opts?.eps ?? 1e-5;
    this.affine = opts?.affine ?? true;
    this.weight = this.affine ? Parameter(empty([numChannels], { dtype })) : null;
    this.bias = this.affine ? Parameter(empty([numChannels], { dtype })) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  forward(input: Tensor): Tensor {
    return groupNorm(input, this.numGroups, {
      weight: this.weight,
      bias: this.bias,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}

libraryLayers(GroupNorm);
