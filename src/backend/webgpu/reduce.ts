// webgpu reductions, scans, log_softmax and the NLL loss.
import type { DType } from '../../dtype.js';
import type { ReducePrimitive } from '../../primitives.js';
import type { KernelInput, KernelOutput } from '../backend.js';
import { coalesce } from '../cpu/strided.js';
import type { WebgpuBuffer } from './buffer.js';
import type { GpuKernel, WgslTable } from './index.js';
import { Params, WORKGROUP, grid, type GpuRuntime } from './runtime.js';
import { MATH, PRELUDE, STORAGE_TYPE, binding, entry } from './wgsl.js';

type In = KernelInput<WebgpuBuffer>;
type Out = KernelOutput<WebgpuBuffer>;

/** The type a kernel computes in: f32 for float32, i32 for int32 and bool. */
type Compute = 'f32' | 'i32';
const computeOf = (dtype: DType): Compute => (dtype === 'float32' ? 'f32' : 'i32');

const WG = WORKGROUP;

/**
 * Shared WGSL: `walk(i, base)` is the element offset of the flat (row-major) position i of a
 * strided walk stored in P at word `base` as [ndim, shape × ndim, strides × ndim]; nb_exp keeps
 * exp(−inf) = 0 and NaN; the Kahan step adds v to (s, c) and drops the compensation once s is
 * not finite (inf − inf would turn it into NaN).
 */
const COMMON = `${PRELUDE}${MATH}
fn walk(i: u32, base: u32) -> i32 {
  let nd = P[base];
  var rem = i;
  var o = 0i;
  var d = nd;
  loop {
    if (d == 0u) { break; }
    d = d - 1u;
    let s = P[base + 1u + d];
    o = o + i32(rem % s) * pi(base + 1u + nd + d);
    rem = rem / s;
  }
  return o;
}
fn nb_exp(x: f32) -> f32 {
  if (nb_isnan(x)) { return x; }
  if (nb_isinf(x)) { return select(x, 0.0, x < 0.0); }
  return exp(x);
}
fn nb_log(x: f32) -> f32 {
  if (nb_isnan(x)) { return x; }
  if (x == 0.0) { return -nb_inf(); }
  if (x < 0.0) { return nb_nan(); }
  if (nb_isinf(x)) { return x; }
  return log(x);
}
fn kahan(s: ptr<function, f32>, c: ptr<function, f32>, v: f32) {
  let y = v - *c;
  let t = *s + y;
  if (nb_isinf(t) || nb_isnan(t)) { *c = 0.0; } else { *c = (t - *s) - y; }
  *s = t;
}
`;

/** Appends a walk (see COMMON's walk) to `params`; returns the word where it starts. */
function pushWalk(params: Params, shape: readonly number[], strides: readonly number[]): number {
  const base = params.words.length;
  params.u32(shape.length, ...shape);
  params.i32(...strides);
  return base;
}

/** Pads `params` with zeros up to `words` words (fixed heads before the walks). */
function padTo(params: Params, words: number): Params {
  while (params.words.length < words) params.words.push(0);
  return params;
}

/** Lanes (a power of two ≤ WG) that share one output: about 4 elements each, 1 for short lines. */
function lanesFor(n: number): number {
  if (n <= 4) return 1;
  return Math.min(WG, 2 ** Math.ceil(Math.log2(Math.ceil(n / 4))));
}

/** How one reduction maps, combines and finishes its elements (all in the compute type T). */
interface ReduceSpec {
  /** The identity (the value of an empty reduction before `finish`). */
  readonly identity: (t: Compute) => string;
  /** The element's contribution (v in the input's compute type; the result in T). */
  readonly map?: (v: string, input: Compute) => string;
  /** a ⊕ b. */
  readonly combine: (a: string, b: string, t: Compute) => string;
  /** Float32 sums are compensated (Kahan) within a thread, then added by a tree. */
  readonly sum?: boolean;
  readonly finish?: (s: string) => string;
}

const lowest = (t: Compute) => (t === 'f32' ? '-nb_inf()' : 'bitcast<i32>(0x80000000u)');
const highest = (t: Compute) => (t === 'f32' ? 'nb_inf()' : '2147483647i');
const maxOf = (a: string, b: string, t: Compute) =>
  t === 'f32' ? `nb_max(${a}, ${b})` : `max(${a}, ${b})`;
