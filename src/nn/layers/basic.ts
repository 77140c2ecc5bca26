// Shape-only layers: Identity, Flatten and Unflatten.
import { argsOrOptions, defineOptions } from '../../options.js';
import type { Tensor } from '../../tensor.js';
import { libraryLayers, Module } from '../module.js';

export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

interface FlattenOptions {
  readonly startDim?: number;
  readonly endDim?: number;
}
const FLATTEN = defineOptions<FlattenOptions>('nn.Flatten', {
  startDim: 'integer',
  endDim: 'integer',
});

export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  /** Flatten(startDim = 1, endDim = -1), or Flatten({ startDim, endDim }). */
  constructor(startDim?: number | FlattenOptions, endDim?: number) {
    super();
    const o = argsOrOptions(FLATTEN, ['startDim', 'endDim'], [startDim, endDim], undefined);
    this.startDim = o.startDim ?? 1;
    this.endDim = o.endDim ?? -1;
  }

  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

export class Unflatten extends Module {
  constructor(
    readonly dim: number,
    readonly unflattenedSize: readonly number[],
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return input.unflatten(this.dim, this.unflattenedSize);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=[${this.unflattenedSize.join(', ')}]`;
  }
}

libraryLayers(Identity, Flatten, Unflatten);
