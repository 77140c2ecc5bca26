// Cosine schedules: CosineAnnealingLR (PyTorch's recursive form) and CosineAnnealingWarmRestarts (SGDR).
import { argsOrOptions, defineOptions } from '../../options.js';
import { ArgumentError } from '../../errors.js';
import {
  LRScheduler,
  groupNumber,
  groupsOf,
  type SchedulableOptimizer,
  type SchedulerBaseOptions,
  SCHEDULER_BASE_SPEC,
} from './scheduler.js';

export interface CosineAnnealingLROptions extends SchedulerBaseOptions {
  /** Half the period: the lr goes from its initial value to etaMin in tMax steps (PyTorch's T_max). */
  readonly tMax: number;
  /** The minimum lr. Default 0. */
  readonly etaMin?: number;
}

/**
 * tMax = 0 divides by zero: PyTorch raises ZeroDivisionError at the first step; this says why,
 * when the scheduler is made.
 */
function checkTMax(tMax: number): void {
  if (typeof tMax !== 'number' || tMax === 0 || Number.isNaN(tMax)) {
    throw new ArgumentError(
      `CosineAnnealingLR: T_max (tMax) must be a non-zero number of steps, but got ${String(tMax)}`,
    );
  }
}

const COSINE_ANNEALINGLR_OPTIONS = defineOptions<CosineAnnealingLROptions>(
  'optim.lrScheduler.CosineAnnealingLR',
  {
    ...SCHEDULER_BASE_SPEC,
    tMax: 'number',
    etaMin: 'number',
  },
);

/**
 * Anneals the lr along a cosine from the initial lr to etaMin over tMax steps, then back up.
 * NOTE: like PyTorch, each step is computed from the current lr (so changes made to the lr by
 * others carry through); the closed form is used only for step(epoch).
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  /** CosineAnnealingLR(optimizer, { tMax, etaMin, ... }), or (optimizer, tMax, etaMin, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    tMaxOrOpts: number | CosineAnnealingLROptions,
    etaMin?: number,
    lastEpoch?: number,
  ) {
    const args = [tMaxOrOpts, etaMin, lastEpoch];
    const keys = ['tMax', 'etaMin', 'lastEpoch'] as const;
    const opts = argsOrOptions(
      COSINE_ANNEALINGLR_OPTIONS,
      keys,
      args,
      undefined,
    ) as CosineAnnealingLROptions;
    checkTMax(opts.tMax);
    super(optimizer, opts.lastEpoch, opts.verbose);
    this.tMax = opts.tMax;
    this.etaMin = opts.etaMin ?? 0;
    this.initialStep();
  }

  override getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    const { lastEpoch: t, tMax: T, etaMin } = this;
    checkTMax(T); // (also after loadStateDict)
    if (t === 0) return groups.map((g) => groupNumber(g, 'lr'));
    if (this.stepCount === 1 && t > 0) {
      return this.baseLrs.map(
        (b) => etaMin + ((b - etaMin) * (1 + Math.cos((t * Math.PI) / T))) / 2,
      );
    }
    if ((t - 1 - T) % (2 * T) === 0) {
      // just past the minimum: lr_t = lr_{t-1} + (base − ηmin)(1 − cos(π/T))/2
      return groups.map(
        (g, i) =>
          groupNumber(g, 'lr') + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2,
      );
    }
    // lr_t = ηmin + (lr_{t-1} − ηmin)(1 + cos(πt/T)) / (1 + cos(π(t−1)/T))
    return groups.map(
      (g) =>
        ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) *
          (groupNumber(g, 'lr') - etaMin) +
        etaMin,
    );
  }

  protected override getClosedFormLr(): number[] {
    const { lastEpoch: t, tMax: T, etaMin } = this;
    checkTMax(T);
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * t) / T))) / 2);
  }

  protected override stateKeys(): Record<string, string> {
    return { T_max: 'tMax', eta_min: 'etaMin', ...super.stateKeys() };
  }
}

export interface CosineAnnealingWarmRestartsOptions extends SchedulerBaseOptions {
  /** The number of steps until the first restart (PyTorch's T_0): a positive integer. */
  readonly t0: number;
  /** The factor by which the period grows after each restart (PyTorch's T_mult). Default 1. */
  readonly tMult?: number;
  /** The minimum lr. Default 0. */
  readonly etaMin?: number;
}

