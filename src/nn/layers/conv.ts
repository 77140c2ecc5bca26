// nn.Conv1d/2d/3d and ConvTranspose1d/2d/3d: PyTorch's parameter layouts, init and repr.
import {
  argsOrOptions,
  defineOptions,
  DTYPE,
  type OptionSchema,
  type Spec,
} from '../../options.js';
import type { DType } from '../../dtype.js';
import { ArgumentError } from '../../errors.js';
import { empty } from '../../functions/creation.js';
import { pad, type PadMode } from '../../functions/shape_ops.js';
import type { Tensor } from '../../tensor.js';
import {
  conv1d,
  conv2d,
  convThenRelu,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  expandArg,
  type SizeArg,
} from '../functional/conv.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';
import { libraryLayers, Module } from '../module.js';
import { Parameter } from '../parameter.js';

export type ConvPaddingMode = 'zeros' | Exclude<PadMode, 'constant'>;

export interface ConvLayerOptions {
  readonly stride?: SizeArg;
  /** Padding per side, or 'same' / 'valid'. */
  readonly padding?: SizeArg | 'same' | 'valid';
  readonly dilation?: SizeArg;
  readonly groups?: number;
  readonly bias?: boolean;
  /** How the padding is filled: zeros (default), or reflect / replicate / circular copies. */
  readonly paddingMode?: ConvPaddingMode;
  readonly dtype?: DType;
}

export interface ConvTransposeLayerOptions {
  readonly stride?: SizeArg;
  readonly padding?: SizeArg;
  readonly outputPadding?: SizeArg;
  readonly groups?: number;
  readonly bias?: boolean;
  readonly dilation?: SizeArg;
  readonly paddingMode?: 'zeros';
  readonly dtype?: DType;
}

const PADDING_MODES: readonly string[] = ['zeros', 'reflect', 'replicate', 'circular'];

const tuple = (xs: readonly number[]) => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`);

/** What Conv and ConvTranspose layers share: parameters, their init, checks and the repr. */
abstract class ConvNd extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[] | 'same' | 'valid';
  readonly dilation: readonly number[];
  readonly outputPadding: readonly number[];
  readonly groups: number;
  readonly paddingMode: ConvPaddingMode;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    nd: number,
    transposed: boolean,
    kernelSize: SizeArg,
    opts: ConvLayerOptions & { readonly outputPadding?: SizeArg },
  ) {
    super();
    const groups = opts.groups ?? 1;
    if (!(groups > 0) || !Number.isInteger(groups))
      throw new ArgumentError('groups must be a positive integer');
    if (inChannels % groups !== 0)
      throw new ArgumentError('in_channels must be divisible by groups');
    if (outChannels % groups !== 0)
      throw new ArgumentError('out_channels must be divisible by groups');
    this.kernelSize = expandArg('kernel_size', kernelSize, nd);
    this.stride = expandArg('stride', opts.stride ?? 1, nd);
    const padding = opts.padding ?? 0;
    if (typeof padding === 'string') {
      if (padding !== 'same' && padding !== 'valid') {
        throw new ArgumentError(
          `Invalid padding string '${String(padding)}', should be one of {'valid', 'same'}`,
        );
      }
      if (padding === 'same' && this.stride.some((s) => s !== 1))
        throw new ArgumentError("padding='same' is not supported for strided convolutions");
      this.padding = padding;
    } else {
      this.padding = expandArg('padding', padding, nd);
    }
    this.dilation = expandArg('dilation', opts.dilation ?? 1, nd);
    this.outputPadding = expandArg('output_padding', opts.outputPadding ?? 0, nd);
    this.groups = groups;
    const mode = opts.paddingMode ?? 'zeros';
    if (!PADDING_MODES.includes(mode)) {
      throw new ArgumentError(
        `padding_mode must be one of {'replicate', 'reflect', 'circular', 'zeros'}, but got padding_mode='${mode}'`,
      );
    }
    this.paddingMode = mode;
    const dtype = opts.dtype ?? 'float32';
    const shape = transposed
      ? [inChannels, outChannels / groups, ...this.kernelSize]
      : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = Parameter(empty(shape, { dtype }));
    this.bias = (opts.bias ?? true) ? Parameter(empty([outChannels], { dtype })) : null;
    this.resetParameters();
  }

  /** Kaiming-uniform weights (a = √5) and U(−1/√fanIn, 1/√fanIn) biases, fan from the weight, as PyTorch. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        uniform_(this.bias, -bound, bound);
      }
    }
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${tuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0))
      s += `, output_padding=${tuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }

  /** F.pad's list for a non-zeros padding mode: (before, after) pairs from the last dim. */
  protected reversedPadding(): number[] {
    const out: number[] = [];
    for (let i = this.kernelSize.length - 1; i >= 0; i--) {
      if (this.padding === 'valid') out.push(0, 0);
      else if (this.padding === 'same') {
        const total = this.dilation[i]! * (this.kernelSize[i]! - 1);
        out.push(Math.floor(total / 2), total - Math.floor(total / 2));
      } else out.push(this.padding[i]!, this.padding[i]!);
    }
    return out;
  }

  protected convOptions() {
    const padded = this.paddingMode !== 'zeros';
    return {
      stride: this.stride,
      padding: padded ? 0 : this.padding,
      dilation: this.dilation,
      groups: this.groups,
    };
  }

  protected padInput(input: Tensor): Tensor {
    if (this.paddingMode === 'zeros') return input;
    return pad(input, this.reversedPadding(), {
      mode: this.paddingMode as Exclude<PadMode, 'constant'>,
    });
  }
}

