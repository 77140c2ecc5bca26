// Activation layers: thin Modules over nn.functional (ReLU, LeakyReLU, PReLU, ELU, SELU, GELU, CELU, ...).
import { ArgumentError } from '../../errors.js';
import { argsOrOptions, defineOptions } from '../../options.js';
import { full } from '../../functions/creation.js';
import type { Tensor } from '../../tensor.js';
import * as F from '../functional/activation.js';
import { libraryLayers, Module } from '../module.js';
import { Parameter } from '../parameter.js';

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return F.relu(input);
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.sigmoid(input);
  }
}

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return F.tanh(input);
  }
}

const LEAKY_RELU = defineOptions<{ negativeSlope?: number }>('nn.LeakyReLU', {
  negativeSlope: 'number',
});

export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  /** LeakyReLU(negativeSlope = 0.01), or LeakyReLU({ negativeSlope }). */
  constructor(negativeSlope?: number | { negativeSlope?: number }) {
    super();
    const o = argsOrOptions(LEAKY_RELU, ['negativeSlope'], [negativeSlope], undefined);
    this.negativeSlope = o.negativeSlope ?? 0.01;
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

interface PReLUOptions {
  readonly numParameters?: number;
  readonly init?: number;
}
const PRELU = defineOptions<PReLUOptions>('nn.PReLU', { numParameters: 'integer', init: 'number' });

export class PReLU extends Module {
  weight: Tensor;
  readonly numParameters: number;

  /** PReLU(numParameters = 1, init = 0.25), or PReLU({ numParameters, init }). */
  constructor(numParameters?: number | PReLUOptions, init?: number) {
    super();
    const o = argsOrOptions(PRELU, ['numParameters', 'init'], [numParameters, init], undefined);
    this.numParameters = o.numParameters ?? 1;
    this.weight = Parameter(full([this.numParameters], o.init ?? 0.25));
  }
  forward(input: Tensor): Tensor {
    return F.prelu(input, this.weight);
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

const ELU_OPTIONS = defineOptions<{ alpha?: number }>('nn.ELU', { alpha: 'number' });

export class ELU extends Module {
  readonly alpha: number;

  /** ELU(alpha = 1), or ELU({ alpha }). */
  constructor(alpha?: number | { alpha?: number }) {
    super();
    this.alpha = argsOrOptions(ELU_OPTIONS, ['alpha'], [alpha], undefined).alpha ?? 1;
  }
  forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class SELU extends Module {
  forward(input: Tensor): Tensor {
    return F.selu(input);
  }
}

const GELU_OPTIONS = defineOptions<{ approximate?: F.GeluApproximate }>('nn.GELU', {
  approximate: 'string',
});

export class GELU extends Module {
  readonly approximate: F.GeluApproximate;

  /** GELU(approximate = 'none'), or GELU({ approximate }). */
  constructor(approximate?: F.GeluApproximate | { approximate?: F.GeluApproximate }) {
    super();
    const o = argsOrOptions(GELU_OPTIONS, ['approximate'], [approximate], undefined);
    this.approximate = o.approximate ?? 'none';
  }
  forward(input: Tensor): Tensor {
    return F.gelu(input, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return F.silu(input);
  }
}

export class Mish extends Module {
  forward(input: Tensor): Tensor {
    return F.mish(input);
  }
}

interface HardtanhOptions {
  readonly minVal?: number;
  readonly maxVal?: number;
}
const HARDTANH = defineOptions<HardtanhOptions>('nn.Hardtanh', {
  minVal: 'number',
  maxVal: 'number',
});

export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;

  /** Hardtanh(minVal = -1, maxVal = 1), or Hardtanh({ minVal, maxVal }). */
  constructor(minVal?: number | HardtanhOptions, maxVal?: number) {
    super();
    const o = argsOrOptions(HARDTANH, ['minVal', 'maxVal'], [minVal, maxVal], undefined);
    this.minVal = o.minVal ?? -1;
    this.maxVal = o.maxVal ?? 1;
  }
  forward(input: Tensor): Tensor {
    return F.hardtanh(input, this.minVal, this.maxVal);
  }
  override extraRepr(): string {
    return `min_val=${this.minVal}, max_val=${this.maxVal}`;
  }
}

interface SoftplusOptions {
  readonly beta?: number;
  readonly threshold?: number;
}
const SOFTPLUS = defineOptions<SoftplusOptions>('nn.Softplus', {
  beta: 'number',
  threshold: 'number',
});

export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;

  /** Softplus(beta = 1, threshold = 20), or Softplus({ beta, threshold }). */
  constructor(beta?: number | SoftplusOptions, threshold?: number) {
    super();
    const o = argsOrOptions(SOFTPLUS, ['beta', 'threshold'], [beta, threshold], undefined);
    this.beta = o.beta ?? 1;
    this.threshold = o.threshold ?? 20;
  }
  forward(input: Tensor): Tensor {
    return F.softplus(input, { beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

const SOFTMAX = defineOptions<{ dim?: number }>('nn.Softmax', { dim: 'integer' });

export class Softmax extends Module {
  readonly dim: number;

  /** Softmax(dim), or Softmax({ dim }). */
  constructor(dim: number | { dim?: number }) {
    super();
    const d = argsOrOptions(SOFTMAX, ['dim'], [dim], undefined).dim;
    if (d === undefined) throw new ArgumentError('Softmax(): dim is required');
    this.dim = d;
  }
  forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

const LOG_SOFTMAX = defineOptions<{ dim?: number }>('nn.LogSoftmax', { dim: 'integer' });

export class LogSoftmax extends Module {
  readonly dim: number;

  /** LogSoftmax(dim), or LogSoftmax({ dim }). */
  constructor(dim: number | { dim?: number }) {
    super();
    const d = argsOrOptions(LOG_SOFTMAX, ['dim'], [dim], undefined).dim;
    if (d === undefined) throw new ArgumentError('LogSoftmax(): dim is required');
    this.dim = d;
  }
  forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

const CELU_OPTIONS = defineOptions<{ alpha?: number }>('nn.CELU', { alpha: 'number' });

export class CELU extends Module {
  readonly alpha: number;

  /** CELU(alpha = 1), or CELU({ alpha }). */
  constructor(alpha?: number | { alpha?: number }) {
    super();
    this.alpha = argsOrOptions(CELU_OPTIONS, ['alpha'], [alpha], undefined).alpha ?? 1;
  }
  forward(input: Tensor): Tensor {
    return F.celu(input, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class Hardswish extends Module {
  forward(input: Tensor): Tensor {
    return F.hardswish(input);
  }
}

export class Hardsigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.hardsigmoid(input);
  }
}

export class LogSigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.logsigmoid(input);
  }
}

export class Softsign extends Module {
  forward(input: Tensor): Tensor {
    return F.softsign(input);
  }
}

const SOFTMIN = defineOptions<{ dim?: number }>('nn.Softmin', { dim: 'integer' });

export class Softmin extends Module {
  readonly dim: number;

  /** Softmin(dim), or Softmin({ dim }). */
  constructor(dim: number | { dim?: number }) {
    super();
    const d = argsOrOptions(SOFTMIN, ['dim'], [dim], undefined).dim;
    if (d === undefined) throw new ArgumentError('Softmin(): dim is required');
    this.dim = d;
  }
  forward(input: Tensor): Tensor {
    return F.softmin(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

libraryLayers(
  ReLU,
  Sigmoid,
  Tanh,
  LeakyReLU,
  PReLU,
  ELU,
  SELU,
  GELU,
  SiLU,
  Mish,
  Hardtanh,
  Softplus,
  Softmax,
  LogSoftmax,
  CELU,
  Hardswish,
  Hardsigmoid,
  LogSigmoid,
  Softsign,
  Softmin,
);
