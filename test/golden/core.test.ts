// Golden tests for the core ops: every case of test/fixtures/core_golden.json (made by PyTorch) rebuilt with nabla and compared.
import {
  type Tensor,
  abs,
  add,
  cat,
  chunk,
  div,
  eq,
  ge,
  gt,
  le,
  logicalAnd,
  logicalNot,
  logicalOr,
  logicalXor,
  lt,
  maskedSelect,
  maximum,
  minimum,
  mul,
  ne,
  oneHot,
  pad,
  pow,
  split,
  stack,
  sub,
  where,
  type IndexSpec,
  type PadOptions,
} from '../../src/index.js';
import { describeGolden, type Arg, type Args, type OpFn } from './harness.js';

// ---- the op table: the same names as the generator's OPS ----

type Operand = Tensor | number | boolean;
type Binary = (a: Operand, b: Operand, args: Args) => Tensor;

const num = (a: Arg | undefined): number => a as number;
const optNum = (a: Arg | undefined): number | undefined => (a === undefined ? undefined : num(a));
const dims = (a: Arg | undefined): number | number[] | null =>
  a === undefined ? null : (a as number | number[] | null);
const keep = (a: Args): boolean => a.keepdim === true;

/** A binary op on [a, b], or on [x] and args.scalar (args.rev puts the scalar first). */
function binary(fn: Binary): OpFn {
  return (x, a) => {
    if (x.length === 2) return fn(x[0]!, x[1]!, a);
    const s = a.scalar as number | boolean;
    return a.rev === true ? fn(s, x[0]!, a) : fn(x[0]!, s, a);
  };
}

/** For the ops whose first operand must be a tensor (comparisons, logic, maximum/minimum). */
const tensorFirst =
  (fn: (a: Tensor, b: Operand) => Tensor): Binary =>
  (a, b) =>
    fn(a as Tensor, b);

const withAlpha =
  (fn: typeof add): Binary =>
  (a, b, args) =>
    args.alpha === undefined ? fn(a, b) : fn(a, b, { alpha: num(args.alpha) });

const unary =
  (fn: (t: Tensor) => Tensor): OpFn =>
  (x) =>
    fn(x[0]!);

function clampBound(x: Tensor[], b: Arg | undefined): Tensor | number | null {
  if (b === undefined || b === null) return null;
  if (typeof b === 'object' && !Array.isArray(b)) return x[num(b.in)]!;
  return num(b);
}

function indexSpec(x: Tensor[], spec: Arg[]): IndexSpec[] {
  return spec.map((s): IndexSpec => {
    if (s !== null && typeof s === 'object' && !Array.isArray(s)) return x[num(s.in)]!;
    return s as IndexSpec;
  });
}

