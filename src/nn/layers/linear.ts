// nn.Linear: y = x·Wᵀ + b, initialised as PyTorch initialises it (so a seed gives PyTorch's weights).
import { defineOptions, DTYPE } from '../../options.js';
import type { DType } from '../../dtype.js';
import { empty } from '../../functions/creation.js';
import type { Tensor } from '../../tensor.js';
import { linear, linearThen } from '../functional/activation.js';
import type { Epilogue } from '../../primitives.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';
import { libraryLayers, Module } from '../module.js';
import { Parameter } from '../parameter.js';

export interface LinearOptions {
  readonly bias?: boolean;
  readonly dtype?: DType;
}

const LINEAR = defineOptions<LinearOptions>('nn.Linear', { bias: 'boolean', dtype: DTYPE });

export class Linear extends Module {
  /** [outFeatures, inFeatures], PyTorch's layout. */
  weight: Tensor;
  bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    biasOrOpts?: boolean | LinearOptions,
  ) {
    super();
    // NOTE: PyTorch's third positional argument is bias: Linear(2, 3, false).
    const opts = typeof biasOrOpts === 'boolean' ? { bias: biasOrOpts } : LINEAR.check(biasOrOpts);
    const dtype = opts?.dtype ?? 'float32';
    this.weight = Parameter(empty([outFeatures, inFeatures], { dtype }));
    this.bias = (opts?.bias ?? true) ? Parameter(empty([outFeatures], { dtype })) : null;
    this.resetParameters();
  }

  /** Kaiming-uniform weights with a = √5 and U(−1/√fanIn, 1/√fanIn) biases, as PyTorch. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  /**
   * @internal forward, then the activation, which the product applies as it stores its sums
   * (nn.Sequential runs Linear → ReLU / GELU so; no hooks run).
   */
  forwardThen(input: Tensor, activation: Epilogue): Tensor {
    return linearThen(input, this.weight, this.bias, activation);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

libraryLayers(Linear);
