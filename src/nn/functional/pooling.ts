// nn.functional pooling: max pools as their maxima's indices + gather (max unpooling as a scatter), average pools as unfold + sum, adaptive average pools; 3-d pools as a 2-d pass over each depth slice, then one along the depth.
import { defineOptions, type Spec } from '../../options.js';
import { internalScope } from '../../memory.js';
import { ArgumentError, DTypeError, IndexError, ShapeError } from '../../errors.js';
import { fromArray, full, tensor } from '../../functions/creation.js';
import { checkIndexRange, indexSelect, pad } from '../../functions/shape_ops.js';
import { apply } from '../../ops/apply.js';
import { sameShape, shapeStr } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { expandArg, type SizeArg } from './conv.js';

const MAX_POOL_SPEC: Spec<MaxPoolOptions> = {
  stride: ['dims', 'null'],
  padding: 'dims',
  dilation: 'dims',
  ceilMode: 'boolean',
  returnIndices: 'boolean',
};
const AVG_POOL_SPEC: Spec<AvgPoolOptions> = {
  stride: ['dims', 'null'],
  padding: 'dims',
  ceilMode: 'boolean',
  countIncludePad: 'boolean',
};
const MAX_POOL1D = defineOptions<MaxPoolOptions>('nn.functional.maxPool1d', MAX_POOL_SPEC);
const MAX_POOL2D = defineOptions<MaxPoolOptions>('nn.functional.maxPool2d', MAX_POOL_SPEC);
const AVG_POOL1D = defineOptions<AvgPoolOptions>('nn.functional.avgPool1d', AVG_POOL_SPEC);
const AVG_POOL2D = defineOptions<AvgPool2dOptions>('nn.functional.avgPool2d', {
  ...AVG_POOL_SPEC,
  divisorOverride: ['number', 'null'],
});
const MAX_POOL3D = defineOptions<MaxPoolOptions>('nn.functional.maxPool3d', MAX_POOL_SPEC);
const AVG_POOL3D = defineOptions<AvgPool2dOptions>('nn.functional.avgPool3d', {
  ...AVG_POOL_SPEC,
  divisorOverride: ['number', 'null'],
});
const MAX_UNPOOL2D = defineOptions<MaxUnpoolOptions>('nn.functional.maxUnpool2d', {
  stride: ['dims', 'null'],
  padding: 'dims',
  outputSize: ['dims', 'null'],
});

export interface MaxPoolOptions {
  /** Defaults to the kernel size. */
  readonly stride?: SizeArg | null;
  readonly padding?: SizeArg;
  readonly dilation?: SizeArg;
  /** Ceil instead of floor when computing the output size (windows may run past the end). */
  readonly ceilMode?: boolean;
  /** Also return each maximum's index in its (unpadded) plane, h·W + w, as int32. */
  readonly returnIndices?: boolean;
}

export interface AvgPoolOptions {
  /** Defaults to the kernel size. */
  readonly stride?: SizeArg | null;
  readonly padding?: SizeArg;
  readonly ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true). */
  readonly countIncludePad?: boolean;
}

/** avg_pool2d's and avg_pool3d's options. */
export interface AvgPool2dOptions extends AvgPoolOptions {
  /** Divide every window's sum by this instead of its size. */
  readonly divisorOverride?: number | null;
}

/** PyTorch's pooling output size: floor (or ceil) division, the last window starting inside. */
function pooledSize(
  size: number,
  k: number,
  p: number,
  s: number,
  d: number,
  ceilMode: boolean,
): number {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0)) / s) + 1;
  if (ceilMode && (out - 1) * s >= size + p) out--;
  return out;
}

interface Geometry {
  readonly k: [number, number];
  readonly s: [number, number];
  readonly p: [number, number];
  readonly d: [number, number];
  readonly out: [number, number];
}

type Pool = 'max_pool1d' | 'max_pool2d' | 'avg_pool1d' | 'avg_pool2d';

/**
 * Validates a pool's arguments as PyTorch does (in its words and order) and returns the 2-d
 * geometry; 1-d pools are 2-d pools over a height of 1.
 */
