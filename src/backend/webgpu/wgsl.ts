// WGSL building blocks shared by the webgpu kernels: storage types per dtype, the strided-operand
// walk, the thread index, and the scalar functions whose WGSL built-ins differ from PyTorch.
import type { DType } from '../../dtype.js';
import type { Epilogue } from '../../primitives.js';
import type { KernelInput, KernelOutput } from '../backend.js';
import { isDense } from '../cpu/strided.js';
import type { Params } from './runtime.js';

/** The WGSL element type a dtype is stored as on the GPU (bool as one u32 per element). */
export const STORAGE_TYPE: { readonly [D in DType]: string } = {
  float32: 'f32',
  float64: 'f64', // never on the GPU: float64 tensors stay on the host (buffer.ts)
  int32: 'i32',
  bool: 'u32',
};

/** Declares binding `i` (from 1: binding 0 is the parameter block) as a storage array. */
export function binding(i: number, name: string, dtype: DType, write = false): string {
  return `@group(0) @binding(${i}) var<storage, ${write ? 'read_write' : 'read'}> ${name}: array<${STORAGE_TYPE[dtype]}>;`;
}

/** The parameter block and the flat thread index `gid()` over a grid() dispatch. */
export const PRELUDE = `
@group(0) @binding(0) var<storage, read> P: array<u32>;
var<private> nb_wid: vec3u;
var<private> nb_nwg: vec3u;
var<private> nb_lid: u32;
fn gid() -> u32 { return (nb_wid.y * nb_nwg.x + nb_wid.x) * WG + nb_lid; }
fn pf(i: u32) -> f32 { return bitcast<f32>(P[i]); }
fn pi(i: u32) -> i32 { return bitcast<i32>(P[i]); }
`;

/** The entry point: sets the thread's ids, then runs `body` (WG is the workgroup size). */
export function entry(body: string, wg = 256): string {
  return `
const WG: u32 = ${wg}u;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) w: vec3u, @builtin(num_workgroups) n: vec3u,
        @builtin(local_invocation_index) l: u32) {
  nb_wid = w; nb_nwg = n; nb_lid = l;
  ${body}
}`;
}

/**
 * The walk of `operands` strided operands over a shape, read from the parameter block at word
 * `base`: [ndim, offset × operands, shape × ndim, strides × operands × ndim]. `at(i, k)` is the
 * element index of operand k at the flat (row-major) position i.
 */
export function walkCode(operands: number, base = 1): string {
  return `
fn at(i: u32, k: u32) -> u32 {
  let nd = P[${base}u];
  var rem = i;
  var o = pi(${base + 1}u + k);
  var d = nd;
  loop {
    if (d == 0u) { break; }
    d = d - 1u;
    let s = P[${base + 1 + operands}u + d];
    o = o + i32(rem % s) * pi(${base + 1 + operands}u + nd + k * nd + d);
    rem = rem / s;
  }
  return u32(o);
}`;
}

/** Pushes a walk's parameters (see walkCode): the shape and each operand's offset and strides. */
export function walkParams(
  params: Params,
  shape: readonly number[],
  operands: readonly { readonly offset: number; readonly strides: readonly number[] }[],
): Params {
  params.u32(shape.length);
  for (const o of operands) params.i32(o.offset);
  params.u32(...shape);
  for (const o of operands) params.i32(...o.strides);
  return params;
}

/** True when every input is dense in the output's shape, so flat indices (plus offsets) work. */
export function allDense(
  out: KernelOutput<unknown>,
  inputs: readonly KernelInput<unknown>[],
): boolean {
  return inputs.every((x) => isDense(out.shape, x.strides));
}

/**
 * Scalar functions with PyTorch's semantics: NaN is tested on the bits (a compiler may fold x != x
 * away), the inverse functions and special cases follow C's libm as the cpu backend does.
 */
/**
 * `fn nb_act(x: f32) -> f32`, a product's fused activation as its store applies it: identity, relu
 * (nb_relu, as the relu kernel's), or GELU as F.gelu composes it, (x·½)·(erf(x·√½) + 1). Needs
 * MATH in the shader for relu and GELU.
 */
export function epilogueWgsl(activation: Epilogue | undefined): string {
  const body =
    activation === undefined
      ? 'x'
      : activation === 'relu'
        ? 'nb_relu(x)'
        : '(x * 0.5) * (nb_erf(x * 0.70710677) + 1.0)';
  return `fn nb_act(x: f32) -> f32 { return ${body}; }`;
}

