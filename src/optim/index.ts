// The optim namespace: the Optimizer base and every optimizer with its options type.
export {
  Optimizer,
  type Closure,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions } from './adam.js';
export { AdamW, type AdamWOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { NAdam, type NAdamOptions } from './nadam.js';
export { RAdam, type RAdamOptions } from './radam.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Rprop, type RpropOptions } from './rprop.js';
export { ASGD, type ASGDOptions } from './asgd.js';
export { LBFGS, type LBFGSOptions } from './lbfgs.js';
export * as lrScheduler from './lr_scheduler/index.js';
export {
  OPTIMIZER_NAMES,
  RUN_SCHEDULES,
  SCHEDULER_INTERVALS,
  SCHEDULER_NAMES,
  createOptimizer,
  createScheduler,
  isOptimizerName,
  isSchedulerName,
  scheduleForRun,
  type AnyScheduler,
  type OptimizerFor,
  type OptimizerName,
  type OptimizerOptionsFor,
  type RunPlan,
  type RunSchedule,
  type ScheduledLR,
  type SchedulerFor,
  type SchedulerInterval,
  type SchedulerName,
  type SchedulerOptionsFor,
} from './factory.js';
