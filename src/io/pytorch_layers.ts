// PyTorch export of layers: each built-in nabla layer as the torch.nn constructor call that builds the same layer.
import { NablaError } from '../errors.js';
import { ModuleDict, ModuleList, Sequential } from '../nn/container.js';
import {
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
} from '../nn/layers/activation.js';
import { MultiheadAttention, NonDynamicallyQuantizableLinear } from '../nn/layers/attention.js';
import { Flatten, Identity, Unflatten } from '../nn/layers/basic.js';
import {
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  type BatchNormBase,
} from '../nn/layers/batchnorm.js';
import {
  Conv1d,
  Conv2d,
  Conv3d,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
} from '../nn/layers/conv.js';
import { Dropout } from '../nn/layers/dropout.js';
import { Embedding } from '../nn/layers/embedding.js';
import { GroupNorm } from '../nn/layers/groupnorm.js';
import { LayerNorm } from '../nn/layers/layernorm.js';
import { Linear } from '../nn/layers/linear.js';
import {
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
} from '../nn/layers/pooling.js';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, type RNNBase } from '../nn/layers/rnn.js';
import {
  TransformerEncoder,
  TransformerEncoderLayer,
  activationName,
} from '../nn/layers/transformer.js';
import { Upsample, UpsamplingBilinear2d, UpsamplingNearest2d } from '../nn/layers/upsample.js';
import { Module } from '../nn/module.js';
import { pyBool, pyFloat } from '../nn/pyrepr.js';

/** Raised when a model cannot be written as PyTorch source; the message names the module. */
export class PytorchExportError extends NablaError {
  override name = 'PytorchExportError';
}

/** A Python value: int, float (as Python prints it), bool, None, str, tuple or list. */
export type PyValue = number | boolean | null | string | readonly PyValue[] | { float: number };

/** A float argument (printed 0.1, 1e-05, 1.0). */
const f = (x: number): PyValue => ({ float: x });

/** A float literal; Python has none for infinities and NaN, which are written float('inf'). */
function pyFloatLiteral(x: number): string {
  return Number.isFinite(x) ? pyFloat(x) : `float('${pyFloat(x)}')`;
}

