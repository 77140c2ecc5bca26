// ONNX export of primitives: each of nabla's primitives as ONNX ops, with the batch dim followed through shapes.
import type { DType } from '../dtype.js';
import { NablaError } from '../errors.js';
import type {
  BinaryPrimitive,
  Primitive,
  BatchNormParams,
  NllParams,
  ParamsOf,
  ReduceParams,
  SliceParams,
  UnaryPrimitive,
} from '../primitives.js';
import type { Tensor } from '../tensor.js';
import {
  CAST_TO,
  attr,
  batchAt,
  type Batch,
  type Emitted,
  type GraphBuilder,
  type Val,
} from './onnx_graph.js';

/**
 * An elementwise primitive in ONNX: one op of that name over the inputs, or a small composition.
 * The tables are exhaustive (null: no mapping, on purpose), so a new primitive does not compile
 * until it has an entry.
 */
type OnnxElementwise = string | ((g: GraphBuilder, ins: readonly Val[]) => string);

/** x ↦ op(x) with x cast to bool first (ONNX's logical ops take only bool). */
const logical =
  (op: string): OnnxElementwise =>
  (g, ins) =>
    g.op(
      op,
      ins.map((v) => castTo(g, v, 'bool')),
    );

const UNARY: { readonly [P in UnaryPrimitive]: OnnxElementwise | null } = {
  neg: 'Neg',
  abs: 'Abs',
  sign: 'Sign',
  exp: 'Exp',
  log: 'Log',
  log1p: (g, [x]) => g.op('Log', [g.op('Add', [x!.name, g.scalar(1, x!.dtype)])]),
  expm1: (g, [x]) => g.op('Sub', [g.op('Exp', [x!.name]), g.scalar(1, x!.dtype)]),
  sqrt: 'Sqrt',
  rsqrt: (g, [x]) => g.op('Reciprocal', [g.op('Sqrt', [x!.name])]),
  sin: 'Sin',
  cos: 'Cos',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  erf: 'Erf',
  relu: 'Relu',
  floor: 'Floor',
  ceil: 'Ceil',
  round: 'Round',
  logicalNot: logical('Not'),
  tan: 'Tan',
  asin: 'Asin',
  acos: 'Acos',
  atan: 'Atan',
  sinh: 'Sinh',
  cosh: 'Cosh',
  asinh: 'Asinh',
  acosh: 'Acosh',
  atanh: 'Atanh',
  log2: (g, [x]) => g.op('Div', [g.op('Log', [x!.name]), g.scalar(Math.LN2, x!.dtype)]),
  log10: (g, [x]) => g.op('Div', [g.op('Log', [x!.name]), g.scalar(Math.LN10, x!.dtype)]),
  bitwiseNot: null, // BitwiseNot is opset 18
};

const BINARY: { readonly [P in BinaryPrimitive]: OnnxElementwise | null } = {
  add: 'Add',
  sub: 'Sub',
  mul: 'Mul',
  div: 'Div',
  pow: 'Pow',
  maximum: 'Max',
  minimum: 'Min',
  eq: 'Equal',
  ne: (g, [a, b]) => g.op('Not', [g.op('Equal', [a!.name, b!.name])]),
  lt: 'Less',
  le: 'LessOrEqual',
  gt: 'Greater',
  ge: 'GreaterOrEqual',
  logicalAnd: logical('And'),
  logicalOr: logical('Or'),
  logicalXor: logical('Xor'),
  atan2: null,
  copysign: null,
  hypot: null,
  divTrunc: null,
  divFloor: null,
  remainder: null, // Mod with fmod 0 takes only integers
  fmod: (g, [a, b]) => g.op('Mod', [a!.name, b!.name], [attr.int('fmod', 1)]),
  bitwiseAnd: null, // the Bitwise* ops are opset 18
  bitwiseOr: null,
  bitwiseXor: null,
  bitwiseLeftShift: null, // BitShift takes only unsigned integers
  bitwiseRightShift: null,
  reluBackward: null, // only in backward graphs, which are not exported
};

