// webgpu elementwise kernels: unary, binary, compare, cast, clamp, where and the strided copy, all
// generated from one expression table into one-thread-per-element shaders over strided operands.
import type { DType } from '../../dtype.js';
import {
  BINARY_PRIMITIVES,
  UNARY_PRIMITIVES,
  type BinaryPrimitive,
  type UnaryPrimitive,
} from '../../primitives.js';
import type { KernelInput, KernelOutput } from '../backend.js';
import { denseStrides } from '../cpu/strided.js';
import type { WebgpuBuffer } from './buffer.js';
import { Params, grid, type GpuRuntime } from './runtime.js';
import {
  MATH,
  PRELUDE,
  STORAGE_TYPE,
  allDense,
  binding,
  entry,
  walkCode,
  walkParams,
} from './wgsl.js';

type In = KernelInput<WebgpuBuffer>;
type Out = KernelOutput<WebgpuBuffer>;

/** The type an expression computes in: f32 for float tensors, i32 for int32 and bool. */
type Compute = 'f32' | 'i32';

/** Unary float32 expressions of `a`. */
const UNARY_F32: { readonly [P in UnaryPrimitive]?: string } = {
  neg: '-a',
  abs: 'abs(a)',
  sign: 'nb_sign(a)',
  exp: 'nb_exp(a)',
  log: 'nb_log(a)',
  log1p: 'nb_log1p(a)',
  expm1: 'nb_expm1(a)',
  sqrt: 'select(sqrt(a), nb_nan(), a < 0.0)',
  rsqrt: 'select(1.0 / sqrt(a), nb_nan(), a < 0.0)',
  sin: 'select(sin(a), nb_sincos(a, false), abs(a) < 8192.0)',
  cos: 'select(cos(a), nb_sincos(a, true), abs(a) < 8192.0)',
  tanh: 'nb_tanh(a)',
  sigmoid: 'nb_sigmoid(a)',
  erf: 'nb_erf(a)',
  relu: 'nb_relu(a)',
  floor: 'floor(a)',
  ceil: 'ceil(a)',
  round: 'round(a)',
  tan: 'select(tan(a), nb_sincos(a, false) / nb_sincos(a, true), abs(a) < 8192.0)',
  asin: 'select(asin(a), nb_nan(), abs(a) > 1.0)',
  acos: 'nb_acos(a)',
  atan: 'atan(a)',
  sinh: 'nb_sinh(a)',
  cosh: 'nb_cosh(a)',
  asinh: 'nb_asinh(a)',
  acosh: 'nb_acosh(a)',
  atanh: 'nb_atanh(a)',
  log2: 'nb_log(a) * 1.4426950408889634',
  log10: 'nb_log(a) * 0.4342944819032518',
};

/** Unary int32 expressions of `a` (wrapping, as C's int32 arithmetic). */
const UNARY_I32: { readonly [P in UnaryPrimitive]?: string } = {
  neg: '-a',
  abs: 'abs(a)',
  sign: 'sign(a)',
  relu: 'max(a, 0)',
  bitwiseNot: '~a',
  floor: 'a',
  ceil: 'a',
  round: 'a',
};

/** Binary float32 expressions of `a` and `b`. */
const BINARY_F32: { readonly [P in BinaryPrimitive]?: string } = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'nb_pow(a, b)',
  maximum: 'nb_max(a, b)',
  minimum: 'nb_min(a, b)',
  atan2: 'nb_atan2(a, b)',
  copysign: 'nb_copysign(a, b)',
  hypot: 'nb_hypot(a, b)',
  divTrunc: 'trunc(a / b)',
  divFloor: 'nb_div_floor(a, b)',
  remainder: 'nb_remainder(a, b)',
  fmod: 'nb_fmod(a, b)',
  // NaN b passes a (PyTorch's threshold_backward); WGSL's compares need not say false on NaN
  reluBackward: 'select(a, 0.0, b <= 0.0 && !nb_isnan(b))',
};

/**
 * Binary int32 expressions (wrapping). The integer divisions are left to the host: a zero divisor
 * raises ZeroDivisionError, which only a read of the divisor can tell.
 */