const minOf = (a: string, b: string, t: Compute) =>
  t === 'f32' ? `nb_min(${a}, ${b})` : `min(${a}, ${b})`;
const nonzero = (v: string, t: Compute) =>
  t === 'f32' ? `select(0i, 1i, nb_nonzero_f(${v}))` : `select(0i, 1i, ${v} != 0i)`;

const SUM: ReduceSpec = {
  identity: (t) => `${t}(0)`,
  combine: (a, b) => `${a} + ${b}`,
  sum: true,
};

/** The reductions by kernel name (norm's variants by p). */
const SPECS: { readonly [name: string]: ReduceSpec } = {
  sum: SUM,
  prod: { identity: (t) => `${t}(1)`, combine: (a, b) => `${a} * ${b}` },
  amax: { identity: lowest, combine: maxOf },
  amin: { identity: highest, combine: minOf },
  // all/any compute in i32 whatever the input: 0/1 per element
  all: { identity: () => '1i', map: nonzero, combine: (a, b) => `min(${a}, ${b})` },
  any: { identity: () => '0i', map: nonzero, combine: (a, b) => `max(${a}, ${b})` },
  normInf: { identity: () => '-nb_inf()', map: (v) => `abs(${v})`, combine: maxOf },
  normNegInf: { identity: () => 'nb_inf()', map: (v) => `abs(${v})`, combine: minOf },
  norm0: { ...SUM, map: (v) => `select(0.0, 1.0, nb_nonzero_f(${v}))` },
  norm1: { ...SUM, map: (v) => `abs(${v})` },
  norm2: { ...SUM, map: (v) => `${v} * ${v}`, finish: (s) => `sqrt(${s})` },
  normP: {
    ...SUM,
    map: (v) => `nb_pow(abs(${v}), pf(5u))`,
    finish: (s) => `nb_pow(${s}, 1.0 / pf(5u))`,
  },
};

/** The computation type of a reduction's accumulator. */
function accType(name: string, x: DType): Compute {
  return name === 'all' || name === 'any' ? 'i32' : computeOf(x);
}

/** Stores a value of compute type `from` as `dtype` (bool: non-zero). */
function store(dtype: DType, v: string, from: Compute): string {
  if (dtype === 'bool')
    return from === 'f32' ? `select(0u, 1u, nb_nonzero_f(${v}))` : `select(0u, 1u, ${v} != 0i)`;
  return STORAGE_TYPE[dtype] === from ? v : `${STORAGE_TYPE[dtype]}(${v})`;
}

/** Loads x at element index `idx` in the compute type. */
function load(x: DType, t: Compute, idx: string): string {
  return STORAGE_TYPE[x] === t ? `x[${idx}]` : `${t}(x[${idx}])`;
}

/**
 * The reduction layout of `x` over `dims`: the kept dims and the reduced dims, each coalesced
 * (merging keeps the row-major order, so flat positions stay those of the cpu kernel).
 */
function layoutOf(x: In, dims: readonly number[]) {
  const kept: number[] = [];
  const keptStrides: number[] = [];
  const red: number[] = [];
  const redStrides: number[] = [];
  x.shape.forEach((s, d) => {
    if (dims.includes(d)) {
      red.push(s);
      redStrides.push(x.strides[d]!);
    } else {
      kept.push(s);
      keptStrides.push(x.strides[d]!);
    }
  });
  const nOut = kept.reduce((a, b) => a * b, 1);
  const nRed = red.reduce((a, b) => a * b, 1);
  const k = coalesce(kept, [keptStrides]);
  const r = coalesce(red, [redStrides]);
  return {
    nOut,
    nRed,
    kept: { shape: k.shape, strides: k.strides[0]! },
    red: { shape: r.shape, strides: r.strides[0]! },
  };
}

/**
 * P of the reductions: [units, nRed, lanes, x offset, reduced walk's base, p (norm), chunks per
 * line, elements per chunk, then the kept walk at word 8 and the reduced walk]. A unit is one
 * chunk of one output's line (one chunk per line unless the reduction is split, see reduceRun);
 * each group of `lanes` threads reduces one unit: every lane walks its share of the chunk, then a
 * tree in workgroup memory combines the lanes.
 */
