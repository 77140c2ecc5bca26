// nn.Dropout: random zeroing with 1/(1 − p) scaling in training mode, identity in eval mode.
import { argsOrOptions, defineOptions } from '../../options.js';
import { ArgumentError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { dropout } from '../functional/activation.js';
import { libraryLayers, Module } from '../module.js';

const DROPOUT = defineOptions<{ p?: number }>('nn.Dropout', { p: 'number' });

export class Dropout extends Module {
  readonly p: number;

  /** Dropout(p = 0.5), or Dropout({ p }). */
  constructor(pOrOpts?: number | { p?: number }) {
    super();
    const p = argsOrOptions(DROPOUT, ['p'], [pOrOpts], undefined).p ?? 0.5;
    this.p = p;
    if (!(p >= 0 && p <= 1))
      throw new ArgumentError(`dropout probability has to be between 0 and 1, but got ${p}`);
  }

  forward(input: Tensor): Tensor {
    return dropout(input, { p: this.p, training: this.training });
  }

  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}

libraryLayers(Dropout);
