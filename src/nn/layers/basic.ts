// Shape-only layers: Identity, Flatten and Unflatten.
import type { Tensor } from '../../tensor.js';
import { libraryLayers, Module } from '../module.js';

export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
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