const HEAD = 8;

/** One pass ('one'), or the first (partials, mapped, not finished) or second pass of a split. */
type Phase = 'one' | 'first' | 'second';

const ACC_DTYPE: { readonly [C in Compute]: DType } = { f32: 'float32', i32: 'int32' };

function reduceShader(name: string, spec: ReduceSpec, x: DType, out: DType, phase: Phase): string {
  // the second pass reads the first's partials, in the accumulator's type and already mapped
  const t = accType(name, x);
  const tIn = phase === 'second' ? t : computeOf(x);
  const mapped = (v: string) =>
    spec.map === undefined || phase === 'second' ? v : spec.map(v, tIn);
  const accumulate =
    spec.sum === true && t === 'f32'
      ? 'kahan(&acc, &comp, v);'
      : `acc = ${spec.combine('acc', 'v', t)};`;
  const result =
    spec.finish === undefined || phase === 'first' ? 'sv[nb_lid]' : spec.finish('sv[nb_lid]');
  return `${COMMON}
${binding(1, 'y', out, true)}
${binding(2, 'x', x)}
var<workgroup> sv: array<${t}, ${WG}>;
${entry(
  `
  let lanes = P[2];
  let lane = nb_lid % lanes;
  let u = (nb_wid.y * nb_nwg.x + nb_wid.x) * (WG / lanes) + nb_lid / lanes;
  let live = u < P[0];
  var acc: ${t} = ${spec.identity(t)};
  var comp: ${t} = ${t}(0);
  if (live) {
    let base = pi(3u) + walk(u / P[6], ${HEAD}u);
    let rb = P[4];
    let first = (u % P[6]) * P[7];
    let end = min(P[1], first + P[7]);
    for (var r = first + lane; r < end; r = r + lanes) {
      let v = ${mapped(load(x, tIn, 'u32(base + walk(r, rb))'))};
      ${accumulate}
    }
  }
  sv[nb_lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (s < lanes && lane < s) { sv[nb_lid] = ${spec.combine('sv[nb_lid]', 'sv[nb_lid + s]', t)}; }
    workgroupBarrier();
  }
  if (live && lane == 0u) { y[u] = ${store(out, result, t)}; }`,
  WG,
)}`;
}

/** Elements per chunk when a reduction is split: few outputs of long lines (see reduceRun). */
const CHUNK = 4096;
/** At most this many outputs are split (more already keep the GPU busy). */
const SPLIT_OUTPUTS = 64;

/** argmax/argmin: (value, index) pairs; the first extreme wins and a NaN is the extreme. */
function argShader(op: 'argmax' | 'argmin', x: DType): string {
  const t = computeOf(x);
  const beats = op === 'argmax' ? 'b > a' : 'b < a';
  const nan =
    t === 'f32'
      ? `let na = nb_isnan(a);
  let nb = nb_isnan(b);
  if (na || nb) { return select(nb, ib < ia, na && nb); }`
      : '';
  return `${COMMON}
${binding(1, 'y', 'int32', true)}
${binding(2, 'x', x)}
var<workgroup> sv: array<${t}, ${WG}>;
var<workgroup> si: array<u32, ${WG}>;
const NONE: u32 = 0xffffffffu;
// whether (b at ib) replaces (a at ia)
fn better(a: ${t}, ia: u32, b: ${t}, ib: u32) -> bool {
  if (ib == NONE) { return false; }
  if (ia == NONE) { return true; }
  ${nan}
  if (${beats}) { return true; }
  return b == a && ib < ia;
}
${entry(
  `
  let lanes = P[2];
  let lane = nb_lid % lanes;
  let o = (nb_wid.y * nb_nwg.x + nb_wid.x) * (WG / lanes) + nb_lid / lanes;
  let live = o < P[0];
  var best: ${t} = ${t}(0);
  var at = NONE;
  if (live) {
    let base = pi(3u) + walk(o, ${HEAD}u);
    let rb = P[4];
    for (var r = lane; r < P[1]; r = r + lanes) {
      let v = ${load(x, t, 'u32(base + walk(r, rb))')};
      if (better(best, at, v, r)) { best = v; at = r; }
    }
  }
  sv[nb_lid] = best;
  si[nb_lid] = at;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (s < lanes && lane < s && better(sv[nb_lid], si[nb_lid], sv[nb_lid + s], si[nb_lid + s])) {
      sv[nb_lid] = sv[nb_lid + s];
      si[nb_lid] = si[nb_lid + s];
    }
    workgroupBarrier();
  }
  if (live && lane == 0u) { y[o] = i32(si[nb_lid]); }`,
  WG,
)}`;
}

