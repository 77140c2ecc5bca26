// Chainable decay schedules: StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR and PolynomialLR.
import { argsOrOptions, defineOptions } from '../../options.js';
import { ArgumentError } from '../../errors.js';
import {
  LRScheduler,
  groupNumber,
  groupsOf,
  type SchedulableOptimizer,
  type SchedulerBaseOptions,
  type SchedulerStateDict,
  SCHEDULER_BASE_SPEC,
} from './scheduler.js';

/** The current lr of every group. */
function currentLrs(s: LRScheduler): number[] {
  return groupsOf(s.optimizer).map((g) => groupNumber(g, 'lr'));
}

/** The current lr of every group times `factor`. */
function scaledLrs(s: LRScheduler, factor: number): number[] {
  return groupsOf(s.optimizer).map((g) => groupNumber(g, 'lr') * factor);
}

export interface StepLROptions extends SchedulerBaseOptions {
  /** The period of the decay, in epochs. */
  readonly stepSize: number;
  /** The multiplicative decay. Default 0.1. */
  readonly gamma?: number;
}

const STEP_LR_OPTIONS = defineOptions<StepLROptions>('optim.lrScheduler.StepLR', {
  ...SCHEDULER_BASE_SPEC,
  stepSize: 'integer',
  gamma: 'number',
});

/** Multiplies the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  /** StepLR(optimizer, { stepSize, gamma, ... }), or PyTorch's StepLR(optimizer, stepSize, gamma, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    stepSizeOrOpts: number | StepLROptions,
    gamma?: number,
    lastEpoch?: number,
  ) {
    const args = [stepSizeOrOpts, gamma, lastEpoch];
    const keys = ['stepSize', 'gamma', 'lastEpoch'] as const;
    const opts = argsOrOptions(STEP_LR_OPTIONS, keys, args, undefined) as StepLROptions;
    super(optimizer, opts.lastEpoch, opts.verbose);
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }

  override getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return currentLrs(this);
    return scaledLrs(this, this.gamma);
  }

  protected override getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }

  protected override stateKeys(): Record<string, string> {
    return { step_size: 'stepSize', gamma: 'gamma', ...super.stateKeys() };
  }
}

export interface MultiStepLROptions extends SchedulerBaseOptions {
  /** Epoch indices at which to decay (a repeated milestone decays that many times). */
  readonly milestones: readonly number[];
  /** The multiplicative decay. Default 0.1. */
  readonly gamma?: number;
}

const MULTI_STEPLR_OPTIONS = defineOptions<MultiStepLROptions>('optim.lrScheduler.MultiStepLR', {
  ...SCHEDULER_BASE_SPEC,
  milestones: 'array',
  gamma: 'number',
});

/** Multiplies the lr by gamma at each milestone. */
export class MultiStepLR extends LRScheduler {
  /** Milestone → how many times it was given (PyTorch's Counter). */
  milestones: Map<number, number>;
  gamma: number;

  /** MultiStepLR(optimizer, { milestones, gamma, ... }), or (optimizer, milestones, gamma, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    milestonesOrOpts: readonly number[] | MultiStepLROptions,
    gamma?: number,
    lastEpoch?: number,
  ) {
    const args = [milestonesOrOpts, gamma, lastEpoch];
    const keys = ['milestones', 'gamma', 'lastEpoch'] as const;
    const opts = argsOrOptions(MULTI_STEPLR_OPTIONS, keys, args, undefined) as MultiStepLROptions;
    super(optimizer, opts.lastEpoch, opts.verbose);
    this.milestones = new Map();
    for (const m of opts.milestones) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }

  override getLr(): number[] {
    const count = this.milestones.get(this.lastEpoch);
    if (count === undefined) return currentLrs(this);
    return scaledLrs(this, this.gamma ** count);
  }

  protected override getClosedFormLr(): number[] {
    let passed = 0; // bisect_right over the sorted milestones, counting repeats
    for (const [m, c] of this.milestones) if (m <= this.lastEpoch) passed += c;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }

  protected override stateKeys(): Record<string, string> {
    return { gamma: 'gamma', ...super.stateKeys() };
  }

  /** Milestones are written as PyTorch's Counter: `{ "30": 1, "80": 1 }`. */
  override stateDict(): SchedulerStateDict {
    return { milestones: Object.fromEntries(this.milestones), ...super.stateDict() };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    super.loadStateDict(stateDict);
    const m = stateDict.milestones;
    if (m instanceof Map) this.milestones = new Map(m as Map<number, number>);
    else if (Array.isArray(m)) {
      this.milestones = new Map();
      for (const x of m as number[]) this.milestones.set(x, (this.milestones.get(x) ?? 0) + 1);
    } else if (m !== null && typeof m === 'object') {
      this.milestones = new Map(Object.entries(m).map(([k, c]) => [Number(k), c as number]));
    }
  }
}

