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
  CELU,
  ELU,
  GELU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  LogSigmoid,
  LogSoftmax,
  Mish,
  PReLU,
  ReLU,
  SELU,
  SiLU,
  Sigmoid,
  Softmax,
  Softmin,
  Softplus,
  Softsign,
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
export {
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  BatchNormBase,
  type BatchNormModuleOptions,
} from './layers/batchnorm.js';
export { LayerNorm, type LayerNormModuleOptions } from './layers/layernorm.js';
export { GroupNorm, type GroupNormModuleOptions } from './layers/groupnorm.js';
export {
  Embedding,
  type EmbeddingModuleOptions,
  type FromPretrainedOptions,
} from './layers/embedding.js';
export {
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  RNN,
  RNNBase,
  RNNCell,
  type CellOptions,
  type LSTMOptions,
  type RNNBaseOptions,
  type RNNOptions,
} from './layers/rnn.js';
export {
  MultiheadAttention,
  NonDynamicallyQuantizableLinear,
  type MultiheadAttentionForwardOptions,
  type MultiheadAttentionOptions,
} from './layers/attention.js';
export {
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerActivation,
  type TransformerEncoderForwardOptions,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderOptions,
} from './layers/transformer.js';
export {
  Conv1d,
  Conv2d,
  Conv3d,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  type ConvLayerOptions,
  type ConvPaddingMode,
  type ConvTransposeLayerOptions,
} from './layers/conv.js';
export {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveAvgPool3d,
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
  MaxUnpool2d,
  type MaxPoolResult,
} from './layers/pooling.js';
export {
  Upsample,
  UpsamplingBilinear2d,
  UpsamplingNearest2d,
  type UpsampleOptions,
} from './layers/upsample.js';
