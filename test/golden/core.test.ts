// Golden tests for the core ops: every case of test/fixtures/core_golden.json (made by PyTorch) rebuilt with nabla and compared.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Tensor,
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
  tensor,
  where,
  type DType,
  type IndexSpec,
  type NestedArray,
  type PadOptions,
} from '../../src/index.js';

// ---- the fixture format (see test/fixtures/generate_core.py) ----

type Num = number | 'nan' | 'inf' | '-inf';
type LayoutStep =
  | readonly ['t']
  | readonly ['permute', number[]]
  | readonly ['expand', number[]]
  | readonly ['slice', number, number | null, number | null, number];

interface InputCase {
  readonly data: Num[];
  readonly shape: number[];
  readonly dtype: DType;
  readonly requiresGrad: boolean;
  readonly layout: LayoutStep[];
}

interface OutCase {
  readonly data: Num[];
  readonly shape: number[];
  readonly dtype: DType;
}

interface GoldenCase {
  readonly name: string;
  readonly op: string;
  readonly args: Args;
  readonly inputs: InputCase[];
  readonly upstream: (Num[] | null)[];
  readonly out: OutCase[];
  readonly grads: (Num[] | null)[];
}

type Arg = number | boolean | string | null | Arg[] | { [key: string]: Arg };
type Args = { readonly [key: string]: Arg };

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/core_golden.json', import.meta.url), 'utf8'),
) as { cases: GoldenCase[] };

function decode(v: Num): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return v;
}

/** Args with "nan"/"inf"/"-inf" strings turned into numbers (slice strings are left alone). */
function decodeArg(a: Arg): Arg {
  if (a === 'nan' || a === 'inf' || a === '-inf') return decode(a);
  if (Array.isArray(a)) return a.map(decodeArg);
  if (a !== null && typeof a === 'object') {
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, decodeArg(v)]));
  }
  return a;
}

function nest(flat: readonly number[], shape: readonly number[]): NestedArray {
  if (shape.length === 0) return flat[0]!;
  const [n, ...rest] = shape;
  const step = rest.reduce((p, s) => p * s, 1);
  const out: NestedArray[] = [];
  for (let i = 0; i < n!; i++) out.push(nest(flat.slice(i * step, (i + 1) * step), rest));
  return out;
}

function build(inp: InputCase): { leaf: Tensor; operand: Tensor } {
  const leaf = tensor(nest(inp.data.map(decode), inp.shape), {
    dtype: inp.dtype,
    requiresGrad: inp.requiresGrad,
  });
  let x = leaf;
  for (const step of inp.layout) {
    if (step[0] === 't') x = x.transpose(-1, -2);
    else if (step[0] === 'permute') x = x.permute(step[1]);
    else if (step[0] === 'expand') x = x.expand(step[1]);
    else x = x.slice(step[1], step[2], step[3], step[4]);
  }
  return { leaf, operand: x };
}

// ---- the op table: the same names as the generator's OPS ----

type OpFn = (x: Tensor[], a: Args) => Tensor | readonly Tensor[];
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

const FORWARD_TOL = {
  float32: { rtol: 1.3e-6, atol: 1e-5 },
  float64: { rtol: 1e-7, atol: 1e-7 },
} as const;
const GRAD_TOL = { rtol: 1e-4, atol: 1e-6 } as const;

function expectClose(
  what: string,
  actual: ArrayLike<number>,
  expected: readonly Num[],
  tol: { rtol: number; atol: number } | null,
): void {
  expect(actual.length, `${what}: element count`).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const e = decode(expected[i]!);
    const g = actual[i]!;
    let ok: boolean;
    if (Number.isNaN(e)) ok = Number.isNaN(g);
    else if (!Number.isFinite(e) || tol === null) ok = g === e;
    else ok = Math.abs(g - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok && bad.length < 8) bad.push(`[${i}] got ${g}, expected ${e}`);
  }
  if (bad.length > 0) throw new Error(`${what} differs from PyTorch: ${bad.join('; ')}`);
}

function tolFor(dtype: DType, grad: boolean): { rtol: number; atol: number } | null {
  if (dtype !== 'float32' && dtype !== 'float64') return null;
  return grad ? GRAD_TOL : FORWARD_TOL[dtype];
}

function runCase(c: GoldenCase): void {
  const op = OPS[c.op];
  if (op === undefined) throw new Error(`no nabla op for '${c.op}'`);
  const args = decodeArg(c.args) as Args;
  const built = c.inputs.map(build);
  const result = op(
    built.map((b) => b.operand),
    args,
  );
  const outs = result instanceof Tensor ? [result] : [...result];
  expect(outs.length, 'number of outputs').toBe(c.out.length);
  outs.forEach((o, k) => {
    const e = c.out[k]!;
    expect([...o.shape], `out[${k}] shape`).toEqual(e.shape);
    expect(o.dtype, `out[${k}] dtype`).toBe(e.dtype);
    expectClose(`out[${k}]`, o.dataSync(), e.data, tolFor(e.dtype, false));
  });

  if (c.grads.every((g) => g === null)) return;
  // backward of Σ_k sum(out_k * upstream_k)
  let loss: Tensor | null = null;
  outs.forEach((o, k) => {
    const up = c.upstream[k];
    if (up === null || up === undefined) return;
    const u = tensor(up.map(decode), { dtype: o.dtype }).reshape(c.out[k]!.shape);
    const term = o.mul(u).sum();
    loss = loss === null ? term : loss.add(term);
  });
  expect(loss, 'a differentiable output').not.toBeNull();
  (loss as unknown as Tensor).backward();
  built.forEach((b, i) => {
    const g = c.grads[i];
    if (g === null || g === undefined) return;
    const inp = c.inputs[i]!;
    const got = b.leaf.grad;
    if (got === null) throw new Error(`grad[${i}] is missing (PyTorch has one)`);
    expect([...got.shape], `grad[${i}] shape`).toEqual(inp.shape);
    expect(got.dtype, `grad[${i}] dtype`).toBe(inp.dtype);
    expectClose(`grad[${i}]`, got.dataSync(), g, tolFor(inp.dtype, true));
  });
}

describe('golden: core ops against PyTorch', () => {
  it('has a nabla op for every op in the fixture, and a case for every op', () => {
    const used = new Set(fixture.cases.map((c) => c.op));
    expect([...used].filter((op) => !(op in OPS))).toEqual([]);
    expect(Object.keys(OPS).filter((op) => !used.has(op))).toEqual([]);
  });

  for (const c of fixture.cases) {
    it(c.name, () => runCase(c));
  }
});
