// Optimizers and lr schedulers by name: typed name → constructor tables, and the run-sized schedules `nabla train` offers.
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Adagrad } from './adagrad.js';
import { Adadelta } from './adadelta.js';
import { Adam, AdamW } from './adam.js';
import { Adamax } from './adamax.js';
import { ASGD } from './asgd.js';
import { NAdam } from './nadam.js';
import type { Optimizer } from './optimizer.js';
import { RAdam } from './radam.js';
import { RMSprop } from './rmsprop.js';
import { Rprop } from './rprop.js';
import { SGD } from './sgd.js';
import { CosineAnnealingLR, CosineAnnealingWarmRestarts } from './lr_scheduler/cosine.js';
import { CyclicLR, OneCycleLR } from './lr_scheduler/cyclic.js';
import {
  ConstantLR,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  PolynomialLR,
  StepLR,
} from './lr_scheduler/decay.js';
import { ReduceLROnPlateau } from './lr_scheduler/plateau.js';
import type { LRScheduler } from './lr_scheduler/scheduler.js';

const OPTIMIZER_CLASSES = {
  sgd: SGD,
  adam: Adam,
  adamw: AdamW,
  rmsprop: RMSprop,
  adagrad: Adagrad,
  nadam: NAdam,
  radam: RAdam,
  adamax: Adamax,
  adadelta: Adadelta,
  rprop: Rprop,
  asgd: ASGD,
} as const;
type OptimizerClasses = typeof OPTIMIZER_CLASSES;

/**
 * The optimizers by name: 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'nadam', 'radam',
 * 'adamax', 'adadelta', 'rprop', 'asgd'.
 */
export type OptimizerName = keyof OptimizerClasses;
/** The options the named optimizer's constructor takes (its second argument). */
export type OptimizerOptionsFor<N extends OptimizerName> = Exclude<
  ConstructorParameters<OptimizerClasses[N]>[1],
  number | undefined
>;
/** The class the name stands for (createOptimizer('adam', ...) is an Adam). */
export type OptimizerFor<N extends OptimizerName> = InstanceType<OptimizerClasses[N]>;
/** Every optimizer name, in a fixed order (the order `nabla train --help` lists them). */
export const OPTIMIZER_NAMES = Object.keys(OPTIMIZER_CLASSES) as readonly OptimizerName[];

/** Whether `name` is one of OPTIMIZER_NAMES. */
export function isOptimizerName(name: string): name is OptimizerName {
  return Object.hasOwn(OPTIMIZER_CLASSES, name);
}

/** `new SGD(params, options)` and so on, by name; an unknown name is an ArgumentError. */
export function createOptimizer<N extends OptimizerName>(
  name: N,
  params: Iterable<Tensor>,
  options: OptimizerOptionsFor<N>,
): OptimizerFor<N> {
  if (!isOptimizerName(name)) {
    throw new ArgumentError(
      `unknown optimizer '${String(name)}': expected one of ${OPTIMIZER_NAMES.join(', ')}`,
    );
  }
  const Cls = OPTIMIZER_CLASSES[name] as unknown as new (
    params: Iterable<Tensor>,
    options: OptimizerOptionsFor<N>,
  ) => OptimizerFor<N>;
  return new Cls(params, options);
}

const SCHEDULER_CLASSES = {
  step: StepLR,
  multistep: MultiStepLR,
  exponential: ExponentialLR,
  constant: ConstantLR,
  linear: LinearLR,
  polynomial: PolynomialLR,
  cosine: CosineAnnealingLR,
  'cosine-restarts': CosineAnnealingWarmRestarts,
  cyclic: CyclicLR,
  onecycle: OneCycleLR,
  plateau: ReduceLROnPlateau,
} as const;
type SchedulerClasses = typeof SCHEDULER_CLASSES;

/** The lr schedulers by name (optim.lrScheduler's classes). */
export type SchedulerName = keyof SchedulerClasses;
/** The options the named scheduler's constructor takes (its second argument). */
export type SchedulerOptionsFor<N extends SchedulerName> = Exclude<
  ConstructorParameters<SchedulerClasses[N]>[1],
  number | readonly number[] | undefined
