// Per-batch cyclical schedules that also drive momentum: CyclicLR (CLR) and OneCycleLR (1cycle).
import { argsOrOptions, defineOptions } from '../../options.js';
import { ArgumentError } from '../../errors.js';
import { toCamel } from '../optimizer.js';
import {
  LRScheduler,
  checkOptimizer,
  cloneState,
  formatParam,
  groupNumber,
  groupsOf,
  type Group,
  type SchedulableOptimizer,
  type SchedulerBaseOptions,
  type SchedulerStateDict,
  SCHEDULER_BASE_SPEC,
} from './scheduler.js';

/** Whether the groups' momentum is `betas[0]` (Adam-like) rather than `momentum`; throws if neither. */
function usesBeta1(optimizer: SchedulableOptimizer): boolean {
  const defaults = optimizer.defaults as Record<string, unknown>;
  if (!('momentum' in defaults) && !('betas' in defaults)) {
    throw new ArgumentError('optimizer must support momentum with `cycle_momentum` option enabled');
  }
  return 'betas' in defaults;
}

function getMomentum(group: Group, useBeta1: boolean): number {
  if (!useBeta1) return groupNumber(group, 'momentum');
  const betas = group.betas as readonly number[];
  return betas[0]!;
}

function setMomentum(group: Group, useBeta1: boolean, value: number): void {
  if (useBeta1) group.betas = [value, ...(group.betas as readonly number[]).slice(1)];
  else group.momentum = value;
}

export type CyclicMode = 'triangular' | 'triangular2' | 'exp_range';

export interface CyclicLROptions extends SchedulerBaseOptions {
  /** The lower lr boundary of the cycle (per group, or one for all). */
  readonly baseLr: number | readonly number[];
  /** The upper lr boundary of the cycle (per group, or one for all). */
  readonly maxLr: number | readonly number[];
  /** Steps in the increasing half of a cycle. Default 2000. */
  readonly stepSizeUp?: number;
  /** Steps in the decreasing half of a cycle. Default stepSizeUp. */
  readonly stepSizeDown?: number;
  /** The amplitude policy; ignored when scaleFn is given. Default 'triangular'. */
  readonly mode?: CyclicMode;
  /** The base of 'exp_range' scaling: gamma ** iterations. Default 1. */
  readonly gamma?: number;
  /** A custom amplitude scale (0 ≤ scaleFn(x) ≤ 1); replaces mode. */
  readonly scaleFn?: (x: number) => number;
  /** What scaleFn is given: the cycle number or the iteration count. Default 'cycle'. */
  readonly scaleMode?: 'cycle' | 'iterations';
  /** Cycles momentum inversely to the lr. Default true. */
  readonly cycleMomentum?: boolean;
  /** The lower momentum boundary (per group, or one for all). Default 0.8. */
  readonly baseMomentum?: number | readonly number[];
  /** The upper momentum boundary (per group, or one for all). Default 0.9. */
  readonly maxMomentum?: number | readonly number[];
}

const CYCLIC_LR_OPTIONS = defineOptions<CyclicLROptions>('optim.lrScheduler.CyclicLR', {
  ...SCHEDULER_BASE_SPEC,
  baseLr: ['number', 'array'],
  maxLr: ['number', 'array'],
  stepSizeUp: 'number',
  stepSizeDown: 'number',
  mode: 'string',
  gamma: 'number',
  scaleFn: 'function',
  scaleMode: 'string',
  cycleMomentum: 'boolean',
  baseMomentum: ['number', 'array'],
  maxMomentum: ['number', 'array'],
});