const BINARY_I32: { readonly [P in BinaryPrimitive]?: string } = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  maximum: 'max(a, b)',
  minimum: 'min(a, b)',
  bitwiseAnd: 'a & b',
  bitwiseOr: 'a | b',
  bitwiseXor: 'a ^ b',
  bitwiseLeftShift: 'select(a << u32(b), 0, b < 0 || b >= 32)',
  bitwiseRightShift: 'a >> u32(select(b, 31, b < 0 || b >= 32))',
  reluBackward: 'select(a, 0, b <= 0)',
};

/** Predicates (bool outputs) of `a` and `b` in the compute type. */
const PREDICATES: { readonly [P in BinaryPrimitive]?: { f32: string; i32: string } } = {
  eq: { f32: 'a == b && !nb_isnan(a) && !nb_isnan(b)', i32: 'a == b' },
  ne: { f32: 'a != b || nb_isnan(a) || nb_isnan(b)', i32: 'a != b' },
  lt: { f32: 'a < b && !nb_isnan(a) && !nb_isnan(b)', i32: 'a < b' },
  le: { f32: 'a <= b && !nb_isnan(a) && !nb_isnan(b)', i32: 'a <= b' },
  gt: { f32: 'a > b && !nb_isnan(a) && !nb_isnan(b)', i32: 'a > b' },
  ge: { f32: 'a >= b && !nb_isnan(a) && !nb_isnan(b)', i32: 'a >= b' },
  logicalAnd: { f32: 'nb_nonzero_f(a) && nb_nonzero_f(b)', i32: 'a != 0 && b != 0' },
  logicalOr: { f32: 'nb_nonzero_f(a) || nb_nonzero_f(b)', i32: 'a != 0 || b != 0' },
  logicalXor: { f32: 'nb_nonzero_f(a) != nb_nonzero_f(b)', i32: '(a != 0) != (b != 0)' },
  bitwiseAnd: { f32: '', i32: '(a & b) != 0' },
  bitwiseOr: { f32: '', i32: '(a | b) != 0' },
  bitwiseXor: { f32: '', i32: '(a ^ b) != 0' },
};

const computeOf = (dtype: DType): Compute => (dtype === 'float32' ? 'f32' : 'i32');

/** Loads operand k (array `x{k}`) at element index `idx` converted to the compute type. */
function load(k: number, dtype: DType, compute: Compute, idx: string): string {
  const raw = `x${k}[${idx}]`;
  if (STORAGE_TYPE[dtype] === compute) return raw;
  return `${compute}(${raw})`;
}

/** Stores `value` (of type `from`: f32, i32 or bool) as the output dtype. */
function store(dtype: DType, value: string, from: Compute | 'bool'): string {
  if (dtype === 'bool') {
    if (from === 'bool') return `select(0u, 1u, ${value})`;
    return from === 'f32'
      ? `select(0u, 1u, nb_nonzero_f(${value}))`
      : `select(0u, 1u, ${value} != 0)`;
  }
  const t = STORAGE_TYPE[dtype];
  if (from === 'bool') return `select(${t}(0), ${t}(1), ${value})`;
  if (t === from) return value;
  // float32 → int32 truncates toward zero; NaN gives 0 (as a JavaScript Int32Array store)
  if (from === 'f32' && t === 'i32') return `nb_to_i32(${value})`;
  return `${t}(${value})`;
}

/**
 * The one shader family of this file: out[i] = expr(operands at i), each operand strided (or all
 * dense: flat indices plus offsets), the output possibly strided too (assign).
 */
function elementwiseShader(
  inputs: readonly DType[],
  outDtype: DType,
  body: (loads: string[]) => string,
  dense: boolean,
): string {
  const decls = inputs.map((d, k) => binding(k + 2, `x${k}`, d));
  // dense: P = [n, out offset, input offsets]; strided: P = [n, then the walk of out and inputs]
  const loads = inputs.map((_, k) => (dense ? `u32(pi(${2 + k}u) + i32(i))` : `at(i, ${k + 1}u)`));
  const outIdx = dense ? 'u32(pi(1u) + i32(i))' : 'at(i, 0u)';
  return `${PRELUDE}${MATH}${ELEMENTWISE_FUNCTIONS}
${binding(1, 'y', outDtype, true)}
${decls.join('\n')}
${dense ? '' : walkCode(inputs.length + 1, 1)}
${entry(`let i = gid();
  if (i >= P[0]) { return; }
  y[${outIdx}] = ${body(loads)};`)}`;
}