/**
 * Dispatches the reduction `name` (a SPECS key or argmax/argmin) of x over dims into out. A few
 * outputs of long lines are split: the first pass reduces chunks of CHUNK elements into partials
 * (many workgroups at work instead of one per output), the second reduces each line's partials.
 */
function reduceRun(rt: GpuRuntime, name: string, out: Out, x: In, dims: readonly number[], p = 0) {
  const l = layoutOf(x, dims);
  if (l.nOut === 0) return;
  const arg = name === 'argmax' || name === 'argmin';
  const chunks = arg || l.nOut > SPLIT_OUTPUTS ? 1 : Math.ceil(l.nRed / CHUNK);
  const pass = (
    phase: Phase,
    dst: WebgpuBuffer['device'],
    dstDtype: DType,
    src: WebgpuBuffer['device'],
    srcDtype: DType,
    offset: number,
    units: number,
    perLine: number,
    kept: { shape: readonly number[]; strides: readonly number[] },
    red: { shape: readonly number[]; strides: readonly number[] },
    lineLength: number,
  ) => {
    const lanes = lanesFor(Math.min(lineLength, perLine));
    const pipeline = rt.pipeline(`reduce:${name}:${phase}:${srcDtype}>${dstDtype}`, () =>
      arg ? argShader(name, srcDtype) : reduceShader(name, SPECS[name]!, srcDtype, dstDtype, phase),
    );
    const params = new Params()
      .u32(units, lineLength, lanes)
      .i32(offset)
      .u32(0)
      .f32(p)
      .u32(units / kept.shape.reduce((a, b) => a * b, 1), perLine);
    padTo(params, HEAD);
    pushWalk(params, kept.shape, kept.strides);
    params.words[4] = pushWalk(params, red.shape, red.strides);
    rt.dispatch({ pipeline, buffers: [dst, src], params, workgroups: grid(units, WG / lanes) });
  };
  if (chunks <= 1) {
    const [y, xb] = [out.buffer.device, x.buffer.device];
    pass('one', y, out.dtype, xb, x.dtype, x.offset, l.nOut, l.nRed, l.kept, l.red, l.nRed);
    return;
  }
  const acc = ACC_DTYPE[accType(name, x.dtype)];
  const partials = rt.take(l.nOut * chunks * 4);
  pass(
    'first',
    partials,
    acc,
    x.buffer.device,
    x.dtype,
    x.offset,
    l.nOut * chunks,
    CHUNK,
    l.kept,
    l.red,
    l.nRed,
  );
  // the partials are dense [nOut, chunks]: line o is chunks elements from o·chunks
  pass(
    'second',
    out.buffer.device,
    out.dtype,
    partials,
    acc,
    0,
    l.nOut,
    chunks,
    { shape: [l.nOut], strides: [chunks] },
    { shape: [chunks], strides: [1] },
    chunks,
  );
  rt.give(partials);
}

const reduceKernel =
  (op: ReducePrimitive): GpuKernel<ReducePrimitive> =>
  (rt, out, [x], { dims }) => {
    reduceRun(rt, op, out, x!, dims);
    return true;
  };

const normKernel: GpuKernel<'norm'> = (rt, out, [x], { dims, p }) => {
  if (x!.dtype !== 'float32') return false;
  const name =
    p === Infinity
      ? 'normInf'
      : p === -Infinity
        ? 'normNegInf'
        : p === 0
          ? 'norm0'
          : p === 1
            ? 'norm1'
            : p === 2
              ? 'norm2'
              : 'normP';
  reduceRun(rt, name, out, x!, dims, p);
  return true;
};