/**
 * Cycles the lr between baseLr and maxLr (and the momentum inversely between maxMomentum and
 * baseMomentum) with a constant period; step() is meant to be called after every batch.
 * NOTE: like PyTorch 2 (PyTorch 1.13 takes `momentum` only), Adam-like groups cycle `betas[0]`.
 */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: string;
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  useBeta1 = false;
  baseMomentums: number[] = [];
  maxMomentums: number[] = [];
  #scaleFnCustom: ((x: number) => number) | null;

  /** Takes an options object, or PyTorch's positionals in its order (baseLr, maxLr, stepSizeUp, stepSizeDown, mode, gamma). */
  constructor(
    optimizer: SchedulableOptimizer,
    baseLrOrOpts: NonNullable<CyclicLROptions['baseLr']> | CyclicLROptions,
    maxLrArg?: CyclicLROptions['maxLr'],
    stepSizeUpArg?: CyclicLROptions['stepSizeUp'],
    stepSizeDownArg?: CyclicLROptions['stepSizeDown'],
    modeArg?: CyclicLROptions['mode'],
    gammaArg?: CyclicLROptions['gamma'],
  ) {
    const keys = ['baseLr', 'maxLr', 'stepSizeUp', 'stepSizeDown', 'mode', 'gamma'] as const;
    const opts = argsOrOptions(
      CYCLIC_LR_OPTIONS,
      keys,
      [baseLrOrOpts, maxLrArg, stepSizeUpArg, stepSizeDownArg, modeArg, gammaArg],
      undefined,
    ) as CyclicLROptions;
    checkOptimizer(optimizer);
    const lastEpoch = opts.lastEpoch ?? -1;
    const baseLrs = formatParam('base_lr', optimizer, opts.baseLr);
    const maxLrs = formatParam('max_lr', optimizer, opts.maxLr);
    const mode = opts.mode ?? 'triangular';
    const scaleFn = opts.scaleFn ?? null;
    if (!['triangular', 'triangular2', 'exp_range'].includes(mode) && scaleFn === null) {
      throw new ArgumentError('mode is invalid and scale_fn is None');
    }
    const cycleMomentum = opts.cycleMomentum ?? true;
    let useBeta1 = false;
    let baseMomentums: number[] = [];
    let maxMomentums: number[] = [];
    if (cycleMomentum) {
      useBeta1 = usesBeta1(optimizer);
      baseMomentums = formatParam('base_momentum', optimizer, opts.baseMomentum ?? 0.8);
      maxMomentums = formatParam('max_momentum', optimizer, opts.maxMomentum ?? 0.9);
    }
    // all checks done: now the groups change
    const groups = groupsOf(optimizer);
    if (lastEpoch === -1) groups.forEach((g, i) => (g.lr = baseLrs[i]!));
    if (cycleMomentum && lastEpoch === -1) {
      groups.forEach((g, i) => setMomentum(g, useBeta1, baseMomentums[i]!));
    }
    super(optimizer, lastEpoch, opts.verbose);
    this.maxLrs = maxLrs;
    const up = opts.stepSizeUp ?? 2000;
    const down = opts.stepSizeDown ?? up;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = mode;
    this.gamma = opts.gamma ?? 1.0;
    this.#scaleFnCustom = scaleFn;
    this.scaleMode =
      scaleFn !== null
        ? (opts.scaleMode ?? 'cycle')
        : mode === 'exp_range'
          ? 'iterations'
          : 'cycle';
    this.cycleMomentum = cycleMomentum;
    if (cycleMomentum) {
      this.useBeta1 = useBeta1;
      this.baseMomentums = groups.map((g) => getMomentum(g, useBeta1));
      this.maxMomentums = maxMomentums;
    }
    this.initialStep();
    this.baseLrs = baseLrs;
  }

  /** The amplitude scale: the custom function, or the one of the mode. */
  scaleFn(x: number): number {
    if (this.#scaleFnCustom !== null) return this.#scaleFnCustom(x);
    if (this.mode === 'triangular') return 1.0;
    if (this.mode === 'triangular2') return 1 / 2.0 ** (x - 1);
    return this.gamma ** x;
  }

  /** The lrs at batch lastEpoch; sets the groups' momentum as a side effect (as PyTorch does). */
  override getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1.0 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.scaleFn(this.scaleMode === 'cycle' ? cycle : this.lastEpoch);
    const lrs = this.baseLrs.map(
      (base, i) => base + (this.maxLrs[i]! - base) * scaleFactor * scale,
    );
    if (this.cycleMomentum) {
      const groups = groupsOf(this.optimizer);
      this.baseMomentums.forEach((base, i) => {
        const max = this.maxMomentums[i]!;
        setMomentum(groups[i]!, this.useBeta1, max - (max - base) * scaleFactor * scale);
      });
    }
    return lrs;
  }

  protected override stateKeys(): Record<string, string> {
    const keys: Record<string, string> = {
      max_lrs: 'maxLrs',
      total_size: 'totalSize',
      step_ratio: 'stepRatio',
      mode: 'mode',
      gamma: 'gamma',
      scale_mode: 'scaleMode',
      cycle_momentum: 'cycleMomentum',
    };
    if (this.cycleMomentum) {
      keys.base_momentums = 'baseMomentums';
      keys.max_momentums = 'maxMomentums';
    }
    if (this.useBeta1) keys.use_beta1 = 'useBeta1';
    return { ...keys, ...super.stateKeys() };
  }

  /** The scale function is not serialised: PyTorch's non-function entry for it is null. */
  override stateDict(): SchedulerStateDict {
    const out = super.stateDict();
    if (this.#scaleFnCustom === null) out._scale_fn_custom = null;
    else out._scale_fn_ref = null;
    return out;
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    if ('cycle_momentum' in stateDict) this.cycleMomentum = stateDict.cycle_momentum as boolean;
    if ('use_beta1' in stateDict) this.useBeta1 = stateDict.use_beta1 as boolean;
    super.loadStateDict(stateDict);
  }
}

