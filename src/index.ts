// nabla's public surface: named exports only, no side effects.
export { Tensor, type NestedList } from './tensor.js';
export type { DType, Scalar, TypedArray } from './dtype.js';
export { canCast, promoteTypes, resultType } from './dtype.js';
export type { Shape } from './shape.js';
export { broadcastShapes } from './shape.js';
export {
  AnomalyError,
  ArgumentError,
  AutogradError,
  DataError,
  DeviceError,
  DTypeError,
  IndexError,
  NablaError,
  OptionError,
  OutOfMemoryError,
  SafetensorsError,
  ShapeError,
  type SafetensorsErrorCode,
} from './errors.js';
export {
  Generator,
  defaultGenerator,
  getRngState,
  manualSeed,
  setRngState,
  type GeneratorState,
} from './random.js';
export * as autograd from './autograd/index.js';
export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from './autograd/grad_mode.js';
export {
  emptyCache,
  memory,
  setMemoryTracking,
  tidy,
  keep,
  type MemoryInfo,
  type BackendMemory,
} from './memory.js';
export { getBackend, listBackends, registerBackend, setBackend } from './backend/registry.js';
export {
  getNumThreads,
  ready,
  resolveBackend,
  selectBackend,
  setNumThreads,
  type BackendChoice,
} from './backend/select.js';
export { createWasmBackend, loadWasmBackend, WASM_THRESHOLDS } from './backend/wasm/index.js';
export {
  loadWebgpuBackend,
  type BrowserWebgpuOptions,
  type WebgpuBackend,
} from './backend/webgpu/index.js';
export { NO_THRESHOLDS, type FastBackend, type FastThresholds } from './backend/fast/backend.js';
export type { Backend, KernelTable } from './backend/backend.js';
export {
  arange,
  empty,
  emptyLike,
  eye,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  rand,
  randint,
  randintLike,
  randLike,
  randn,
  randnLike,
  randperm,
  tensor,
  zeros,
  zerosLike,
  type CreateOptions,
  type NestedArray,
  type RandomOptions,
} from './functions/creation.js';
export {
  abs,
  add,
  cast,
  ceil,
  clamp,
  cos,
  div,
  eq,
  erf,
  exp,
  expm1,
  floor,
  ge,
  gt,
  le,
  log,
  log1p,
  logicalAnd,
  logicalNot,
  logicalOr,
  logicalXor,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  reciprocal,
  relu,
  round,
  rsqrt,
  sigmoid,
  sign,
  sin,
  sqrt,
  square,
  sub,
  tanh,
  where,
  type DivOptions,
  type TensorOrScalar,
} from './functions/elementwise.js';
export {
  acos,
  acosh,
  asin,
  asinh,
  atan,
  atan2,
  atanh,
  bitwiseAnd,
  bitwiseLeftShift,
  bitwiseNot,
  bitwiseOr,
  bitwiseRightShift,
  bitwiseXor,
  copysign,
  cosh,
  exp2,
  fmod,
  hypot,
  isfinite,
  isinf,
  isnan,
  lerp,
  log10,
  log2,
  logaddexp,
  remainder,
  sinh,
  tan,
  trunc,
} from './functions/pointwise.js';
export {
  all,
  amax,
  amin,
  any,
  argmax,
  argmin,
  cumsum,
  logsumexp,
  maxDim,
  mean,
  minDim,
  norm,
  prod,
  std,
  sum,
  stdMean,
  variance as var,
  varMean,
  type ScanOptions,
  type SumOptions,
  type ValuesIndices,
  type VarOptions,
} from './functions/reduction.js';
export { cummax, cummin, cumprod, logcumsumexp } from './functions/scan.js';
export { allclose, isclose, type IscloseOptions } from './functions/closeness.js';
export { diag, diagonal, tril, triu } from './functions/diagonal.js';
export {
  meshgrid,
  repeatInterleave,
  roll,
  type MeshgridIndexing,
  type MeshgridOptions,
  type RepeatInterleaveOptions,
} from './functions/tiling.js';
export { bmm, dot, matmul, mm, outer } from './functions/linalg.js';
export { einsum } from './functions/einsum.js';
export {
  cat,
  chunk,
  clone,
  contiguous,
  expand,
  flatten,
  flip,
  gather,
  indexSelect,
  narrow,
  pad,
  permute,
  repeat,
  reshape,
  select,
  split,
  squeeze,
  stack,
  t,
  transpose,
  unflatten,
  unsqueeze,
  type PadOptions,
} from './functions/shape_ops.js';
export {
  index,
  maskedFill,
  maskedSelect,
  nonzero,
  oneHot,
  scatter,
  scatterAdd,
  scatterReduce,
  type IndexSpec,
  type ScatterReduceOptions,
} from './functions/indexing.js';
export {
  argsort,
  kthvalue,
  median,
  mode,
  sort,
  topk,
  unique,
  type SortOptions,
  type TopkOptions,
  type UniqueOptions,
} from './functions/sorting.js';
export { logSoftmax, softmax, type SoftmaxOptions } from './functions/activation.js';
export * as nn from './nn/index.js';
export {
  explain,
  Explanation,
  type BackwardStep,
  type BackwardTerm,
  type ExplainOptions,
  type Finding,
  type ForwardStep,
  type LeafGradient,
  type LeafValue,
  type OptimizerAccount,
  type ParameterUpdate,
} from './diagnostics/explain.js';
export type { MarkdownOptions } from './diagnostics/explain_render.js';
export type { HtmlOptions } from './diagnostics/explain_html.js';
export { toDot, toSvg, type GraphOptions } from './diagnostics/graph.js';
export { recordGraph, type RecordOptions } from './diagnostics/record.js';
export {
  GradientHealthMonitor,
  type HealthReport,
  type LayerInfo,
  type LayerKind,
  type LayerStats,
  type LayerSummary,
  type MonitorOptions,
  type StepRecord,
} from './diagnostics/health.js';
export {
  DEFAULT_THRESHOLDS,
  type Diagnosis,
  type DiagnosisKind,
  type HealthThresholds,
} from './diagnostics/health_rules.js';
export {
  lrFind,
  type BatchSource,
  type LrFindOptions,
  type LrFindResult,
} from './diagnostics/lr_finder.js';
export * as plots from './diagnostics/plots.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export {
  Trainer,
  evaluate,
  type AfterBackwardEvent,
  type Batch,
  type EpochEndEvent,
  type EpochMetrics,
  type EpochProgress,
  type EpochStartEvent,
  type EvalData,
  type EvalResult,
  type EvaluateOptions,
  type FitOptions,
  type FitResult,
  type FitStartEvent,
  type LossFn,
  type StepEvent,
  type StopEvent,
  type TrainerCallbacks,
  type TrainerEventName,
  type TrainerEvents,
  type TrainerHistory,
  type TrainerListener,
  type TrainerOptions,
  type TrainerPosition,
  type TrainerScheduler,
  type TrainingCheckpoint,
  type TrainLoader,
  type TrainPlan,
} from './train/index.js';
export * as io from './io/safetensors.js';
export { buildOnnxModel, exportOnnx, type OnnxExportOptions } from './io/onnx.js';
export type { OnnxModel } from './io/onnx_proto.js';
export { PytorchExportError, pytorchSource, type PytorchSourceOptions } from './io/pytorch.js';
