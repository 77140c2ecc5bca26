// Image transforms in torchvision's manner: compose, toTensor, normalize, randomHorizontalFlip, randomCrop (random ones draw from the library generator).
import { defineOptions } from '../options.js';
import { isFloating } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { tensor } from '../functions/creation.js';
import { div, sub } from '../functions/elementwise.js';
import { flip, indexSelect, narrow, pad } from '../functions/shape_ops.js';
import { defaultGenerator, type Generator } from '../random.js';
import { Tensor } from '../tensor.js';

/** A transform: one sample in, one sample out. */
export type Transform<I = Tensor, O = Tensor> = (input: I) => O;

/** Pixels in row-major [H, W] or [H, W, C] order, one byte per channel (what a PIL image holds). */
export interface RawImage {
  readonly data: ArrayLike<number>;
  readonly shape: readonly [number, number] | readonly [number, number, number];
}

/** The browser's ImageData (RGBA bytes, width x height), or anything shaped like it. */
export interface ImageDataLike {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
}

export interface RandomTransformOptions {
  /** Where the random draws come from (default: the library's global generator). */
  readonly generator?: Generator;
}

/** Chains transforms left to right (torchvision's Compose). */
export function compose<I = Tensor, O = Tensor>(
  transforms: readonly ((input: never) => unknown)[],
): Transform<I, O> {
  const fns = [...transforms] as unknown as ((input: unknown) => unknown)[];
  return (input: I) => fns.reduce<unknown>((x, f) => f(x), input) as O;
}

/**
 * torchvision's ToTensor: bytes [H, W] or [H, W, C] (or an ImageData) become a float32 tensor
 * [C, H, W] with values / 255 in [0, 1]. A tensor passes through unchanged, so the dataset classes
 * (which already hand transforms a tensor) accept torchvision-style pipelines that start with it.
 */
export function toTensor(): Transform<RawImage | ImageDataLike | Tensor, Tensor> {
  return (img) => {
    if (img instanceof Tensor) return img;
    let h: number;
    let w: number;
    let c: number;
    if ('shape' in img) {
      const s: readonly number[] = img.shape;
      if (s.length !== 2 && s.length !== 3) {
        throw new ShapeError(
          `toTensor: expected an image of shape [H, W] or [H, W, C], got [${s.join(', ')}]`,
        );
      }
      [h, w, c] = [s[0]!, s[1]!, s[2] ?? 1];
    } else {
      [h, w] = [img.height, img.width];
      c = h * w === 0 ? 4 : img.data.length / (h * w);
    }
    if (![h, w, c].every((v) => Number.isInteger(v) && v >= 0) || img.data.length !== h * w * c) {
      throw new ShapeError(
        `toTensor: ${img.data.length} values do not fill an image of ${h}x${w}x${c}`,
      );
    }
    const out = new Float32Array(h * w * c);
    const src = img.data;
    const plane = h * w;
    for (let p = 0; p < plane; p++) {
      for (let k = 0; k < c; k++) out[k * plane + p] = src[p * c + k]! / 255;
    }
    return tensor(out).reshape([c, h, w]);
  };
}

function perChannel(values: number | readonly number[], name: string): number[] {
  const arr = typeof values === 'number' ? [values] : [...values];
  if (arr.length === 0) throw new ArgumentError(`normalize: ${name} must not be empty`);
  return arr;
}

/**
 * torchvision's Normalize: (x - mean[c]) / std[c] for each channel c of a float [..., C, H, W]
 * tensor, computed in the tensor's dtype. A single number applies to every channel.
 */
export function normalize(
  mean: number | readonly number[],
  std: number | readonly number[],
): Transform {
  const m = perChannel(mean, 'mean');
  const s = perChannel(std, 'std');
  return (x) => {
    if (!isFloating(x.dtype)) {
      throw new DTypeError(`normalize: input tensor should be a float tensor, got ${x.dtype}`);
    }
    if (x.ndim < 3) {
      throw new ShapeError(
        `normalize: expected a tensor image of size (..., C, H, W), got [${x.shape.join(', ')}]`,
      );
    }
    const meanT = tensor(m, { dtype: x.dtype, device: x.device }).reshape([-1, 1, 1]);
    const stdT = tensor(s, { dtype: x.dtype, device: x.device }).reshape([-1, 1, 1]);
    if (stdT.eq(0).any().item()) {
      throw new ArgumentError(
        `normalize: std evaluated to zero after conversion to ${x.dtype}, leading to division by zero`,
      );
    }
    return div(sub(x, meanT), stdT);
  };
}

const RANDOM_HORIZONTAL_FLIP = defineOptions<RandomTransformOptions>(
  'data.transforms.randomHorizontalFlip',
  { generator: 'object' },
);
const RANDOM_CROP = defineOptions<RandomCropOptions>('data.transforms.randomCrop', {
  generator: 'object',
  padding: ['number', 'array'],
  padIfNeeded: 'boolean',
  fill: 'number',
  paddingMode: 'string',
});