function geometry(
  name: Pool,
  x: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null | undefined,
  padding: SizeArg,
  dilation: SizeArg,
  ceilMode: boolean,
): Geometry {
  const one = name.endsWith('1d');
  const nd = one ? 1 : 2;
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
    throw new ShapeError(
      one
        ? `${name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:${shapeStr(x.shape)}`
        : 'non-empty 3D or 4D (batch mode) tensor expected for input',
    );
  }
  const what = 'pooling';
  const lift = (v: number[], fill: number): [number, number] =>
    one ? [fill, v[0]!] : [v[0]!, v[1]!];
  const ks = expandArg('kernel_size', kernelSize, nd, what);
  const ss = stride === null || stride === undefined ? ks : expandArg('stride', stride, nd, what);
  const ps = expandArg('padding', padding, nd, what);
  const ds = expandArg('dilation', dilation, nd, what);
  if (one && name === 'max_pool1d') {
    if (!(ks[0]! > 0))
      throw new ArgumentError(
        `max_pool1d() kernel_size must be greater than zero, but got ${ks[0]}`,
      );
    if (!(ss[0]! > 0))
      throw new ArgumentError(`max_pool1d() stride must be greater than zero, but got ${ss[0]}`);
    if (!(ps[0]! >= 0))
      throw new ArgumentError(`max_pool1d() padding must be non-negative, but got ${ps[0]}`);
    if (ps[0]! > ks[0]! / 2) {
      throw new ArgumentError(
        `max_pool1d() padding should be at most half of kernel size, but got padding=${ps[0]} and kernel_size=${ks[0]}`,
      );
    }
    if (!(ds[0]! > 0))
      throw new ArgumentError(`max_pool1d() dilation must be greater than zero, but got ${ds[0]}`);
  }
  for (let i = 0; i < nd; i++) {
    if (ss[i] === 0) throw new ArgumentError('stride should not be zero');
    if (ps[i]! < 0) throw new ArgumentError(`pad must be non-negative, but got pad: ${ps[i]}`);
    if (ps[i]! > ks[i]! / 2) {
      throw new ArgumentError(
        `pad should be at most half of kernel size, but got pad=${ps[i]} and kernel_size=${ks[i]}`,
      );
    }
  }
  const [k, s, p, d] = [lift(ks, 1), lift(ss, 1), lift(ps, 0), lift(ds, 1)];
  if (!(k[0] > 0 && k[1] > 0))
    throw new ArgumentError(
      `kernel size should be greater than zero, but got kH: ${k[0]} kW: ${k[1]}`,
    );
  if (!(s[0] > 0 && s[1] > 0))
    throw new ArgumentError(`stride should be greater than zero, but got dH: ${s[0]} dW: ${s[1]}`);
  if (!(d[0] > 0 && d[1] > 0)) {
    throw new ArgumentError(
      `dilation should be greater than zero, but got dilationH: ${d[0]} dilationW: ${d[1]}`,
    );
  }
  const inner = x.shape.slice(x.ndim - nd - 1);
  if (inner.some((v) => v === 0)) {
    throw new ShapeError(
      `Expected ${nd + 1}D or ${nd + 2}D (batch mode) tensor with optional 0 dim batch size for input, but got:${shapeStr(x.shape)}`,
    );
  }
  const [c, h, w] = one ? [inner[0]!, 1, inner[1]!] : (inner as [number, number, number]);
  const out: [number, number] = [
    pooledSize(h, k[0], p[0], s[0], d[0], ceilMode),
    pooledSize(w, k[1], p[1], s[1], d[1], ceilMode),
  ];
  if (out[0] < 1 || out[1] < 1) {
    throw new ShapeError(
      `Given input size: (${c}x${h}x${w}). Calculated output size: (${c}x${out[0]}x${out[1]}). Output size is too small`,
    );
  }
  return { k, s, p, d, out };
}

/** x as [N, C, H, W] (1-d pools gain a height of 1, unbatched inputs a batch of 1). */
function as4d(x: Tensor, one: boolean): Tensor {
  const y = one ? x.unsqueeze(-2) : x;
  return y.ndim === 3 ? y.unsqueeze(0) : y;
}

/** The output back in the input's layout: [N, C, oh, ow] to [N?, C, (oh,) ow]. */
function from4d(y: Tensor, x: Tensor, one: boolean): Tensor {
  const z = x.ndim === (one ? 2 : 3) ? y.squeeze(0) : y;
  return one ? z.squeeze(-2) : z;
}

