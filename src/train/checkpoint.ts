// What Trainer checkpoints and how: the training state as plain data and tensors, captured and restored (files are the caller's: nabla/node's saveCheckpoint writes one).
import type { Module, StateDict } from '../nn/module.js';
import type { AnyScheduler } from '../optim/factory.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import { getRngState, setRngState, type Generator, type GeneratorState } from '../random.js';
import type { EpochMetrics } from './events.js';

/** A training run's state: everything needed to continue it bitwise as if it had not stopped. */
export interface TrainingCheckpoint {
  readonly model: StateDict;
  readonly optimizer?: OptimizerStateDict;
  readonly scheduler?: Record<string, unknown>;
  /** Generator states by role: 'global' (the library generator), 'loader' (the DataLoader's), ... */
  readonly rng: Readonly<Record<string, GeneratorState>>;
  /** Completed epochs, optimizer steps, and batches consumed in the current epoch. */
  readonly epoch: number;
  readonly step: number;
  readonly batchInEpoch: number;
  /** Anything else the trainer wants back (its config, metrics so far). */
  readonly extra?: Record<string, unknown>;
}

/** The running sums of the current epoch (kept in mid-epoch checkpoints). */
export interface EpochAccum {
  lossSum: number;
  correct: number;
  seen: number;
  seconds: number;
}

/** @internal What Trainer keeps in a checkpoint's `extra` (callers may add keys of their own). */
type TrainerExtra = {
  readonly metrics?: readonly EpochMetrics[];
  readonly accum?: EpochAccum;
  readonly stepLosses?: readonly number[];
};

/** @internal A run's mutable state: its position, its history and the epoch's running sums. */
export interface RunState {
  epoch: number;
  step: number;
  batchInEpoch: number;
  metrics: EpochMetrics[];
  stepLosses: number[];
  accum: EpochAccum;
  /** The loader's state before the current epoch drew its order (undefined between epochs). */
  epochLoaderState: GeneratorState | undefined;
}

export const freshAccum = (): EpochAccum => ({ lossSum: 0, correct: 0, seen: 0, seconds: 0 });

/** @internal A run at its start. */
export function freshRunState(): RunState {
  return {
    epoch: 0,
    step: 0,
    batchInEpoch: 0,
    metrics: [],
    stepLosses: [],
    accum: freshAccum(),
    epochLoaderState: undefined,
  };
}

/** @internal The objects whose state a checkpoint holds besides the run's own. */
export interface CheckpointParts {
  readonly model: Module;
  readonly optimizer: Optimizer<object>;
  readonly scheduler: AnyScheduler | undefined;
  /** The loader's own generator (none when it shuffles with the global one). */
  readonly loaderGen: Generator | undefined;
}

/** @internal The checkpoint of a run now (inside an epoch: the loader's state before it). */
export function captureCheckpoint(p: CheckpointParts, st: RunState): TrainingCheckpoint {
  const scheduler = p.scheduler?.stateDict();
  const loader = st.epochLoaderState ?? p.loaderGen?.getState();
  const extra: TrainerExtra = {
    metrics: [...st.metrics],
    accum: { ...st.accum },
    stepLosses: [...st.stepLosses],
  };
  return {
    model: p.model.stateDict(),
    optimizer: p.optimizer.stateDict(),
    ...(scheduler ? { scheduler } : {}),
    rng: { global: getRngState(), ...(loader ? { loader } : {}) },
    epoch: st.epoch,
    step: st.step,
    batchInEpoch: st.batchInEpoch,
    extra,
  };
}

/** @internal Restores a checkpoint into the parts and `st`; the names of the parts it lacks. */
export function restoreCheckpoint(
  p: CheckpointParts,
  st: RunState,
  ck: Partial<TrainingCheckpoint>,
): string[] {
  const missing: string[] = [];
  if (ck.model !== undefined && Object.keys(ck.model).length > 0) p.model.loadStateDict(ck.model);
  else missing.push('model');
  if (ck.optimizer !== undefined) p.optimizer.loadStateDict(ck.optimizer);
  else missing.push('optimizer');
  if (ck.scheduler !== undefined) p.scheduler?.loadStateDict(ck.scheduler);
  else if (p.scheduler !== undefined) missing.push('scheduler');
  if (ck.rng?.global !== undefined) setRngState(ck.rng.global);
  else missing.push('rng.global');
  if (ck.rng?.loader !== undefined) p.loaderGen?.setState(ck.rng.loader);
  else if (p.loaderGen !== undefined) missing.push('rng.loader');
  if (typeof ck.step === 'number') {
    st.epoch = ck.epoch ?? 0;
    st.step = ck.step;
    st.batchInEpoch = ck.batchInEpoch ?? 0;
  } else missing.push('position');
  const extra = ck.extra as TrainerExtra | undefined;
  st.metrics = [...(extra?.metrics ?? [])];
  st.accum = { ...(extra?.accum ?? st.accum) };
  st.stepLosses = [...(extra?.stepLosses ?? [])];
  st.epochLoaderState = undefined;
  return missing;
}