/**
 * Dispatches out[i] = expr over the output's elements. The parameter block is [n, then the
 * walk] (strided) or [n, offsets] (dense).
 */
function run(
  rt: GpuRuntime,
  key: string,
  out: { readonly buffer: WebgpuBuffer; readonly dtype: DType; readonly shape: readonly number[] },
  outView: { readonly offset: number; readonly strides: readonly number[] },
  inputs: readonly In[],
  body: (loads: string[]) => string,
  extra: (p: Params) => void = () => {},
): void {
  let n = 1;
  for (const s of out.shape) n *= s;
  if (n === 0) return;
  const dense =
    allDense(out as Out, inputs) &&
    outView.strides.every((s, d) => s === denseStrides(out.shape)[d] || out.shape[d] === 1);
  const inDtypes = inputs.map((x) => x.dtype);
  const pipeline = rt.pipeline(
    `ew:${key}:${inDtypes.join(',')}>${out.dtype}:${dense ? 'd' : 's'}`,
    () => elementwiseShader(inDtypes, out.dtype, body, dense),
  );
  const params = new Params().u32(n);
  if (dense) params.i32(outView.offset, ...inputs.map((x) => x.offset));
  else walkParams(params, out.shape, [outView, ...inputs]);
  // extra scalars go after a fixed-size head, at word 64 (see SCALARS)
  const scalars = new Params();
  extra(scalars);
  if (scalars.words.length > 0) {
    while (params.words.length < SCALARS) params.words.push(0);
    params.words.push(...scalars.words);
  }
  rt.dispatch({
    pipeline,
    buffers: [out.buffer.device, ...inputs.map((x) => x.buffer.device)],
    params,
    workgroups: grid(n),
  });
}

/**
 * The word where extra scalars (clamp's bounds) start: after [n, ndim, 4 offsets, 8 dims, 4×8
 * strides] at most. Operands with more than 8 dims are not given scalars (clamp has one input).
 */
const SCALARS = 64;

const dense = (out: Out) => ({ offset: 0, strides: denseStrides(out.shape) });

/** The unary kernel for `op`, or null when it takes these dtypes on the host. */
export function unaryGpu(rt: GpuRuntime, op: UnaryPrimitive, out: Out, x: In): boolean {
  if (out.dtype === 'bool') {
    if (op !== 'logicalNot' && op !== 'bitwiseNot') return false;
    const c = computeOf(x.dtype);
    run(rt, op, out, dense(out), [x], ([a]) => {
      const v = load(0, x.dtype, c, a!);
      return store('bool', c === 'f32' ? `!nb_nonzero_f(${v})` : `${v} == 0`, 'bool');
    });
    return true;
  }
  const c = computeOf(out.dtype);
  const expr = (c === 'f32' ? UNARY_F32 : UNARY_I32)[op];
  if (expr === undefined || x.dtype !== out.dtype) return false;
  run(rt, op, out, dense(out), [x], ([a]) => {
    const v = load(0, x.dtype, c, a!);
    return store(out.dtype, `nb_${c}_${op}(${v})`, c);
  });
  return true;
}

/** The binary kernel for `op`, or false when it takes these dtypes on the host. */
export function binaryGpu(rt: GpuRuntime, op: BinaryPrimitive, out: Out, x: In, y: In): boolean {
  if (out.dtype === 'bool') {
    const pred = PREDICATES[op];
    if (pred === undefined) return false;
    const c: Compute = x.dtype === 'float32' || y.dtype === 'float32' ? 'f32' : 'i32';
    const expr = pred[c];
    if (expr === '') return false;
    run(rt, op, out, dense(out), [x, y], ([a, b]) =>
      store(
        'bool',
        `nb_pred_${c}_${op}(${load(0, x.dtype, c, a!)}, ${load(1, y.dtype, c, b!)})`,
        'bool',
      ),
    );
    return true;
  }
  const c = computeOf(out.dtype);
  const expr = (c === 'f32' ? BINARY_F32 : BINARY_I32)[op];
  if (expr === undefined) return false;
  run(rt, op, out, dense(out), [x, y], ([a, b]) =>
    store(out.dtype, `nb_${c}_${op}(${load(0, x.dtype, c, a!)}, ${load(1, y.dtype, c, b!)})`, c),
  );
  return true;
}

