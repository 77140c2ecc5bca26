// The train namespace: Trainer, its events and checkpoint types, and evaluate().
export { Trainer } from './trainer.js';
export type {
  FitOptions,
  TrainLoader,
  TrainPlan,
  TrainerOptions,
  TrainerScheduler,
} from './options.js';
export {
  evaluate,
  type Batch,
  type EvalData,
  type EvalResult,
  type EvaluateOptions,
  type LossFn,
} from './evaluate.js';
export type {
  AfterBackwardEvent,
  EpochEndEvent,
  EpochMetrics,
  EpochProgress,
  EpochStartEvent,
  FitResult,
  FitStartEvent,
  StepEvent,
  StopEvent,
  SyncEventName,
  TrainerCallbacks,
  TrainerEventName,
  TrainerEvents,
  TrainerHistory,
  TrainerListener,
  TrainerPosition,
} from './events.js';
export type { EpochAccum, TrainingCheckpoint } from './checkpoint.js';
