// Golden tests for issue 13's activations and tensor ops: every case of test/fixtures/tensor_ops2_golden.json (made by PyTorch) rebuilt with nabla.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  diag,
  diagonal,
  isclose,
  logcumsumexp,
  meshgrid,
  nn,
  prod,
  repeatInterleave,
  roll,
  stdMean,
  sum,
  tensor,
  triu,
  varMean,
  type DType,
  type NestedArray,
} from '../../src/index.js';

const F = nn.functional;

// ---- the fixture format (see test/fixtures/generate_tensor_ops2.py) ----

type Num = number | 'nan' | 'inf' | '-inf';
type LayoutStep =
  | readonly ['t']
  | readonly ['permute', number[]]
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

type Arg = number | boolean | string | null | Arg[] | { [key: string]: Arg };
type Args = { readonly [key: string]: Arg };

interface GoldenCase {
  readonly name: string;
  readonly op: string;
  readonly args: Args;
  readonly inputs: InputCase[];
  readonly upstream: (Num[] | null)[];
  readonly out: OutCase[];
  readonly grads: (Num[] | null)[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/tensor_ops2_golden.json', import.meta.url), 'utf8'),
) as { cases: GoldenCase[] };

function decode(v: Num): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return v;
}

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
    else x = x.slice(step[1], step[2], step[3], step[4]);
  }
  return { leaf, operand: x };
}

// ---- the op table: the same names as the generator's OPS ----

type OpFn = (x: Tensor[], a: Args) => Tensor | readonly Tensor[];

const num = (a: Arg | undefined): number => a as number;
const optNum = (a: Arg | undefined): number | undefined => (a === undefined ? undefined : num(a));
const dimsArg = (a: Arg | undefined) => a as number | number[] | undefined;
const varOpts = (a: Args) => ({
  ...(a.dim !== undefined ? { dim: dimsArg(a.dim)! } : {}),
  ...(a.keepdim !== undefined ? { keepdim: a.keepdim as boolean } : {}),
  ...(a.unbiased !== undefined ? { unbiased: a.unbiased as boolean } : {}),
  ...(a.correction !== undefined ? { correction: num(a.correction) } : {}),
});
const sumOpts = (a: Args) => ({
  dtype: a.dtype as DType,
  ...(a.dim !== undefined ? { dim: dimsArg(a.dim)! } : {}),
  ...(a.keepdim !== undefined ? { keepdim: a.keepdim as boolean } : {}),
});

const OPS: Record<string, OpFn> = {
  celu: (x, a) => F.celu(x[0]!, optNum(a.alpha)),
  hardswish: (x) => F.hardswish(x[0]!),
  hardsigmoid: (x) => F.hardsigmoid(x[0]!),
  logsigmoid: (x) => F.logsigmoid(x[0]!),
  softsign: (x) => F.softsign(x[0]!),
  softmin: (x, a) => F.softmin(x[0]!, num(a.dim)),
  mish: (x) => F.mish(x[0]!),
  normalize: (x, a) =>
    F.normalize(x[0]!, {
      ...(a.p !== undefined ? { p: num(a.p) } : {}),
      ...(a.dim !== undefined ? { dim: num(a.dim) } : {}),
      ...(a.eps !== undefined ? { eps: num(a.eps) } : {}),
    }),
  tril: (x, a) => x[0]!.tril(optNum(a.diagonal)),
  triu: (x, a) => triu(x[0]!, optNum(a.diagonal)),
  diag: (x, a) => (a.diagonal === undefined ? x[0]!.diag() : diag(x[0]!, num(a.diagonal))),
  diagonal: (x, a) => diagonal(x[0]!, optNum(a.offset), optNum(a.dim1), optNum(a.dim2)),
  roll: (x, a) =>
    a.dims === undefined
      ? roll(x[0]!, a.shifts as number)
      : x[0]!.roll(a.shifts as number | number[], dimsArg(a.dims)),
  repeatInterleave: (x, a) =>
    x.length > 1
      ? repeatInterleave(x[0]!, x[1]!, optNum(a.dim))
      : x[0]!.repeatInterleave(num(a.repeats), optNum(a.dim)),
  repeatInterleaveIndices: (x) => repeatInterleave(x[0]!),
  unfold: (x, a) => x[0]!.unfold(num(a.dimension), num(a.size), num(a.step)),
  meshgrid: (x, a) => meshgrid(...x, { indexing: a.indexing as 'ij' | 'xy' }),
  cumprod: (x, a) => x[0]!.cumprod(num(a.dim)),
  cummax: (x, a) => x[0]!.cummax(num(a.dim)),
  cummin: (x, a) => x[0]!.cummin(num(a.dim)),
  logcumsumexp: (x, a) => logcumsumexp(x[0]!, num(a.dim)),
  isclose: (x, a) =>
    isclose(x[0]!, x[1]!, {
      ...(a.rtol !== undefined ? { rtol: num(a.rtol) } : {}),
      ...(a.atol !== undefined ? { atol: num(a.atol) } : {}),
      ...(a.equal_nan !== undefined ? { equalNan: a.equal_nan as boolean } : {}),
    }),
  stdMean: (x, a) => stdMean(x[0]!, varOpts(a)),
  varMean: (x, a) => varMean(x[0]!, varOpts(a)),
  sum: (x, a) => sum(x[0]!, sumOpts(a)),
  prod: (x, a) => prod(x[0]!, sumOpts(a)),
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
    else if (!Number.isFinite(e) || tol === null) ok = Object.is(g, e) || (g === e && e !== 0);
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

describe('golden: issue 13 activations and tensor ops against PyTorch', () => {
  it('has a nabla op for every op in the fixture, and a case for every op', () => {
    const used = new Set(fixture.cases.map((c) => c.op));
    expect([...used].filter((op) => !(op in OPS))).toEqual([]);
    expect(Object.keys(OPS).filter((op) => !used.has(op))).toEqual([]);
  });

  for (const c of fixture.cases) {
    it(c.name, () => runCase(c));
  }
});
