// nn.functional interpolate/upsample: nearest and nearest-exact (index select), (bi/tri)linear (two gathered neighbours per dim) and area, over 1 to 3 spatial dims.
import { defineOptions, type Spec } from '../../options.js';
import { internalScope } from '../../memory.js';
import { ArgumentError, ShapeError } from '../../errors.js';
import { fromArray, tensor } from '../../functions/creation.js';
import { indexSelect } from '../../functions/shape_ops.js';
import type { Tensor } from '../../tensor.js';
import { adaptiveAverage } from './pooling.js';

const INTERPOLATE_SPEC: Spec<InterpolateOptions> = {
  size: ['dims', 'null'],
  scaleFactor: ['number', 'array', 'null'],
  mode: 'string',
  alignCorners: ['boolean', 'null'],
  recomputeScaleFactor: ['boolean', 'null'],
};
type SizeOrScale = Pick<InterpolateOptions, 'size' | 'scaleFactor'>;
const SIZE_OR_SCALE: Spec<SizeOrScale> = {
  size: INTERPOLATE_SPEC.size,
  scaleFactor: INTERPOLATE_SPEC.scaleFactor,
};
const INTERPOLATE = defineOptions<InterpolateOptions>(
  'nn.functional.interpolate',
  INTERPOLATE_SPEC,
);
const UPSAMPLE_NEAREST = defineOptions<SizeOrScale>('nn.functional.upsampleNearest', SIZE_OR_SCALE);
const UPSAMPLE_BILINEAR = defineOptions<SizeOrScale>(
  'nn.functional.upsampleBilinear',
  SIZE_OR_SCALE,
);

export type InterpolateMode =
  'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'trilinear' | 'area';

export interface InterpolateOptions {
  /** The output's spatial size (one number for every spatial dim, or one each). */
  readonly size?: number | readonly number[] | null;
  /** A multiplier of the spatial size (one for every spatial dim, or one each). */
  readonly scaleFactor?: number | readonly number[] | null;
  readonly mode?: InterpolateMode;
  /** linear/bilinear/trilinear only: map the corner pixels' centres onto each other (default false). */
  readonly alignCorners?: boolean | null;
  /** Interpolate with the scale implied by the output size instead of the given scaleFactor. */
  readonly recomputeScaleFactor?: boolean | null;
}

const f32 = Math.fround;
const same = (v: number) => v;

/** PyTorch's nearest source index: floor(i·scale) in float32, clamped to the last index. */
function nearestIndices(inSize: number, outSize: number, scale: number | null): number[] {
  const idx: number[] = [];
  if (outSize === inSize) for (let i = 0; i < outSize; i++) idx.push(i);
  else if (outSize === 2 * inSize) for (let i = 0; i < outSize; i++) idx.push(i >> 1);
  else {
    const s = f32(scale !== null && scale > 0 ? 1 / scale : inSize / outSize);
    for (let i = 0; i < outSize; i++) idx.push(Math.min(Math.floor(f32(i * s)), inSize - 1));
  }
  return idx;
}

/**
 * PyTorch's nearest-exact source index: floor((i + 0.5)·scale) rounded to float32 (the pixel whose
 * centre is nearest), clamped to the last index.
 */
function nearestExactIndices(inSize: number, outSize: number, scale: number | null): number[] {
  const s = f32(scale !== null && scale > 0 ? 1 / scale : inSize / outSize);
  const idx: number[] = [];
  for (let i = 0; i < outSize; i++) idx.push(Math.min(Math.floor(f32((i + 0.5) * s)), inSize - 1));
  return idx;
}

/**
 * Linear interpolation along dim `dim`: PyTorch's source index (clamped at 0 without
 * alignCorners) and its lambdas, rounded as its kernel rounds them for the input's dtype.
 */
function linearAlong(
  x: Tensor,
  dim: number,
  outSize: number,
  alignCorners: boolean,
  scale: number | null,
): Tensor {
  const inSize = x.shape[dim]!;
  if (outSize === inSize) return x;
  const r = x.dtype === 'float32' ? f32 : same;
  let ratio: number;
  if (alignCorners) ratio = outSize > 1 ? r((inSize - 1) / (outSize - 1)) : 0;
  else ratio = r(scale !== null && scale > 0 ? 1 / scale : inSize / outSize);
  const i0: number[] = [];
  const i1: number[] = [];
  const l0 = new Float64Array(outSize);
  const l1 = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const real = alignCorners ? ratio * i : Math.max(ratio * (i + 0.5) - 0.5, 0);
    const lo = Math.trunc(real);
    i0.push(lo);
    i1.push(lo < inSize - 1 ? lo + 1 : lo);
    l1[i] = r(real - lo);
    l0[i] = r(1 - l1[i]!);
  }
  const shape = [outSize, ...new Array<number>(x.ndim - dim - 1).fill(1)];
  const lambda = (l: Float64Array) =>
    fromArray(l, shape, 'float64', { device: x.device }).to(x.dtype);
  const pick = (idx: number[]) =>
    indexSelect(x, dim, tensor(idx, { dtype: 'int32', device: x.device }));
  return pick(i0)
    .mul(lambda(l0))
    .add(pick(i1).mul(lambda(l1)));
}