const OPS: Record<string, OpFn> = {
  // elementwise
  add: binary(withAlpha(add)),
  sub: binary(withAlpha(sub)),
  mul: binary((a, b) => mul(a, b)),
  div: binary((a, b) => div(a, b)),
  pow: binary((a, b) => pow(a, b)),
  maximum: binary(tensorFirst(maximum)),
  minimum: binary(tensorFirst(minimum)),
  eq: binary(tensorFirst(eq)),
  ne: binary(tensorFirst(ne)),
  lt: binary(tensorFirst(lt)),
  le: binary(tensorFirst(le)),
  gt: binary(tensorFirst(gt)),
  ge: binary(tensorFirst(ge)),
  logicalAnd: binary(tensorFirst(logicalAnd)),
  logicalOr: binary(tensorFirst(logicalOr)),
  logicalXor: binary(tensorFirst(logicalXor)),
  logicalNot: unary(logicalNot),
  neg: unary((t) => t.neg()),
  abs: unary(abs),
  sign: unary((t) => t.sign()),
  exp: unary((t) => t.exp()),
  log: unary((t) => t.log()),
  log1p: unary((t) => t.log1p()),
  expm1: unary((t) => t.expm1()),
  sqrt: unary((t) => t.sqrt()),
  rsqrt: unary((t) => t.rsqrt()),
  sin: unary((t) => t.sin()),
  cos: unary((t) => t.cos()),
  tanh: unary((t) => t.tanh()),
  sigmoid: unary((t) => t.sigmoid()),
  erf: unary((t) => t.erf()),
  relu: unary((t) => t.relu()),
  floor: unary((t) => t.floor()),
  ceil: unary((t) => t.ceil()),
  round: unary((t) => t.round()),
  clamp: (x, a) => x[0]!.clamp(clampBound(x, a.min), clampBound(x, a.max)),
  where: (x) => where(x[0]!, x[1]!, x[2]!),
  // reductions
  sum: (x, a) => x[0]!.sum(dims(a.dim), keep(a)),
  mean: (x, a) => x[0]!.mean(dims(a.dim), keep(a)),
  prod: (x, a) => x[0]!.prod(dims(a.dim), keep(a)),
  max: (x, a) => (a.dim === undefined ? x[0]!.max() : x[0]!.max(num(a.dim), keep(a))),
  min: (x, a) => (a.dim === undefined ? x[0]!.min() : x[0]!.min(num(a.dim), keep(a))),
  amax: (x, a) => x[0]!.amax(dims(a.dim), keep(a)),
  amin: (x, a) => x[0]!.amin(dims(a.dim), keep(a)),
  argmax: (x, a) => x[0]!.argmax(optNum(a.dim) ?? null, keep(a)),
  argmin: (x, a) => x[0]!.argmin(optNum(a.dim) ?? null, keep(a)),
  var: (x, a) => x[0]!.var(dims(a.dim), a.unbiased !== false, keep(a)),
  std: (x, a) => x[0]!.std(dims(a.dim), a.unbiased !== false, keep(a)),
  logsumexp: (x, a) => x[0]!.logsumexp(a.dim as number | number[], keep(a)),
  norm: (x, a) => x[0]!.norm(optNum(a.p) ?? 2, dims(a.dim), keep(a)),
  all: (x, a) => x[0]!.all(dims(a.dim), keep(a)),
  any: (x, a) => x[0]!.any(dims(a.dim), keep(a)),
  cumsum: (x, a) => x[0]!.cumsum(num(a.dim)),
  // products
  matmul: (x) => x[0]!.matmul(x[1]!),
  mm: (x) => x[0]!.mm(x[1]!),
  bmm: (x) => x[0]!.bmm(x[1]!),
  outer: (x) => x[0]!.outer(x[1]!),
  dot: (x) => x[0]!.dot(x[1]!),
  // views and movement
  reshape: (x, a) => x[0]!.reshape(a.shape as number[]),
  view: (x, a) => x[0]!.view(a.shape as number[]),
  flatten: (x, a) => x[0]!.flatten(optNum(a.start), optNum(a.end)),
  squeeze: (x, a) => x[0]!.squeeze(optNum(a.dim)),
  unsqueeze: (x, a) => x[0]!.unsqueeze(num(a.dim)),
  transpose: (x, a) => x[0]!.transpose(num(a.dim0), num(a.dim1)),
  permute: (x, a) => x[0]!.permute(a.dims as number[]),
  T: (x) => x[0]!.T,
  expand: (x, a) => x[0]!.expand(a.sizes as number[]),
  expandAs: (x) => x[0]!.expandAs(x[1]!),
  contiguous: (x) => {
    const y = x[0]!.contiguous();
    if (!y.isContiguous()) throw new Error('contiguous() returned a non-contiguous tensor');
    return y;
  },
  narrow: (x, a) => x[0]!.narrow(num(a.dim), num(a.start), num(a.length)),
  slice: (x, a) =>
    x[0]!.slice(num(a.dim), a.start as number | null, a.end as number | null, num(a.step)),
  flip: (x, a) => x[0]!.flip(a.dims as number[]),
  repeat: (x, a) => x[0]!.repeat(a.sizes as number[]),
  pad: (x, a) => {
    const opts: PadOptions = {
      mode: (a.mode ?? 'constant') as NonNullable<PadOptions['mode']>,
      value: optNum(a.value) ?? 0,
    };
    return pad(x[0]!, a.pads as number[], opts);
  },
  // joining
  cat: (x, a) => cat(x, num(a.dim)),
  stack: (x, a) => stack(x, num(a.dim)),
  split: (x, a) => split(x[0]!, a.split as number | number[], num(a.dim)),
  chunk: (x, a) => chunk(x[0]!, num(a.chunks), num(a.dim)),
  // indexing
  indexSelect: (x, a) => x[0]!.indexSelect(num(a.dim), x[1]!),
  gather: (x, a) => x[0]!.gather(num(a.dim), x[1]!),
  scatter: (x, a) => x[0]!.scatter(num(a.dim), x[1]!, a.value === undefined ? x[2]! : num(a.value)),
  scatterAdd: (x, a) => x[0]!.scatterAdd(num(a.dim), x[1]!, x[2]!),
  maskedFill: (x, a) => x[0]!.maskedFill(x[1]!, num(a.value)),
  maskedSelect: (x) => maskedSelect(x[0]!, x[1]!),
  index: (x, a) => x[0]!.index(...indexSpec(x, a.spec as Arg[])),
  oneHot: (x, a) => oneHot(x[0]!, optNum(a.numClasses) ?? -1),
  // softmax
  softmax: (x, a) => x[0]!.softmax(num(a.dim)),
  logSoftmax: (x, a) => x[0]!.logSoftmax(num(a.dim)),
};

// ---- comparison ----

describeGolden('golden: core ops against PyTorch', 'core_golden.json', OPS);
