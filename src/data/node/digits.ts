// The 8x8 handwritten digits (Node only): 1,797 images shipped in the package as data/digits/digits.csv.gz.
import { defineOptions } from '../../options.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError, DataError } from '../../errors.js';
import { fromArray } from '../../functions/creation.js';
import type { Tensor } from '../../tensor.js';
import { defaultCollate } from '../collate.js';
import { Dataset } from '../dataset.js';
import { maybeGunzip } from './idx.js';
import { parseDigitsCsv } from '../digits_csv.js';

const RELATIVE = join('data', 'digits', 'digits.csv.gz');

/**
 * The shipped digits file: `data/digits/digits.csv.gz` at the package root, three levels above this
 * module both in the repository (src/data/node/) and in the build (dist/data/node/); when bundling
 * moved the module, the directories above it are searched.
 */
export function digitsPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  const direct = join(dir, '..', '..', '..', RELATIVE);
  if (existsSync(direct)) return direct;
  for (;;) {
    const p = join(dir, RELATIVE);
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new DataError(`Digits: cannot find ${RELATIVE} near ${fileURLToPath(import.meta.url)}`);
}

export interface DigitsOptions<X = Tensor, Y = number> {
  /** Another copy of digits.csv(.gz) (64 pixel values and a label per line). */
  readonly path?: string;
  /** 'flat' (default): float32 [64]; 'image': float32 [1, 8, 8]. */
  readonly shape?: 'flat' | 'image';
  /** Divide the pixels (0..16) by 16 so they lie in [0, 1] (default true). */
  readonly scale?: boolean;
  readonly transform?: (features: Tensor) => X;
  readonly targetTransform?: (label: number) => Y;
}

const DIGITS = defineOptions<DigitsOptions<unknown, unknown>>('data.Digits', {
  path: 'string',
  shape: 'string',
  scale: 'boolean',
  transform: 'function',
  targetTransform: 'function',
});

/**
 * The optical-recognition digits (sklearn's load_digits): 1,797 images of 8 x 8 pixels, labels
 * 0..9. Item i is [features, label], the features float32 [64] (or [1, 8, 8]) scaled to [0, 1].
 */
export class Digits<X = Tensor, Y = number> extends Dataset<[X, Y]> {
  static readonly classes: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

  /** All pixels, 64 per image, as configured (scaled or 0..16). */
  readonly features: Float32Array;
  /** All labels. */
  readonly targets: Int32Array;
  readonly itemShape: readonly number[];
  readonly #transform: ((features: Tensor) => X) | undefined;
  readonly #targetTransform: ((label: number) => Y) | undefined;

  constructor(opts: DigitsOptions<X, Y> = {}) {
    super();
    DIGITS.checkGiven(opts);
    const path = opts.path ?? digitsPath();
    let text: string;
    try {
      text = new TextDecoder().decode(maybeGunzip(readFileSync(path), path));
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(`Digits: cannot read ${path} (${(e as Error).message})`);
    }
    const parsed = parseDigitsCsv(text, path, (opts.scale ?? true) ? 1 / 16 : 1);
    this.features = parsed.features;
    this.targets = parsed.targets;
    const shape = opts.shape ?? 'flat';
    if (shape !== 'flat' && shape !== 'image') {
      throw new ArgumentError(`Digits: shape must be 'flat' or 'image', got ${String(shape)}`);
    }
    this.itemShape = shape === 'flat' ? [64] : [1, 8, 8];
    this.#transform = opts.transform;
    this.#targetTransform = opts.targetTransform;
  }

  get length(): number {
    return this.targets.length;
  }

  #check(index: number): number {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new ArgumentError(`Digits: index ${index} is out of range for length ${n}`);
    }
    return index < 0 ? index + n : index;
  }

  get(index: number): [X, Y] {
    const i = this.#check(index);
    const x = fromArray(this.features.subarray(i * 64, i * 64 + 64), this.itemShape, 'float32');
    const y = this.targets[i]!;
    return [
      this.#transform ? this.#transform(x) : (x as X),
      this.#targetTransform ? this.#targetTransform(y) : (y as Y),
    ];
  }

  /** [features [B, ...itemShape], labels int32 [B]] in one pass when there are no transforms. */
  getBatch(indices: readonly number[]): unknown {
    if (this.#transform !== undefined || this.#targetTransform !== undefined) {
      return defaultCollate(indices.map((i) => this.get(i)));
    }
    const x = new Float32Array(indices.length * 64);
    const y = new Int32Array(indices.length);
    indices.forEach((index, b) => {
      const i = this.#check(index);
      x.set(this.features.subarray(i * 64, i * 64 + 64), b * 64);
      y[b] = this.targets[i]!;
    });
    return [
      fromArray(x, [indices.length, ...this.itemShape], 'float32'),
      fromArray(y, [indices.length], 'int32'),
    ];
  }

  /** The whole set as two tensors: features [1797, ...itemShape] and labels int32 [1797]. */
  tensors(): [Tensor, Tensor] {
    return [
      fromArray(this.features, [this.length, ...this.itemShape], 'float32'),
      fromArray(this.targets, [this.length], 'int32'),
    ];
  }
}
