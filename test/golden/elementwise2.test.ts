// Golden tests for the pointwise ops of issue 13: every case of test/fixtures/elementwise2_golden.json (made by PyTorch) rebuilt with nabla, with signed zeros; then PyTorch's refusals.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index.js';
import {
  ArgumentError,
  DTypeError,
  atan2,
  bitwiseAnd,
  bitwiseLeftShift,
  bitwiseNot,
  bitwiseOr,
  bitwiseRightShift,
  bitwiseXor,
  copysign,
  div,
  fmod,
  hypot,
  isfinite,
  isinf,
  isnan,
  lerp,
  logaddexp,
  remainder,
  tensor,
  trunc,
} from '../../src/index.js';
import {
  build,
  decode,
  expectClose,
  readFixture,
  tolFor,
  type InputCase,
  type Num,
  type OutCase,
} from './harness.js';

// ---- the fixture format (see test/fixtures/generate_elementwise2.py): one output per case ----

type Args = { readonly [key: string]: number | boolean | string };

interface GoldenCase {
  readonly name: string;
  readonly op: string;
  readonly args: Args;
  readonly inputs: InputCase[];
  readonly upstream: Num[] | null;
  readonly out: OutCase;
  readonly grads: (Num[] | null)[];
}

const cases = readFixture<GoldenCase>('elementwise2_golden.json');

// ---- the op table: the same names as the generator's OPS ----

type OpFn = (x: Tensor[], a: Args) => Tensor;
type Operand = Tensor | number | boolean;

const unary =
  (fn: (t: Tensor) => Tensor): OpFn =>
  (x) =>
    fn(x[0]!);

/** A binary op on [a, b], or on [x] and args.scalar (args.rev puts the scalar first). */
const binary =
  (fn: (a: Operand, b: Operand) => Tensor): OpFn =>
  (x, a) => {
    if (x.length === 2) return fn(x[0]!, x[1]!);
    const s = a.scalar as number | boolean;
    return a.rev === true ? fn(s, x[0]!) : fn(x[0]!, s);
  };

/** For the ops whose first operand must be a tensor. */
const first =
  (fn: (a: Tensor, b: Operand) => Tensor) =>
  (a: Operand, b: Operand): Tensor =>
    fn(a as Tensor, b);

const OPS: Record<string, OpFn> = {
  trunc: unary((t) => t.trunc()),
  isnan: unary((t) => t.isnan()),
  isinf: unary(isinf),
  isfinite: unary((t) => t.isfinite()),
  tan: unary((t) => t.tan()),
  asin: unary((t) => t.asin()),
  acos: unary((t) => t.acos()),
  atan: unary((t) => t.atan()),
  sinh: unary((t) => t.sinh()),
  cosh: unary((t) => t.cosh()),
  asinh: unary((t) => t.asinh()),
  acosh: unary((t) => t.acosh()),
  atanh: unary((t) => t.atanh()),
  log2: unary((t) => t.log2()),
  log10: unary((t) => t.log10()),
  exp2: unary((t) => t.exp2()),
  expm1: unary((t) => t.expm1()),
  log1p: unary((t) => t.log1p()),
  bitwiseNot: unary((t) => t.bitwiseNot()),
  atan2: binary(first(atan2)),
  copysign: binary(first((a, b) => a.copysign(b))),
  hypot: binary(first(hypot)),
  logaddexp: binary(first((a, b) => a.logaddexp(b))),
  remainder: binary(remainder),
  fmod: binary(first((a, b) => a.fmod(b))),
  bitwiseAnd: binary(first(bitwiseAnd)),
  bitwiseOr: binary(first((a, b) => a.bitwiseOr(b))),
  bitwiseXor: binary(first(bitwiseXor)),
  bitwiseLeftShift: binary(first((a, b) => a.bitwiseLeftShift(b))),
  bitwiseRightShift: binary(first(bitwiseRightShift)),
  div: (x, a) => {
    const roundingMode = a.mode as 'trunc' | 'floor';
    return binary((p, q) => div(p, q, { roundingMode }))(x, a);
  },
  lerp: (x, a) =>
    x.length === 3 ? x[0]!.lerp(x[1]!, x[2]!) : lerp(x[0]!, x[1]!, a.weight as number),
};