function perDim(v: number | readonly number[], nd: number): number[] {
  return typeof v === 'number' ? new Array<number>(nd).fill(v) : [...v];
}

/** The linear modes and the spatial dims each needs. */
const LINEAR_DIMS: Partial<Record<InterpolateMode, number>> = {
  linear: 1,
  bilinear: 2,
  trilinear: 3,
};

/**
 * F.interpolate: resizes the spatial dims of [N, C, L], [N, C, H, W] or [N, C, D, H, W] (nearest,
 * nearest-exact and area for each; linear, bilinear and trilinear for one each).
 */
export function interpolate(input: Tensor, opts: InterpolateOptions): Tensor {
  INTERPOLATE.checkGiven(opts);
  return internalScope(() => {
    const mode = opts.mode ?? 'nearest';
    const align = opts.alignCorners ?? null;
    if (mode === 'nearest' || mode === 'nearest-exact' || mode === 'area') {
      if (align !== null) {
        throw new ArgumentError(
          'align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear',
        );
      }
    }
    const nd = input.ndim - 2;
    const spatial = input.shape.slice(2);
    const size = opts.size ?? null;
    const factor = opts.scaleFactor ?? null;
    let outSize: number[];
    let scales: (number | null)[];
    if (size !== null && factor !== null)
      throw new ArgumentError('only one of size or scale_factor should be defined');
    if (size !== null) {
      if (typeof size !== 'number' && size.length !== nd) {
        throw new ArgumentError(
          `Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of [${spatial.join(', ')}] and output size of (${size.join(', ')}). Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.`,
        );
      }
      outSize = perDim(size, nd);
      scales = outSize.map(() => null);
    } else if (factor !== null) {
      if (typeof factor !== 'number' && factor.length !== nd) {
        throw new ArgumentError(
          `Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of [${spatial.join(', ')}] and scale_factor of shape (${factor.join(', ')}). Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.`,
        );
      }
      scales = perDim(factor, nd);
      outSize = scales.map((s, i) => Math.floor(spatial[i]! * s!));
      if (opts.recomputeScaleFactor === true || mode === 'area') scales = outSize.map(() => null);
    } else {
      throw new ArgumentError('either size or scale_factor should be defined');
    }
    if (opts.recomputeScaleFactor === true && size !== null)
      throw new ArgumentError('recompute_scale_factor is not meaningful with an explicit size.');
    const linearDims = LINEAR_DIMS[mode];
    const nearestLike = mode === 'nearest' || mode === 'nearest-exact' || mode === 'area';
    const supported = nearestLike ? nd >= 1 && nd <= 3 : linearDims === nd;
    if (!supported) {
      if (linearDims !== undefined && nd >= 1 && nd <= 3)
        throw new ShapeError(
          `Got ${input.ndim}D input, but ${mode} mode needs ${linearDims + 2}D input`,
        );
      throw new ShapeError(
        `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${input.ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ${String(mode)})`,
      );
    }
    if (spatial.some((s) => s <= 0) || outSize.some((s) => !(s > 0))) {
      const names = ['D', 'H', 'W'].slice(3 - nd);
      const list = (v: readonly number[]) => names.map((n, i) => `${n}: ${v[i]}`).join(', ');
      throw new ShapeError(
        nd === 1
          ? `Input and output sizes should be greater than 0, but got input (${list(spatial)}) and output (${list(outSize)})`
          : `Input and output sizes should be greater than 0, but got input (${list(spatial)}) output (${list(outSize)})`,
      );
    }
    let y = input;
    for (let i = 0; i < nd; i++) {
      const dim = 2 + i;
      if (mode === 'nearest') {
        const idx = nearestIndices(spatial[i]!, outSize[i]!, scales[i]!);
        y = indexSelect(y, dim, tensor(idx, { dtype: 'int32', device: y.device }));
      } else if (mode === 'nearest-exact') {
        const idx = nearestExactIndices(spatial[i]!, outSize[i]!, scales[i]!);
        y = indexSelect(y, dim, tensor(idx, { dtype: 'int32', device: y.device }));
      } else if (mode === 'area') {
        y = adaptiveAverage(y, dim, outSize[i]!);
      } else {
        y = linearAlong(y, dim, outSize[i]!, align ?? false, scales[i]!);
      }
    }
    return y;
  });
}

/** F.upsample: the deprecated name of interpolate. */
export const upsample = interpolate;

/** F.upsample_nearest: interpolate with mode 'nearest'. */
export function upsampleNearest(
  input: Tensor,
  opts: Pick<InterpolateOptions, 'size' | 'scaleFactor'>,
): Tensor {
  UPSAMPLE_NEAREST.checkGiven(opts);
  return interpolate(input, { ...opts, mode: 'nearest' });
}

/** F.upsample_bilinear: interpolate with mode 'bilinear' and alignCorners true. */
export function upsampleBilinear(
  input: Tensor,
  opts: Pick<InterpolateOptions, 'size' | 'scaleFactor'>,
): Tensor {
  UPSAMPLE_BILINEAR.checkGiven(opts);
  return interpolate(input, { ...opts, mode: 'bilinear', alignCorners: true });
}