/**
 * Every pooling window as a column: [N, C, kh·kw, oh·ow]. Positions outside the input hold 0;
 * windows that run past the end (ceil mode) see it too.
 */
function windows(x: Tensor, g: Geometry): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  // The padded extent the windows need, and how much of it lies after the input.
  const need = [0, 1].map((i) => (g.out[i]! - 1) * g.s[i]! + g.d[i]! * (g.k[i]! - 1) + 1);
  const after = [need[0]! - h - g.p[0], need[1]! - w - g.p[1]];
  const fits = after[0]! <= g.p[0] && after[1]! <= g.p[1];
  let cols: Tensor;
  if (fits) {
    cols = apply('unfold', [x], { kernelSize: g.k, dilation: g.d, padding: g.p, stride: g.s });
  } else {
    // Pad explicitly: before the input, and after it only as far as the windows reach (ceil mode
    // may need more than the padding; where they stop short, unfold's floor division leaves the
    // unused tail out).
    const padded = pad(x, [g.p[1], Math.max(after[1]!, 0), g.p[0], Math.max(after[0]!, 0)]);
    cols = apply('unfold', [padded], {
      kernelSize: g.k,
      dilation: g.d,
      padding: [0, 0],
      stride: g.s,
    });
  }
  return cols.reshape([n, c, g.k[0] * g.k[1], g.out[0] * g.out[1]]);
}

function maxPool(
  name: 'max_pool1d' | 'max_pool2d',
  input: Tensor,
  kernelSize: SizeArg,
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor] {
  const one = name === 'max_pool1d';
  const g = geometry(
    name,
    input,
    kernelSize,
    opts?.stride,
    opts?.padding ?? 0,
    opts?.dilation ?? 1,
    opts?.ceilMode ?? false,
  );
  const x = as4d(input, one);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  // Each window's maximum as its index in the plane (the first maximum; a NaN wins, the last NaN
  // of a window, as PyTorch's kernel), then the values gathered there: the gather's backward
  // hands each gradient to that one input.
  const indices = apply('maxPoolIndices', [x], {
    kernelSize: g.k,
    dilation: g.d,
    padding: g.p,
    stride: g.s,
    grid: g.out,
  });
  const values = apply('gather', [x.reshape([n, c, h * w]), indices.reshape([n, c, -1])], {
    dim: 2,
  });
  const out = from4d(values.reshape([n, c, g.out[0], g.out[1]]), input, one);
  return opts?.returnIndices ? [out, from4d(indices, input, one)] : out;
}

type WithIndices = MaxPoolOptions & { readonly returnIndices: true };
type WithoutIndices = MaxPoolOptions & { readonly returnIndices?: false };

/** F.max_pool1d over [N, C, L] or [C, L]; with returnIndices, [output, indices]. */
export function maxPool1d(input: Tensor, kernelSize: SizeArg, opts?: WithoutIndices): Tensor;
export function maxPool1d(input: Tensor, kernelSize: SizeArg, opts: WithIndices): [Tensor, Tensor];
export function maxPool1d(
  input: Tensor,
  kernelSize: SizeArg,
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor];
export function maxPool1d(
  input: Tensor,
  kernelSize: SizeArg,
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor] {
  MAX_POOL1D.check(opts);
  return internalScope(() => {
    return maxPool('max_pool1d', input, kernelSize, opts);
  });
}

/** F.max_pool2d over [N, C, H, W] or [C, H, W]; with returnIndices, [output, indices]. */
export function maxPool2d(input: Tensor, kernelSize: SizeArg, opts?: WithoutIndices): Tensor;
export function maxPool2d(input: Tensor, kernelSize: SizeArg, opts: WithIndices): [Tensor, Tensor];
export function maxPool2d(
  input: Tensor,
  kernelSize: SizeArg,
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor];
export function maxPool2d(
  input: Tensor,
  kernelSize: SizeArg,
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor] {
  MAX_POOL2D.check(opts);
  return internalScope(() => {
    return maxPool('max_pool2d', input, kernelSize, opts);
  });
}