function runCase(c: GoldenCase): void {
  const op = OPS[c.op];
  if (op === undefined) throw new Error(`no nabla op for '${c.op}'`);
  const built = c.inputs.map(build);
  const out = op(
    built.map((b) => b.operand),
    c.args,
  );
  expect([...out.shape], 'out shape').toEqual(c.out.shape);
  expect(out.dtype, 'out dtype').toBe(c.out.dtype);
  expectClose('out', out.dataSync(), c.out.data, tolFor(c.out.dtype, false), 'all');

  if (c.upstream === null) {
    expect(out.requiresGrad, 'no gradient flows (as in PyTorch)').toBe(false);
    return;
  }
  const u = tensor(c.upstream.map(decode), { dtype: out.dtype }).reshape(c.out.shape);
  out.mul(u).sum().backward();
  built.forEach((b, i) => {
    const g = c.grads[i];
    if (g === null || g === undefined) return;
    const got = b.leaf.grad;
    if (got === null) throw new Error(`grad[${i}] is missing (PyTorch has one)`);
    expect([...got.shape], `grad[${i}] shape`).toEqual(c.inputs[i]!.shape);
    expectClose(`grad[${i}]`, got.dataSync(), g, tolFor(c.inputs[i]!.dtype, true));
  });
}

describe('golden: pointwise ops against PyTorch', () => {
  it('has a nabla op for every op in the fixture, and a case for every op', () => {
    const used = new Set(cases.map((c) => c.op));
    expect([...used].filter((op) => !(op in OPS))).toEqual([]);
    expect(Object.keys(OPS).filter((op) => !used.has(op))).toEqual([]);
  });

  for (const c of cases) {
    it(c.name, () => runCase(c));
  }
});

// ---- what PyTorch refuses, refused in the same words ----

