// ONNX export of layers: Linear, Conv, BatchNorm, activations, pools, Flatten, LayerNorm as ONNX ops of their own.
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import {
  ELU,
  GELU,
  Hardtanh,
  LeakyReLU,
  LogSoftmax,
  ReLU,
  SELU,
  Sigmoid,
  Softmax,
  Tanh,
} from '../nn/layers/activation.js';
import { Flatten } from '../nn/layers/basic.js';
import { BatchNormBase } from '../nn/layers/batchnorm.js';
import { Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d } from '../nn/layers/conv.js';
import { LayerNorm } from '../nn/layers/layernorm.js';
import { Linear } from '../nn/layers/linear.js';
import {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AvgPool1d,
  AvgPool2d,
  MaxPool1d,
  MaxPool2d,
} from '../nn/layers/pooling.js';
import type { Module } from '../nn/module.js';
import type { SizeArg } from '../nn/functional/conv.js';
import { attr, type Emitted, type GraphBuilder, type Val } from './onnx_graph.js';
import { reshapeTarget } from './onnx_ops.js';
import type { OnnxAttr } from './onnx_proto.js';
import type { ModulePlanner } from './onnx_trace.js';

/** Emits a module call's ONNX ops, given its input value. */
export type ModulePlan = (g: GraphBuilder, x: Val) => Emitted;

const same = (x: Val, name: string): Emitted => ({ name, batch: x.batch });

function sizes(v: SizeArg | null | undefined, nd: number, fallback: SizeArg): number[] {
  const s = v ?? fallback;
  return typeof s === 'number' ? Array<number>(nd).fill(s) : [...s];
}

/** One activation op on the input. */
function pointwise(opType: string, attrs: readonly OnnxAttr[] = []): ModulePlan {
  return (g, x) => same(x, g.op(opType, [x.name], attrs));
}

/** ONNX's pooled size (floor, or ceil without PyTorch's last-window rule). */
function onnxPooled(n: number, k: number, p: number, s: number, d: number, ceil: boolean): number {
  const span = (n + 2 * p - d * (k - 1) - 1) / s;
  return (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
}

interface Window {
  readonly k: number[];
  readonly s: number[];
  readonly p: number[];
  readonly d: number[];
  readonly ceil: boolean;
}

function windowAttrs(w: Window, dilations: boolean): OnnxAttr[] {
  const attrs = [
    attr.ints('kernel_shape', w.k),
    attr.ints('strides', w.s),
    attr.ints('pads', [...w.p, ...w.p]),
  ];
  if (dilations) attrs.push(attr.ints('dilations', w.d));
  if (w.ceil) attrs.push(attr.int('ceil_mode', 1));
  return attrs;
}

/** A pool's plan, or why ONNX's pool would not give nabla's output size. */
function pool(
  opType: string,
  w: Window,
  x: Tensor,
  out: Tensor,
  extra: OnnxAttr[],
): ModulePlan | string {
  const nd = w.k.length;
  if (x.ndim !== nd + 2)
    return `an unbatched input of shape [${x.shape.join(', ')}] (add a batch dim)`;
  for (let i = 0; i < nd; i++) {
    const n = onnxPooled(x.shape[2 + i]!, w.k[i]!, w.p[i]!, w.s[i]!, w.d[i]!, w.ceil);
    if (n !== out.shape[2 + i]) {
      return `ceil_mode windows here differ between PyTorch and ONNX (output size ${out.shape[2 + i]} vs ${n})`;
    }
  }
  // NOTE: where ceil_mode windows run past the padding, PyTorch divides by the part inside;
  // onnxruntime does the same (checked against nabla in test/io/onnx.test.ts).
  const attrs = [...windowAttrs(w, opType === 'MaxPool'), ...extra];
  return (g, v) => same(v, g.op(opType, [v.name], attrs));
}

function conv(m: Conv1d | Conv2d, x: Tensor, opset: number): ModulePlan | string {
  const nd = m.kernelSize.length;
  if (x.ndim !== nd + 2)
    return `an unbatched input of shape [${x.shape.join(', ')}] (add a batch dim)`;
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < nd; i++) {
    // PyTorch's 'same' puts the odd padding element at the end.
    const total = m.dilation[i]! * (m.kernelSize[i]! - 1);
    const [lo, hi] =
      m.padding === 'valid'
        ? [0, 0]
        : m.padding === 'same'
          ? [Math.floor(total / 2), total - Math.floor(total / 2)]
          : [m.padding[i]!, m.padding[i]!];
    begin.push(lo);
    end.push(hi);
  }
  const modes = { reflect: 'reflect', replicate: 'edge', circular: 'wrap' } as const;
  if (m.paddingMode === 'circular' && opset < 19) return "padding_mode='circular' needs opset 19";
  const attrs = (pads: number[]) => [
    attr.ints('kernel_shape', m.kernelSize),
    attr.ints('strides', m.stride),
    attr.ints('pads', pads),
    attr.ints('dilations', m.dilation),
    attr.int('group', m.groups),
  ];
  return (g, v) => {
    let input = v.name;
    let pads = [...begin, ...end];
    if (m.paddingMode !== 'zeros') {
      const all = [0, 0, ...begin, 0, 0, ...end];
      input = g.op('Pad', [input, g.ints(all)], [attr.string('mode', modes[m.paddingMode])]);
      pads = pads.map(() => 0);
    }
    const ins = [input, g.tensor(m.weight), ...(m.bias ? [g.tensor(m.bias)] : [])];
    return same(v, g.op('Conv', ins, attrs(pads)));
  };
}