export interface OneCycleLROptions extends SchedulerBaseOptions {
  /** The peak lr (per group, or one for all). */
  readonly maxLr: number | readonly number[];
  /** The number of steps in the cycle; or give epochs and stepsPerEpoch. */
  readonly totalSteps?: number;
  readonly epochs?: number;
  readonly stepsPerEpoch?: number;
  /** The fraction of the cycle spent increasing the lr. Default 0.3. */
  readonly pctStart?: number;
  /** Cosine or linear annealing. Default 'cos'. */
  readonly annealStrategy?: 'cos' | 'linear';
  /** Cycles momentum inversely to the lr. Default true. */
  readonly cycleMomentum?: boolean;
  /** The lower momentum boundary. Default 0.85. */
  readonly baseMomentum?: number | readonly number[];
  /** The upper momentum boundary. Default 0.95. */
  readonly maxMomentum?: number | readonly number[];
  /** initial lr = maxLr / divFactor. Default 25. */
  readonly divFactor?: number;
  /** min lr = initial lr / finalDivFactor. Default 1e4. */
  readonly finalDivFactor?: number;
  /** Three phases (up, down to the initial lr, annihilate) instead of two. Default false. */
  readonly threePhase?: boolean;
}

/** One phase of the 1cycle schedule; the lr/momentum fields name group options (snake_case). */
interface Phase {
  end_step: number;
  start_lr: string;
  end_lr: string;
  start_momentum: string;
  end_momentum: string;
}

function phase(end: number, lr: [string, string], momentum: [string, string]): Phase {
  return {
    end_step: end,
    start_lr: lr[0],
    end_lr: lr[1],
    start_momentum: momentum[0],
    end_momentum: momentum[1],
  };
}

/** Cosine anneal from start to end as pct goes from 0 to 1. */
function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2.0) * cosOut;
}

/** Linear anneal from start to end as pct goes from 0 to 1. */
function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

const ONE_CYCLELR_OPTIONS = defineOptions<OneCycleLROptions>('optim.lrScheduler.OneCycleLR', {
  ...SCHEDULER_BASE_SPEC,
  maxLr: ['number', 'array'],
  totalSteps: 'number',
  epochs: 'number',
  stepsPerEpoch: 'number',
  pctStart: 'number',
  annealStrategy: 'string',
  cycleMomentum: 'boolean',
  baseMomentum: ['number', 'array'],
  maxMomentum: ['number', 'array'],
  divFactor: 'number',
  finalDivFactor: 'number',
  threePhase: 'boolean',
});