/**
 * The lines along `dim` of an output of `shape` (dense) and of x (strided): P of the line kernels
 * is [nLines, len, lanes, x offset, inner, x stride along dim, 0, 0, then the walk of x over the
 * other dims]. Line o's element j is at (o / inner)·len·inner + o % inner + j·inner in the output.
 */
function linesOf(shape: readonly number[], x: In, dim: number) {
  if (shape.length === 0) {
    return { nLines: 1, len: 1, inner: 1, sa: 0, kept: { shape: [] as number[], strides: [] } };
  }
  const kept = shape.filter((_, d) => d !== dim);
  const w = coalesce(kept, [x.strides.filter((_, d) => d !== dim)]);
  return {
    nLines: kept.reduce((a, b) => a * b, 1),
    len: shape[dim]!,
    inner: shape.slice(dim + 1).reduce((a, b) => a * b, 1),
    sa: x.strides[dim]!,
    kept: { shape: w.shape, strides: w.strides[0]! },
  };
}

/** Dispatches a line kernel (one thread per line, or `lanes` threads per line). */
function lineRun(
  rt: GpuRuntime,
  key: string,
  code: () => string,
  out: Out,
  x: In,
  dim: number,
  perLine: (len: number) => number,
): void {
  const l = linesOf(out.shape, x, dim);
  if (l.nLines === 0 || l.len === 0) return;
  const lanes = perLine(l.len);
  const params = new Params().u32(l.nLines, l.len, lanes).i32(x.offset).u32(l.inner).i32(l.sa);
  padTo(params, HEAD);
  pushWalk(params, l.kept.shape, l.kept.strides);
  rt.dispatch({
    pipeline: rt.pipeline(key, code),
    buffers: [out.buffer.device, x.buffer.device],
    params,
    workgroups: grid(l.nLines, WG / lanes),
  });
}

/** The group of `lanes` threads that owns line o, and the line's first input and output places. */
const LINE_HEAD = `
  let lanes = P[2];
  let lane = nb_lid % lanes;
  let o = (nb_wid.y * nb_nwg.x + nb_wid.x) * (WG / lanes) + nb_lid / lanes;
  let live = o < P[0];
  let len = P[1];
  let inner = P[4];
  let sa = pi(5u);
  var base = 0i;
  var ob = 0u;
  if (live) {
    base = pi(3u) + walk(o, ${HEAD}u);
    ob = (o / inner) * len * inner + o % inner;
  }`;

/**
 * log_softmax, one group of lanes per line: the max (NaN if any; 0 where it is ±inf), the
 * compensated sum of exp(x − max), then x − max − log(sum), as the cpu kernel.
 */
function logSoftmaxShader(): string {
  return `${COMMON}
${binding(1, 'y', 'float32', true)}
${binding(2, 'x', 'float32')}
var<workgroup> sv: array<f32, ${WG}>;
${entry(
  `${LINE_HEAD}
  var m = -nb_inf();
  if (live) {
    for (var j = lane; j < len; j = j + lanes) { m = nb_max(m, x[u32(base + i32(j) * sa)]); }
  }
  sv[nb_lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (s < lanes && lane < s) { sv[nb_lid] = nb_max(sv[nb_lid], sv[nb_lid + s]); }
    workgroupBarrier();
  }
  m = sv[nb_lid - lane];
  workgroupBarrier();
  if (nb_isinf(m)) { m = 0.0; }
  var sum = 0.0;
  var comp = 0.0;
  if (live) {
    for (var j = lane; j < len; j = j + lanes) { kahan(&sum, &comp, nb_exp(x[u32(base + i32(j) * sa)] - m)); }
  }
  sv[nb_lid] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (s < lanes && lane < s) { sv[nb_lid] = sv[nb_lid] + sv[nb_lid + s]; }
    workgroupBarrier();
  }
  let lse = nb_log(sv[nb_lid - lane]);
  if (live) {
    for (var j = lane; j < len; j = j + lanes) {
      y[ob + j * inner] = x[u32(base + i32(j) * sa)] - m - lse;
    }
  }`,
  WG,
)}`;
}

