// optim.lrScheduler: PyTorch's learning-rate schedulers (torch.optim.lr_scheduler), camelCased.
export {
  LRScheduler,
  type SchedulableOptimizer,
  type SchedulerBaseOptions,
  type SchedulerStateDict,
} from './scheduler.js';
export { LambdaLR, MultiplicativeLR, type LambdaLROptions, type LrLambda } from './lambda.js';
export {
  ConstantLR,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  PolynomialLR,
  StepLR,
  type ConstantLROptions,
  type ExponentialLROptions,
  type LinearLROptions,
  type MultiStepLROptions,
  type PolynomialLROptions,
  type StepLROptions,
} from './decay.js';
export {
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  type CosineAnnealingLROptions,
  type CosineAnnealingWarmRestartsOptions,
} from './cosine.js';
export {
  CyclicLR,
  OneCycleLR,
  type CyclicLROptions,
  type CyclicMode,
  type OneCycleLROptions,
} from './cyclic.js';
export { ChainedScheduler, SequentialLR, type SequentialLROptions } from './combine.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau.js';
