// webgpu indexing and sorting: slice scatter, cat, gather and the scatters here, sort and kth
// index from sorting.ts.
import type { DType } from '../../dtype.js';
import type { ScatterReduction } from '../../primitives.js';
import type { KernelInput, KernelOutput } from '../backend.js';
import { denseStrides } from '../cpu/strided.js';
import { WebgpuBuffer, gpuBytes } from './buffer.js';
import { copyGpu } from './elementwise.js';
import type { GpuKernel } from './index.js';
import { Params, grid, type GpuRuntime } from './runtime.js';
import { kthIndexGpu, sortGpu } from './sorting.js';
import { MATH, PRELUDE, entry, walkCode, walkParams } from './wgsl.js';

type In = KernelInput<WebgpuBuffer>;
type Out = KernelOutput<WebgpuBuffer>;

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A storage array of 32-bit words (every GPU dtype is one word per element). */
const words = (i: number, name: string, type: string, write = false) =>
  `@group(0) @binding(${i}) var<storage, ${write ? 'read_write' : 'read'}> ${name}: array<${type}>;`;

/** cat: each input copied into its block of the output along dim (the elementwise copy shader). */
const cat: GpuKernel<'cat'> = (rt, out, inputs, { dim }) => {
  const strides = denseStrides(out.shape);
  let at = 0;
  for (const x of inputs) {
    const size = x.shape[dim]!;
    if (size === 0) continue;
    const view = { buffer: out.buffer, dtype: out.dtype, shape: x.shape };
    copyGpu(rt, view, { offset: at * strides[dim]!, strides }, x);
    at += size;
  }
  return true;
};

/** sliceScatter: the base copied whole, then the source copied into the strided slice. */
const sliceScatter: GpuKernel<'sliceScatter'> = (rt, out, [base, src], p) => {
  const strides = denseStrides(out.shape);
  copyGpu(rt, out, { offset: 0, strides }, base!);
  const view = { buffer: out.buffer, dtype: out.dtype, shape: src!.shape };
  const sliced = strides.map((s, d) => (d === p.dim ? s * p.step : s));
  copyGpu(rt, view, { offset: p.start * strides[p.dim]!, strides: sliced }, src!);
  return true;
};

/** A 0-d operand as one element along a single dim (PyTorch's view of a 0-d self or index). */
function asOneDim(x: {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}): { shape: readonly number[]; strides: readonly number[]; offset: number } {
  if (x.shape.length > 0) return x;
  return { shape: [1], strides: [0], offset: x.offset };
}

/**
 * gather: out[i] = x at i's coordinates with dim replaced by index[i] (negatives wrapped). P is
 * [n, size along dim, x's stride along dim, then the walk of (index, x with stride 0 along dim)].
 * An index outside the dim gives 0: the functions check indices before (shape_ops.ts).
 */
const GATHER = () => `${PRELUDE}
${words(1, 'y', 'u32', true)}
${words(2, 'x', 'u32')}
${words(3, 'ix', 'i32')}
${walkCode(2, 3)}
${entry(`let i = gid();
  if (i >= P[0]) { return; }
  let size = pi(1u);
  var v = ix[at(i, 0u)];
  if (v < 0) { v = v + size; }
  if (v < 0 || v >= size) { y[i] = 0u; return; }
  y[i] = x[u32(i32(at(i, 1u)) + v * pi(2u))];`)}`;

const gather: GpuKernel<'gather'> = (rt, out, [xIn, indexIn], { dim }) => {
  const n = numel(out.shape);
  if (n === 0) return true;
  const x = asOneDim(xIn!);
  const index = asOneDim(indexIn!);
  const size = x.shape[dim]!;
  const along = x.strides.map((s, d) => (d === dim ? 0 : s));
  // x may have fewer dims than a 1-element index when it is 0-d: then every stride is 0
  const xWalk = { offset: x.offset, strides: index.shape.map((_, d) => along[d] ?? 0) };
  const params = new Params().u32(n).i32(size, x.strides[dim] ?? 0);
  walkParams(params, index.shape, [index, xWalk]);
  rt.dispatch({
    pipeline: rt.pipeline('ix:gather', GATHER),
    buffers: [out.buffer.device, xIn!.buffer.device, indexIn!.buffer.device],
    params,
    workgroups: grid(n),
  });
  return true;
};

