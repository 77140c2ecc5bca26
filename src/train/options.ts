// Trainer's options and how they resolve: the training loader (built from a dataset, or given), its generator, and the scheduler with its interval.
import { DataLoader } from '../data/dataloader.js';
import { Dataset } from '../data/dataset.js';
import { randomInt64 } from '../data/sampler.js';
import type { Module } from '../nn/module.js';
import type { AnyScheduler, ScheduledLR } from '../optim/factory.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Generator, defaultGenerator } from '../random.js';
import type { Tensor } from '../tensor.js';
import type { TrainingCheckpoint } from './checkpoint.js';
import type { Batch, EvalData, LossFn } from './evaluate.js';
import type { TrainerCallbacks } from './events.js';

/** Batches for training: a DataLoader, or anything iterable with a length (batches per epoch). */
export interface TrainLoader extends Iterable<Batch> {
  readonly length: number;
  /** The generator that orders the epochs (checkpointed, so a resumed epoch replays its order). */
  readonly generator?: Generator;
}

/** The run's plan, for a scheduler sized from it (OneCycleLR's totalSteps, cosine's epochs). */
export interface TrainPlan {
  readonly epochs: number;
  readonly totalSteps: number;
  readonly batchesPerEpoch: number;
}

/** A scheduler (stepped every epoch), one with its interval, or a function of the plan giving one. */
export type TrainerScheduler =
  AnyScheduler | ScheduledLR | ((plan: TrainPlan) => AnyScheduler | ScheduledLR | undefined);

export interface TrainerOptions {
  readonly model: Module;
  readonly optimizer: Optimizer<object>;
  /** [input, target] samples (batched and reshuffled every epoch here) or a loader of batches. */
  readonly train: Dataset<readonly Tensor[]> | readonly (readonly Tensor[])[] | TrainLoader;
  /** Validation data, evaluated after every epoch (the plateau scheduler watches its loss). */
  readonly val?: EvalData | undefined;
  /** Passes over the training data. */
  readonly epochs: number;
  /** Stop after this many optimizer steps in all, even inside an epoch (default: every epoch's). */
  readonly maxSteps?: number | undefined;
  /** Samples per batch when `train` is a dataset. Default 32. */
  readonly batchSize?: number | undefined;
  /** The shuffling generator when `train` is a dataset (default: one seeded from the global one). */
  readonly generator?: Generator | undefined;
  readonly scheduler?: TrainerScheduler | undefined;
  /**
   * Applied to each training batch just before its step (inside the step's tidy()), e.g. random
   * augmentation. Its random draws come after the batches a resume skips, so a resumed run draws
   * what the uninterrupted one drew (the global generator's state is in the checkpoint).
   */
  readonly trainTransform?: ((batch: Batch) => Batch) | undefined;
  /** The training and evaluation loss (default F.crossEntropy). */
  readonly lossFn?: LossFn | undefined;
  /** Track accuracy (argmax of the output == target). Default true; false reports NaN. */
  readonly accuracy?: boolean | undefined;
  /** Samples per batch when evaluating a dataset. Default 512. */
  readonly evalBatchSize?: number | undefined;
  /** Receives the state after every epoch and at a step limit; saving it is the callback's job. */
  readonly onCheckpoint?: ((checkpoint: TrainingCheckpoint) => void | Promise<void>) | undefined;
  /** Listeners to add at once (the same as calling on() for each). */
  readonly callbacks?: TrainerCallbacks | undefined;
  /** Let the event loop run (timers, signals, rendering) every this many ms. Default 50. */
  readonly yieldEvery?: number | undefined;
}

export interface FitOptions {
  /** End this call after this step (checkpointing there); the schedule still plans for maxSteps. */
  readonly untilStep?: number | undefined;
  /** Polled after every step; true ends the run there (no checkpoint of the partial epoch). */
  readonly shouldStop?: (() => boolean) | undefined;
}

/** @internal The batches `train` stands for: the loader given, or a shuffling one over the dataset. */
export function trainLoaderOf(o: TrainerOptions): TrainLoader {
  if (!(o.train instanceof Dataset || Array.isArray(o.train))) return o.train as TrainLoader;
  // NOTE: a generator of its own (seeded from the global one), so that a checkpoint holds the
  // shuffling state apart from the global state that dropout and initialisers draw from.
  const generator = o.generator ?? new Generator(randomInt64(defaultGenerator));
  return new DataLoader(o.train as Dataset<readonly Tensor[]>, {
    batchSize: o.batchSize ?? 32,
    shuffle: true,
    generator,
  }) as TrainLoader;
}

/** @internal The loader's generator when it has one of its own (the global one is not checkpointed apart). */
export function ownGenerator(loader: TrainLoader): Generator | undefined {
  const gen = loader.generator;
  return gen === undefined || gen === defaultGenerator ? undefined : gen;
}

/** @internal The scheduler with its interval (a bare one steps every epoch). */
export function resolveScheduler(
  s: TrainerScheduler | undefined,
  plan: TrainPlan,
): ScheduledLR | undefined {
  const r = typeof s === 'function' ? s(plan) : s;
  return r === undefined || 'interval' in r ? r : { scheduler: r, interval: 'epoch' };
}