/** torchvision's RandomHorizontalFlip: flips the last dimension when rand() < p (one float32 draw). */
export function randomHorizontalFlip(p = 0.5, opts: RandomTransformOptions = {}): Transform {
  RANDOM_HORIZONTAL_FLIP.checkGiven(opts);
  if (!(p >= 0 && p <= 1))
    throw new ArgumentError(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  const threshold = Math.fround(p);
  return (x) => {
    const gen = opts.generator ?? defaultGenerator;
    return gen.uniform24() < threshold ? flip(x, -1) : x;
  };
}

export type CropPaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

export interface RandomCropOptions extends RandomTransformOptions {
  /** Pixels added before cropping: n (all sides), [leftRight, topBottom] or [left, top, right, bottom]. */
  readonly padding?: number | readonly number[];
  /** Pad images smaller than the crop up to its size. */
  readonly padIfNeeded?: boolean;
  /** The constant padding value (default 0). */
  readonly fill?: number;
  readonly paddingMode?: CropPaddingMode;
}

/** [left, top, right, bottom] from torchvision's padding forms. */
function paddingSides(padding: number | readonly number[]): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding] : [...padding];
  if (!p.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new ArgumentError(
      `randomCrop: padding must be non-negative integers, got ${JSON.stringify(padding)}`,
    );
  }
  if (p.length === 1) return [p[0]!, p[0]!, p[0]!, p[0]!];
  if (p.length === 2) return [p[0]!, p[1]!, p[0]!, p[1]!];
  if (p.length === 4) return [p[0]!, p[1]!, p[2]!, p[3]!];
  throw new ArgumentError(
    `randomCrop: padding must be a number or a list of 1, 2 or 4 numbers, got ${p.length}`,
  );
}

/** Pads the last two dims by [left, top, right, bottom] in one of torchvision's modes. */
function padImage(
  x: Tensor,
  [left, top, right, bottom]: readonly number[],
  mode: CropPaddingMode,
  fill: number,
): Tensor {
  if (mode === 'constant') return pad(x, [left!, right!, top!, bottom!], { value: fill });
  if (mode === 'edge') return pad(x, [left!, right!, top!, bottom!], { mode: 'replicate' });
  if (mode === 'reflect') return pad(x, [left!, right!, top!, bottom!], { mode: 'reflect' });
  // symmetric: reflect including the edge pixel (… 1 0 | 0 1 2 … n-1 | n-1 n-2 …).
  const sym = (size: number, before: number, after: number): number[] => {
    const out: number[] = [];
    for (let i = -before; i < size + after; i++) {
      const period = 2 * size;
      const j = ((i % period) + period) % period;
      out.push(j < size ? j : period - 1 - j);
    }
    return out;
  };
  const h = x.shape[x.ndim - 2]!;
  const w = x.shape[x.ndim - 1]!;
  const rows = indexSelect(x, -2, sym(h, top!, bottom!));
  return indexSelect(rows, -1, sym(w, left!, right!));
}

/**
 * torchvision's RandomCrop on a [..., H, W] tensor: optional padding, then a size[0] x size[1]
 * window whose top row i and left column j are drawn as randint(0, H - h + 1) then
 * randint(0, W - w + 1) (no draws when the image is exactly the crop size).
 */
export function randomCrop(
  size: number | readonly [number, number],
  opts: RandomCropOptions = {},
): Transform {
  RANDOM_CROP.checkGiven(opts);
  const [th, tw] = typeof size === 'number' ? [size, size] : size;
  if (![th, tw].every((v) => Number.isInteger(v) && v > 0)) {
    throw new ArgumentError(
      `randomCrop: size must be positive integers, got ${JSON.stringify(size)}`,
    );
  }
  const sides = opts.padding === undefined ? undefined : paddingSides(opts.padding);
  const mode = opts.paddingMode ?? 'constant';
  const fill = opts.fill ?? 0;
  return (input) => {
    if (input.ndim < 2) {
      throw new ShapeError(
        `randomCrop: expected an image [..., H, W], got [${input.shape.join(', ')}]`,
      );
    }
    let x = input;
    if (sides !== undefined) x = padImage(x, sides, mode, fill);
    if (opts.padIfNeeded) {
      const w0 = x.shape[x.ndim - 1]!;
      if (w0 < tw) x = padImage(x, [tw - w0, 0, tw - w0, 0], mode, fill);
      const h0 = x.shape[x.ndim - 2]!;
      if (h0 < th) x = padImage(x, [0, th - h0, 0, th - h0], mode, fill);
    }
    const h = x.shape[x.ndim - 2]!;
    const w = x.shape[x.ndim - 1]!;
    if (h < th || w < tw) {
      throw new ShapeError(
        `randomCrop: required crop size (${th}, ${tw}) is larger than input image size (${h}, ${w})`,
      );
    }
    if (h === th && w === tw) return x;
    const gen = opts.generator ?? defaultGenerator;
    const i = gen.below(h - th + 1);
    const j = gen.below(w - tw + 1);
    return narrow(narrow(x, -2, i, th), -1, j, tw);
  };
}