export const MATH = `
fn nb_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn nb_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
var<private> nb_nan_bits: u32 = 0x7fc00000u;
var<private> nb_inf_bits: u32 = 0x7f800000u;
fn nb_nan() -> f32 { return bitcast<f32>(nb_nan_bits); }
fn nb_inf() -> f32 { return bitcast<f32>(nb_inf_bits); }
fn nb_sign(x: f32) -> f32 { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
fn nb_relu(x: f32) -> f32 { return select(x, 0.0, x < 0.0 && !nb_isnan(x)); }
fn nb_sigmoid(x: f32) -> f32 { return select(1.0 / (1.0 + exp(-x)), x, nb_isnan(x)); }
fn nb_tanh(x: f32) -> f32 { return select(tanh(clamp(x, -10.0, 10.0)), x, nb_isnan(x)); }
fn nb_log(x: f32) -> f32 {
  if (x < 0.0) { return nb_nan(); }
  if (x == 0.0) { return -nb_inf(); }
  if (nb_isinf(x)) { return x; }
  return log(x);
}
fn nb_acos(x: f32) -> f32 {
  if (abs(x) > 1.0) { return nb_nan(); }
  if (x > 0.5) { return 2.0 * asin(sqrt(0.5 - 0.5 * x)); }
  if (x < -0.5) { return 3.141592653589793 - 2.0 * asin(sqrt(0.5 + 0.5 * x)); }
  return 1.5707963267948966 - asin(x);
}
fn nb_log1p(x: f32) -> f32 {
  if (x < -1.0) { return nb_nan(); }
  if (x == -1.0) { return -nb_inf(); }
  let u = 1.0 + x;
  if (u == 1.0 || nb_isnan(x)) { return x; }
  if (nb_isinf(u)) { return u; }
  return nb_log(u) * (x / (u - 1.0));
}
fn nb_expm1(x: f32) -> f32 {
  let u = exp(x);
  if (u == 1.0 || nb_isnan(x)) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  if (nb_isinf(u)) { return u; }
  return um1 * (x / log(u));
}
fn nb_erf(x: f32) -> f32 {
  if (nb_isnan(x)) { return x; }
  let a = abs(x);
  if (a < 0.5) {
    let x2 = x * x;
    return 1.1283791670955126 * x * (1.0 + x2 * (-0.3333333333 + x2 * (0.1 + x2 * (-0.0238095238 + x2 * (0.0046296296 - x2 * 0.0007575758)))));
  }
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return select(y, -y, x < 0.0);
}
fn nb_max(a: f32, b: f32) -> f32 { return select(max(a, b), nb_nan(), nb_isnan(a) || nb_isnan(b)); }
fn nb_min(a: f32, b: f32) -> f32 { return select(min(a, b), nb_nan(), nb_isnan(a) || nb_isnan(b)); }
fn nb_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (nb_isnan(a) || nb_isnan(b)) { return nb_nan(); }
  let integral = floor(b) == b;
  if (a < 0.0 && !integral && !nb_isinf(b)) { return nb_nan(); }
  let odd = integral && abs(b) < 16777216.0 && fract(b * 0.5) != 0.0;
  let aa = abs(a);
  var r: f32;
  if (aa == 0.0) {
    r = select(0.0, nb_inf(), b < 0.0);
  } else if (aa == 1.0 && nb_isinf(b)) {
    return 1.0;
  } else {
    r = exp2(b * log2(aa));
  }
  if (odd && (a < 0.0 || (a == 0.0 && (bitcast<u32>(a) >> 31u) == 1u))) { return -r; }
  return r;
}
fn nb_copysign(a: f32, b: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(a) & 0x7fffffffu) | (bitcast<u32>(b) & 0x80000000u));
}
fn nb_hypot(a: f32, b: f32) -> f32 {
  let x = abs(a);
  let y = abs(b);
  if (nb_isinf(x) || nb_isinf(y)) { return nb_inf(); }
  if (nb_isnan(x) || nb_isnan(y)) { return nb_nan(); }
  let m = max(x, y);
  if (m == 0.0) { return 0.0; }
  let p = x / m;
  let q = y / m;
  return m * sqrt(p * p + q * q);
}
// C's fmod, exact as in libm: long division by |b|·2^k (each subtraction exact by Sterbenz's
// lemma), at most one step per binary order of magnitude between a and b.
fn nb_fmod(a: f32, b: f32) -> f32 {
  if (nb_isnan(a) || nb_isnan(b) || nb_isinf(a) || b == 0.0) { return nb_nan(); }
  if (nb_isinf(b)) { return a; }
  let m = abs(b);
  var r = abs(a);
  for (var guard = 0; guard < 300 && r >= m; guard = guard + 1) {
    let e = frexp(r).exp - frexp(m).exp;
    var d = ldexp(m, e);
    if (d > r) { d = ldexp(m, e - 1); }
    r = r - d;
  }
  return nb_copysign(r, a);
}
fn nb_remainder(a: f32, b: f32) -> f32 {
  let m = nb_fmod(a, b);
  return select(m, m + b, m != 0.0 && (b < 0.0) != (m < 0.0));
}
fn nb_div_floor(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return a / b; }
  let m = nb_fmod(a, b);
  var d = (a - m) / b;
  if (m != 0.0 && (b < 0.0) != (m < 0.0)) { d = d - 1.0; }
  if (d == 0.0) { return bitcast<f32>((bitcast<u32>(a) ^ bitcast<u32>(b)) & 0x80000000u); }
  let f = floor(d);
  return select(f, f + 1.0, d - f > 0.5);
}
fn nb_nonzero_f(x: f32) -> bool { return x != 0.0 || nb_isnan(x); }
fn nb_exp(x: f32) -> f32 {
  if (nb_isnan(x)) { return x; }
  if (x > 88.72284) { return nb_inf(); }
  if (x < -103.97208) { return 0.0; }
  return exp(x);
}
fn nb_sinh(x: f32) -> f32 {
  if (abs(x) < 0.5) { let x2 = x * x; return x * (1.0 + x2 * (0.16666667 + x2 * (0.008333333 + x2 * 0.0001984127))); }
  if (abs(x) > 89.4) { return select(nb_inf(), -nb_inf(), x < 0.0); }
  let e = exp(abs(x) - 0.6931471805599453);
  return select(1.0, -1.0, x < 0.0) * (e - 0.25 / e);
}
fn nb_cosh(x: f32) -> f32 {
  if (abs(x) > 89.4) { return nb_inf(); }
  let e = exp(abs(x) - 0.6931471805599453);
  return e + 0.25 / e;
}
fn nb_asinh(x: f32) -> f32 {
  let a = abs(x);
  if (nb_isinf(a)) { return x; }
  var r: f32;
  if (a > 1e18) { r = log(a) + 0.6931471805599453; }
  else { r = nb_log1p(a + a * a / (1.0 + sqrt(1.0 + a * a))); }
  return nb_copysign(r, x);
}
fn nb_acosh(x: f32) -> f32 {
  if (x < 1.0) { return nb_nan(); }
  if (nb_isinf(x)) { return x; }
  if (x > 1e18) { return log(x) + 0.6931471805599453; }
  let t = x - 1.0;
  return nb_log1p(t + sqrt(2.0 * t + t * t));
}
fn nb_atanh(x: f32) -> f32 {
  let a = abs(x);
  if (a > 1.0) { return nb_nan(); }
  if (a == 1.0) { return select(nb_inf(), -nb_inf(), x < 0.0); }
  let r = 0.5 * nb_log1p(2.0 * a / (1.0 - a));
  return nb_copysign(r, x);
}
fn nb_atan2(a: f32, b: f32) -> f32 {
  if (nb_isnan(a) || nb_isnan(b)) { return nb_nan(); }
  let pi = 3.141592653589793;
  let sa = select(1.0, -1.0, (bitcast<u32>(a) >> 31u) == 1u);
  if (nb_isinf(b)) {
    if (nb_isinf(a)) { return sa * select(0.25 * pi, 0.75 * pi, b < 0.0); }
    return sa * select(0.0, pi, b < 0.0);
  }
  if (nb_isinf(a)) { return sa * 0.5 * pi; }
  if (a == 0.0) {
    let negb = b < 0.0 || (b == 0.0 && (bitcast<u32>(b) >> 31u) == 1u);
    return sa * select(0.0, pi, negb);
  }
  return atan2(a, b);
}
// sin and cos to about 1 ulp for |x| < 8192 (Cody–Waite reduction by π/4 and minimax
// polynomials, as Cephes' sinf/cosf); WGSL's built-ins only promise 2^-11 absolute error.
fn nb_sincos(x: f32, want_cos: bool) -> f32 {
  if (nb_isnan(x) || nb_isinf(x)) { return nb_nan(); }
  if (x == 0.0 && !want_cos) { return x; }
  var sgn = select(1.0, -1.0, x < 0.0 && !want_cos);
  let ax = abs(x);
  var j = u32(ax * 1.2732395447351628);
  var y = f32(j);
  if ((j & 1u) == 1u) { j = j + 1u; y = y + 1.0; }
  j = j & 7u;
  if (j > 3u) { sgn = -sgn; j = j - 4u; }
  if (want_cos && j > 1u) { sgn = -sgn; }
  let r = ((ax - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  let z = r * r;
  let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
  let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
  let use_cos = (j == 1u || j == 2u) != want_cos;
  return sgn * select(s, c, use_cos);
}
fn nb_to_i32(x: f32) -> i32 {
  if (nb_isnan(x) || nb_isinf(x)) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  let m = t - 4294967296.0 * floor(t / 4294967296.0);
  return bitcast<i32>(u32(m));
}
`;
