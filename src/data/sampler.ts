// Samplers: the index orders a DataLoader reads in, drawn as torch.utils.data.sampler draws them.
import { defineOptions } from '../options.js';
import { ArgumentError } from '../errors.js';
import { defaultGenerator, Generator, permutation } from '../random.js';

/** Iterates indices (or batches of indices) and knows how many it yields. */
export abstract class Sampler<T = number> implements Iterable<T> {
  abstract [Symbol.iterator](): Iterator<T>;
  abstract get length(): number;
}

/** Anything with a length: a dataset, an array. */
export interface Sized {
  readonly length: number;
}

/** What the loader accepts as a sampler: a Sampler, an array of indices, or any iterable with a length. */
export type SamplerLike<T = number> = Iterable<T> & { readonly length?: number };

/** @internal The length of a sampler, or an error when it has none. */
export function samplerLength(s: SamplerLike<unknown>): number {
  const n = s.length;
  if (typeof n !== 'number') throw new ArgumentError('this sampler has no length');
  return n;
}

/**
 * `torch.empty((), dtype=torch.int64).random_(generator=gen)`: 64 random bits (two 32-bit draws,
 * the first high) reduced to a non-negative int64. PyTorch draws this for a RandomSampler's seed and
 * for a DataLoader iterator's base seed.
 */
export function randomInt64(gen: Generator): bigint {
  const hi = BigInt(gen.nextUint32());
  const lo = BigInt(gen.nextUint32());
  return ((hi << 32n) | lo) & 0x7fffffffffffffffn;
}

function checkPositiveInt(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ArgumentError(`${what} should be a positive integer value, but got ${what}=${value}`);
  }
}

/** 0, 1, ..., n-1 in order. */
export class SequentialSampler extends Sampler<number> {
  readonly dataSource: Sized;

  constructor(dataSource: Sized) {
    super();
    this.dataSource = dataSource;
  }

  get length(): number {
    return this.dataSource.length;
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    for (let i = 0; i < n; i++) yield i;
  }
}

export interface RandomSamplerOptions {
  /** Draw with replacement (default false: a shuffle). */
  readonly replacement?: boolean;
  /** How many indices to draw (default: the dataset's length). */
  readonly numSamples?: number;
  /**
   * The generator to draw from. Without one, each pass draws a fresh seed from the global
   * generator (as PyTorch 1.13 does), so `manualSeed` fixes the order.
   */
  readonly generator?: Generator;
}

const RANDOM_SAMPLER = defineOptions<RandomSamplerOptions>('data.RandomSampler', {
  replacement: 'boolean',
  numSamples: 'number',
  generator: 'object',
});
const SUBSET_RANDOM_SAMPLER = defineOptions<{ readonly generator?: Generator }>(
  'data.SubsetRandomSampler',
  { generator: 'object' },
);
const WEIGHTED_RANDOM_SAMPLER = defineOptions<WeightedRandomSamplerOptions>(
  'data.WeightedRandomSampler',
  { replacement: 'boolean', generator: 'object' },
);

/**
 * torch's RandomSampler: without replacement, randperm(n) from the generator (repeated when
 * numSamples > n); with replacement, randint(0, n) in blocks of 32. The order is PyTorch's for the
 * same seed.
 */
export class RandomSampler extends Sampler<number> {
  readonly dataSource: Sized;
  readonly replacement: boolean;
  readonly generator: Generator | undefined;
  readonly #numSamples: number | undefined;

  constructor(dataSource: Sized, opts: RandomSamplerOptions = {}) {
    super();
    RANDOM_SAMPLER.checkGiven(opts);
    this.dataSource = dataSource;
    this.replacement = opts.replacement ?? false;
    this.#numSamples = opts.numSamples;
    this.generator = opts.generator;
    if (typeof this.replacement !== 'boolean') {
      throw new ArgumentError(
        `replacement should be a boolean value, but got replacement=${String(this.replacement)}`,
      );
    }
    checkPositiveInt(this.numSamples, 'numSamples');
  }

  /** The number of indices per pass (the dataset's current length unless set). */
  get numSamples(): number {
    return this.#numSamples ?? this.dataSource.length;
  }

  get length(): number {
    return this.numSamples;
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    const gen = this.generator ?? new Generator(randomInt64(defaultGenerator));
    const total = this.numSamples;
    if (this.replacement) {
      for (let b = 0; b < Math.floor(total / 32); b++) {
        for (let k = 0; k < 32; k++) yield gen.below(n);
      }
      for (let k = 0; k < total % 32; k++) yield gen.below(n);
    } else {
      for (let r = 0; r < Math.floor(total / n); r++) yield* permutation(n, gen);
      // PyTorch draws a whole permutation for the last partial pass too (and keeps its head).
      yield* permutation(n, gen).subarray(0, total % n);
    }
  }
}