const CONV_SPEC: Spec<ConvLayerOptions> = {
  stride: 'dims',
  padding: ['dims', 'string'],
  dilation: 'dims',
  groups: 'integer',
  bias: 'boolean',
  paddingMode: 'string',
  dtype: DTYPE,
};
const CONV_TRANSPOSE_SPEC: Spec<ConvTransposeLayerOptions> = {
  stride: 'dims',
  padding: 'dims',
  outputPadding: 'dims',
  groups: 'integer',
  bias: 'boolean',
  dilation: 'dims',
  paddingMode: 'string',
  dtype: DTYPE,
};
const CONV1D = defineOptions<ConvLayerOptions>('nn.Conv1d', CONV_SPEC);
const CONV2D = defineOptions<ConvLayerOptions>('nn.Conv2d', CONV_SPEC);
const CONV3D = defineOptions<ConvLayerOptions>('nn.Conv3d', CONV_SPEC);
const CONV_TRANSPOSE1D = defineOptions<ConvTransposeLayerOptions>(
  'nn.ConvTranspose1d',
  CONV_TRANSPOSE_SPEC,
);
const CONV_TRANSPOSE2D = defineOptions<ConvTransposeLayerOptions>(
  'nn.ConvTranspose2d',
  CONV_TRANSPOSE_SPEC,
);
const CONV_TRANSPOSE3D = defineOptions<ConvTransposeLayerOptions>(
  'nn.ConvTranspose3d',
  CONV_TRANSPOSE_SPEC,
);

/** A conv layer's options from PyTorch's positionals after kernel_size, or one options object. */
function convArgs(
  schema: OptionSchema<ConvLayerOptions>,
  args: readonly [
    SizeArg | ConvLayerOptions | undefined,
    SizeArg | 'same' | 'valid' | undefined,
    SizeArg | undefined,
    number | undefined,
    boolean | undefined,
  ],
): ConvLayerOptions {
  return argsOrOptions(
    schema,
    ['stride', 'padding', 'dilation', 'groups', 'bias'],
    args,
    undefined,
  );
}

export class Conv1d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SizeArg,
    strideOrOpts?: SizeArg | ConvLayerOptions,
    padding?: SizeArg | 'same' | 'valid',
    dilation?: SizeArg,
    groups?: number,
    bias?: boolean,
  ) {
    const opts = convArgs(CONV1D, [strideOrOpts, padding, dilation, groups, bias]);
    super(inChannels, outChannels, 1, false, kernelSize, opts);
  }

  forward(input: Tensor): Tensor {
    return conv1d(this.padInput(input), this.weight, this.bias, this.convOptions());
  }

  /** @internal relu(forward(input)), the relu applied as the convolution stores (no hooks run). */
  forwardRelu(input: Tensor): Tensor {
    return convThenRelu(1, this.padInput(input), this.weight, this.bias, this.convOptions());
  }
}

export class Conv2d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SizeArg,
    strideOrOpts?: SizeArg | ConvLayerOptions,
    padding?: SizeArg | 'same' | 'valid',
    dilation?: SizeArg,
    groups?: number,
    bias?: boolean,
  ) {
    const opts = convArgs(CONV2D, [strideOrOpts, padding, dilation, groups, bias]);
    super(inChannels, outChannels, 2, false, kernelSize, opts);
  }

  forward(input: Tensor): Tensor {
    return conv2d(this.padInput(input), this.weight, this.bias, this.convOptions());
  }

  /** @internal relu(forward(input)), the relu applied as the convolution stores (no hooks run). */
  forwardRelu(input: Tensor): Tensor {
    return convThenRelu(2, this.padInput(input), this.weight, this.bias, this.convOptions());
  }
}

