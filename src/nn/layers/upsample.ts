// nn.Upsample (and UpsamplingNearest2d / UpsamplingBilinear2d): interpolate as a layer.
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

export class Upsample extends Module {
  readonly size: number | readonly number[] | null;
  readonly scaleFactor: number | readonly number[] | null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;

  constructor(opts?: UpsampleOptions) {
    super();
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
    super({ ...opts, mode: 'nearest' });
  }
}

/** Upsample with mode 'bilinear' and alignCorners true. */
export class UpsamplingBilinear2d extends Upsample {
  constructor(opts?: Pick<UpsampleOptions, 'size' | 'scaleFactor'>) {
    super({ ...opts, mode: 'bilinear', alignCorners: true });
  }
}

libraryLayers(Upsample, UpsamplingNearest2d, UpsamplingBilinear2d);