>;
/** The class the name stands for. */
export type SchedulerFor<N extends SchedulerName> = InstanceType<SchedulerClasses[N]>;
/** Every scheduler name. */
export const SCHEDULER_NAMES = Object.keys(SCHEDULER_CLASSES) as readonly SchedulerName[];

/** Any scheduler: an LRScheduler (step()) or ReduceLROnPlateau (step(metric)). */
export type AnyScheduler = LRScheduler | ReduceLROnPlateau;

/** When a scheduler steps: after every optimizer step ('step') or after every epoch ('epoch'). */
export type SchedulerInterval = 'epoch' | 'step';

/** The interval each scheduler is designed for: the cyclic ones count batches, the rest epochs. */
export const SCHEDULER_INTERVALS: { readonly [N in SchedulerName]: SchedulerInterval } = {
  step: 'epoch',
  multistep: 'epoch',
  exponential: 'epoch',
  constant: 'epoch',
  linear: 'epoch',
  polynomial: 'epoch',
  cosine: 'epoch',
  'cosine-restarts': 'epoch',
  cyclic: 'step',
  onecycle: 'step',
  plateau: 'epoch',
};

/** Whether `name` is one of SCHEDULER_NAMES. */
export function isSchedulerName(name: string): name is SchedulerName {
  return Object.hasOwn(SCHEDULER_CLASSES, name);
}

/** `new StepLR(optimizer, options)` and so on, by name; an unknown name is an ArgumentError. */
export function createScheduler<N extends SchedulerName>(
  name: N,
  optimizer: Optimizer<object>,
  options: SchedulerOptionsFor<N>,
): SchedulerFor<N> {
  if (!isSchedulerName(name)) {
    throw new ArgumentError(
      `unknown scheduler '${String(name)}': expected one of ${SCHEDULER_NAMES.join(', ')}`,
    );
  }
  const Cls = SCHEDULER_CLASSES[name] as unknown as new (
    optimizer: Optimizer<object>,
    options: SchedulerOptionsFor<N>,
  ) => SchedulerFor<N>;
  return new Cls(optimizer, options);
}

/** A scheduler with the interval it steps at: what Trainer's `scheduler` option takes. */
export interface ScheduledLR {
  readonly scheduler: AnyScheduler;
  readonly interval: SchedulerInterval;
}

/** The schedules `nabla train --scheduler` offers, each sized from the run's plan. */
export const RUN_SCHEDULES = ['none', 'step', 'cosine', 'onecycle', 'plateau'] as const;
export type RunSchedule = (typeof RUN_SCHEDULES)[number];

/** What a run-sized schedule is sized from. */
export interface RunPlan {
  readonly epochs: number;
  /** The optimizer steps the run will take in all. */
  readonly totalSteps: number;
  /** The peak lr (one-cycle's maxLr). */
  readonly lr: number;
}

/**
 * A schedule sized for a run: step (×0.1 every third of the epochs), cosine (annealed over the
 * epochs), onecycle (over every step, peaking at the lr) or plateau (×0.1 after 2 epochs without a
 * lower validation loss); undefined for 'none'.
 */
export function scheduleForRun(
  name: RunSchedule,
  optimizer: Optimizer<object>,
  plan: RunPlan,
): ScheduledLR | undefined {
  switch (name) {
    case 'none':
      return undefined;
    case 'step': {
      const stepSize = Math.max(1, Math.floor(plan.epochs / 3));
      return {
        scheduler: createScheduler('step', optimizer, { stepSize, gamma: 0.1 }),
        interval: 'epoch',
      };
    }
    case 'cosine':
      return {
        scheduler: createScheduler('cosine', optimizer, { tMax: Math.max(1, plan.epochs) }),
        interval: 'epoch',
      };
    case 'onecycle':
      return {
        scheduler: createScheduler('onecycle', optimizer, {
          maxLr: plan.lr,
          totalSteps: plan.totalSteps,
        }),
        interval: 'step',
      };
    case 'plateau':
      return {
        scheduler: createScheduler('plateau', optimizer, { patience: 2 }),
        interval: 'epoch',
      };
  }
}