export interface MaxUnpoolOptions {
  /** Defaults to the kernel size. */
  readonly stride?: SizeArg | null;
  readonly padding?: SizeArg;
  /** The output's [H, W] (or the whole shape, ending in them); defaults to the pool's input size. */
  readonly outputSize?: readonly number[] | null;
}

/**
 * F.max_unpool2d: the inverse of a max pool that returned its indices: [N, C, H, W] (or [C, H, W])
 * values written at their plane indices into zeros of the output size (a scatter: its backward
 * gathers the gradient at the indices).
 */
export function maxUnpool2d(
  input: Tensor,
  indices: Tensor,
  kernelSize: SizeArg,
  opts?: MaxUnpoolOptions,
): Tensor {
  MAX_UNPOOL2D.check(opts);
  const k = expandArg('kernel_size', kernelSize, 2, 'pooling');
  const s =
    opts?.stride === null || opts?.stride === undefined
      ? k
      : expandArg('stride', opts.stride, 2, 'pooling');
  const p = expandArg('padding', opts?.padding ?? 0, 2, 'pooling');
  if (input.ndim !== 3 && input.ndim !== 4) {
    throw new ShapeError(
      `Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with ${input.ndim} dimensions.`,
    );
  }
  const size = [0, 1].map((i) => {
    const inSize = input.shape[input.ndim - 2 + i]!;
    return (inSize - 1) * s[i]! - 2 * p[i]! + k[i]!;
  });
  let out = size;
  const given = opts?.outputSize;
  if (given !== null && given !== undefined) {
    const want = given.length === input.ndim ? given.slice(-2) : [...given];
    if (want.length !== 2) {
      throw new ArgumentError(
        `output_size must have 2 or ${input.ndim} elements (got ${given.length})`,
      );
    }
    want.forEach((v, i) => {
      const lo = size[i]! - s[i]!;
      const hi = size[i]! + s[i]!;
      if (!(v > lo && v < hi)) {
        throw new ArgumentError(
          `invalid output_size "[${given.join(', ')}]" (dim ${i} must be between ${lo} and ${hi})`,
        );
      }
    });
    out = want;
  }
  if (indices.dtype !== 'int32')
    throw new DTypeError(`elements in indices should be type int32 but got: ${indices.dtype}`);
  if (!sameShape(indices.shape, input.shape)) {
    throw new ShapeError(
      `Expected shape of indices to be same as that of the input tensor (${shapeStr(input.shape)}) but got indices tensor with shape: ${shapeStr(indices.shape)}`,
    );
  }
  const [oh, ow] = [out[0]!, out[1]!];
  checkIndexRange(
    indices,
    oh * ow,
    (v) =>
      new IndexError(`Found an invalid max index: ${v} (output volumes are of size ${oh}x${ow}`),
  );
  return internalScope(() => {
    const lead = input.shape.slice(0, -2);
    const plane = [...lead, -1];
    const zeros = full([...lead, oh * ow], 0, { dtype: input.dtype, device: input.device });
    const flat = apply('scatter', [zeros, indices.reshape(plane), input.reshape(plane)], {
      dim: input.ndim - 2,
    });
    return flat.reshape([...lead, oh, ow]);
  });
}

/** PyTorch's divisor of each window: its size within the padded input, or its real elements. */
function divisors(g: Geometry, size: [number, number], countIncludePad: boolean): number[] {
  const perDim = [0, 1].map((i) => {
    const out: [number, number][] = [];
    for (let o = 0; o < g.out[i]!; o++) {
      const start = o * g.s[i]! - g.p[i]!;
      const end = Math.min(start + g.k[i]!, size[i]! + g.p[i]!);
      const real = Math.min(end, size[i]!) - Math.max(start, 0);
      out.push([end - start, real]);
    }
    return out;
  });
  const result: number[] = [];
  for (const [ph, rh] of perDim[0]!) {
    for (const [pw, rw] of perDim[1]!) result.push(countIncludePad ? ph * pw : rh * rw);
  }
  return result;
}

