// The golden fixtures' shared reading and checking: inputs rebuilt as PyTorch laid them out, outputs and gradients compared within tolerance.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor, tensor, type DType, type NestedArray } from '../../src/index.js';

/** A number as the generators write it (JSON has no NaN or infinities). */
export type Num = number | 'nan' | 'inf' | '-inf';

type LayoutStep =
  | readonly ['t']
  | readonly ['permute', number[]]
  | readonly ['expand', number[]]
  | readonly ['slice', number, number | null, number | null, number];

export interface InputCase {
  readonly data: Num[];
  readonly shape: number[];
  readonly dtype: DType;
  readonly requiresGrad: boolean;
  /** How PyTorch made the operand from the leaf (a transpose, an expand, ...). */
  readonly layout: LayoutStep[];
}

export interface OutCase {
  readonly data: Num[];
  readonly shape: number[];
  readonly dtype: DType;
}

export type Arg = number | boolean | string | null | Arg[] | { [key: string]: Arg };
export type Args = { readonly [key: string]: Arg };

/** One case of the multi-output format (generate_core.py, generate_tensor_ops2.py). */
export interface GoldenCase {
  readonly name: string;
  readonly op: string;
  readonly args: Args;
  readonly inputs: InputCase[];
  readonly upstream: (Num[] | null)[];
  readonly out: OutCase[];
  readonly grads: (Num[] | null)[];
}

/** The cases of test/fixtures/`file`. */
export function readFixture<C>(file: string): C[] {
  const url = new URL(`../fixtures/${file}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: C[] }).cases;
}

export function decode(v: Num): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return v;
}

/** Args with "nan"/"inf"/"-inf" strings turned into numbers (slice strings are left alone). */
export function decodeArg(a: Arg): Arg {
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

/** The leaf tensor (gradients land there) and the operand PyTorch's layout made of it. */
export function build(inp: InputCase): { leaf: Tensor; operand: Tensor } {
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

const FORWARD_TOL = {
  float32: { rtol: 1.3e-6, atol: 1e-5 },
  float64: { rtol: 1e-7, atol: 1e-7 },
} as const;
const GRAD_TOL = { rtol: 1e-4, atol: 1e-6 } as const;

export type Tol = { rtol: number; atol: number } | null;

/** Forward or gradient tolerance for a dtype; null (exact) for integers and bool. */
export function tolFor(dtype: DType, grad: boolean): Tol {
  if (dtype !== 'float32' && dtype !== 'float64') return null;
  return grad ? GRAD_TOL : FORWARD_TOL[dtype];
}

/**
 * Where a zero's sign must match PyTorch's: nowhere, only where the comparison is exact
 * (integers, infinities, no tolerance), or everywhere.
 */
export type SignedZeros = 'none' | 'exact' | 'all';

/** Close within tol; exact for non-floats and non-finite values; zeros' signs per `zeros`. */
export function expectClose(
  what: string,
  actual: ArrayLike<number>,
  expected: readonly Num[],
  tol: Tol,
  zeros: SignedZeros = 'none',
): void {
  expect(actual.length, `${what}: element count`).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const e = decode(expected[i]!);
    const g = actual[i]!;
    let ok: boolean;
    if (Number.isNaN(e)) ok = Number.isNaN(g);
    else if (!Number.isFinite(e) || tol === null)
      ok = zeros === 'exact' ? Object.is(g, e) : g === e;
    else if (e === 0 && zeros === 'all') ok = Object.is(g, e);
    else ok = Math.abs(g - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok && bad.length < 8) bad.push(`[${i}] got ${Object.is(g, -0) ? '-0' : g}, expected ${e}`);
  }
  if (bad.length > 0) throw new Error(`${what} differs from PyTorch: ${bad.join('; ')}`);
}

/** nabla's op for a fixture op name: the operands (laid out) and the decoded args. */
export type OpFn = (x: Tensor[], a: Args) => Tensor | readonly Tensor[];

/** One case of the multi-output format: outputs, then the gradients of Σ_k sum(out_k · upstream_k). */
function runCase(c: GoldenCase, ops: Record<string, OpFn>, zeros: SignedZeros): void {
  const op = ops[c.op];
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
    expectClose(`out[${k}]`, o.dataSync(), e.data, tolFor(e.dtype, false), zeros);
  });

  if (c.grads.every((g) => g === null)) return;
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
    expectClose(`grad[${i}]`, got.dataSync(), g, tolFor(inp.dtype, true), zeros);
  });
}

/**
 * A describe block with one test per case of a multi-output fixture, and one that checks the op
 * table and the fixture name the same ops.
 */
export function describeGolden(
  title: string,
  file: string,
  ops: Record<string, OpFn>,
  zeros: SignedZeros = 'none',
): void {
  const cases = readFixture<GoldenCase>(file);
  describe(title, () => {
    it('has a nabla op for every op in the fixture, and a case for every op', () => {
      const used = new Set(cases.map((c) => c.op));
      expect([...used].filter((op) => !(op in ops))).toEqual([]);
      expect(Object.keys(ops).filter((op) => !used.has(op))).toEqual([]);
    });

    for (const c of cases) {
      it(c.name, () => runCase(c, ops, zeros));
    }
  });
}