describe('pointwise ops: refusals as in PyTorch', () => {
  const i = tensor([7, -7, 3], { dtype: 'int32' });
  const zeroAt = tensor([1, 0, 2], { dtype: 'int32' });
  const f = tensor([1.5, -2.5, 3]);
  const b = tensor([true, false, true]);

  it('integer division by zero raises ZeroDivisionError (RuntimeError: ZeroDivisionError)', () => {
    for (const run of [
      () => div(i, 0, { roundingMode: 'trunc' }),
      () => div(i, zeroAt, { roundingMode: 'floor' }),
      () => remainder(i, zeroAt),
      () => fmod(i, 0),
      () => i.remainder(0),
    ]) {
      expect(run).toThrow(ArgumentError);
      expect(run).toThrow(/^ZeroDivisionError/);
    }
    // float division by zero is IEEE's, as in PyTorch
    expect(div(f, 0, { roundingMode: 'floor' }).tolist()).toEqual([Infinity, -Infinity, Infinity]);
    expect(remainder(f, 0).isnan().all().item()).toBe(true);
    // NOTE: PyTorch's 0.0 is a float; JavaScript's 0.0 is the integer 0, so div(i, 0.0) raises too
    expect(div(i, tensor(0), { roundingMode: 'trunc' }).tolist()).toEqual([
      Infinity,
      -Infinity,
      Infinity,
    ]);
  });

  it('div: rounding modes other than trunc and floor, and unknown options', () => {
    expect(() => div(i, 2, { roundingMode: 'round' as 'trunc' })).toThrow(
      "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'",
    );
    expect(() => div(i, 2, { rounding_mode: 'floor' } as never)).toThrow(TypeError);
    expect(() => i.div(2, { roundingMode: 'floor', alpha: 1 } as never)).toThrow(
      "div(): unknown option 'alpha'",
    );
    expect(div(i, 2, { roundingMode: null }).tolist()).toEqual([3.5, -3.5, 1.5]);
    expect(div(i, 2, {}).dtype).toBe('float32');
  });

  it('the bitwise ops take integers and bool only; the shifts integers only', () => {
    expect(() => bitwiseAnd(f, f)).toThrow(`"bitwise_and_cpu" not implemented for 'Float'`);
    expect(() => bitwiseOr(i, 2.5)).toThrow(`"bitwise_or_cpu" not implemented for 'Float'`);
    expect(() => bitwiseXor(f.double(), i)).toThrow(
      `"bitwise_xor_cpu" not implemented for 'Double'`,
    );
    expect(() => bitwiseNot(f)).toThrow(`"bitwise_not_cpu" not implemented for 'Float'`);
    expect(() => bitwiseLeftShift(f, f)).toThrow(`"lshift_cpu" not implemented for 'Float'`);
    expect(() => bitwiseLeftShift(b, b)).toThrow(`"lshift_cpu" not implemented for 'Bool'`);
    expect(() => bitwiseRightShift(i, 1.5)).toThrow(`"rshift_cpu" not implemented for 'Float'`);
    expect(() => bitwiseAnd(f, f)).toThrow(DTypeError);
  });

  it('rounded division, remainder and fmod refuse bool', () => {
    expect(() => div(b, b, { roundingMode: 'trunc' })).toThrow(
      `"div_trunc_cpu" not implemented for 'Bool'`,
    );
    expect(() => div(b, b, { roundingMode: 'floor' })).toThrow(
      `"div_floor_cpu" not implemented for 'Bool'`,
    );
    expect(() => remainder(b, b)).toThrow(`"remainder_cpu" not implemented for 'Bool'`);
    expect(() => fmod(b, b)).toThrow(`"fmod_cpu" not implemented for 'Bool'`);
    expect(() => trunc(b)).toThrow(`"trunc_vml_cpu" not implemented for 'Bool'`);
  });

  it('hypot and logaddexp need a floating operand; lerp floating tensors of one dtype', () => {
    expect(() => hypot(i, i)).toThrow(`"hypot_cpu" not implemented for 'Int'`);
    expect(() => logaddexp(b, b)).toThrow(`"logaddexp_cpu" not implemented for 'Bool'`);
    expect(() => lerp(i, i, 0.5)).toThrow(`"lerp_kernel_scalar" not implemented for 'Int'`);
    expect(() => lerp(i, i, i)).toThrow(`"lerp_kernel_tensor" not implemented for 'Int'`);
    expect(() => lerp(f, f.double(), 0.3)).toThrow(
      'expected dtype float32 for `end` but got dtype float64',
    );
    expect(() => lerp(f, f, b)).toThrow('expected dtype float32 for `weight` but got dtype bool');
    expect(() => lerp(f.double(), f.double(), f)).toThrow(
      'expected dtype float64 for `weight` but got dtype float32',
    );
  });

  it('the float tests and comparisons give bool without a gradient', () => {
    const x = tensor([1, NaN, Infinity], { requiresGrad: true });
    for (const y of [isnan(x), isinf(x), isfinite(x), x.trunc().isnan()]) {
      expect(y.dtype).toBe('bool');
      expect(y.requiresGrad).toBe(false);
    }
    expect(copysign(x, -1).requiresGrad).toBe(true);
  });

  it('div_ with a rounding mode keeps an integer tensor integer; true division cannot', () => {
    const x = tensor([7, -7, 9], { dtype: 'int32' });
    x.div_(2, { roundingMode: 'floor' });
    expect(x.tolist()).toEqual([3, -4, 4]);
    x.div_(-2, { roundingMode: 'trunc' });
    expect(x.tolist()).toEqual([-1, 2, -2]);
    expect(() => x.div_(2)).toThrow(
      "result type float32 can't be cast to the desired output type int32",
    );
    expect(() => x.div_(0, { roundingMode: 'trunc' })).toThrow(/^ZeroDivisionError/);
    expect(x.tolist()).toEqual([-1, 2, -2]);
  });

  it('copysign reads the sign bit of NaN, as PyTorch (copysign(1, -nan) = -1)', () => {
    const bits = new Uint32Array([0xffc00000, 0x7fc00000]); // −NaN, +NaN
    const nans = tensor(new Float32Array(bits.buffer));
    expect(Number.isNaN((nans.tolist() as number[])[0])).toBe(true);
    expect(copysign(tensor([1, 2]), nans).tolist()).toEqual([-1, 2]);
  });
});