function avgPool(
  name: 'avg_pool1d' | 'avg_pool2d',
  input: Tensor,
  kernelSize: SizeArg,
  opts?: AvgPool2dOptions,
): Tensor {
  const one = name === 'avg_pool1d';
  const g = geometry(
    name,
    input,
    kernelSize,
    opts?.stride,
    opts?.padding ?? 0,
    1,
    opts?.ceilMode ?? false,
  );
  const override = opts?.divisorOverride ?? null;
  if (override !== null && override === 0) throw new ArgumentError('divisor must be not zero');
  const x = as4d(input, one);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const sums = apply('sum', [windows(x, g)], { dims: [2], keepdim: false });
  let divided: Tensor;
  if (override !== null) {
    divided = sums.div(override);
  } else {
    const divs = divisors(g, [h, w], opts?.countIncludePad ?? true);
    const uniform = divs.every((v) => v === divs[0]);
    divided = uniform
      ? sums.div(divs[0]!)
      : sums.div(
          fromArray(Float64Array.from(divs), [divs.length], 'float64', { device: x.device }).to(
            x.dtype,
          ),
        );
  }
  return from4d(divided.reshape([n, c, g.out[0], g.out[1]]), input, one);
}

/** F.avg_pool1d over [N, C, L] or [C, L]. */
export function avgPool1d(input: Tensor, kernelSize: SizeArg, opts?: AvgPoolOptions): Tensor {
  AVG_POOL1D.check(opts);
  return internalScope(() => {
    return avgPool('avg_pool1d', input, kernelSize, opts);
  });
}

/** F.avg_pool2d over [N, C, H, W] or [C, H, W]. */
export function avgPool2d(input: Tensor, kernelSize: SizeArg, opts?: AvgPool2dOptions): Tensor {
  AVG_POOL2D.check(opts);
  return internalScope(() => {
    return avgPool('avg_pool2d', input, kernelSize, opts);
  });
}

/** An output size per dim; null keeps the input's size. */
export type AdaptiveSize = number | null | readonly (number | null)[];

/**
 * Averages dim `dim` of x over PyTorch's adaptive windows [⌊i·in/out⌋, ⌈(i+1)·in/out⌉). Each window
 * is gathered from x padded with one zero (the filler of shorter windows), summed and divided by
 * its length, so a non-finite value only reaches the windows that contain it.
 */
export function adaptiveAverage(x: Tensor, dim: number, outSize: number): Tensor {
  const size = x.shape[dim]!;
  if (outSize === size) return x;
  const starts: number[] = [];
  const lengths: number[] = [];
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * size) / outSize);
    starts.push(start);
    lengths.push(Math.ceil(((i + 1) * size) / outSize) - start);
  }
  const longest = Math.max(0, ...lengths);
  if (lengths.every((l) => l === longest) && size % outSize === 0 && outSize > 0) {
    // Equal, non-overlapping windows: a reshape and a mean.
    const shape = [...x.shape.slice(0, dim), outSize, longest, ...x.shape.slice(dim + 1)];
    return x.reshape(shape).mean(dim + 1);
  }
  const index: number[] = [];
  for (let i = 0; i < outSize; i++) {
    for (let j = 0; j < longest; j++) index.push(j < lengths[i]! ? starts[i]! + j : size);
  }
  const pads = new Array<number>(2 * (x.ndim - dim)).fill(0);
  pads[pads.length - 1] = 1;
  const picked = indexSelect(
    pad(x, pads),
    dim,
    tensor(index, { dtype: 'int32', device: x.device }),
  );
  const shape = [...x.shape.slice(0, dim), outSize, longest, ...x.shape.slice(dim + 1)];
  const counts = fromArray(
    Float64Array.from(lengths),
    [outSize, ...new Array<number>(x.ndim - dim - 1).fill(1)],
    'float64',
    {
      device: x.device,
    },
  ).to(x.dtype);
  return apply('sum', [picked.reshape(shape)], { dims: [dim + 1], keepdim: false }).div(counts);
}