const logSoftmaxKernel: GpuKernel<'logSoftmax'> = (rt, out, [x], { dim }) => {
  if (x!.dtype !== 'float32') return false;
  lineRun(rt, 'logSoftmax', logSoftmaxShader, out, x!, dim, lanesFor);
  return true;
};

/** The scans, one thread per line: the state's declaration, its step with v, and the value out. */
interface ScanSpec {
  readonly init: (t: Compute) => string;
  readonly step: (t: Compute) => string;
  readonly result: string;
}

const SCANS: { readonly [name: string]: ScanSpec } = {
  cumsum: {
    init: (t) => `var acc = ${t}(0);\n  var comp = ${t}(0);`,
    step: (t) => (t === 'f32' ? 'kahan(&acc, &comp, v);' : 'acc = acc + v;'),
    result: 'acc',
  },
  cumprod: { init: (t) => `var acc = ${t}(1);`, step: () => 'acc = acc * v;', result: 'acc' },
  logcumsumexp: {
    init: () => 'var acc = -nb_inf();',
    step: () => 'acc = lae(v, acc);',
    result: 'acc',
  },
  // the latest index among ties; a NaN, once seen, stays the extreme (the latest NaN's index)
  cummax: {
    init: (t) =>
      `var best = ${t === 'f32' ? 'x[u32(base)]' : `${t}(x[u32(base)])`};\n  var at = 0u;`,
    step: (t) =>
      t === 'f32'
        ? 'if (nb_isnan(v) || (!nb_isnan(best) && v >= best)) { best = v; at = j; }'
        : 'if (v >= best) { best = v; at = j; }',
    result: 'i32(at)',
  },
  cummin: {
    init: (t) =>
      `var best = ${t === 'f32' ? 'x[u32(base)]' : `${t}(x[u32(base)])`};\n  var at = 0u;`,
    step: (t) =>
      t === 'f32'
        ? 'if (nb_isnan(v) || (!nb_isnan(best) && v <= best)) { best = v; at = j; }'
        : 'if (v <= best) { best = v; at = j; }',
    result: 'i32(at)',
  },
};

/** log(eˣ + eʸ) as the cpu kernel (PyTorch's _log_add_exp_helper): NaN propagates, equal infinities stay. */
const LOG_ADD_EXP = `
fn lae(x: f32, y: f32) -> f32 {
  if (nb_isnan(x) || nb_isnan(y)) { return nb_nan(); }
  let lo = min(x, y);
  let hi = max(x, y);
  if (lo != hi || !nb_isinf(lo)) { return nb_log1p(nb_exp(lo - hi)) + hi; }
  return x;
}`;

function scanShader(name: string, x: DType, out: DType): string {
  const spec = SCANS[name]!;
  const t = computeOf(x);
  const from: Compute = name === 'cummax' || name === 'cummin' ? 'i32' : t;
  return `${COMMON}${LOG_ADD_EXP}
${binding(1, 'y', out, true)}
${binding(2, 'x', x)}
${entry(
  `${LINE_HEAD}
  if (!live) { return; }
  ${spec.init(t)}
  for (var j = 0u; j < len; j = j + 1u) {
    let v = ${load(x, t, 'u32(base + i32(j) * sa)')};
    ${spec.step(t)}
    y[ob + j * inner] = ${store(out, spec.result, from)};
  }`,
  WG,
)}`;
}

const scanKernel =
  <P extends 'cumsum' | 'cumprod' | 'logcumsumexp' | 'cumExtremeIndex'>(
    pick: (p: { dim: number; op?: 'max' | 'min' }) => string,
  ): GpuKernel<P> =>
  (rt, out, [x], params) => {
    const name = pick(params as { dim: number; op?: 'max' | 'min' });
    if (name === 'logcumsumexp' && x!.dtype !== 'float32') return false;
    lineRun(
      rt,
      `scan:${name}:${x!.dtype}>${out.dtype}`,
      () => scanShader(name, x!.dtype, out.dtype),
      out,
      x!,
      params.dim,
      () => 1,
    );
    return true;
  };

