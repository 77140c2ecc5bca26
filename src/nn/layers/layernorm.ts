// nn.LayerNorm: normalisation over the trailing dims with an elementwise affine, as PyTorch's.
import { argsOrOptions, defineOptions, DTYPE } from '../../options.js';
import type { DType } from '../../dtype.js';
import { empty } from '../../functions/creation.js';
import type { Tensor } from '../../tensor.js';
import { layerNorm } from '../functional/normalization.js';
import { ones_, zeros_ } from '../init.js';
import { libraryLayers, Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyBool, pyFloat, pyTuple } from '../pyrepr.js';

export interface LayerNormModuleOptions {
  /** Added to the variance before its square root (default 1e-5). */
  readonly eps?: number;
  /** Learn a weight and bias of normalizedShape (default true). */
  readonly elementwiseAffine?: boolean;
  readonly dtype?: DType;
}

const LAYER_NORM = defineOptions<LayerNormModuleOptions>('nn.LayerNorm', {
  eps: 'number',
  elementwiseAffine: 'boolean',
  dtype: DTYPE,
});

export class LayerNorm extends Module {
  /** normalizedShape, initialised to ones (null without elementwiseAffine). */
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  /** LayerNorm(shape, { eps, elementwiseAffine }), or LayerNorm(shape, eps, elementwiseAffine). */
  constructor(
    normalizedShape: number | readonly number[],
    epsOrOpts?: number | LayerNormModuleOptions,
    elementwiseAffine?: boolean,
  ) {
    super();
    const args = [epsOrOpts, elementwiseAffine];
    const opts = argsOrOptions(LAYER_NORM, ['eps', 'elementwiseAffine'], args, undefined);
    const dtype = opts?.dtype ?? 'float32';
    this.normalizedShape =
      typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts?.eps ?? 1e-5;
    this.elementwiseAffine = opts?.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? Parameter(empty(this.normalizedShape, { dtype })) : null;
    this.bias = this.elementwiseAffine ? Parameter(empty(this.normalizedShape, { dtype })) : null;
    this.resetParameters();
  }

  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, {
      weight: this.weight,
      bias: this.bias,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

libraryLayers(LayerNorm);