function adaptiveSizes(name: string, x: Tensor, outputSize: AdaptiveSize, nd: number): number[] {
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
    throw new ShapeError(
      `${name}(): Expected ${nd + 1}D or ${nd + 2}D tensor, but got ${shapeStr(x.shape)}`,
    );
  }
  for (let i = x.ndim - nd; i < x.ndim; i++) {
    if (x.shape[i] === 0) {
      throw new ShapeError(
        `${name}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${shapeStr(x.shape)} with dimension ${i} being empty`,
      );
    }
  }
  const list = outputSize === null || typeof outputSize === 'number' ? [outputSize] : outputSize;
  if (list.length !== 1 && list.length !== nd)
    throw new ArgumentError(`${name}: output_size must be ${nd}`);
  const sizes = Array.from({ length: nd }, (_, i) => list[list.length === 1 ? 0 : i] ?? null).map(
    (v, i) => v ?? x.shape[x.ndim - nd + i]!,
  );
  if (sizes.some((v) => v < 0)) {
    // NOTE: PyTorch 1.13's 3-d check reuses the 2-d message, and prints the sizes as {d, h,w}.
    const received =
      nd === 3
        ? `adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {${sizes[0]}, ${sizes[1]},${sizes[2]}}`
        : `${name}: elements of output_size must be greater than or equal to 0 but received {${sizes.join(', ')}}`;
    throw new ArgumentError(received);
  }
  return sizes;
}

/** F.adaptive_avg_pool1d over [N, C, L] or [C, L]. */
export function adaptiveAvgPool1d(input: Tensor, outputSize: number): Tensor {
  return internalScope(() => {
    const [l] = adaptiveSizes('adaptive_avg_pool1d', input, outputSize, 1);
    return adaptiveAverage(input, input.ndim - 1, l!);
  });
}

/** F.adaptive_avg_pool2d over [N, C, H, W] or [C, H, W]; outputSize is a number or [h, w]. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  return internalScope(() => {
    const [h, w] = adaptiveSizes('adaptive_avg_pool2d', input, outputSize, 2);
    const nd = input.ndim;
    return adaptiveAverage(adaptiveAverage(input, nd - 2, h!), nd - 1, w!);
  });
}

// ---- 3-d pools ------------------------------------------------------------------------------

interface Geometry3d {
  readonly k: readonly number[];
  readonly s: readonly number[];
  readonly p: readonly number[];
  readonly d: readonly number[];
  readonly out: readonly number[];
}

/** A 3-d pool's per-dim argument: one number or three (PyTorch's own message otherwise). */
function triple(v: SizeArg, message: string): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (list.length !== 1 && list.length !== 3) throw new ArgumentError(message);
  return list.length === 1 ? [list[0]!, list[0]!, list[0]!] : [...list];
}

/** Validates a 3-d pool's arguments as PyTorch's pool3d_shape_check does, in its words and order. */
function geometry3d(
  name: 'max_pool3d' | 'avg_pool3d',
  x: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null | undefined,
  padding: SizeArg,
  dilation: SizeArg,
  ceilMode: boolean,
): Geometry3d {
  const max = name === 'max_pool3d';
  const k = triple(
    kernelSize,
    max
      ? 'max_pool3d: kernel_size must either be a single int, or a tuple of three ints'
      : 'avg_pool3d: kernel_size must be a single int, or a tuple of three ints',
  );
  const s =
    stride === null || stride === undefined || (typeof stride !== 'number' && stride.length === 0)
      ? k
      : triple(
          stride,
          max
            ? 'max_pool3d: stride must either be omitted, a single int, or a tuple of three ints'
            : 'avg_pool3d: stride must be omitted, a single int, or a tuple of three ints',
        );
  const p = triple(
    padding,
    max
      ? 'max_pool3d: padding must be either be a single int, or a tuple of three ints'
      : 'avg_pool3d: padding must be a single int, or a tuple of three ints',
  );
  const d = triple(
    dilation,
    'max_pool3d: dilation must be either a single int, or a tuple of three ints',
  );
  if (x.ndim !== 4 && x.ndim !== 5)
    throw new ShapeError('non-empty 4D or 5D (batch mode) tensor expected for input');
  const inner = x.shape.slice(x.ndim - 4) as [number, number, number, number];
  const [c, ...size] = inner;
  const out = size.map((v, i) => {
    if (s[i] === 0) throw new ArgumentError('stride should not be zero');
    if (p[i]! < 0) throw new ArgumentError(`pad must be non-negative, but got pad: ${p[i]}`);
    if (p[i]! > k[i]! / 2) {
      throw new ArgumentError(
        `pad should be at most half of kernel size, but got pad=${p[i]} and kernel_size=${k[i]}`,
      );
    }
    return pooledSize(v, k[i]!, p[i]!, s[i]!, d[i]!, ceilMode);
  });
  if (!k.every((v) => v > 0)) {
    throw new ArgumentError(
      `kernel size should be greater than zero, but got kT: ${k[0]} kH: ${k[1]} kW: ${k[2]}`,
    );
  }
  if (!s.every((v) => v > 0)) {
    throw new ArgumentError(
      `stride should be greater than zero, but got dT: ${s[0]} dH: ${s[1]} dW: ${s[2]}`,
    );
  }
  if (!d.every((v) => v > 0)) {
    throw new ArgumentError(
      `dilation should be greater than zero, but got dilationT: ${d[0]} dilationH: ${d[1]} dilationW: ${d[2]}`,
    );
  }
  const fn = max ? 'max_pool3d_with_indices_out_cpu_template()' : 'avg_pool3d()';
  for (let i = x.ndim === 5 ? 1 : 0; i < x.ndim; i++) {
    if (x.shape[i] === 0) {
      throw new ShapeError(
        // NOTE: PyTorch 1.13 prints the dimension's size (0) where it means its index.
        `${fn}: Expected input's non-batch dimensions to have positive length, but input has a shape of ${shapeStr(x.shape)} and non-batch dimension ${x.shape[i]} has length zero!`,
      );
    }
  }
  if (!max && size.some((v, i) => v < k[i]!)) {
    throw new ShapeError(
      `input image (T: ${size[0]} H: ${size[1]} W: ${size[2]}) smaller than kernel size (kT: ${k[0]} kH: ${k[1]} kW: ${k[2]})`,
    );
  }
  if (out.some((v) => v < 1)) {
    throw new ShapeError(
      `Given input size: (${c}x${size.join('x')}). Calculated output size: (${c}x${out.join('x')}). Output size is too small`,
    );
  }
  return { k, s, p, d, out };
}