function convTranspose(
  m: ConvTranspose1d | ConvTranspose2d,
  x: Tensor,
  out: Tensor,
): ModulePlan | string {
  const nd = m.kernelSize.length;
  if (x.ndim !== nd + 2)
    return `an unbatched input of shape [${x.shape.join(', ')}] (add a batch dim)`;
  const pad = m.padding as readonly number[];
  // The output padding this call used (forward may pick it from an output size).
  const outputPadding = m.kernelSize.map((k, i) => {
    const min = (x.shape[2 + i]! - 1) * m.stride[i]! - 2 * pad[i]! + m.dilation[i]! * (k - 1) + 1;
    return out.shape[2 + i]! - min;
  });
  const attrs = [
    attr.ints('kernel_shape', m.kernelSize),
    attr.ints('strides', m.stride),
    attr.ints('pads', [...pad, ...pad]),
    attr.ints('dilations', m.dilation),
    attr.int('group', m.groups),
    attr.ints('output_padding', outputPadding),
  ];
  return (g, v) => {
    const ins = [v.name, g.tensor(m.weight), ...(m.bias ? [g.tensor(m.bias)] : [])];
    return same(v, g.op('ConvTranspose', ins, attrs));
  };
}

function linear(m: Linear): ModulePlan {
  return (g, x) => {
    const w = g.tensor(m.weight);
    const b = m.bias ? g.tensor(m.bias) : null;
    if (x.shape.length === 2) {
      const ins = b === null ? [x.name, w] : [x.name, w, b];
      return same(x, g.op('Gemm', ins, [attr.int('transB', 1)]));
    }
    const wt = g.op('Transpose', [w], [attr.ints('perm', [1, 0])]);
    const y = g.op('MatMul', [x.name, wt]);
    return same(x, b === null ? y : g.op('Add', [y, b]));
  };
}

function batchNorm(m: BatchNormBase, x: Tensor): ModulePlan | null {
  const mean = m.running_mean;
  const variance = m.running_var;
  // Without running statistics eval mode normalises with batch statistics: trace the primitives.
  if (mean === null || variance === null || x.ndim < 2) return null;
  return (g, v) => {
    const c = [m.numFeatures];
    const scale = m.weight ? g.tensor(m.weight) : g.filled(1, c, v.dtype);
    const bias = m.bias ? g.tensor(m.bias) : g.filled(0, c, v.dtype);
    const ins = [v.name, scale, bias, g.tensor(mean), g.tensor(variance)];
    return same(v, g.op('BatchNormalization', ins, [attr.float('epsilon', m.eps)]));
  };
}

function adaptiveAvg(nd: number, x: Tensor, out: Tensor): ModulePlan | string | null {
  if (x.ndim !== nd + 2) return null;
  const ins = x.shape.slice(2);
  const outs = out.shape.slice(2);
  if (outs.every((o) => o === 1)) return pointwise('GlobalAveragePool');
  if (!ins.every((n, i) => n % outs[i]! === 0)) return null;
  const k = ins.map((n, i) => n / outs[i]!);
  const w = { k, s: k, p: k.map(() => 0), d: k.map(() => 1), ceil: false };
  return pool('AveragePool', w, x, out, []);
}

/**
 * Whether m is a `cls` running cls's own forward: a subclass that overrides forward is traced
 * through its primitives instead, so its extra computation is not lost.
 */
function is<T extends Module>(m: Module, cls: abstract new (...args: never[]) => T): m is T {
  return m instanceof cls && (Object.getPrototypeOf(m) as T).forward === cls.prototype.forward;
}