/** The 1cycle policy: the lr rises to maxLr, then anneals far below its start (not chainable). */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1 = false;
  #phases: Phase[];

  /** Takes an options object, or PyTorch's positionals in its order (maxLr, totalSteps, epochs, stepsPerEpoch, pctStart, annealStrategy). */
  constructor(
    optimizer: SchedulableOptimizer,
    maxLrOrOpts: NonNullable<OneCycleLROptions['maxLr']> | OneCycleLROptions,
    totalStepsArg?: OneCycleLROptions['totalSteps'],
    epochsArg?: OneCycleLROptions['epochs'],
    stepsPerEpochArg?: OneCycleLROptions['stepsPerEpoch'],
    pctStartArg?: OneCycleLROptions['pctStart'],
    annealStrategyArg?: OneCycleLROptions['annealStrategy'],
  ) {
    const keys = [
      'maxLr',
      'totalSteps',
      'epochs',
      'stepsPerEpoch',
      'pctStart',
      'annealStrategy',
    ] as const;
    const opts = argsOrOptions(
      ONE_CYCLELR_OPTIONS,
      keys,
      [maxLrOrOpts, totalStepsArg, epochsArg, stepsPerEpochArg, pctStartArg, annealStrategyArg],
      undefined,
    ) as OneCycleLROptions;
    checkOptimizer(optimizer);
    const { totalSteps, epochs, stepsPerEpoch } = opts;
    let total: number;
    if (totalSteps === undefined && epochs === undefined && stepsPerEpoch === undefined) {
      throw new ArgumentError('You must define either total_steps OR (epochs AND steps_per_epoch)');
    } else if (totalSteps !== undefined) {
      if (!Number.isInteger(totalSteps) || totalSteps <= 0) {
        throw new ArgumentError(`Expected positive integer total_steps, but got ${totalSteps}`);
      }
      total = totalSteps;
    } else {
      if (epochs === undefined || !Number.isInteger(epochs) || epochs <= 0) {
        throw new ArgumentError(`Expected positive integer epochs, but got ${epochs}`);
      }
      if (stepsPerEpoch === undefined || !Number.isInteger(stepsPerEpoch) || stepsPerEpoch <= 0) {
        throw new ArgumentError(
          `Expected positive integer steps_per_epoch, but got ${stepsPerEpoch}`,
        );
      }
      total = epochs * stepsPerEpoch;
    }
    const pctStart = opts.pctStart ?? 0.3;
    if (!(pctStart >= 0 && pctStart <= 1)) {
      throw new ArgumentError(`Expected float between 0 and 1 pct_start, but got ${pctStart}`);
    }
    const anneal = opts.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') {
      throw new ArgumentError(
        `anneal_strategy must by one of 'cos' or 'linear', instead got ${String(anneal)}`,
      );
    }
    const lastEpoch = opts.lastEpoch ?? -1;
    const maxLrs = formatParam('max_lr', optimizer, opts.maxLr);
    const cycleMomentum = opts.cycleMomentum ?? true;
    let useBeta1 = false;
    let maxMomentums: number[] = [];
    let baseMomentums: number[] = [];
    if (cycleMomentum) {
      useBeta1 = usesBeta1(optimizer);
      maxMomentums = formatParam('max_momentum', optimizer, opts.maxMomentum ?? 0.95);
      baseMomentums = formatParam('base_momentum', optimizer, opts.baseMomentum ?? 0.85);
    }
    // all checks done: now the groups change
    const groups = groupsOf(optimizer);
    if (lastEpoch === -1) {
      const div = opts.divFactor ?? 25.0;
      const finalDiv = opts.finalDivFactor ?? 1e4;
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / div;
        g.maxLr = maxLrs[i]!;
        g.minLr = (g.initialLr as number) / finalDiv;
      });
      if (cycleMomentum) {
        groups.forEach((g, i) => {
          setMomentum(g, useBeta1, maxMomentums[i]!);
          g.maxMomentum = maxMomentums[i]!;
          g.baseMomentum = baseMomentums[i]!;
        });
      }
    }
    super(optimizer, lastEpoch, opts.verbose);
    this.totalSteps = total;
    const up = pctStart * total - 1;
    this.#phases = opts.threePhase
      ? [
          phase(up, ['initial_lr', 'max_lr'], ['max_momentum', 'base_momentum']),
          phase(
            2 * pctStart * total - 2,
            ['max_lr', 'initial_lr'],
            ['base_momentum', 'max_momentum'],
          ),
          phase(total - 1, ['initial_lr', 'min_lr'], ['max_momentum', 'max_momentum']),
        ]
      : [
          phase(up, ['initial_lr', 'max_lr'], ['max_momentum', 'base_momentum']),
          phase(total - 1, ['max_lr', 'min_lr'], ['base_momentum', 'max_momentum']),
        ];
    this.annealStrategy = anneal;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.initialStep();
  }

  #anneal(start: number, end: number, pct: number): number {
    return this.annealStrategy === 'cos'
      ? annealCos(start, end, pct)
      : annealLinear(start, end, pct);
  }

  /** The lrs at step lastEpoch; sets the groups' momentum as a side effect (as PyTorch does). */
  override getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ArgumentError(
        `Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`,
      );
    }
    const last = this.#phases.length - 1;
    return groupsOf(this.optimizer).map((g) => {
      const value = (key: string) => groupNumber(g, toCamel(key));
      let startStep = 0;
      for (let i = 0; i <= last; i++) {
        const p = this.#phases[i]!;
        if (stepNum <= p.end_step || i === last) {
          const pct = (stepNum - startStep) / (p.end_step - startStep);
          if (this.cycleMomentum) {
            const m = this.#anneal(value(p.start_momentum), value(p.end_momentum), pct);
            setMomentum(g, this.useBeta1, m);
          }
          return this.#anneal(value(p.start_lr), value(p.end_lr), pct);
        }
        startStep = p.end_step;
      }
      throw new Error('unreachable');
    });
  }

  protected override stateKeys(): Record<string, string> {
    const keys: Record<string, string> = {
      total_steps: 'totalSteps',
      cycle_momentum: 'cycleMomentum',
    };
    if (this.cycleMomentum) keys.use_beta1 = 'useBeta1';
    return { ...keys, ...super.stateKeys() };
  }

  /**
   * NOTE: PyTorch 1.13 stores the bound anneal method, which does not serialise; like PyTorch 2
   * this stores its name as `_anneal_func_type`.
   */
  override stateDict(): SchedulerStateDict {
    return {
      ...super.stateDict(),
      _schedule_phases: cloneState(this.#phases),
      _anneal_func_type: this.annealStrategy,
    };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    if ('cycle_momentum' in stateDict) this.cycleMomentum = stateDict.cycle_momentum as boolean;
    super.loadStateDict(stateDict);
    if (Array.isArray(stateDict._schedule_phases)) {
      this.#phases = cloneState(stateDict._schedule_phases as Phase[]);
    }
    const a = stateDict._anneal_func_type;
    if (a === 'cos' || a === 'linear') this.annealStrategy = a;
  }
}
