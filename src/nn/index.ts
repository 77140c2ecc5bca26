// The nn namespace: Module, Parameter, layers, containers, init, functional and utils.
export {
  Module,
  StateDictError,
  type ForwardHook,
  type ForwardPreHook,
  type LoadResult,
  type StateDict,
} from './module.js';
export { Parameter, isParameter } from './parameter.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Flatten, Identity, Unflatten } from './layers/basic.js';
export { Dropout } from './layers/dropout.js';
export {
  ELU,
  GELU,
  Hardtanh,
  LeakyReLU,
  LogSoftmax,
  Mish,
  PReLU,
  ReLU,
  SELU,
  SiLU,
  Sigmoid,
  Softmax,
  Softplus,
  Tanh,
} from './layers/activation.js';
export { ModuleDict, ModuleList, Sequential } from './container.js';
export * as init from './init.js';
export * as functional from './functional/index.js';
export * as utils from './utils.js';
export { clipGradNorm_, clipGradValue_, parametersToVector, vectorToParameters } from './utils.js';
export {
  BCELoss,
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MSELoss,
  NLLLoss,
  SmoothL1Loss,
} from './loss.js';