const COSINE_ANNEALING_WARM_RESTARTS_OPTIONS = defineOptions<CosineAnnealingWarmRestartsOptions>(
  'optim.lrScheduler.CosineAnnealingWarmRestarts',
  {
    ...SCHEDULER_BASE_SPEC,
    t0: 'number',
    tMult: 'number',
    etaMin: 'number',
  },
);

/** Cosine annealing with warm restarts (SGDR); step(epoch) accepts fractional epochs. */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  /** The length of the current period (PyTorch's T_i). */
  tI: number;
  tMult: number;
  etaMin: number;
  /** Steps (or fractional epochs) since the last restart (PyTorch's T_cur). */
  tCur: number;

  /** Takes an options object, or PyTorch's positionals in its order (t0, tMult, etaMin, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    t0OrOpts:
      NonNullable<CosineAnnealingWarmRestartsOptions['t0']> | CosineAnnealingWarmRestartsOptions,
    tMultArg?: CosineAnnealingWarmRestartsOptions['tMult'],
    etaMinArg?: CosineAnnealingWarmRestartsOptions['etaMin'],
    lastEpochArg?: CosineAnnealingWarmRestartsOptions['lastEpoch'],
  ) {
    const keys = ['t0', 'tMult', 'etaMin', 'lastEpoch'] as const;
    const opts = argsOrOptions(
      COSINE_ANNEALING_WARM_RESTARTS_OPTIONS,
      keys,
      [t0OrOpts, tMultArg, etaMinArg, lastEpochArg],
      undefined,
    ) as CosineAnnealingWarmRestartsOptions;
    const { t0 } = opts;
    const tMult = opts.tMult ?? 1;
    if (!Number.isInteger(t0) || t0 <= 0) {
      throw new ArgumentError(`Expected positive integer T_0, but got ${t0}`);
    }
    if (!Number.isInteger(tMult) || tMult < 1) {
      throw new ArgumentError(`Expected integer T_mult >= 1, but got ${tMult}`);
    }
    super(optimizer, opts.lastEpoch, opts.verbose);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = opts.etaMin ?? 0;
    this.tCur = this.lastEpoch;
    this.initialStep();
  }

  override getLr(): number[] {
    const { etaMin, tCur, tI } = this;
    return this.baseLrs.map(
      (b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2,
    );
  }

  /** One step, or a jump to `epoch` (which may be fractional: epoch + batch / batches). */
  override step(epoch?: number): void {
    // NOTE: PyTorch's override does not count steps (_step_count stays 0); neither does this.
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    let e: number;
    if (epoch === undefined) {
      e = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur - this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      if (epoch < 0) throw new ArgumentError(`Expected non-negative epoch, but got ${epoch}`);
      e = epoch;
      if (epoch >= this.t0) {
        if (this.tMult === 1) {
          this.tCur = pyMod(epoch, this.t0);
        } else {
          // n = the number of restarts so far: log_{T_mult}(epoch/T_0 · (T_mult − 1) + 1)
          const n = Math.trunc(
            Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult),
          );
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(e);
    let values: number[];
    this.getLrCalledWithinStep = true;
    try {
      values = this.getLr();
    } finally {
      this.getLrCalledWithinStep = false;
    }
    this.applyLrs(values, epoch);
  }

  protected override stateKeys(): Record<string, string> {
    return {
      T_0: 't0',
      T_i: 'tI',
      T_mult: 'tMult',
      eta_min: 'etaMin',
      T_cur: 'tCur',
      ...super.stateKeys(),
    };
  }
}

/** Python's float modulo (the sign of the divisor). */
function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}