/** The WGSL functions nb_<compute>_<op> and nb_pred_<compute>_<op> of the tables above. */
export const ELEMENTWISE_FUNCTIONS: string = [
  ...UNARY_PRIMITIVES.flatMap((op) => [
    UNARY_F32[op] !== undefined
      ? `fn nb_f32_${op}(a: f32) -> f32 { return ${op === 'sign' ? UNARY_F32[op] : `select(${UNARY_F32[op]}, a, nb_isnan(a))`}; }`
      : '',
    UNARY_I32[op] !== undefined
      ? `fn nb_i32_${op}(a: i32) -> i32 { return ${UNARY_I32[op]}; }`
      : '',
  ]),
  ...BINARY_PRIMITIVES.flatMap((op) => [
    BINARY_F32[op] !== undefined
      ? `fn nb_f32_${op}(a: f32, b: f32) -> f32 { return ${BINARY_F32[op]}; }`
      : '',
    BINARY_I32[op] !== undefined
      ? `fn nb_i32_${op}(a: i32, b: i32) -> i32 { return ${BINARY_I32[op]}; }`
      : '',
    PREDICATES[op] !== undefined && PREDICATES[op].f32 !== ''
      ? `fn nb_pred_f32_${op}(a: f32, b: f32) -> bool { return ${PREDICATES[op].f32}; }`
      : '',
    PREDICATES[op] !== undefined
      ? `fn nb_pred_i32_${op}(a: i32, b: i32) -> bool { return ${PREDICATES[op].i32}; }`
      : '',
  ]),
]
  .filter((s) => s !== '')
  .join('\n');

/** out = x converted to out's dtype, written at out's (possibly strided) view: cast and assign. */
export function copyGpu(
  rt: GpuRuntime,
  out: { readonly buffer: WebgpuBuffer; readonly dtype: DType; readonly shape: readonly number[] },
  outView: { readonly offset: number; readonly strides: readonly number[] },
  x: In,
): void {
  const c = computeOf(x.dtype);
  const from: Compute = x.dtype === 'bool' ? 'i32' : c;
  run(rt, 'copy', out, outView, [x], ([a]) => {
    if (x.dtype === out.dtype) return `x0[${a!}]`;
    return store(out.dtype, load(0, x.dtype, from, a!), from);
  });
}

/** clamp on float32 (or int32 with integral bounds); false otherwise. */
export function clampGpu(
  rt: GpuRuntime,
  out: Out,
  x: In,
  min: number | undefined,
  max: number | undefined,
): boolean {
  if (x.dtype !== out.dtype || out.dtype === 'bool') return false;
  const c = computeOf(out.dtype);
  if (c === 'i32' && [min, max].some((v) => v !== undefined && !Number.isInteger(v))) return false;
  const lo = min === undefined ? 'false' : 'true';
  const hi = max === undefined ? 'false' : 'true';
  const read = c === 'f32' ? 'pf' : 'pi';
  run(
    rt,
    `clamp${lo}${hi}`,
    out,
    dense(out),
    [x],
    ([a]) => {
      // min(max(v, lo), hi) by comparisons: NaN fails both and passes through; lo > hi gives hi
      const v = load(0, x.dtype, c, a!);
      const up =
        min === undefined ? v : `select(${v}, ${read}(${SCALARS}u), ${v} < ${read}(${SCALARS}u))`;
      const hiv = `${read}(${SCALARS + 1}u)`;
      return max === undefined ? up : `select(${up}, ${hiv}, (${up}) > ${hiv})`;
    },
    (p) => {
      const put = (v: number | undefined) =>
        c === 'f32' ? p.f32(v ?? 0) : p.i32(Math.max(-2147483648, Math.min(2147483647, v ?? 0)));
      put(min);
      put(max);
    },
  );
  return true;
}

/** where(c, a, b) with a, b and out of one dtype. */
export function whereGpu(rt: GpuRuntime, out: Out, cond: In, a: In, b: In): boolean {
  if (a.dtype !== out.dtype || b.dtype !== out.dtype || cond.dtype !== 'bool') return false;
  run(
    rt,
    'where',
    out,
    dense(out),
    [cond, a, b],
    ([c, x, y]) => `select(x2[${y!}], x1[${x!}], x0[${c!}] != 0u)`,
  );
  return true;
}