/** The (height, width) pass of a 3-d pool, as a 2-d geometry. */
const planeGeometry = (g: Geometry3d): Geometry => ({
  k: [g.k[1]!, g.k[2]!],
  s: [g.s[1]!, g.s[2]!],
  p: [g.p[1]!, g.p[2]!],
  d: [g.d[1]!, g.d[2]!],
  out: [g.out[1]!, g.out[2]!],
});

/** The depth pass of a 3-d pool over [N, C, D, L]: a 2-d geometry with a kd x 1 kernel. */
const depthGeometry = (g: Geometry3d, l: number): Geometry => ({
  k: [g.k[0]!, 1],
  s: [g.s[0]!, 1],
  p: [g.p[0]!, 0],
  d: [g.d[0]!, 1],
  out: [g.out[0]!, l],
});

const windowParamsOf = (g: Geometry) => ({
  kernelSize: g.k,
  dilation: g.d,
  padding: g.p,
  stride: g.s,
  grid: g.out,
});

/** x as [N, C, D, H, W] (an unbatched input gains a batch of 1). */
const as5d = (x: Tensor): Tensor => (x.ndim === 4 ? x.unsqueeze(0) : x);
const from5d = (y: Tensor, x: Tensor): Tensor => (x.ndim === 4 ? y.squeeze(0) : y);

function maxPool3dImpl(
  input: Tensor,
  kernelSize: SizeArg,
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor] {
  const g = geometry3d(
    'max_pool3d',
    input,
    kernelSize,
    opts?.stride,
    opts?.padding ?? 0,
    opts?.dilation ?? 1,
    opts?.ceilMode ?? false,
  );
  const x = as5d(input);
  const [n, c, d, h, w] = x.shape as [number, number, number, number, number];
  const [od, oh, ow] = g.out as [number, number, number];
  const l = oh * ow;
  // NOTE: a max over a box is a max over the depth of the (height, width) maxima. Each pass keeps
  // the first maximum (and the last NaN) in scan order, so the combined index is PyTorch's: the
  // first maximum in (d, h, w) order, the last NaN.
  const xd = x.detach();
  const planeIdx = apply('maxPoolIndices', [xd.reshape([n, c * d, h, w])], {
    ...windowParamsOf(planeGeometry(g)),
  }).reshape([n, c, d * l]);
  const planeMax = apply(
    'gather',
    [xd.reshape([n, c * d, h * w]), planeIdx.reshape([n, c * d, l])],
    {
      dim: 2,
    },
  );
  // For each output, the index d·L + l of the depth whose plane maximum wins.
  const depthIdx = apply('maxPoolIndices', [planeMax.reshape([n, c, d, l])], {
    ...windowParamsOf(depthGeometry(g, l)),
  }).reshape([n, c, od * l]);
  const inPlane = apply('gather', [planeIdx, depthIdx], { dim: 2 });
  const depth = depthIdx.div(l, { roundingMode: 'floor' });
  const indices = depth.mul(h * w).add(inPlane);
  const values = apply('gather', [x.reshape([n, c, d * h * w]), indices], { dim: 2 });
  const out = from5d(values.reshape([n, c, od, oh, ow]), input);
  return opts?.returnIndices ? [out, from5d(indices.reshape([n, c, od, oh, ow]), input)] : out;
}