/**
 * nll_loss and its input gradient. P: [count, classes C, positions per sample S, ignoreIndex,
 * has weight, weight offset, weight stride, x (or g) offset, target offset, x (or g) walk base,
 * mean, per target (g), counted weight only, 0…, then the target's walk at word 16 and the x (g) walk]. Bindings: y, x (or g), the
 * targets, the weights (x again when there are none), and for the gradient the counted weight.
 * NOTE: a target outside [0, C) (not ignored) makes a NaN term (the forward) or writes nothing (the
 * gradient): the cpu raises IndexError, which a GPU kernel cannot.
 */
const NLL_HEAD = 16;

type NllMode = 'none' | 'reduce' | 'backward';

function nllShader(mode: NllMode): string {
  const common = `${COMMON}
${binding(1, 'y', 'float32', true)}
${binding(2, 'x', 'float32')}
${binding(3, 't', 'int32')}
${binding(4, 'w', 'float32')}
${mode === 'backward' ? binding(5, 'total', 'float32') : ''}
fn classOf(p: u32) -> i32 { return t[u32(pi(8u) + walk(p, ${NLL_HEAD}u))]; }
fn weightOf(c: i32) -> f32 {
  if (P[4] == 0u) { return 1.0; }
  return w[u32(pi(5u) + c * pi(6u))];
}
fn counted(c: i32) -> bool { return c != pi(3u); }
fn inRange(c: i32) -> bool { return c >= 0i && c < i32(P[1]); }
// the place of target p's class c in [N, C, S]
fn place(p: u32, c: i32) -> u32 {
  let n = p / P[2];
  return (n * P[1] + u32(c)) * P[2] + (p - n * P[2]);
}
fn term(p: u32) -> f32 {
  let c = classOf(p);
  if (!counted(c)) { return 0.0; }
  if (!inRange(c)) { return nb_nan(); }
  return -weightOf(c) * x[u32(pi(7u) + walk(place(p, c), P[9]))];
}
var<workgroup> sv: array<f32, ${WG}>;
var<workgroup> sw: array<f32, ${WG}>;`;
  if (mode === 'none') {
    return `${common}
${entry(`let p = gid();
  if (p >= P[0]) { return; }
  y[p] = term(p);`)}`;
  }
  if (mode === 'backward') {
    return `${common}
${entry(`let p = gid();
  if (p >= P[0]) { return; }
  let c = classOf(p);
  if (!counted(c) || !inRange(c)) { return; }
  // the gradient's element: per target ('none'), else its one value
  let k = select(0u, p, P[11] == 1u);
  let g = x[u32(pi(7u) + walk(k, P[9]))];
  let scale = select(1.0, 1.0 / total[0], P[10] == 1u);
  y[place(p, c)] = -weightOf(c) * g * scale;`)}`;
  }
  // one workgroup: the compensated sums of the terms and of the counted weights, then a tree
  return `${common}
${entry(`var s = 0.0;
  var cs = 0.0;
  var ws = 0.0;
  var cw = 0.0;
  for (var p = nb_lid; p < P[0]; p = p + WG) {
    if (P[12] == 0u) { kahan(&s, &cs, term(p)); }
    let c = classOf(p);
    if (counted(c)) { kahan(&ws, &cw, select(nb_nan(), weightOf(c), inRange(c))); }
  }
  sv[nb_lid] = s;
  sw[nb_lid] = ws;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k >> 1u) {
    if (nb_lid < k) {
      sv[nb_lid] = sv[nb_lid] + sv[nb_lid + k];
      sw[nb_lid] = sw[nb_lid] + sw[nb_lid + k];
    }
    workgroupBarrier();
  }
  if (nb_lid == 0u) {
    let total = sv[0];
    let weight = sw[0];
    if (P[12] == 1u) { y[0] = weight; }
    else if (P[10] == 0u) { y[0] = total; }
    else if (total == 0.0 && weight == 0.0) { y[0] = nb_nan(); }
    else { y[0] = total / weight; }
  }`)}`;
}