export class Conv3d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SizeArg,
    strideOrOpts?: SizeArg | ConvLayerOptions,
    padding?: SizeArg | 'same' | 'valid',
    dilation?: SizeArg,
    groups?: number,
    bias?: boolean,
  ) {
    const opts = convArgs(CONV3D, [strideOrOpts, padding, dilation, groups, bias]);
    super(inChannels, outChannels, 3, false, kernelSize, opts);
  }

  forward(input: Tensor): Tensor {
    return conv3d(this.padInput(input), this.weight, this.bias, this.convOptions());
  }
}

abstract class ConvTransposeNd extends ConvNd {
  constructor(
    name: string,
    inChannels: number,
    outChannels: number,
    nd: number,
    kernelSize: SizeArg,
    opts: ConvTransposeLayerOptions,
  ) {
    if ((opts.paddingMode ?? 'zeros') !== 'zeros')
      throw new ArgumentError(`Only "zeros" padding mode is supported for ${name}`);
    super(inChannels, outChannels, nd, true, kernelSize, opts);
  }

  /** The output padding that yields `outputSize` (PyTorch's _output_padding), else the fixed one. */
  protected outputPaddingFor(input: Tensor, outputSize?: readonly number[]): number[] {
    const nd = this.kernelSize.length;
    const padding = this.padding as readonly number[];
    if (outputSize === undefined) return [...this.outputPadding];
    const nonSpatial = input.ndim === nd + 2 ? 2 : 1;
    const size =
      outputSize.length === nonSpatial + nd ? outputSize.slice(nonSpatial) : [...outputSize];
    if (size.length !== nd) {
      throw new ArgumentError(
        `ConvTranspose${nd}D: for ${input.ndim}D input, output_size must have ${nd} or ${nonSpatial + nd} elements (got ${outputSize.length})`,
      );
    }
    const spatial = input.shape.slice(nonSpatial);
    const min = spatial.map(
      (s, d) =>
        (s - 1) * this.stride[d]! -
        2 * padding[d]! +
        this.dilation[d]! * (this.kernelSize[d]! - 1) +
        1,
    );
    const max = min.map((m, d) => m + this.stride[d]! - 1);
    if (size.some((s, d) => s < min[d]! || s > max[d]!)) {
      throw new ArgumentError(
        `requested an output size of [${size.join(', ')}], but valid sizes range from [${min.join(', ')}] to [${max.join(', ')}] (for an input of torch.Size([${spatial.join(', ')}]))`,
      );
    }
    return size.map((s, d) => s - min[d]!);
  }

  protected transposeOptions(input: Tensor, outputSize?: readonly number[]) {
    return {
      stride: this.stride,
      padding: this.padding as readonly number[],
      outputPadding: this.outputPaddingFor(input, outputSize),
      groups: this.groups,
      dilation: this.dilation,
    };
  }
}

export class ConvTranspose1d extends ConvTransposeNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SizeArg,
    opts?: ConvTransposeLayerOptions,
  ) {
    const o = CONV_TRANSPOSE1D.check(opts) ?? {};
    super('ConvTranspose1d', inChannels, outChannels, 1, kernelSize, o);
  }

  /** `outputSize` picks the output padding that gives that size, as PyTorch's forward. */
  forward(input: Tensor, outputSize?: readonly number[]): Tensor {
    return convTranspose1d(input, this.weight, this.bias, this.transposeOptions(input, outputSize));
  }
}

export class ConvTranspose2d extends ConvTransposeNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SizeArg,
    opts?: ConvTransposeLayerOptions,
  ) {
    const o = CONV_TRANSPOSE2D.check(opts) ?? {};
    super('ConvTranspose2d', inChannels, outChannels, 2, kernelSize, o);
  }

  /** `outputSize` picks the output padding that gives that size, as PyTorch's forward. */
  forward(input: Tensor, outputSize?: readonly number[]): Tensor {
    return convTranspose2d(input, this.weight, this.bias, this.transposeOptions(input, outputSize));
  }
}

export class ConvTranspose3d extends ConvTransposeNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SizeArg,
    opts?: ConvTransposeLayerOptions,
  ) {
    const o = CONV_TRANSPOSE3D.check(opts) ?? {};
    super('ConvTranspose3d', inChannels, outChannels, 3, kernelSize, o);
  }

  /** `outputSize` picks the output padding that gives that size, as PyTorch's forward. */
  forward(input: Tensor, outputSize?: readonly number[]): Tensor {
    return convTranspose3d(input, this.weight, this.bias, this.transposeOptions(input, outputSize));
  }
}

libraryLayers(
  ConvNd,
  Conv1d,
  Conv2d,
  Conv3d,
  ConvTransposeNd,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
);