/** How a scatter combines: 'replace' moves words; 'f32' and 'i32' add in that type. */
type ScatterMode = 'replace' | 'f32' | 'i32';

/**
 * The scatters with one thread per output element, deterministic: the thread loops over the index
 * positions that can reach its element (its coordinates with dim running over the index's extent)
 * in row-major order, the order in which the cpu kernel writes, so the last write wins and sums
 * add in the cpu's order. `combine` folds the source value `sv` into `acc` (`cnt` counts the hits
 * so far), `finish` ends `acc`. P is [n, nd, dim, size, L (index extent along dim), x offset,
 * index offset, source offset, includeSelf, then out shape, index shape, x strides, index strides
 * and source strides, nd words each].
 */
const SCATTER_LOOP = (t: string, combine: string, finish = '') => `${PRELUDE}${MATH}
${words(1, 'y', t, true)}
${words(2, 'x', t)}
${words(3, 'ix', 'i32')}
${words(4, 'src', t)}
${entry(`let i = gid();
  if (i >= P[0]) { return; }
  let nd = P[1];
  let dim = P[2];
  let size = pi(3u);
  let L = P[4];
  var xo = pi(5u);
  var io = pi(6u);
  var so = pi(7u);
  var cdim = 0;
  var inside = true;
  var rem = i;
  var d = nd;
  loop {
    if (d == 0u) { break; }
    d = d - 1u;
    let s = P[9u + d];
    let c = rem % s;
    rem = rem / s;
    xo = xo + i32(c) * pi(9u + 2u * nd + d);
    if (d == dim) {
      cdim = i32(c);
    } else {
      if (c >= P[9u + nd + d]) { inside = false; }
      io = io + i32(c) * pi(9u + 3u * nd + d);
      so = so + i32(c) * pi(9u + 4u * nd + d);
    }
  }
  var acc = x[u32(xo)];
  var cnt = 0u;
  if (inside) {
    let istep = pi(9u + 3u * nd + dim);
    let sstep = pi(9u + 4u * nd + dim);
    for (var k = 0u; k < L; k = k + 1u) {
      var v = ix[u32(io + i32(k) * istep)];
      if (v < 0) { v = v + size; }
      if (v == cdim) {
        let sv = src[u32(so + i32(k) * sstep)];
        ${combine}
        cnt = cnt + 1u;
      }
    }
  }
  ${finish}
  y[i] = acc;`)}`;

/**
 * The per-output-element loop costs n·L reads; past this many times the index's own size (and a
 * floor), the atomic kernels below (one thread per index position) run instead.
 */
const LOOP_FACTOR = 16;
const LOOP_FLOOR = 1 << 16;

/** The operands of a scatter, 0-d ones seen as one element along one dim. */
function scatterOperands(inputs: readonly In[]) {
  const [x0, index0, src0] = inputs as [In, In, In];
  const x = asOneDim(x0);
  const index = asOneDim(index0);
  // a 0-d source beside a 1-d index: one element, the same for every position
  const src = src0.shape.length === 0 ? { offset: src0.offset, strides: [0] } : src0;
  const n = numel(x.shape);
  return { x0, index0, src0, x, index, src, n };
}

/** True when the per-element loop stays within its cost bound (see LOOP_FACTOR). */
function loopFits(n: number, index: { readonly shape: readonly number[] }, dim: number): boolean {
  return n * index.shape[dim]! <= Math.max(LOOP_FACTOR * numel(index.shape), LOOP_FLOOR);
}

/** Dispatches the per-element loop shader `key` (made by `shader`) over the output. */
function scatterLoop(
  rt: GpuRuntime,
  key: string,
  shader: () => string,
  out: Out,
  inputs: readonly In[],
  dim: number,
  includeSelf: boolean,
) {
  const { x0, index0, src0, x, index, src, n } = scatterOperands(inputs);
  if (n === 0) return;
  const params = new Params()
    .u32(n, x.shape.length, dim)
    .i32(x.shape[dim]!)
    .u32(index.shape[dim]!)
    .i32(x.offset, index.offset, src.offset)
    .u32(includeSelf ? 1 : 0, ...x.shape, ...index.shape)
    .i32(...x.strides, ...index.strides, ...src.strides);
  rt.dispatch({
    pipeline: rt.pipeline(key, shader),
    buffers: [out.buffer.device, x0.buffer.device, index0.buffer.device, src0.buffer.device],
    params,
    workgroups: grid(n),
  });
}