/** A random order of the given indices: indices[randperm(k)], as torch's SubsetRandomSampler. */
export class SubsetRandomSampler extends Sampler<number> {
  readonly indices: readonly number[];
  readonly generator: Generator | undefined;

  constructor(indices: ArrayLike<number>, opts: { readonly generator?: Generator } = {}) {
    super();
    SUBSET_RANDOM_SAMPLER.checkGiven(opts);
    this.indices = Array.from(indices);
    this.generator = opts.generator;
  }

  get length(): number {
    return this.indices.length;
  }

  *[Symbol.iterator](): Iterator<number> {
    const perm = permutation(this.indices.length, this.generator ?? defaultGenerator);
    for (const i of perm) yield this.indices[i]!;
  }
}

export interface WeightedRandomSamplerOptions {
  /** Draw with replacement (default true). */
  readonly replacement?: boolean;
  readonly generator?: Generator;
}

/**
 * Indices 0..k-1 drawn with probabilities proportional to `weights` (torch.multinomial).
 * With replacement this is PyTorch 1.13's cumulative-distribution search, draw for draw. Without,
 * PyTorch takes the top numSamples of weight / Exp(1) noise; that is reproduced with PyTorch's
 * default exponential sampler, -log(1 - u) (PyTorch builds with MKL draw the noise differently).
 */
export class WeightedRandomSampler extends Sampler<number> {
  readonly weights: Float64Array;
  readonly numSamples: number;
  readonly replacement: boolean;
  readonly generator: Generator | undefined;

  constructor(
    weights: ArrayLike<number>,
    numSamples: number,
    opts: WeightedRandomSamplerOptions = {},
  ) {
    super();
    WEIGHTED_RANDOM_SAMPLER.checkGiven(opts);
    checkPositiveInt(numSamples, 'numSamples');
    const w = Float64Array.from(Array.from(weights));
    let sum = 0;
    for (const v of w) {
      if (!Number.isFinite(v) || v < 0) {
        throw new ArgumentError(
          `invalid multinomial distribution (weights must be finite and >= 0, got ${v})`,
        );
      }
      sum += v;
    }
    if (!(sum > 0))
      throw new ArgumentError('invalid multinomial distribution (sum of probabilities <= 0)');
    this.replacement = opts.replacement ?? true;
    if (!this.replacement) {
      const nonzero = w.reduce((c, v) => c + (v > 0 ? 1 : 0), 0);
      if (numSamples > nonzero) {
        throw new ArgumentError(
          `cannot sample numSamples=${numSamples} > ${nonzero} categories with non-zero weight without replacement`,
        );
      }
    }
    this.weights = w;
    this.numSamples = numSamples;
    this.generator = opts.generator;
  }

  get length(): number {
    return this.numSamples;
  }

  *[Symbol.iterator](): Iterator<number> {
    const gen = this.generator ?? defaultGenerator;
    const w = this.weights;
    const k = w.length;
    if (this.replacement) {
      const cum = new Float64Array(k);
      let sum = 0;
      for (let j = 0; j < k; j++) cum[j] = sum += w[j]!;
      for (let j = 0; j < k; j++) cum[j]! /= sum;
      cum[k - 1] = 1;
      const out: number[] = [];
      for (let s = 0; s < this.numSamples; s++) {
        const u = gen.uniform53();
        let lo = 0;
        let hi = k;
        while (hi - lo > 0) {
          const mid = lo + ((hi - lo) >> 1);
          if (cum[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        out.push(lo);
      }
      yield* out;
      return;
    }
    // Gumbel top-k in PyTorch's form: keys p / q with q ~ Exp(1), q = -log(1 - u).
    const keys = new Float64Array(k);
    for (let j = 0; j < k; j++) keys[j] = w[j]! / -Math.log(1 - gen.uniform53());
    const order = Array.from({ length: k }, (_, j) => j);
    order.sort((a, b) => keys[b]! - keys[a]! || a - b);
    yield* order.slice(0, this.numSamples);
  }
}

/** Groups another sampler's indices into lists of batchSize (the last may be short unless dropLast). */
export class BatchSampler extends Sampler<number[]> {
  readonly sampler: SamplerLike<number>;
  readonly batchSize: number;
  readonly dropLast: boolean;

  constructor(sampler: SamplerLike<number>, batchSize: number, dropLast = false) {
    super();
    checkPositiveInt(batchSize, 'batchSize');
    if (typeof dropLast !== 'boolean') {
      throw new ArgumentError(
        `dropLast should be a boolean value, but got dropLast=${String(dropLast)}`,
      );
    }
    this.sampler = sampler;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
  }

  get length(): number {
    const n = samplerLength(this.sampler);
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const idx of this.sampler) {
      batch.push(idx);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}
