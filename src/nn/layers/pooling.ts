// Pooling layers: MaxPool1d/2d/3d, MaxUnpool2d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d, printed as PyTorch prints them.
import {
  argsAfterOptions,
  defineOptions,
  isOptionsObject,
  type OptionSchema,
  type Spec,
} from '../../options.js';
import type { Tensor } from '../../tensor.js';
import type { SizeArg } from '../functional/conv.js';
import {
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  adaptiveAvgPool3d,
  avgPool1d,
  avgPool2d,
  avgPool3d,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool2d,
  type AdaptiveSize,
  type AvgPool2dOptions,
  type AvgPoolOptions,
  type MaxPoolOptions,
  type MaxUnpoolOptions,
} from '../functional/pooling.js';
import { libraryLayers, Module } from '../module.js';

/** Python's str of an int or a tuple of ints (None for null). */
function py(v: SizeArg | AdaptiveSize): string {
  if (v === null) return 'None';
  if (typeof v === 'number') return String(v);
  const items = v.map((x) => (x === null ? 'None' : String(x)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

const pyBool = (b: boolean) => (b ? 'True' : 'False');

const MAX_POOL_SPEC: Spec<MaxPoolOptions> = {
  stride: ['dims', 'null'],
  padding: 'dims',
  dilation: 'dims',
  ceilMode: 'boolean',
  returnIndices: 'boolean',
};
const AVG_POOL_SPEC: Spec<AvgPoolOptions> = {
  stride: ['dims', 'null'],
  padding: 'dims',
  ceilMode: 'boolean',
  countIncludePad: 'boolean',
};
const MAX_POOL1D = defineOptions<MaxPoolOptions>('nn.MaxPool1d', MAX_POOL_SPEC);
const MAX_POOL2D = defineOptions<MaxPoolOptions>('nn.MaxPool2d', MAX_POOL_SPEC);
const AVG_POOL1D = defineOptions<AvgPoolOptions>('nn.AvgPool1d', AVG_POOL_SPEC);
const AVG_POOL2D = defineOptions<AvgPool2dOptions>('nn.AvgPool2d', {
  ...AVG_POOL_SPEC,
  divisorOverride: ['number', 'null'],
});
const MAX_POOL3D = defineOptions<MaxPoolOptions>('nn.MaxPool3d', MAX_POOL_SPEC);
const AVG_POOL3D = defineOptions<AvgPool2dOptions>('nn.AvgPool3d', {
  ...AVG_POOL_SPEC,
  divisorOverride: ['number', 'null'],
});
const MAX_UNPOOL2D = defineOptions<Omit<MaxUnpoolOptions, 'outputSize'>>('nn.MaxUnpool2d', {
  stride: ['dims', 'null'],
  padding: 'dims',
});

/** A pool's options: an options object, or the stride alone (PyTorch's second positional argument). */
function poolOptions<O extends { readonly stride?: SizeArg | null }>(
  schema: OptionSchema<O>,
  strideOrOpts: SizeArg | O | undefined,
): O | undefined {
  if (typeof strideOrOpts === 'number' || Array.isArray(strideOrOpts)) {
    schema.checkArg('stride', strideOrOpts);
    return { stride: strideOrOpts } as O;
  }
  return schema.check(strideOrOpts);
}

/** What a max pool's forward returns: the output, or [output, indices] with returnIndices. */
export type MaxPoolResult<I extends boolean> = I extends true ? [Tensor, Tensor] : Tensor;

abstract class MaxPoolNd<I extends boolean> extends Module {
  readonly stride: SizeArg;
  readonly padding: SizeArg;
  readonly dilation: SizeArg;
  readonly ceilMode: boolean;
  readonly returnIndices: I;

  constructor(
    readonly kernelSize: SizeArg,
    opts?: MaxPoolOptions & { readonly returnIndices?: I },
  ) {
    super();
    this.stride = opts?.stride ?? kernelSize;
    this.padding = opts?.padding ?? 0;
    this.dilation = opts?.dilation ?? 1;
    this.ceilMode = opts?.ceilMode ?? false;
    this.returnIndices = (opts?.returnIndices ?? false) as I;
  }

  protected options(): MaxPoolOptions {
    return {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    };
  }

  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}, dilation=${py(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

export class MaxPool1d<I extends boolean = false> extends MaxPoolNd<I> {
  /** MaxPool1d(kernelSize, stride?) or MaxPool1d(kernelSize, { stride, padding, ... }). */
  constructor(
    kernelSize: SizeArg,
    strideOrOpts?: SizeArg | (MaxPoolOptions & { readonly returnIndices?: I }),
  ) {
    super(
      kernelSize,
      poolOptions(MAX_POOL1D, strideOrOpts) as MaxPoolOptions & { readonly returnIndices?: I },
    );
  }
  forward(input: Tensor): MaxPoolResult<I> {
    return maxPool1d(input, this.kernelSize, this.options()) as MaxPoolResult<I>;
  }
}

/** nn.MaxPool2d; with returnIndices its forward gives [output, indices] (for nn.MaxUnpool2d). */
export class MaxPool2d<I extends boolean = false> extends MaxPoolNd<I> {
  /** MaxPool2d(kernelSize, stride?) or MaxPool2d(kernelSize, { stride, padding, ... }). */
  constructor(
    kernelSize: SizeArg,
    strideOrOpts?: SizeArg | (MaxPoolOptions & { readonly returnIndices?: I }),
  ) {
    super(
      kernelSize,
      poolOptions(MAX_POOL2D, strideOrOpts) as MaxPoolOptions & { readonly returnIndices?: I },
    );
  }
  forward(input: Tensor): MaxPoolResult<I> {
    return maxPool2d(input, this.kernelSize, this.options()) as MaxPoolResult<I>;
  }
}

/** nn.MaxUnpool2d: forward(input, indices, outputSize?) undoes a MaxPool2d that returned indices. */
export class MaxUnpool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  /** MaxUnpool2d(kernelSize, stride?, padding?) or MaxUnpool2d(kernelSize, { stride, padding }). */
  constructor(
    kernelSize: SizeArg,
    strideOrOpts?: SizeArg | Omit<MaxUnpoolOptions, 'outputSize'>,
    padding?: SizeArg,
  ) {
    super();
    const opts = poolOptions(MAX_UNPOOL2D, strideOrOpts);
    MAX_UNPOOL2D.checkArg('padding', padding);
    if (padding !== undefined && isOptionsObject(strideOrOpts))
      throw argsAfterOptions(MAX_UNPOOL2D.name);
    const pair = (v: SizeArg): [number, number] =>
      typeof v === 'number' ? [v, v] : v.length === 1 ? [v[0]!, v[0]!] : [v[0]!, v[1]!];
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts?.stride ?? kernelSize);
    this.padding = pair(padding ?? opts?.padding ?? 0);
  }

  forward(input: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
    return maxUnpool2d(input, indices, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      outputSize: outputSize ?? null,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

export class AvgPool1d extends Module {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(kernelSize: SizeArg, strideOrOpts?: SizeArg | AvgPoolOptions) {
    super();
    const opts = poolOptions(AVG_POOL1D, strideOrOpts);
    // NOTE: PyTorch's AvgPool1d stores one-element tuples, so it prints kernel_size=(3,).
    const single = (v: SizeArg) => (typeof v === 'number' ? [v] : [...v]);
    this.kernelSize = single(kernelSize);
    this.stride = single(opts?.stride ?? kernelSize);
    this.padding = single(opts?.padding ?? 0);
    this.ceilMode = opts?.ceilMode ?? false;
    this.countIncludePad = opts?.countIncludePad ?? true;
  }

  forward(input: Tensor): Tensor {
    return avgPool1d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

export class AvgPool2d extends Module {
  readonly stride: SizeArg;
  readonly padding: SizeArg;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(
    readonly kernelSize: SizeArg,
    strideOrOpts?: SizeArg | AvgPool2dOptions,
  ) {
    super();
    const opts = poolOptions(AVG_POOL2D, strideOrOpts);
    this.stride = opts?.stride ?? kernelSize;
    this.padding = opts?.padding ?? 0;
    this.ceilMode = opts?.ceilMode ?? false;
    this.countIncludePad = opts?.countIncludePad ?? true;
    this.divisorOverride = opts?.divisorOverride ?? null;
  }

  forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

export class AdaptiveAvgPool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
  }

  forward(input: Tensor): Tensor {
    return adaptiveAvgPool1d(input, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${py(this.outputSize)}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  /** A number, or [h, w] where null keeps that dim of the input. */
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }

  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${py(this.outputSize)}`;
  }
}

/** nn.MaxPool3d; with returnIndices its forward gives [output, indices]. */
export class MaxPool3d<I extends boolean = false> extends MaxPoolNd<I> {
  /** MaxPool3d(kernelSize, stride?) or MaxPool3d(kernelSize, { stride, padding, ... }). */
  constructor(
    kernelSize: SizeArg,
    strideOrOpts?: SizeArg | (MaxPoolOptions & { readonly returnIndices?: I }),
  ) {
    super(
      kernelSize,
      poolOptions(MAX_POOL3D, strideOrOpts) as MaxPoolOptions & { readonly returnIndices?: I },
    );
  }
  forward(input: Tensor): MaxPoolResult<I> {
    return maxPool3d(input, this.kernelSize, this.options()) as MaxPoolResult<I>;
  }
}

export class AvgPool3d extends Module {
  readonly stride: SizeArg;
  readonly padding: SizeArg;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(
    readonly kernelSize: SizeArg,
    strideOrOpts?: SizeArg | AvgPool2dOptions,
  ) {
    super();
    const opts = poolOptions(AVG_POOL3D, strideOrOpts);
    this.stride = opts?.stride ?? kernelSize;
    this.padding = opts?.padding ?? 0;
    this.ceilMode = opts?.ceilMode ?? false;
    this.countIncludePad = opts?.countIncludePad ?? true;
    this.divisorOverride = opts?.divisorOverride ?? null;
  }

  forward(input: Tensor): Tensor {
    return avgPool3d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

export class AdaptiveAvgPool3d extends Module {
  /** A number, or [d, h, w] where null keeps that dim of the input. */
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }

  forward(input: Tensor): Tensor {
    return adaptiveAvgPool3d(input, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${py(this.outputSize)}`;
  }
}

libraryLayers(
  MaxPoolNd,
  MaxPool1d,
  MaxPool2d,
  MaxUnpool2d,
  AvgPool1d,
  AvgPool2d,
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  MaxPool3d,
  AvgPool3d,
  AdaptiveAvgPool3d,
);