export interface ConstantLROptions extends SchedulerBaseOptions {
  /** The factor applied until totalIters. Default 1/3. */
  readonly factor?: number;
  /** The number of steps the factor is applied for. Default 5. */
  readonly totalIters?: number;
}

const CONSTANT_LR_OPTIONS = defineOptions<ConstantLROptions>('optim.lrScheduler.ConstantLR', {
  ...SCHEDULER_BASE_SPEC,
  factor: 'number',
  totalIters: 'integer',
});

/** Multiplies the lr by a constant factor for the first totalIters steps. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  /** Takes an options object, or PyTorch's positionals in its order (factor, totalIters, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    factorOrOpts?: NonNullable<ConstantLROptions['factor']> | ConstantLROptions,
    totalItersArg?: ConstantLROptions['totalIters'],
    lastEpochArg?: ConstantLROptions['lastEpoch'],
  ) {
    const keys = ['factor', 'totalIters', 'lastEpoch'] as const;
    const opts = argsOrOptions(
      CONSTANT_LR_OPTIONS,
      keys,
      [factorOrOpts, totalItersArg, lastEpochArg],
      undefined,
    ) as ConstantLROptions;
    const factor = opts.factor ?? 1.0 / 3;
    if (factor > 1.0 || factor < 0) {
      throw new ArgumentError('Constant multiplicative factor expected to be between 0 and 1.');
    }
    super(optimizer, opts.lastEpoch, opts.verbose);
    this.factor = factor;
    this.totalIters = opts.totalIters ?? 5;
    this.initialStep();
  }

  override getLr(): number[] {
    if (this.lastEpoch === 0) return scaledLrs(this, this.factor);
    if (this.lastEpoch !== this.totalIters) return currentLrs(this);
    return scaledLrs(this, 1.0 / this.factor);
  }

  protected override getClosedFormLr(): number[] {
    const done = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + done * (1 - this.factor)));
  }

  protected override stateKeys(): Record<string, string> {
    return { factor: 'factor', total_iters: 'totalIters', ...super.stateKeys() };
  }
}

export interface LinearLROptions extends SchedulerBaseOptions {
  /** The factor of the first step. Default 1/3. */
  readonly startFactor?: number;
  /** The factor reached at totalIters. Default 1. */
  readonly endFactor?: number;
  /** The number of steps to go from startFactor to endFactor. Default 5. */
  readonly totalIters?: number;
}

const LINEAR_LR_OPTIONS = defineOptions<LinearLROptions>('optim.lrScheduler.LinearLR', {
  ...SCHEDULER_BASE_SPEC,
  startFactor: 'number',
  endFactor: 'number',
  totalIters: 'integer',
});

/** Moves the lr's factor linearly from startFactor to endFactor over totalIters steps. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  /** Takes an options object, or PyTorch's positionals in its order (startFactor, endFactor, totalIters, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    startFactorOrOpts?: NonNullable<LinearLROptions['startFactor']> | LinearLROptions,
    endFactorArg?: LinearLROptions['endFactor'],
    totalItersArg?: LinearLROptions['totalIters'],
    lastEpochArg?: LinearLROptions['lastEpoch'],
  ) {
    const keys = ['startFactor', 'endFactor', 'totalIters', 'lastEpoch'] as const;
    const opts = argsOrOptions(
      LINEAR_LR_OPTIONS,
      keys,
      [startFactorOrOpts, endFactorArg, totalItersArg, lastEpochArg],
      undefined,
    ) as LinearLROptions;
    const startFactor = opts.startFactor ?? 1.0 / 3;
    const endFactor = opts.endFactor ?? 1.0;
    if (startFactor > 1.0 || startFactor < 0) {
      throw new ArgumentError('Starting multiplicative factor expected to be between 0 and 1.');
    }
    if (endFactor > 1.0 || endFactor < 0) {
      throw new ArgumentError('Ending multiplicative factor expected to be between 0 and 1.');
    }
    super(optimizer, opts.lastEpoch, opts.verbose);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = opts.totalIters ?? 5;
    this.initialStep();
  }

  override getLr(): number[] {
    if (this.lastEpoch === 0) return scaledLrs(this, this.startFactor);
    if (this.lastEpoch > this.totalIters) return currentLrs(this);
    const d = this.endFactor - this.startFactor;
    // lr_t = lr_{t-1} · (1 + d / (T·s + (t − 1)·d)): the ratio of consecutive factors
    return scaledLrs(this, 1 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d));
  }

  protected override getClosedFormLr(): number[] {
    const d = this.endFactor - this.startFactor;
    const t = Math.min(this.totalIters, this.lastEpoch);
    return this.baseLrs.map((b) => b * (this.startFactor + (d * t) / this.totalIters));
  }

  protected override stateKeys(): Record<string, string> {
    return {
      start_factor: 'startFactor',
      end_factor: 'endFactor',
      total_iters: 'totalIters',
      ...super.stateKeys(),
    };
  }
}

export interface ExponentialLROptions extends SchedulerBaseOptions {
  /** The multiplicative decay per epoch. */
  readonly gamma: number;
}