/** F.max_pool3d over [N, C, D, H, W] or [C, D, H, W]; with returnIndices, [output, indices]. */
export function maxPool3d(input: Tensor, kernelSize: SizeArg, opts?: WithoutIndices): Tensor;
export function maxPool3d(input: Tensor, kernelSize: SizeArg, opts: WithIndices): [Tensor, Tensor];
export function maxPool3d(
  input: Tensor,
  kernelSize: SizeArg,
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor];
export function maxPool3d(
  input: Tensor,
  kernelSize: SizeArg,
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor] {
  MAX_POOL3D.check(opts);
  return internalScope(() => {
    return maxPool3dImpl(input, kernelSize, opts);
  });
}

/** F.avg_pool3d over [N, C, D, H, W] or [C, D, H, W]. */
export function avgPool3d(input: Tensor, kernelSize: SizeArg, opts?: AvgPool2dOptions): Tensor {
  AVG_POOL3D.check(opts);
  return internalScope(() => {
    const g = geometry3d(
      'avg_pool3d',
      input,
      kernelSize,
      opts?.stride,
      opts?.padding ?? 0,
      1,
      opts?.ceilMode ?? false,
    );
    const override = opts?.divisorOverride ?? null;
    if (override !== null && override === 0) throw new ArgumentError('divisor must be not zero');
    const x = as5d(input);
    const [n, c, d, h, w] = x.shape as [number, number, number, number, number];
    const [od, oh, ow] = g.out as [number, number, number];
    const l = oh * ow;
    // Window sums are separable: sums over (height, width) windows, then over depth windows.
    const plane = planeGeometry(g);
    const planeSums = apply('sum', [windows(x.reshape([n, c * d, h, w]), plane)], {
      dims: [2],
      keepdim: false,
    });
    const depth = depthGeometry(g, l);
    const sums = apply('sum', [windows(planeSums.reshape([n, c, d, l]), depth)], {
      dims: [2],
      keepdim: false,
    });
    let divided: Tensor;
    if (override !== null) {
      divided = sums.div(override);
    } else {
      // The divisor is separable too: (depth divisor) x (plane divisor), as PyTorch's product.
      const include = opts?.countIncludePad ?? true;
      const planeDivs = divisors(plane, [h, w], include);
      const depthDivs = divisors({ ...depth, out: [od, 1] }, [d, 1], include);
      const divs = depthDivs.flatMap((dv) => planeDivs.map((pv) => dv * pv));
      const uniform = divs.every((v) => v === divs[0]);
      divided = uniform
        ? sums.div(divs[0]!)
        : sums.div(
            fromArray(Float64Array.from(divs), [od * l], 'float64', { device: x.device }).to(
              x.dtype,
            ),
          );
    }
    return from5d(divided.reshape([n, c, od, oh, ow]), input);
  });
}

/** F.adaptive_avg_pool3d over [N, C, D, H, W] or [C, D, H, W]; outputSize is a number or [d, h, w]. */
export function adaptiveAvgPool3d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  return internalScope(() => {
    const [d, h, w] = adaptiveSizes('adaptive_avg_pool3d', input, outputSize, 3);
    const nd = input.ndim;
    const y = adaptiveAverage(input, nd - 3, d!);
    return adaptiveAverage(adaptiveAverage(y, nd - 2, h!), nd - 1, w!);
  });
}