/**
 * The planner for a given opset: a plan for the layers ONNX has ops for, a reason for the ones it
 * cannot express, or null to export the module through its primitives (LayerNorm before opset
 * 17, GELU before 20, SiLU, Softplus, any user module, ...).
 */
export function modulePlanner(opset: number): ModulePlanner<ModulePlan> {
  return (m: Module, inputs: readonly Tensor[], out: Tensor) => {
    const x = inputs[0];
    if (x === undefined || inputs.length !== 1) return null;
    const floating = x.isFloatingPoint();
    if (is(m, Linear)) return linear(m);
    if (is(m, Conv1d) || is(m, Conv2d)) return conv(m, x, opset);
    if (is(m, ConvTranspose1d) || is(m, ConvTranspose2d)) return convTranspose(m, x, out);
    if (is(m, BatchNormBase)) return batchNorm(m, x);
    if (is(m, LayerNorm)) {
      if (opset < 17) return null;
      const k = m.normalizedShape.length;
      return (g, v) => {
        const scale = m.weight ? g.tensor(m.weight) : g.filled(1, m.normalizedShape, v.dtype);
        const ins = [v.name, scale, ...(m.bias ? [g.tensor(m.bias)] : [])];
        const attrs = [attr.int('axis', v.shape.length - k), attr.float('epsilon', m.eps)];
        return same(v, g.op('LayerNormalization', ins, attrs));
      };
    }
    if (!floating) return null;
    if (is(m, ReLU)) return pointwise('Relu');
    if (is(m, Sigmoid)) return pointwise('Sigmoid');
    if (is(m, Tanh)) return pointwise('Tanh');
    if (is(m, LeakyReLU)) return pointwise('LeakyRelu', [attr.float('alpha', m.negativeSlope)]);
    if (is(m, ELU)) return pointwise('Elu', [attr.float('alpha', m.alpha)]);
    if (is(m, SELU)) return pointwise('Selu');
    if (is(m, GELU)) {
      return opset >= 20 ? pointwise('Gelu', [attr.string('approximate', m.approximate)]) : null;
    }
    if (is(m, Hardtanh)) {
      return (g, v) =>
        same(v, g.op('Clip', [v.name, g.scalar(m.minVal, v.dtype), g.scalar(m.maxVal, v.dtype)]));
    }
    if (is(m, Softmax) || is(m, LogSoftmax)) {
      const axis = normalizeDim(m.dim, x.ndim);
      return pointwise(is(m, Softmax) ? 'Softmax' : 'LogSoftmax', [attr.int('axis', axis)]);
    }
    if (is(m, MaxPool1d) || is(m, MaxPool2d)) {
      const nd = is(m, MaxPool1d) ? 1 : 2;
      const w = {
        k: sizes(m.kernelSize, nd, 1),
        s: sizes(m.stride, nd, m.kernelSize),
        p: sizes(m.padding, nd, 0),
        d: sizes(m.dilation, nd, 1),
        ceil: m.ceilMode,
      };
      return pool('MaxPool', w, x, out, []);
    }
    if (is(m, AvgPool1d) || is(m, AvgPool2d)) {
      const nd = is(m, AvgPool1d) ? 1 : 2;
      if (is(m, AvgPool2d) && m.divisorOverride !== null)
        return 'divisor_override has no ONNX equivalent';
      const k = sizes(m.kernelSize, nd, 1);
      const p = sizes(m.padding, nd, 0);
      const w = { k, s: sizes(m.stride, nd, k), p, d: k.map(() => 1), ceil: m.ceilMode };
      const include = [attr.int('count_include_pad', m.countIncludePad ? 1 : 0)];
      return pool('AveragePool', w, x, out, include);
    }
    if (is(m, AdaptiveAvgPool1d)) return adaptiveAvg(1, x, out);
    if (is(m, AdaptiveAvgPool2d)) return adaptiveAvg(2, x, out);
    if (is(m, Flatten)) {
      const start = normalizeDim(m.startDim, x.ndim);
      const end = normalizeDim(m.endDim, x.ndim);
      if (start !== 1 || end !== x.ndim - 1) return null;
      return (g, v) => {
        if (v.batch === null || v.batch.dim === 0)
          return same(v, g.op('Flatten', [v.name], [attr.int('axis', 1)]));
        const t = reshapeTarget(g, v, out.shape);
        return { name: g.op('Reshape', [v.name, g.ints(t.shape)]), batch: t.batch };
      };
    }
    return null;
  };
}