/** Python source for a value. */
export function py(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return pyBool(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatLiteral(v);
  if (typeof v === 'string') return pyStr(v);
  if (Array.isArray(v)) {
    const items = (v as readonly PyValue[]).map(py);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  return pyFloatLiteral((v as { float: number }).float);
}

/** A Python str literal. */
export function pyStr(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** `nn.<cls>(positional..., key=value...)`. */
function call(cls: string, positional: readonly PyValue[], kw: Record<string, PyValue> = {}) {
  const args = [...positional.map(py), ...Object.entries(kw).map(([k, v]) => `${k}=${py(v)}`)];
  return `nn.${cls}(${args.join(', ')})`;
}

/** Builds child modules' Python expressions (for layers whose constructor takes a module). */
export type ChildBuilder = (m: Module, path: string) => string;

type LayerEmitter<M extends Module> = (m: M, path: string, child: ChildBuilder) => string;

interface LayerEntry<M extends Module = Module> {
  readonly cls: abstract new (...args: never[]) => M;
  /** The names of the submodules the PyTorch constructor builds itself, in order. */
  readonly children: (m: M) => readonly string[];
  readonly emit: LayerEmitter<M>;
}

const none = (): readonly string[] => [];

function entry<M extends Module>(
  cls: abstract new (...args: never[]) => M,
  emit: LayerEmitter<M>,
  children: (m: M) => readonly string[] = none,
): LayerEntry {
  return { cls, emit, children } as unknown as LayerEntry;
}

const simple = <M extends Module>(cls: abstract new (...args: never[]) => M, name: string) =>
  entry(cls, () => call(name, []));

const batchNorm = (name: string) => (m: BatchNormBase) =>
  call(name, [m.numFeatures], {
    eps: f(m.eps),
    momentum: m.momentum === null ? null : f(m.momentum),
    affine: m.affine,
    track_running_stats: m.trackRunningStats,
  });

function rnn(name: string, m: RNNBase, extra: Record<string, PyValue> = {}): string {
  return call(name, [m.inputSize, m.hiddenSize], {
    num_layers: m.numLayers,
    ...extra,
    bias: m.bias,
    batch_first: m.batchFirst,
    dropout: f(m.dropout),
    bidirectional: m.bidirectional,
  });
}

function fail(path: string, m: Module, why: string): never {
  throw new PytorchExportError(
    `cannot export ${m.constructor.name}${path === '' ? '' : ` (at '${path}')`} to PyTorch: ${why}`,
  );
}

/** The children PyTorch's TransformerEncoderLayer builds (activation only when it is a module). */
const ENCODER_LAYER_CHILDREN = [
  'self_attn',
  'linear1',
  'dropout',
  'linear2',
  'norm1',
  'norm2',
  'dropout1',
  'dropout2',
];

function encoderLayer(m: TransformerEncoderLayer, path: string, child: ChildBuilder): string {
  const attn = m.self_attn;
  const p = m.dropout.p;
  if ([m.dropout1.p, m.dropout2.p, attn.dropout].some((q) => q !== p))
    fail(path, m, 'its dropout probabilities differ (PyTorch takes one dropout)');
  if (m.norm1.eps !== m.norm2.eps)
    fail(path, m, 'norm1 and norm2 have different eps (PyTorch takes one layer_norm_eps)');
  if (!attn.qkvSameEmbedDim || attn.bias_k !== null || attn.addZeroAttn || !m.linear1.bias)
    fail(path, m, 'its self_attn or linear layers are not the ones PyTorch builds');
  const act = m.activation;
  let activation: string;
  if (act instanceof Module)
    activation = child(act, path === '' ? 'activation' : `${path}.activation`);
  else {
    const name = activationName(act);
    if (name === null)
      fail(path, m, "its activation is a JavaScript function (use 'relu', 'gelu' or a module)");
    activation = pyStr(name);
  }
  const args = [
    `${m.self_attn.embedDim}`,
    `${m.self_attn.numHeads}`,
    `dim_feedforward=${m.linear1.outFeatures}`,
    `dropout=${pyFloat(p)}`,
    `activation=${activation}`,
    `layer_norm_eps=${pyFloat(m.norm1.eps)}`,
    `batch_first=${pyBool(attn.batchFirst)}`,
    `norm_first=${pyBool(m.normFirst)}`,
  ];
  return `nn.TransformerEncoderLayer(${args.join(', ')})`;
}

function encoder(m: TransformerEncoder, path: string, child: ChildBuilder): string {
  const layers = [...m.layers];
  const at = (p: string) => (path === '' ? p : `${path}.${p}`);
  if (layers.length === 0) fail(path, m, 'it has no layers');
  const exprs = layers.map((l, i) => {
    if (l.constructor !== TransformerEncoderLayer)
      fail(at(`layers.${i}`), l, 'TransformerEncoder layers must be nn.TransformerEncoderLayer');
    return encoderLayer(l as TransformerEncoderLayer, at(`layers.${i}`), child);
  });
  if (exprs.some((e) => e !== exprs[0]))
    fail(path, m, 'its layers are configured differently (PyTorch copies one layer)');
  const norm = m.norm === null ? 'None' : child(m.norm, at('norm'));
  // NOTE: enable_nested_tensor=False keeps PyTorch's outputs padded like nabla's when a
  // src_key_padding_mask is given (PyTorch 1.13's default would pack them).
  return `nn.TransformerEncoder(${exprs[0]!}, ${layers.length}, norm=${norm}, enable_nested_tensor=False)`;
}

/** Every built-in layer PyTorch has, with the constructor call that rebuilds it. */
const LAYERS: readonly LayerEntry[] = [
  entry(Linear, (m) => call('Linear', [m.inFeatures, m.outFeatures], { bias: m.bias !== null })),
  entry(NonDynamicallyQuantizableLinear, (m) =>
    call('modules.linear.NonDynamicallyQuantizableLinear', [m.inFeatures, m.outFeatures], {
      bias: m.bias !== null,
    }),
  ),
  simple(Identity, 'Identity'),
  entry(Flatten, (m) => call('Flatten', [], { start_dim: m.startDim, end_dim: m.endDim })),
  entry(Unflatten, (m) => call('Unflatten', [m.dim, [...m.unflattenedSize]])),
  entry(Dropout, (m) => call('Dropout', [], { p: f(m.p) })),
  simple(ReLU, 'ReLU'),
  simple(Sigmoid, 'Sigmoid'),
  simple(Tanh, 'Tanh'),
  entry(LeakyReLU, (m) => call('LeakyReLU', [], { negative_slope: f(m.negativeSlope) })),
  entry(PReLU, (m) => call('PReLU', [], { num_parameters: m.numParameters })),
  entry(ELU, (m) => call('ELU', [], { alpha: f(m.alpha) })),
  simple(SELU, 'SELU'),
  entry(GELU, (m) => call('GELU', [], { approximate: m.approximate })),
  simple(SiLU, 'SiLU'),
  simple(Mish, 'Mish'),
  entry(Hardtanh, (m) => call('Hardtanh', [], { min_val: f(m.minVal), max_val: f(m.maxVal) })),
  entry(Softplus, (m) => call('Softplus', [], { beta: f(m.beta), threshold: f(m.threshold) })),
  entry(Softmax, (m) => call('Softmax', [], { dim: m.dim })),
  entry(LogSoftmax, (m) => call('LogSoftmax', [], { dim: m.dim })),
  entry(Softmin, (m) => call('Softmin', [], { dim: m.dim })),
  entry(CELU, (m) => call('CELU', [], { alpha: f(m.alpha) })),
  simple(Hardswish, 'Hardswish'),
  simple(Hardsigmoid, 'Hardsigmoid'),
  simple(LogSigmoid, 'LogSigmoid'),
  simple(Softsign, 'Softsign'),
  entry(BatchNorm1d, batchNorm('BatchNorm1d')),
  entry(BatchNorm2d, batchNorm('BatchNorm2d')),
  entry(BatchNorm3d, batchNorm('BatchNorm3d')),
  entry(LayerNorm, (m) =>
    call('LayerNorm', [[...m.normalizedShape]], {
      eps: f(m.eps),
      elementwise_affine: m.elementwiseAffine,
    }),
  ),
  entry(GroupNorm, (m) =>
    call('GroupNorm', [m.numGroups, m.numChannels], { eps: f(m.eps), affine: m.affine }),
  ),
  entry(Embedding, (m) =>
    call('Embedding', [m.numEmbeddings, m.embeddingDim], {
      padding_idx: m.paddingIdx,
      max_norm: m.maxNorm === null ? null : f(m.maxNorm),
      norm_type: f(m.normType),
      scale_grad_by_freq: m.scaleGradByFreq,
    }),
  ),
  entry(RNN, (m) => rnn('RNN', m, { nonlinearity: m.nonlinearity })),
  entry(LSTM, (m) => rnn('LSTM', m, { proj_size: m.projSize })),
  entry(GRU, (m) => rnn('GRU', m)),
  entry(RNNCell, (m) =>
    call('RNNCell', [m.inputSize, m.hiddenSize], { bias: m.bias, nonlinearity: m.nonlinearity }),
  ),
  entry(LSTMCell, (m) => call('LSTMCell', [m.inputSize, m.hiddenSize], { bias: m.bias })),
  entry(GRUCell, (m) => call('GRUCell', [m.inputSize, m.hiddenSize], { bias: m.bias })),
  entry(
    MultiheadAttention,
    (m) =>
      call('MultiheadAttention', [m.embedDim, m.numHeads], {
        dropout: f(m.dropout),
        bias: m.in_proj_bias !== null,
        add_bias_kv: m.bias_k !== null,
        add_zero_attn: m.addZeroAttn,
        kdim: m.kdim,
        vdim: m.vdim,
        batch_first: m.batchFirst,
      }),
    () => ['out_proj'],
  ),
  entry(TransformerEncoderLayer, encoderLayer, (m) =>
    m.activation instanceof Module
      ? [...ENCODER_LAYER_CHILDREN, 'activation']
      : ENCODER_LAYER_CHILDREN,
  ),
  entry(TransformerEncoder, encoder, (m) => (m.norm === null ? ['layers'] : ['layers', 'norm'])),
  ...(
    [
      [Conv1d, 'Conv1d'],
      [Conv2d, 'Conv2d'],
      [Conv3d, 'Conv3d'],
    ] as const
  ).map(([cls, name]) =>
    entry(cls, (m: Conv1d | Conv2d | Conv3d) =>
      call(name, [m.inChannels, m.outChannels], {
        kernel_size: [...m.kernelSize],
        stride: [...m.stride],
        padding: m.padding,
        dilation: [...m.dilation],
        groups: m.groups,
        bias: m.bias !== null,
        padding_mode: m.paddingMode,
      }),
    ),
  ),
  ...(
    [
      [ConvTranspose1d, 'ConvTranspose1d'],
      [ConvTranspose2d, 'ConvTranspose2d'],
      [ConvTranspose3d, 'ConvTranspose3d'],
    ] as const
  ).map(([cls, name]) =>
    entry(cls, (m: ConvTranspose1d | ConvTranspose2d | ConvTranspose3d) =>
      call(name, [m.inChannels, m.outChannels], {
        kernel_size: [...m.kernelSize],
        stride: [...m.stride],
        padding: m.padding,
        output_padding: [...m.outputPadding],
        groups: m.groups,
        bias: m.bias !== null,
        dilation: [...m.dilation],
      }),
    ),
  ),
  ...(
    [
      [MaxPool1d, 'MaxPool1d'],
      [MaxPool2d, 'MaxPool2d'],
      [MaxPool3d, 'MaxPool3d'],
    ] as const
  ).map(([cls, name]) =>
    entry(cls, (m: MaxPool1d<boolean> | MaxPool2d<boolean> | MaxPool3d<boolean>) =>
      call(name, [m.kernelSize], {
        stride: m.stride,
        padding: m.padding,
        dilation: m.dilation,
        return_indices: m.returnIndices,
        ceil_mode: m.ceilMode,
      }),
    ),
  ),
  entry(MaxUnpool2d, (m) =>
    call('MaxUnpool2d', [[...m.kernelSize]], { stride: [...m.stride], padding: [...m.padding] }),
  ),
  entry(AvgPool1d, (m) =>
    call('AvgPool1d', [[...m.kernelSize]], {
      stride: [...m.stride],
      padding: [...m.padding],
      ceil_mode: m.ceilMode,
      count_include_pad: m.countIncludePad,
    }),
  ),
  ...(
    [
      [AvgPool2d, 'AvgPool2d'],
      [AvgPool3d, 'AvgPool3d'],
    ] as const
  ).map(([cls, name]) =>
    entry(cls, (m: AvgPool2d | AvgPool3d) =>
      call(name, [m.kernelSize], {
        stride: m.stride,
        padding: m.padding,
        ceil_mode: m.ceilMode,
        count_include_pad: m.countIncludePad,
        divisor_override: m.divisorOverride,
      }),
    ),
  ),
  entry(AdaptiveAvgPool1d, (m) => call('AdaptiveAvgPool1d', [m.outputSize])),
  entry(AdaptiveAvgPool2d, (m) => call('AdaptiveAvgPool2d', [m.outputSize])),
  entry(AdaptiveAvgPool3d, (m) => call('AdaptiveAvgPool3d', [m.outputSize])),
  entry(Upsample, (m) => call('Upsample', [], upsampleArgs(m, true))),
  entry(UpsamplingNearest2d, (m) => call('UpsamplingNearest2d', [], upsampleArgs(m, false))),
  entry(UpsamplingBilinear2d, (m) => call('UpsamplingBilinear2d', [], upsampleArgs(m, false))),
];

function upsampleArgs(m: Upsample, all: boolean): Record<string, PyValue> {
  const sf = m.scaleFactor;
  const scale: PyValue = sf === null ? null : typeof sf === 'number' ? f(sf) : sf.map(f);
  const sz = m.size;
  const base = {
    size: sz === null ? null : typeof sz === 'number' ? sz : [...sz],
    scale_factor: scale,
  };
  if (!all) return base;
  return {
    ...base,
    mode: m.mode,
    align_corners: m.alignCorners,
    recompute_scale_factor: m.recomputeScaleFactor,
  };
}

const BY_CLASS = new Map<unknown, LayerEntry>(LAYERS.map((e) => [e.cls, e]));

/** What a module is to the exporter. */
export type ModuleKind =
  | { readonly kind: 'sequential' | 'list' | 'dict' }
  | { readonly kind: 'layer'; readonly entry: LayerEntry }
  /** A user's module: its own class in the Python file, forward derived by tracing. */
  | { readonly kind: 'custom' };

/**
 * How the exporter treats a module: a subclass of a built-in layer or container that keeps its
 * forward counts as that layer (its constructor may differ, its computation does not); one that
 * overrides forward is a custom module.
 */
export function kindOf(m: Module): ModuleKind {
  const forward = (Object.getPrototypeOf(m) as { forward: unknown }).forward;
  for (let p = Object.getPrototypeOf(m) as object | null; p !== null && p !== Module.prototype;) {
    const cls = (p as { constructor: unknown }).constructor;
    const known =
      cls === Sequential
        ? ({ kind: 'sequential' } as const)
        : cls === ModuleList
          ? ({ kind: 'list' } as const)
          : cls === ModuleDict
            ? ({ kind: 'dict' } as const)
            : BY_CLASS.has(cls)
              ? ({ kind: 'layer', entry: BY_CLASS.get(cls)! } as const)
              : null;
    if (known !== null)
      return (p as { forward: unknown }).forward === forward ? known : { kind: 'custom' };
    p = Object.getPrototypeOf(p) as object | null;
  }
  return { kind: 'custom' };
}

/** The torch.nn constructor call for a built-in layer, after checking its submodules are PyTorch's. */
export function layerExpr(m: Module, e: LayerEntry, path: string, child: ChildBuilder): string {
  const have = m.namedChildren().map(([n]) => n);
  const want = e.children(m);
  if (have.length !== want.length || have.some((n, i) => n !== want[i])) {
    fail(
      path,
      m,
      `it has submodules [${have.join(', ')}] where PyTorch's ${e.cls.name} builds [${want.join(', ')}]`,
    );
  }
  return e.emit(m, path, child);
}