function scatterGpu(
  rt: GpuRuntime,
  mode: ScatterMode,
  out: Out,
  inputs: readonly In[],
  dim: number,
) {
  const { x0, index0, src0, index, src, n } = scatterOperands(inputs);
  if (n === 0) return;
  if (!loopFits(n, index, dim)) {
    scatterAtomic(rt, mode, out, x0, index, index0, src, src0, dim);
    return;
  }
  const t = mode === 'replace' ? 'u32' : mode;
  const combine = mode === 'replace' ? 'acc = sv;' : 'acc = acc + sv;';
  scatterLoop(rt, `ix:scatter:${mode}`, () => SCATTER_LOOP(t, combine), out, inputs, dim, false);
}

/**
 * The atomic scatter passes, one thread per index position j: 'f32' adds by a compare-exchange
 * loop on the bits, 'i32' by atomicAdd (the order of a float sum is then the GPU's, not the
 * cpu's); 'max' records the last position j + 1 that writes each slot, 'put' lets only that one
 * write, so the last write wins as on the cpu. P is [m, size along dim, out stride along dim,
 * then the walk of (index, source, out with stride 0 along dim)].
 */
type AtomicPass = 'f32' | 'i32' | 'max' | 'put';

const SCATTER_ATOMIC = (pass: AtomicPass) => {
  const decls = {
    f32: [words(1, 'y', 'atomic<u32>', true), words(3, 'src', 'f32')],
    i32: [words(1, 'y', 'atomic<i32>', true), words(3, 'src', 'i32')],
    max: [words(1, 'win', 'atomic<u32>', true)],
    put: [words(1, 'y', 'u32', true), words(3, 'src', 'u32'), words(4, 'win', 'u32')],
  }[pass];
  const body = {
    f32: `let sv = src[at(j, 1u)];
  var old = atomicLoad(&y[slot]);
  loop {
    let r = atomicCompareExchangeWeak(&y[slot], old, bitcast<u32>(bitcast<f32>(old) + sv));
    if (r.exchanged) { break; }
    old = r.old_value;
  }`,
    i32: 'atomicAdd(&y[slot], src[at(j, 1u)]);',
    max: 'atomicMax(&win[slot], j + 1u);',
    put: 'if (win[slot] == j + 1u) { y[slot] = src[at(j, 1u)]; }',
  }[pass];
  return `${PRELUDE}
${decls.join('\n')}
${words(2, 'ix', 'i32')}
${walkCode(3, 3)}
${entry(`let j = gid();
  if (j >= P[0]) { return; }
  let size = pi(1u);
  var v = ix[at(j, 0u)];
  if (v < 0) { v = v + size; }
  if (v < 0 || v >= size) { return; }
  let slot = u32(i32(at(j, 2u)) + v * pi(2u));
  ${body}`)}`;
};

function scatterAtomic(
  rt: GpuRuntime,
  mode: ScatterMode,
  out: Out,
  x0: In,
  index: { shape: readonly number[]; strides: readonly number[]; offset: number },
  index0: In,
  src: { readonly strides: readonly number[]; readonly offset: number },
  src0: In,
  dim: number,
) {
  copyGpu(rt, out, { offset: 0, strides: denseStrides(out.shape) }, x0);
  const m = numel(index.shape);
  if (m === 0) return;
  const strides = out.shape.length === 0 ? [0] : denseStrides(out.shape);
  const size = out.shape.length === 0 ? 1 : out.shape[dim]!;
  const outWalk = { offset: 0, strides: strides.map((s, d) => (d === dim ? 0 : s)) };
  const params = () => {
    const p = new Params().u32(m).i32(size, strides[dim]!);
    return walkParams(p, index.shape, [index, src, outWalk]);
  };
  const pass = (name: AtomicPass, buffers: WebgpuBuffer['device'][]) =>
    rt.dispatch({
      pipeline: rt.pipeline(`ix:scatter-atomic:${name}`, () => SCATTER_ATOMIC(name)),
      buffers,
      params: params(),
      workgroups: grid(m),
    });
  const [y, ix, sv] = [out.buffer.device, index0.buffer.device, src0.buffer.device];
  if (mode !== 'replace') {
    pass(mode, [y, ix, sv]);
    return;
  }
  const win = rt.take(gpuBytes(numel(out.shape)));
  rt.clear(win);
  pass('max', [win, ix]);
  pass('put', [y, ix, sv, win]);
  rt.give(win);
}

