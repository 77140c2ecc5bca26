// nn.Upsample (and UpsamplingNearest2d / UpsamplingBilinear2d): interpolate as a layer.
import { defineOptions, type Spec } from '../../options.js';
import type { Tensor } from '../../tensor.js';
import { interpolate, type InterpolateMode } from '../functional/upsample.js';
import { libraryLayers, Module } from '../module.js';

export interface UpsampleOptions {
  readonly size?: number | readonly number[] | null;
  readonly scaleFactor?: number | readonly number[] | null;
  readonly mode?: InterpolateMode;
  readonly alignCorners?: boolean | null;
  readonly recomputeScaleFactor?: boolean | null;
}

/** Python's str of a float: 2.0, 1.5 (the scale factors PyTorch stores as floats). */
function pyFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

function pyTuple(items: readonly string[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

const UPSAMPLE_SPEC: Spec<UpsampleOptions> = {
  size: ['dims', 'null'],
  scaleFactor: ['number', 'array', 'null'],
  mode: 'string',
  alignCorners: ['boolean', 'null'],
  recomputeScaleFactor: ['boolean', 'null'],
};
type SizeOrScale = Pick<UpsampleOptions, 'size' | 'scaleFactor'>;
const UPSAMPLE = defineOptions<UpsampleOptions>('nn.Upsample', UPSAMPLE_SPEC);
const UPSAMPLING_NEAREST = defineOptions<SizeOrScale>('nn.UpsamplingNearest2d', {
  size: UPSAMPLE_SPEC.size,
  scaleFactor: UPSAMPLE_SPEC.scaleFactor,
});
const UPSAMPLING_BILINEAR = defineOptions<SizeOrScale>('nn.UpsamplingBilinear2d', {
  size: UPSAMPLE_SPEC.size,
  scaleFactor: UPSAMPLE_SPEC.scaleFactor,
});

export class Upsample extends Module {
  readonly size: number | readonly number[] | null;
  readonly scaleFactor: number | readonly number[] | null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;

  constructor(opts?: UpsampleOptions) {
    super();
    UPSAMPLE.check(opts);
    this.size = opts?.size ?? null;
    // NOTE: as PyTorch, a scale factor of 0 counts as none.
    this.scaleFactor = opts?.scaleFactor || null;
    this.mode = opts?.mode ?? 'nearest';
    this.alignCorners = opts?.alignCorners ?? null;
    this.recomputeScaleFactor = opts?.recomputeScaleFactor ?? null;
  }

  forward(input: Tensor): Tensor {
    return interpolate(input, {
      size: this.size,
      scaleFactor: this.scaleFactor,
      mode: this.mode,
      alignCorners: this.alignCorners,
      recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }

  override extraRepr(): string {
    const f = this.scaleFactor;
    const s = this.size;
    const info =
      f !== null
        ? `scale_factor=${typeof f === 'number' ? pyFloat(f) : pyTuple(f.map(pyFloat))}`
        : `size=${s === null ? 'None' : typeof s === 'number' ? String(s) : pyTuple(s.map(String))}`;
    return `${info}, mode=${this.mode}`;
  }
}

/** Upsample with mode 'nearest'. */
export class UpsamplingNearest2d extends Upsample {
  constructor(opts?: Pick<UpsampleOptions, 'size' | 'scaleFactor'>) {
    super({ ...UPSAMPLING_NEAREST.check(opts), mode: 'nearest' });
  }
}

/** Upsample with mode 'bilinear' and alignCorners true. */
export class UpsamplingBilinear2d extends Upsample {
  constructor(opts?: Pick<UpsampleOptions, 'size' | 'scaleFactor'>) {
    super({ ...UPSAMPLING_BILINEAR.check(opts), mode: 'bilinear', alignCorners: true });
  }
}

libraryLayers(Upsample, UpsamplingNearest2d, UpsamplingBilinear2d);
