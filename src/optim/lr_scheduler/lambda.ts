// LambdaLR and MultiplicativeLR: schedules given by user functions of the epoch.
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

/** A function of the epoch index giving a multiplicative factor. */
export type LrLambda = (epoch: number) => number;

export interface LambdaLROptions extends SchedulerBaseOptions {
  /** One function for every group, or a list with one function per group. */
  readonly lrLambda: LrLambda | readonly LrLambda[];
}

function lambdasFor(optimizer: SchedulableOptimizer, lrLambda: LambdaLROptions['lrLambda']) {
  const n = optimizer.paramGroups.length;
  if (typeof lrLambda === 'function') return new Array<LrLambda>(n).fill(lrLambda);
  if (lrLambda.length !== n) {
    throw new ArgumentError(`Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
  }
  return [...lrLambda];
}

/** Functions are not serialised (PyTorch saves `null` for them); own properties of one are. */
function saveLambdas(lambdas: readonly LrLambda[]): (Record<string, unknown> | null)[] {
  return lambdas.map((fn) => (Object.keys(fn).length > 0 ? { ...fn } : null));
}

function loadLambdas(lambdas: readonly LrLambda[], saved: unknown): void {
  if (!Array.isArray(saved)) return;
  saved.forEach((s, i) => {
    const fn = lambdas[i];
    if (s !== null && typeof s === 'object' && fn !== undefined) Object.assign(fn, s);
  });
}

const LAMBDA_LR_OPTIONS = defineOptions<LambdaLROptions>('optim.lrScheduler.LambdaLR', {
  ...SCHEDULER_BASE_SPEC,
  lrLambda: ['function', 'array'],
});

/** lr = initial lr × lrLambda(epoch). */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[];

  /** Takes an options object, or PyTorch's positionals in its order (lrLambda, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    lrLambdaOrOpts: NonNullable<LambdaLROptions['lrLambda']> | LambdaLROptions,
    lastEpochArg?: LambdaLROptions['lastEpoch'],
  ) {
    const keys = ['lrLambda', 'lastEpoch'] as const;
    const opts = argsOrOptions(
      LAMBDA_LR_OPTIONS,
      keys,
      [lrLambdaOrOpts, lastEpochArg],
      undefined,
    ) as LambdaLROptions;
    const lambdas = lambdasFor(optimizer, opts.lrLambda);
    super(optimizer, opts.lastEpoch, opts.verbose);
    this.lrLambdas = lambdas;
    this.initialStep();
  }

  override getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i]!(this.lastEpoch));
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lr_lambdas: saveLambdas(this.lrLambdas) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    super.loadStateDict(stateDict);
    loadLambdas(this.lrLambdas, stateDict.lr_lambdas);
  }
}

const MULTIPLICATIVE_LR_OPTIONS = defineOptions<LambdaLROptions>(
  'optim.lrScheduler.MultiplicativeLR',
  {
    ...SCHEDULER_BASE_SPEC,
    lrLambda: ['function', 'array'],
  },
);

/** lr = previous lr × lrLambda(epoch) (from the second step on). */
export class MultiplicativeLR extends LRScheduler {
  lrLambdas: LrLambda[];

  /** Takes an options object, or PyTorch's positionals in its order (lrLambda, lastEpoch). */
  constructor(
    optimizer: SchedulableOptimizer,
    lrLambdaOrOpts: NonNullable<LambdaLROptions['lrLambda']> | LambdaLROptions,
    lastEpochArg?: LambdaLROptions['lastEpoch'],
  ) {
    const keys = ['lrLambda', 'lastEpoch'] as const;
    const opts = argsOrOptions(
      MULTIPLICATIVE_LR_OPTIONS,
      keys,
      [lrLambdaOrOpts, lastEpochArg],
      undefined,
    ) as LambdaLROptions;
    const lambdas = lambdasFor(optimizer, opts.lrLambda);
    super(optimizer, opts.lastEpoch, opts.verbose);
    this.lrLambdas = lambdas;
    this.initialStep();
  }

  override getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch > 0) {
      return groups.map((g, i) => groupNumber(g, 'lr') * this.lrLambdas[i]!(this.lastEpoch));
    }
    return groups.map((g) => groupNumber(g, 'lr'));
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lr_lambdas: saveLambdas(this.lrLambdas) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    super.loadStateDict(stateDict);
    loadLambdas(this.lrLambdas, stateDict.lr_lambdas);
  }
}