const scatter: GpuKernel<'scatter'> = (rt, out, inputs, { dim }) => {
  if (inputs.some((x, k) => k !== 1 && x.dtype !== out.dtype)) return false;
  scatterGpu(rt, 'replace', out, inputs, dim);
  return true;
};

const ADD_MODE: { readonly [D in DType]?: ScatterMode } = { float32: 'f32', int32: 'i32' };

const scatterAdd: GpuKernel<'scatterAdd'> = (rt, out, inputs, { dim }) => {
  const mode = ADD_MODE[out.dtype];
  if (mode === undefined || inputs.some((x, k) => k !== 1 && x.dtype !== out.dtype)) return false;
  scatterGpu(rt, mode, out, inputs, dim);
  return true;
};

/**
 * maxPoolBackward (float32): scatterAdd along the last dim into zeros, the zeros a broadcast view
 * of one cleared word (the loop shader sums each slot's hits in index order; past its cost bound
 * the atomic pass adds them in the GPU's order).
 */
const maxPoolBackward: GpuKernel<'maxPoolBackward'> = (rt, out, [g, index]) => {
  if (out.dtype !== 'float32' || g!.dtype !== 'float32') return false;
  const word = rt.take(gpuBytes(1));
  rt.clear(word);
  const zeros: In = {
    buffer: new WebgpuBuffer('float32', 1, word, null),
    dtype: 'float32',
    shape: out.shape,
    strides: out.shape.map(() => 0),
    offset: 0,
  };
  scatterGpu(rt, 'f32', out, [zeros, index!, g!], out.shape.length - 1);
  rt.give(word);
  return true;
};

/** scatter_reduce's folds of `sv` into `acc` per compute type (NaN propagates through amax, amin). */
const REDUCE_EXPR: {
  readonly [R in ScatterReduction]: { readonly f32: string; readonly i32: string };
} = {
  sum: { f32: 'acc + sv', i32: 'acc + sv' },
  mean: { f32: 'acc + sv', i32: 'acc + sv' },
  prod: { f32: 'acc * sv', i32: 'acc * sv' },
  amax: { f32: 'nb_max(acc, sv)', i32: 'max(acc, sv)' },
  amin: { f32: 'nb_min(acc, sv)', i32: 'min(acc, sv)' },
};

/** mean's division by the count (the slot's own value counted when includeSelf; floored for int32). */
const MEAN_FINISH = {
  f32: 'if (cnt > 0u) { acc = acc / f32(cnt + P[8]); }',
  i32: `if (cnt > 0u) {
    let dn = i32(cnt + P[8]);
    var q = acc / dn;
    if (q * dn != acc && acc < 0) { q = q - 1; }
    acc = q;
  }`,
};

/**
 * scatterReduce on float32 and int32 with the per-element loop: without includeSelf a slot's first
 * source value replaces its own. Past the loop's cost bound (no atomics for prod, mean or the
 * extremes) and on bool it runs on the host.
 */
const scatterReduce: GpuKernel<'scatterReduce'> = (rt, out, inputs, p) => {
  if (out.dtype !== 'float32' && out.dtype !== 'int32') return false;
  if (inputs.some((x, k) => k !== 1 && x.dtype !== out.dtype)) return false;
  const { index, n } = scatterOperands(inputs);
  if (n === 0) return true;
  if (!loopFits(n, index, p.dim)) return false;
  const t = out.dtype === 'float32' ? 'f32' : 'i32';
  const combine = `if (cnt == 0u && P[8] == 0u) { acc = sv; } else { acc = ${REDUCE_EXPR[p.reduce][t]}; }`;
  const finish = p.reduce === 'mean' ? MEAN_FINISH[t] : '';
  const shader = () => SCATTER_LOOP(t, combine, finish);
  scatterLoop(rt, `ix:scatter-reduce:${p.reduce}:${t}`, shader, out, inputs, p.dim, p.includeSelf);
  return true;
};

export const INDEX_KERNELS = {
  sliceScatter,
  cat,
  gather,
  scatter,
  scatterAdd,
  maxPoolBackward,
  scatterReduce,
  sort: sortGpu,
  kthIndex: kthIndexGpu,
};
