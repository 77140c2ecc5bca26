// ReduceLROnPlateau: lowers the lr when a watched metric stops improving (driven by step(metric)).
import { argsOrOptions, defineOptions } from '../../options.js';
import { ArgumentError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import {
  checkOptimizer,
  cloneState,
  formatEpoch,
  formatExp,
  groupNumber,
  groupsOf,
  type SchedulableOptimizer,
  type SchedulerStateDict,
} from './scheduler.js';

export interface ReduceLROnPlateauOptions {
  /** 'min': reduce when the metric stops decreasing; 'max': when it stops increasing. Default 'min'. */
  readonly mode?: 'min' | 'max';
  /** new lr = lr × factor. Default 0.1. */
  readonly factor?: number;
  /** The number of epochs without improvement tolerated before reducing. Default 10. */
  readonly patience?: number;
  /** How much better than the best a metric must be to count. Default 1e-4. */
  readonly threshold?: number;
  /** 'rel': best × (1 ∓ threshold); 'abs': best ∓ threshold. Default 'rel'. */
  readonly thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. Default 0. */
  readonly cooldown?: number;
  /** A lower bound on the lr (per group, or one for all). Default 0. */
  readonly minLr?: number | readonly number[];
  /** Reductions smaller than eps are skipped. Default 1e-8. */
  readonly eps?: number;
  /** Prints a line for every reduction. Default false. */
  readonly verbose?: boolean;
}

const REDUCE_LR_ON_PLATEAU_OPTIONS = defineOptions<ReduceLROnPlateauOptions>(
  'optim.lrScheduler.ReduceLROnPlateau',
  {
    mode: 'string',
    factor: 'number',
    patience: 'integer',
    threshold: 'number',
    thresholdMode: 'string',
    cooldown: 'integer',
    minLr: ['number', 'array'],
    eps: 'number',
    verbose: 'boolean',
  },
);

/**
 * Reduces the lr by `factor` once the metric given to step() has not improved for more than
 * `patience` epochs. Not an LRScheduler (as in PyTorch 1.13): its step takes the metric.
 */
export class ReduceLROnPlateau {
  readonly optimizer: SchedulableOptimizer;
  factor: number;
  minLrs: number[];
  patience: number;
  verbose: boolean;
  cooldown: number;
  cooldownCounter = 0;
  mode: 'min' | 'max' = 'min';
  threshold = 1e-4;
  thresholdMode: 'rel' | 'abs' = 'rel';
  /** The best metric so far (±Infinity before the first). */
  best = Infinity;
  numBadEpochs = 0;
  /** The worst value for the mode (the start of `best`). */
  modeWorse = Infinity;
  eps: number;
  lastEpoch = 0;
  #lastLr: number[];

  /** Takes an options object, or PyTorch's positionals in its order (mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps). */
  constructor(
    optimizer: SchedulableOptimizer,
    modeOrOpts?: NonNullable<ReduceLROnPlateauOptions['mode']> | ReduceLROnPlateauOptions,
    factorArg?: ReduceLROnPlateauOptions['factor'],
    patienceArg?: ReduceLROnPlateauOptions['patience'],
    thresholdArg?: ReduceLROnPlateauOptions['threshold'],
    thresholdModeArg?: ReduceLROnPlateauOptions['thresholdMode'],
    cooldownArg?: ReduceLROnPlateauOptions['cooldown'],
    minLrArg?: ReduceLROnPlateauOptions['minLr'],
    epsArg?: ReduceLROnPlateauOptions['eps'],
  ) {
    const keys = [
      'mode',
      'factor',
      'patience',
      'threshold',
      'thresholdMode',
      'cooldown',
      'minLr',
      'eps',
    ] as const;
    const opts = argsOrOptions(
      REDUCE_LR_ON_PLATEAU_OPTIONS,
      keys,
      [
        modeOrOpts,
        factorArg,
        patienceArg,
        thresholdArg,
        thresholdModeArg,
        cooldownArg,
        minLrArg,
        epsArg,
      ],
      undefined,
    ) as ReduceLROnPlateauOptions;
    const factor = opts.factor ?? 0.1;
    if (factor >= 1.0) throw new ArgumentError('Factor should be < 1.0.');
    checkOptimizer(optimizer);
    const minLr = opts.minLr ?? 0;
    const n = optimizer.paramGroups.length;
    if (Array.isArray(minLr) && minLr.length !== n) {
      throw new ArgumentError(`expected ${n} min_lrs, got ${minLr.length}`);
    }
    this.factor = factor;
    this.optimizer = optimizer;
    this.minLrs = Array.isArray(minLr)
      ? [...(minLr as number[])]
      : new Array<number>(n).fill(minLr as number);
    this.patience = opts.patience ?? 10;
    this.verbose = opts.verbose ?? false;
    this.cooldown = opts.cooldown ?? 0;
    this.eps = opts.eps ?? 1e-8;
    this.#initIsBetter(opts.mode ?? 'min', opts.threshold ?? 1e-4, opts.thresholdMode ?? 'rel');
    this.#reset();
    this.#lastLr = this.#currentLrs();
  }

  #currentLrs(): number[] {
    return groupsOf(this.optimizer).map((g) => groupNumber(g, 'lr'));
  }

  /** Resets the bad-epoch and cooldown counters. */
  #reset(): void {
    this.best = this.modeWorse;
    this.cooldownCounter = 0;
    this.numBadEpochs = 0;
  }

  #initIsBetter(mode: string, threshold: number, thresholdMode: string): void {
    if (mode !== 'min' && mode !== 'max') throw new ArgumentError(`mode ${mode} is unknown!`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new ArgumentError(`threshold mode ${thresholdMode} is unknown!`);
    }
    this.modeWorse = mode === 'min' ? Infinity : -Infinity;
    this.mode = mode;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Whether metric `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** Records one epoch's metric (a number or a one-element tensor) and reduces the lr if due. */
  step(metrics: number | Tensor, epoch?: number): void {
    const current = metrics instanceof Tensor ? Number(metrics.item()) : Number(metrics);
    const e = epoch ?? this.lastEpoch + 1;
    this.lastEpoch = e;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.#reduceLr(e);
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.#lastLr = this.#currentLrs();
  }

  #reduceLr(epoch: number): void {
    groupsOf(this.optimizer).forEach((g, i) => {
      const oldLr = groupNumber(g, 'lr');
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]!);
      if (oldLr - newLr > this.eps) {
        g.lr = newLr;
        if (this.verbose) {
          console.log(
            `Epoch ${formatEpoch(epoch)}: reducing learning rate of group ${i} to ${formatExp(newLr)}.`,
          );
        }
      }
    });
  }

  /** The lrs after the last step, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** The state under PyTorch's key names. */
  stateDict(): SchedulerStateDict {
    return {
      factor: this.factor,
      min_lrs: [...this.minLrs],
      patience: this.patience,
      verbose: this.verbose,
      cooldown: this.cooldown,
      cooldown_counter: this.cooldownCounter,
      mode: this.mode,
      threshold: this.threshold,
      threshold_mode: this.thresholdMode,
      best: this.best,
      num_bad_epochs: this.numBadEpochs,
      mode_worse: this.modeWorse,
      eps: this.eps,
      last_epoch: this.lastEpoch,
      _last_lr: [...this.#lastLr],
    };
  }

  /** Restores what stateDict() returned (then re-derives modeWorse from mode, as PyTorch does). */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const sd = stateDict;
    const num = (key: string, v: number): number =>
      typeof sd[key] === 'number' ? (sd[key] as number) : v;
    const mode = (sd.mode as string | undefined) ?? this.mode;
    const thresholdMode = (sd.threshold_mode as string | undefined) ?? this.thresholdMode;
    this.#initIsBetter(mode, num('threshold', this.threshold), thresholdMode);
    this.factor = num('factor', this.factor);
    if (Array.isArray(sd.min_lrs)) this.minLrs = cloneState(sd.min_lrs as number[]);
    this.patience = num('patience', this.patience);
    if (typeof sd.verbose === 'boolean') this.verbose = sd.verbose;
    this.cooldown = num('cooldown', this.cooldown);
    this.cooldownCounter = num('cooldown_counter', this.cooldownCounter);
    // a JSON round trip turns ±Infinity into null: that is the mode's worst value
    this.best = sd.best === null ? this.modeWorse : num('best', this.best);
    this.numBadEpochs = num('num_bad_epochs', this.numBadEpochs);
    this.eps = num('eps', this.eps);
    this.lastEpoch = num('last_epoch', this.lastEpoch);
    if (Array.isArray(sd._last_lr)) this.#lastLr = cloneState(sd._last_lr as number[]);
  }
}
