// Activation layers: thin Modules over nn.functional (ReLU, LeakyReLU, PReLU, ELU, SELU, GELU, CELU, ...).
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

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

export class PReLU extends Module {
  weight: Tensor;
  constructor(
    readonly numParameters = 1,
    init = 0.25,
  ) {
    super();
    this.weight = Parameter(full([numParameters], init));
  }
  forward(input: Tensor): Tensor {
    return F.prelu(input, this.weight);
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
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

export class GELU extends Module {
  constructor(readonly approximate: F.GeluApproximate = 'none') {
    super();
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

export class Hardtanh extends Module {
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1,
  ) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.hardtanh(input, this.minVal, this.maxVal);
  }
  override extraRepr(): string {
    return `min_val=${this.minVal}, max_val=${this.maxVal}`;
  }
}

export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.softplus(input, { beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class CELU extends Module {
  constructor(readonly alpha = 1) {
    super();
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

export class Softmin extends Module {
  constructor(readonly dim: number) {
    super();
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