const ELEMENTWISE: {
  readonly [P in UnaryPrimitive | BinaryPrimitive]: OnnxElementwise | null;
} = { ...UNARY, ...BINARY };

function isElementwise(op: Primitive): op is UnaryPrimitive | BinaryPrimitive {
  return Object.hasOwn(ELEMENTWISE, op);
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** Thrown for what export cannot express; the walker adds where it happened. */
export class OnnxUnsupported extends NablaError {
  override name = 'OnnxUnsupported';
}

/** Casts to `dtype` unless the value already has it. */
export function castTo(g: GraphBuilder, v: Val, dtype: DType): string {
  return v.dtype === dtype ? v.name : g.op('Cast', [v.name], [attr.int('to', CAST_TO[dtype])]);
}

/** The batch dim of a broadcast result of rank `rank`. */
function broadcastBatch(ins: readonly Val[], rank: number): Batch | null {
  const carrier = ins.find((v) => v.batch !== null);
  if (carrier === undefined) return null;
  const b = carrier.batch!;
  const dim = b.dim + rank - carrier.shape.length;
  const size = carrier.shape[b.dim]!;
  for (const v of ins) {
    const d = dim - (rank - v.shape.length);
    if (v.batch === null && size !== 1 && d >= 0 && v.shape[d] === size) {
      // Static where the batch is: it was made with the example's batch size (zeros([n, ...])
      // in forward, an expand to a traced size) and breaks at any other batch size.
      throw new OnnxUnsupported(
        `a value of shape [${v.shape.join(', ')}] has the example's batch size (${size}) fixed in dim ${d}, where it meets the batch; build it from the input (zerosLike and the like) rather than from sizes read off the example, or export with dynamicBatch: false`,
      );
    }
  }
  return batchAt(b, dim);
}

/** Every dim of a rank-`n` [N, C, *] tensor but the channels (1). */
const reduceAxes = (n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => i !== 1);

function reducedBatch(b: Batch | null, { dims, keepdim }: ReduceParams): Batch | null {
  if (b === null || dims.includes(b.dim)) return null;
  return keepdim ? b : batchAt(b, b.dim - dims.filter((d) => d < b.dim).length);
}

/** A Reduce* node: axes are an input from opset 13 for ReduceSum and from 18 for the others. */
export function reduceNode(
  g: GraphBuilder,
  opType: string,
  x: string,
  dims: readonly number[],
  keepdim: boolean,
): string {
  const keep = attr.int('keepdims', keepdim ? 1 : 0);
  const asInput = opType === 'ReduceSum' ? g.opset >= 13 : g.opset >= 18;
  return asInput
    ? g.op(opType, [x, g.ints(dims)], [keep])
    : g.op(opType, [x], [attr.ints('axes', dims), keep]);
}

/**
 * The target of a Reshape with a dynamic batch: the static shape with -1 at the one dim that
 * scales with the batch. With the batch's dim of size outer·B·inner, the flat layout is
 * [A = (dims before)·outer, B, C = inner·(dims after)]; an output dim j holds the whole batch
 * when the output dims before it divide A and those after it divide C.
 */
export function reshapeTarget(
  g: GraphBuilder,
  x: Val,
  target: readonly number[],
): { shape: number[]; batch: Batch | null } {
  const b = x.batch;
  if (!g.dynamic || b === null) return { shape: [...target], batch: null };
  const size = x.shape[b.dim]!;
  const n = size / (b.outer * b.inner);
  const a = prod(x.shape.slice(0, b.dim)) * b.outer;
  const c = b.inner * prod(x.shape.slice(b.dim + 1));
  for (let j = 0; j < target.length; j++) {
    const before = prod(target.slice(0, j));
    const after = prod(target.slice(j + 1));
    if (a % before !== 0 || c % after !== 0) continue;
    const [outer, inner] = [a / before, c / after];
    if (target[j] !== outer * n * inner) continue;
    const shape = [...target];
    shape[j] = -1;
    return { shape, batch: { dim: j, outer, inner } };
  }
  throw new OnnxUnsupported(
    `a reshape of [${x.shape.join(', ')}] to [${target.join(', ')}] splits the batch (dim ${b.dim}); export with dynamicBatch: false`,
  );
}

function reduceOp(g: GraphBuilder, op: Primitive, x: Val, p: ReduceParams, out: Tensor): string {
  if (p.dims.length === 0)
    return op === 'argmax' || op === 'argmin' ? '' : g.op('Identity', [x.name]);
  switch (op) {
    case 'sum':
      return reduceNode(g, 'ReduceSum', x.name, p.dims, p.keepdim);
    case 'prod':
      return reduceNode(g, 'ReduceProd', x.name, p.dims, p.keepdim);
    case 'amax':
      return reduceNode(g, 'ReduceMax', x.name, p.dims, p.keepdim);
    case 'amin':
      return reduceNode(g, 'ReduceMin', x.name, p.dims, p.keepdim);
    case 'argmax':
    case 'argmin': {
      if (p.dims.length !== 1) return '';
      const idx = g.op(
        op === 'argmax' ? 'ArgMax' : 'ArgMin',
        [x.name],
        [attr.int('axis', p.dims[0]!), attr.int('keepdims', p.keepdim ? 1 : 0)],
      );
      return g.op('Cast', [idx], [attr.int('to', CAST_TO[out.dtype])]);
    }
    case 'all':
    case 'any': {
      const asInt = g.op('Cast', [castTo(g, x, 'bool')], [attr.int('to', CAST_TO.int32)]);
      const r = reduceNode(g, op === 'all' ? 'ReduceMin' : 'ReduceMax', asInt, p.dims, p.keepdim);
      return g.op('Cast', [r], [attr.int('to', CAST_TO.bool)]);
    }
    default:
      return '';
  }
}

function normOp(g: GraphBuilder, x: Val, p: ReduceParams & { p: number }): string {
  const { dims, keepdim } = p;
  const abs = () => g.op('Abs', [x.name]);
  if (p.p === 0) {
    const nz = g.op('Not', [g.op('Equal', [x.name, g.scalar(0, x.dtype)])]);
    const count = g.op('Cast', [nz], [attr.int('to', CAST_TO[x.dtype])]);
    return dims.length === 0 ? count : reduceNode(g, 'ReduceSum', count, dims, keepdim);
  }
  if (dims.length === 0) return abs();
  if (p.p === 1) return reduceNode(g, 'ReduceL1', x.name, dims, keepdim);
  if (p.p === 2) return reduceNode(g, 'ReduceL2', x.name, dims, keepdim);
  if (p.p === Infinity) return reduceNode(g, 'ReduceMax', abs(), dims, keepdim);
  if (p.p === -Infinity) return reduceNode(g, 'ReduceMin', abs(), dims, keepdim);
  const powered = g.op('Pow', [abs(), g.scalar(p.p, x.dtype)]);
  const s = reduceNode(g, 'ReduceSum', powered, dims, keepdim);
  return g.op('Pow', [s, g.scalar(1 / p.p, x.dtype)]);
}

function matmulBatch(a: Val, b: Val, rank: number): Batch | null {
  if (a.batch !== null) {
    const [ra, d] = [a.shape.length, a.batch.dim];
    return batchAt(a.batch, d === ra - 1 ? null : d === ra - 2 ? rank - 2 : d + rank - ra);
  }
  if (b.batch !== null) {
    const [rb, d] = [b.shape.length, b.batch.dim];
    return batchAt(b.batch, d === rb - 2 ? null : d === rb - 1 ? rank - 1 : d + rank - rb);
  }
  return null;
}

/** The value every element of t has, or undefined (a filled tensor, as F.pad writes into). */
export function uniformValue(t: Tensor): number | undefined {
  const data = t.dataSync();
  const first = data[0];
  if (first === undefined) return undefined;
  for (let i = 1; i < data.length; i++) if (!Object.is(data[i], first)) return undefined;
  return first;
}

/** sliceScatter of y into a tensor filled with `fill` (F.pad's constant mode): one Pad of y. */
export function emitPad(
  g: GraphBuilder,
  y: Val,
  params: SliceParams,
  baseShape: readonly number[],
  fill: number,
): Emitted {
  const { dim, start, end } = params;
  const rank = baseShape.length;
  const pads = new Array<number>(2 * rank).fill(0);
  pads[dim] = start;
  pads[rank + dim] = baseShape[dim]! - end;
  const name = g.op('Pad', [y.name, g.ints(pads), g.scalar(fill, y.dtype)]);
  return { name, batch: y.batch?.dim === dim ? null : y.batch };
}

function unsupported(op: Primitive): never {
  const hint =
    op === 'unfold' ||
    op === 'fold' ||
    op === 'maxPoolIndices' ||
    op === 'maxPoolBackward' ||
    op === 'conv2d' ||
    op === 'conv2dWeightGrad' ||
    op === 'conv2dInputGrad'
      ? ' (convolutions and pools export as layers: use nn.Conv2d, nn.MaxPool2d, ... modules, not the functional forms)'
      : '';
  throw new OnnxUnsupported(`the primitive '${op}' has no ONNX mapping${hint}`);
}

/** Emits the ONNX ops computing primitive `op` of `ins`, whose nabla result was `out`. */
export function emitPrimitive(
  g: GraphBuilder,
  op: Primitive,
  params: object,
  ins: readonly Val[],
  out: Tensor,
): Emitted {
  const x = ins[0]!;
  const rank = out.ndim;
  const elementwise = (name: string): Emitted => ({ name, batch: broadcastBatch(ins, rank) });

  if (isElementwise(op)) {
    const rule = ELEMENTWISE[op];
    if (rule === null) return unsupported(op);
    const names = ins.map((v) => v.name);
    return elementwise(typeof rule === 'string' ? g.op(rule, names) : rule(g, ins));
  }

  // Every other primitive, by name: no default, so a new primitive does not compile until it has
  // a case here (unsupported ones included, on purpose).
  switch (op) {
    case 'cast':
      // A same-dtype cast is a contiguous copy: nothing in ONNX.
      if (x.dtype === out.dtype) return x;
      return elementwise(g.op('Cast', [x.name], [attr.int('to', CAST_TO[out.dtype])]));
    case 'clamp': {
      const { min, max } = params as { min: number | undefined; max: number | undefined };
      const lo = min === undefined ? '' : g.scalar(min, out.dtype);
      const hi = max === undefined ? '' : g.scalar(max, out.dtype);
      const inputs = hi !== '' ? [x.name, lo, hi] : lo !== '' ? [x.name, lo] : [x.name];
      return elementwise(g.op('Clip', inputs));
    }
    case 'where':
      return elementwise(
        g.op(
          'Where',
          ins.map((v) => v.name),
        ),
      );
    case 'sum':
    case 'prod':
    case 'amax':
    case 'amin':
    case 'argmax':
    case 'argmin':
    case 'all':
    case 'any': {
      const p = params as ReduceParams;
      const name = reduceOp(g, op, x, p, out);
      if (name === '') unsupported(op);
      return { name, batch: reducedBatch(x.batch, p) };
    }
    case 'norm': {
      const p = params as ReduceParams & { p: number };
      return { name: normOp(g, x, p), batch: reducedBatch(x.batch, p) };
    }
    case 'cumsum': {
      const { dim } = params as { dim: number };
      return { name: g.op('CumSum', [x.name, g.ints([dim], true)]), batch: x.batch };
    }
    case 'logSoftmax': {
      const { dim } = params as { dim: number };
      return { name: g.op('LogSoftmax', [x.name], [attr.int('axis', dim)]), batch: x.batch };
    }
    case 'nllLoss': {
      const p = params as NllParams;
      const attrs = [
        attr.string('reduction', p.reduction),
        attr.int('ignore_index', p.ignoreIndex),
      ];
      const name = g.op(
        'NegativeLogLikelihoodLoss',
        ins.map((v) => v.name),
        attrs,
      );
      return { name, batch: p.reduction === 'none' ? x.batch : null };
    }
    case 'nllLossBackward':
      return unsupported(op);
    case 'matmul':
      return { name: g.op('MatMul', [x.name, ins[1]!.name]), batch: matmulBatch(x, ins[1]!, rank) };
    case 'linear': {
      const [w, b] = [ins[1]!.name, ins[2]?.name];
      const batch = batchAt(
        x.batch,
        x.batch?.dim === x.shape.length - 1 ? null : (x.batch?.dim ?? null),
      );
      let z: string;
      if (rank === 2) {
        const gemmIns = b === undefined ? [x.name, w] : [x.name, w, b];
        z = g.op('Gemm', gemmIns, [attr.int('transB', 1)]);
      } else {
        const y = g.op('MatMul', [x.name, g.op('Transpose', [w], [attr.ints('perm', [1, 0])])]);
        z = b === undefined ? y : g.op('Add', [y, b]);
      }
      // the stored activation as its own nodes: Relu, or GELU as F.gelu composes it
      const act = (params as ParamsOf<'linear'>).activation;
      if (act === 'relu') return { name: g.op('Relu', [z]), batch };
      if (act === 'gelu') {
        const half = g.op('Mul', [z, g.scalar(0.5, x.dtype)]);
        const e = g.op('Erf', [g.op('Mul', [z, g.scalar(Math.SQRT1_2, x.dtype)])]);
        return { name: g.op('Mul', [half, g.op('Add', [e, g.scalar(1, x.dtype)])]), batch };
      }
      return { name: z, batch };
    }
    case 'batchNormStats': {
      // [2, C]: the per-channel mean and biased variance over every dim but 1, stacked
      const axes = reduceAxes(x.shape.length);
      const c = [1, x.shape[1]!];
      const mean = reduceNode(g, 'ReduceMean', x.name, axes, true);
      const d = g.op('Sub', [x.name, mean]);
      const variance = reduceNode(g, 'ReduceMean', g.op('Mul', [d, d]), axes, false);
      const rows = [reduceNode(g, 'ReduceMean', x.name, axes, false), variance].map((r) =>
        g.op('Reshape', [r, g.ints(c)]),
      );
      return { name: g.op('Concat', rows, [attr.int('axis', 0)]), batch: null };
    }
    case 'batchNorm': {
      const p = params as BatchNormParams;
      const c = [x.shape[1]!];
      const row = (i: number) =>
        g.op('Gather', [ins[1]!.name, g.ints([i], true)], [attr.int('axis', 0)]);
      const scale = p.weight ? ins[2]!.name : g.filled(1, c, out.dtype);
      const bias = p.bias ? ins[p.weight ? 3 : 2]!.name : g.filled(0, c, out.dtype);
      const bnIns = [x.name, scale, bias, row(0), row(1)];
      const name = g.op('BatchNormalization', bnIns, [attr.float('epsilon', p.eps)]);
      return { name, batch: x.batch };
    }
    case 'batchNormGradStats':
    case 'batchNormBackward':
      return unsupported(op);
    case 'view': {
      const t = reshapeTarget(g, x, out.shape);
      return { name: g.op('Reshape', [x.name, g.ints(t.shape)]), batch: t.batch };
    }
    case 'permute': {
      const { dims } = params as { dims: readonly number[] };
      const batch = x.batch === null ? null : batchAt(x.batch, dims.indexOf(x.batch.dim));
      return { name: g.op('Transpose', [x.name], [attr.ints('perm', dims)]), batch };
    }
    case 'expand': {
      const shape = [...out.shape];
      const batch = x.batch === null ? null : batchAt(x.batch, x.batch.dim + rank - x.shape.length);
      // Expand broadcasts both ways: a 1 where the batch is keeps the input's batch size.
      if (batch !== null) shape[batch.dim] = 1;
      return { name: g.op('Expand', [x.name, g.ints(shape)]), batch };
    }
    case 'slice': {
      const { dim, start, end, step } = params as SliceParams;
      const onBatch = dim === x.batch?.dim;
      // A whole dim (narrow's full length, a batch dim taken whole) is no op at all.
      if (start === 0 && step === 1 && end >= x.shape[dim]!) return x;
      const inputs = [x.name, g.ints([start]), g.ints([end]), g.ints([dim]), g.ints([step])];
      const name = g.op('Slice', inputs);
      return { name, batch: onBatch ? null : x.batch };
    }
    case 'cat': {
      const { dim } = params as { dim: number };
      const batch = ins.some((v) => v.batch?.dim === dim) ? null : broadcastBatch(ins, rank);
      const name = g.op(
        'Concat',
        ins.map((v) => v.name),
        [attr.int('axis', dim)],
      );
      return { name, batch };
    }
    case 'gather': {
      const { dim } = params as { dim: number };
      const name = g.op('GatherElements', [x.name, ins[1]!.name], [attr.int('axis', dim)]);
      // The output has the index's shape: its batch, or the data's where a static index was
      // expanded to it (fixed at the example's batch size: an error) or gathers along it.
      const idx = ins[1]!;
      const batch =
        idx.batch !== null
          ? idx.batch
          : x.batch === null || x.batch.dim === dim
            ? null
            : broadcastBatch([x, idx], rank);
      return { name, batch };
    }
    case 'diagonal': {
      // the two dims moved last and merged, then every (m + 1)-th element from the first
      const { offset, dim1, dim2 } = params as { offset: number; dim1: number; dim2: number };
      if (x.batch !== null && (x.batch.dim === dim1 || x.batch.dim === dim2)) unsupported(op);
      const m = x.shape[dim2]!;
      const rest = x.shape.map((_, i) => i).filter((i) => i !== dim1 && i !== dim2);
      const moved = g.op('Transpose', [x.name], [attr.ints('perm', [...rest, dim1, dim2])]);
      const batch = x.batch === null ? null : batchAt(x.batch, rest.indexOf(x.batch.dim));
      const target = [...rest.map((i) => x.shape[i]!), x.shape[dim1]! * m];
      if (batch !== null) target[batch.dim] = -1;
      const flat = g.op('Reshape', [moved, g.ints(target)]);
      const length = out.shape[rank - 1]!;
      const start = offset >= 0 ? offset : -offset * m;
      const end = length === 0 ? start : start + (length - 1) * (m + 1) + 1;
      const ends = [g.ints([start]), g.ints([end]), g.ints([rest.length]), g.ints([m + 1])];
      return { name: g.op('Slice', [flat, ...ends]), batch };
    }
    case 'windows': {
      // the windows' elements gathered along dim, split into [count, size], size moved last
      const { dim, size, step } = params as { dim: number; size: number; step: number };
      if (x.batch?.dim === dim) unsupported(op);
      const count = out.shape[dim]!;
      const index: number[] = [];
      for (let w = 0; w < count; w++) for (let j = 0; j < size; j++) index.push(w * step + j);
      const picked = g.op('Gather', [x.name, g.ints(index)], [attr.int('axis', dim)]);
      const target = [...x.shape.slice(0, dim), count, size, ...x.shape.slice(dim + 1)];
      if (x.batch !== null) target[x.batch.dim < dim ? x.batch.dim : x.batch.dim + 1] = -1;
      const split = g.op('Reshape', [picked, g.ints(target)]);
      const perm = target.map((_, i) => i).filter((i) => i !== dim + 1);
      const name = g.op('Transpose', [split], [attr.ints('perm', [...perm, dim + 1])]);
      return { name, batch: x.batch };
    }
    case 'sliceScatter': {
      const { dim, start, end, step } = params as SliceParams;
      if (step !== 1) unsupported(op);
      const y = ins[1]!;
      const batch = [x, y].some((v) => v.batch?.dim === dim) ? null : broadcastBatch(ins, rank);
      const size = x.shape[dim]!;
      const piece = (from: number, to: number) =>
        g.op('Slice', [x.name, g.ints([from]), g.ints([to]), g.ints([dim]), g.ints([1])]);
      const parts = [
        ...(start > 0 ? [piece(0, start)] : []),
        y.name,
        ...(end < size ? [piece(end, size)] : []),
      ];
      const name =
        parts.length === 1
          ? g.op('Identity', parts)
          : g.op('Concat', parts, [attr.int('axis', dim)]);
      return { name, batch };
    }
    case 'scatter':
    case 'scatterAdd': {
      const { dim } = params as { dim: number };
      const attrs = [attr.int('axis', dim)];
      if (op === 'scatterAdd') {
        if (g.opset < 16) throw new OnnxUnsupported('scatterAdd needs opset 16 or later');
        attrs.push(attr.string('reduction', 'add'));
      }
      const name = g.op(
        'ScatterElements',
        ins.map((v) => v.name),
        attrs,
      );
      return { name, batch: x.batch };
    }
    case 'sort': {
      // TopK over the whole dim (ties in index order, as nabla's stable sort; NaN's place is
      // onnxruntime's), its indices cast to int32
      const { dim, descending } = params as { dim: number; descending: boolean };
      if (x.shape.length === 0)
        return {
          name: g.op('Cast', [g.ints([0], true)], [attr.int('to', CAST_TO.int32)]),
          batch: null,
        };
      if (x.batch?.dim === dim)
        throw new OnnxUnsupported(
          'sort along the batch dim needs a static batch: export with dynamicBatch: false',
        );
      const [, indices] = g.node(
        'TopK',
        [x.name, g.ints([x.shape[dim]!])],
        [attr.int('axis', dim), attr.int('largest', descending ? 1 : 0), attr.int('sorted', 1)],
        2,
      );
      return { name: g.op('Cast', [indices!], [attr.int('to', CAST_TO.int32)]), batch: x.batch };
    }
    case 'scatterReduce': {
      // ScatterElements reduces into the existing values: includeSelf only, and no mean
      const { dim, reduce, includeSelf } = params as {
        dim: number;
        reduce: string;
        includeSelf: boolean;
      };
      const reduction = { sum: 'add', prod: 'mul', amax: 'max', amin: 'min' }[reduce];
      if (!includeSelf || reduction === undefined)
        throw new OnnxUnsupported(
          `scatterReduce with reduce '${reduce}'${includeSelf ? '' : ' and includeSelf false'} has no ONNX mapping`,
        );
      const needs = reduction === 'max' || reduction === 'min' ? 18 : 16;
      if (g.opset < needs)
        throw new OnnxUnsupported(`scatterReduce '${reduce}' needs opset ${needs} or later`);
      const name = g.op(
        'ScatterElements',
        ins.map((v) => v.name),
        [attr.int('axis', dim), attr.string('reduction', reduction)],
      );
      return { name, batch: x.batch };
    }
    case 'kthIndex':
    case 'unfold':
    case 'fold':
    case 'maxPoolIndices':
    case 'maxPoolBackward':
    case 'conv2d':
    case 'conv2dWeightGrad':
    case 'conv2dInputGrad':
    case 'cumprod':
    case 'logcumsumexp':
    case 'cumExtremeIndex':
      return unsupported(op);
  }
}
