// webgpu reductions over any set of dims of a strided input: sum, prod, amax, amin, argmax, argmin,
// all, any and the p-norm (groups of lanes per output with a workgroup tree, long lines split in
// chunks); the table of this family's kernels, with the scans and losses (scan.ts, loss.ts).
import type { DType } from '../../dtype.js';
import type { ReducePrimitive } from '../../primitives.js';
import { coalesce } from '../cpu/strided.js';
import type { WebgpuBuffer } from './buffer.js';
import type { GpuKernel, WgslTable } from './index.js';
import { logSoftmaxKernel, nllLossBackwardKernel, nllLossKernel } from './loss.js';
import {
  COMMON,
  HEAD,
  WG,
  computeOf,
  lanesFor,
  load,
  padTo,
  pushWalk,
  store,
  type Compute,
  type In,
  type Out,
} from './reduce_common.js';
import { Params, grid, type GpuRuntime } from './runtime.js';
import { scanKernel } from './scan.js';
import { binding, entry } from './wgsl.js';

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

/** One pass ('one'), or the first (partials, mapped, not finished) or second pass of a split. */
type Phase = 'one' | 'first' | 'second';

const ACC_DTYPE: { readonly [C in Compute]: DType } = { f32: 'float32', i32: 'int32' };

/**
 * P of the reductions: [units, nRed, lanes, x offset, reduced walk's base, p (norm), chunks per
 * line, elements per chunk, then the kept walk at word 8 and the reduced walk]. A unit is one
 * chunk of one output's line (one chunk per line unless the reduction is split, see reduceRun);
 * each group of `lanes` threads reduces one unit: every lane walks its share of the chunk, then a
 * tree in workgroup memory combines the lanes.
 */
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