/** The P of the nll kernels for values (x or g) `v`, targets `target` and weights `weight`. */
function nllParams(
  shape: readonly number[],
  v: In,
  target: In,
  weight: In | undefined,
  ignoreIndex: number,
  mean: boolean,
  perTarget: boolean,
): { params: Params; count: number } {
  const classDim = shape.length === 1 ? 0 : 1;
  const count = target.shape.reduce((a, b) => a * b, 1);
  const params = new Params()
    .u32(
      count,
      shape[classDim]!,
      shape.slice(2).reduce((a, b) => a * b, 1),
    )
    .i32(Math.max(-2147483648, Math.min(2147483647, ignoreIndex)))
    .u32(weight === undefined ? 0 : 1)
    .i32(weight?.offset ?? 0, weight?.strides[0] ?? 0, v.offset, target.offset)
    .u32(0, mean ? 1 : 0, perTarget ? 1 : 0, 0);
  padTo(params, NLL_HEAD);
  pushWalk(params, target.shape, target.strides);
  params.words[9] = pushWalk(params, v.shape, v.strides);
  return { params, count };
}

const nllLossKernel: GpuKernel<'nllLoss'> = (rt, out, [x, target, weight], p) => {
  if (x!.dtype !== 'float32' || (weight !== undefined && weight.dtype !== 'float32')) return false;
  if (!Number.isInteger(p.ignoreIndex)) return false;
  const mode: NllMode = p.reduction === 'none' ? 'none' : 'reduce';
  const { params, count } = nllParams(
    x!.shape,
    x!,
    target!,
    weight,
    p.ignoreIndex,
    p.reduction === 'mean',
    true,
  );
  if (mode === 'none' && count === 0) return true;
  rt.dispatch({
    pipeline: rt.pipeline(`nll:${mode}`, () => nllShader(mode)),
    buffers: [
      out.buffer.device,
      x!.buffer.device,
      target!.buffer.device,
      (weight ?? x)!.buffer.device,
    ],
    params,
    workgroups: mode === 'none' ? grid(count) : [1, 1, 1],
  });
  return true;
};

const nllLossBackwardKernel: GpuKernel<'nllLossBackward'> = (rt, out, [g, target, weight], p) => {
  if (g!.dtype !== 'float32' || (weight !== undefined && weight.dtype !== 'float32')) return false;
  if (!Number.isInteger(p.ignoreIndex)) return false;
  rt.clear(out.buffer.device);
  const mean = p.reduction === 'mean';
  const { params, count } = nllParams(
    p.shape,
    g!,
    target!,
    weight,
    p.ignoreIndex,
    mean,
    p.reduction === 'none',
  );
  if (count === 0) return true;
  const w = (weight ?? g)!.buffer.device;
  const total = rt.take(4);
  if (mean) {
    // the reduce kernel with P[12] = 1: the counted weight only
    const only = new Params();
    only.words.push(...params.words);
    only.words[12] = 1;
    rt.dispatch({
      pipeline: rt.pipeline('nll:reduce', () => nllShader('reduce')),
      buffers: [total, g!.buffer.device, target!.buffer.device, w],
      params: only,
      workgroups: [1, 1, 1],
    });
  }
  rt.dispatch({
    pipeline: rt.pipeline('nll:backward', () => nllShader('backward')),
    buffers: [out.buffer.device, g!.buffer.device, target!.buffer.device, w, total],
    params,
    workgroups: grid(count),
  });
  rt.give(total);
  return true;
};

export const REDUCE_KERNELS = {
  sum: reduceKernel('sum'),
  prod: reduceKernel('prod'),
  amax: reduceKernel('amax'),
  amin: reduceKernel('amin'),
  argmax: reduceKernel('argmax'),
  argmin: reduceKernel('argmin'),
  all: reduceKernel('all'),
  any: reduceKernel('any'),
  norm: normKernel,
  cumsum: scanKernel<'cumsum'>(() => 'cumsum'),
  cumprod: scanKernel<'cumprod'>(() => 'cumprod'),
  logcumsumexp: scanKernel<'logcumsumexp'>(() => 'logcumsumexp'),
  cumExtremeIndex: scanKernel<'cumExtremeIndex'>((p) => (p.op === 'max' ? 'cummax' : 'cummin')),
  logSoftmax: logSoftmaxKernel,
  nllLoss: nllLossKernel,
  nllLossBackward: nllLossBackwardKernel,
} satisfies Partial<WgslTable>;