const EXPONENTIAL_LR_OPTIONS = defineOptions<ExponentialLROptions>(
  'optim.lrScheduler.ExponentialLR',
  {
    ...SCHEDULER_BASE_SPEC,
    gamma: 'number',
  },
);

/** Multiplies the lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  /** ExponentialLR(optimizer, { gamma, ... }), or (optimizer, gamma, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    gammaOrOpts: number | ExponentialLROptions,
    lastEpoch?: number,
  ) {
    const args = [gammaOrOpts, lastEpoch];
    const keys = ['gamma', 'lastEpoch'] as const;
    const opts = argsOrOptions(
      EXPONENTIAL_LR_OPTIONS,
      keys,
      args,
      undefined,
    ) as ExponentialLROptions;
    super(optimizer, opts.lastEpoch, opts.verbose);
    this.gamma = opts.gamma;
    this.initialStep();
  }

  override getLr(): number[] {
    if (this.lastEpoch === 0) return currentLrs(this);
    return scaledLrs(this, this.gamma);
  }

  protected override getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }

  protected override stateKeys(): Record<string, string> {
    return { gamma: 'gamma', ...super.stateKeys() };
  }
}

export interface PolynomialLROptions extends SchedulerBaseOptions {
  /** The number of steps over which the lr decays to 0. Default 5. */
  readonly totalIters?: number;
  /** The power of the polynomial. Default 1. */
  readonly power?: number;
}

const POLYNOMIAL_LR_OPTIONS = defineOptions<PolynomialLROptions>('optim.lrScheduler.PolynomialLR', {
  ...SCHEDULER_BASE_SPEC,
  totalIters: 'integer',
  power: 'number',
});

/** Decays the lr as (1 − t/totalIters)^power, reaching 0 at totalIters. */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;

  /** Takes an options object, or PyTorch's positionals in its order (totalIters, power, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    totalItersOrOpts?: NonNullable<PolynomialLROptions['totalIters']> | PolynomialLROptions,
    powerArg?: PolynomialLROptions['power'],
    lastEpochArg?: PolynomialLROptions['lastEpoch'],
  ) {
    const keys = ['totalIters', 'power', 'lastEpoch'] as const;
    const opts = argsOrOptions(
      POLYNOMIAL_LR_OPTIONS,
      keys,
      [totalItersOrOpts, powerArg, lastEpochArg],
      undefined,
    ) as PolynomialLROptions;
    super(optimizer, opts.lastEpoch, opts.verbose);
    this.totalIters = opts.totalIters ?? 5;
    this.power = opts.power ?? 1.0;
    this.initialStep();
  }

  override getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return currentLrs(this);
    const t = this.lastEpoch;
    const T = this.totalIters;
    // lr_t = lr_{t-1} · ((1 − t/T) / (1 − (t−1)/T))^p
    return scaledLrs(this, ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** this.power);
  }

  protected override getClosedFormLr(): number[] {
    const t = Math.min(this.totalIters, this.lastEpoch);
    return this.baseLrs.map((b) => b * (1.0 - t / this.totalIters) ** this.power);
  }

  protected override stateKeys(): Record<string, string> {
    return { total_iters: 'totalIters', power: 'power', ...super.stateKeys() };
  }
}
