// Schedulers made of schedulers: SequentialLR (one after another at milestones) and ChainedScheduler (all at once).
import { argsOrOptions, defineOptions } from '../../options.js';
import { ArgumentError } from '../../errors.js';
import {
  LRScheduler,
  cloneState,
  groupNumber,
  groupsOf,
  type SchedulableOptimizer,
  type SchedulerBaseOptions,
  type SchedulerStateDict,
  SCHEDULER_BASE_SPEC,
} from './scheduler.js';

export interface SequentialLROptions extends SchedulerBaseOptions {
  /** The schedulers, in the order they take over (all on the same optimizer). */
  readonly schedulers: readonly LRScheduler[];
  /** The steps at which the next scheduler takes over: one fewer than the schedulers. */
  readonly milestones: readonly number[];
}

/** The current lr of every group. */
function currentLrs(optimizer: SchedulableOptimizer): number[] {
  return groupsOf(optimizer).map((g) => groupNumber(g, 'lr'));
}

/** bisect_right: how many of the sorted `xs` are ≤ x. */
function bisectRight(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < xs[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function loadChildren(children: readonly LRScheduler[], saved: unknown): void {
  if (!Array.isArray(saved)) return;
  saved.forEach((s, i) => {
    if (s !== null && typeof s === 'object') children[i]?.loadStateDict(s as SchedulerStateDict);
  });
}

const SEQUENTIAL_LR_OPTIONS = defineOptions<SequentialLROptions>('optim.lrScheduler.SequentialLR', {
  ...SCHEDULER_BASE_SPEC,
  schedulers: 'array',
  milestones: 'array',
});

/**
 * Runs the schedulers one after another: the first until milestones[0], the next from there (its
 * schedule restarting at epoch 0), and so on. Typical use: a LinearLR warm-up, then a decay.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];

  /** Takes an options object, or PyTorch's positionals in its order (schedulers, milestones, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    schedulersOrOpts: NonNullable<SequentialLROptions['schedulers']> | SequentialLROptions,
    milestonesArg?: SequentialLROptions['milestones'],
    lastEpochArg?: SequentialLROptions['lastEpoch'],
  ) {
    const keys = ['schedulers', 'milestones', 'lastEpoch'] as const;
    const opts = argsOrOptions(
      SEQUENTIAL_LR_OPTIONS,
      keys,
      [schedulersOrOpts, milestonesArg, lastEpochArg],
      undefined,
    ) as SequentialLROptions;
    const { schedulers, milestones } = opts;
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new ArgumentError(
          'Sequential Schedulers expects all schedulers to belong to the same optimizer, but ' +
            `got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new ArgumentError(
        'Sequential Schedulers expects number of schedulers provided to be one more than the ' +
          `number of milestone points, but got number of schedulers ${schedulers.length} and the ` +
          `number of milestones to be equal to ${milestones.length}`,
      );
    }
    // NOTE: PyTorch's SequentialLR skips the base __init__; the base here only reads the groups
    // (their initialLr, set by the schedulers already) and nothing of it reaches the state dict.
    super(optimizer, -1, opts.verbose);
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = (opts.lastEpoch ?? -1) + 1;
    // reset the lrs to their initial values and undo the step each scheduler took when made
    for (const g of groupsOf(optimizer)) g.lr = g.initialLr;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    // the initial step, for the first scheduler only
    this.schedulers[0]?.initialStep();
    this.lastLr = this.schedulers[0]?.getLastLr() ?? currentLrs(optimizer);
  }

  /** Nothing to compute of its own: the groups' current lrs. */
  override getLr(): number[] {
    return currentLrs(this.optimizer);
  }

  /** Steps the scheduler whose turn it is; at its milestone it starts over from epoch 0. */
  override step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const scheduler = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.step(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    return {
      _milestones: [...this.milestones],
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
      _schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    if ('_milestones' in stateDict) this.milestones = cloneState(stateDict._milestones as number[]);
    if ('last_epoch' in stateDict) this.lastEpoch = stateDict.last_epoch as number;
    if ('_last_lr' in stateDict) this.lastLr = cloneState(stateDict._last_lr as number[]);
    loadChildren(this.schedulers, stateDict._schedulers);
  }
}

/** Steps every scheduler at once, so that their (chainable) effects multiply. */
export class ChainedScheduler extends LRScheduler {
  readonly schedulers: LRScheduler[];

  constructor(schedulers: readonly LRScheduler[]) {
    const first = schedulers[0];
    if (first === undefined)
      throw new ArgumentError('ChainedScheduler expects at least one scheduler');
    schedulers.forEach((s, i) => {
      if (s.optimizer !== first.optimizer) {
        throw new ArgumentError(
          'ChainedScheduler expects all schedulers to belong to the same optimizer, but ' +
            `got schedulers at index 0 and ${i} to be different`,
        );
      }
    });
    // NOTE: as for SequentialLR, the base constructor only reads the groups here.
    super(first.optimizer);
    this.schedulers = [...schedulers];
    this.lastLr = currentLrs(this.optimizer);
  }

  /** Nothing to compute of its own: the groups' current lrs. */
  override getLr(): number[] {
    return currentLrs(this.optimizer);
  }

  override step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = currentLrs(this.optimizer);
  }

  override stateDict(): SchedulerStateDict {
    return { _last_lr: [...this.lastLr], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    if ('_last_lr' in stateDict) this.lastLr = cloneState(stateDict._last_lr as number[]);
    loadChildren(this.schedulers, stateDict._schedulers);
  }
}
