// Datasets: the map-style and iterable-style bases, TensorDataset, Subset, ConcatDataset and randomSplit (torch.utils.data.dataset).
import { defineOptions } from '../options.js';
import { ArgumentError, IndexError, ShapeError } from '../errors.js';
import { defaultCollate } from './collate.js';
import { indexSelect, select } from '../functions/shape_ops.js';
import { defaultGenerator, permutation, type Generator } from '../random.js';
import type { Tensor } from '../tensor.js';

/**
 * A map-style dataset: `length` items, read by index with `get(i)` (PyTorch's `__len__` and
 * `__getitem__`). Subclasses may also offer `getBatch(indices)` returning an already collated batch;
 * the DataLoader uses it instead of `get` + the default collate (TensorDataset does, with one
 * indexSelect per tensor).
 */
export abstract class Dataset<T> implements Iterable<T> {
  abstract get(index: number): T;
  abstract get length(): number;

  /** The items in order, so `for (const item of dataset)` works. */
  *[Symbol.iterator](): Iterator<T> {
    const n = this.length;
    for (let i = 0; i < n; i++) yield this.get(i);
  }
}

/**
 * A dataset that can read a whole batch at once: `getBatch(indices)` must equal
 * `defaultCollate(indices.map((i) => get(i)))`, only faster.
 */
export interface BatchReader {
  getBatch(indices: readonly number[]): unknown;
}

/** @internal Whether `ds` offers getBatch. */
export function hasGetBatch(ds: unknown): ds is BatchReader {
  return typeof (ds as Partial<BatchReader> | null)?.getBatch === 'function';
}

/** What the loader and the dataset helpers accept as a map-style dataset: a Dataset or an array. */
export type DatasetLike<T> = Dataset<T> | readonly T[];

/** @internal `length` of a Dataset or an array. */
export function sizeOf(ds: DatasetLike<unknown>): number {
  return ds.length;
}

/** @internal Item `i` of a Dataset or an array (arrays are checked: no silent `undefined`). */
export function itemAt<T>(ds: DatasetLike<T>, i: number): T {
  if (ds instanceof Dataset) return ds.get(i);
  const arr = ds as readonly T[];
  if (!Number.isInteger(i) || i < 0 || i >= arr.length) {
    throw new IndexError(`index ${i} is out of range for a dataset of length ${arr.length}`);
  }
  return arr[i]!;
}

/** Normalises an index that may count from the end, checking the range. */
function normalizeIndex(index: number, length: number, what: string): number {
  if (!Number.isInteger(index))
    throw new IndexError(`${what}: index must be an integer, got ${index}`);
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) {
    throw new IndexError(`${what}: index ${index} is out of range for length ${length}`);
  }
  return i;
}

/**
 * An iterable-style dataset (a stream): iterate it with `for await`. A subclass implements
 * `[Symbol.asyncIterator]`, and may also implement `[Symbol.iterator]` so that a DataLoader over it
 * can be iterated synchronously. `length`, when known, lets `loader.length` answer.
 */
export abstract class IterableDataset<T> implements AsyncIterable<T> {
  abstract [Symbol.asyncIterator](): AsyncIterator<T>;

  /** The number of items, when known (PyTorch's optional `__len__`). */
  get length(): number | undefined {
    return undefined;
  }

  /** Wraps any iterable or async iterable (a generator function's result is iterated once). */
  static from<T>(
    source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>),
    length?: number,
  ): IterableDataset<T> {
    return new FromIterable(source, length);
  }
}

/** @internal The sync iterator of an IterableDataset, or undefined when it is async only. */
export function syncIteratorOf<T>(ds: IterableDataset<T>): Iterator<T> | undefined {
  const f = (ds as unknown as Partial<Iterable<T>>)[Symbol.iterator];
  return typeof f === 'function' ? f.call(ds) : undefined;
}

class FromIterable<T> extends IterableDataset<T> implements Iterable<T> {
  readonly #source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>);
  readonly #length: number | undefined;

  constructor(
    source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>),
    length: number | undefined,
  ) {
    super();
    this.#source = source;
    this.#length = length;
  }

  override get length(): number | undefined {
    return this.#length;
  }

  #open(): Iterable<T> | AsyncIterable<T> {
    return typeof this.#source === 'function' ? this.#source() : this.#source;
  }

  [Symbol.iterator](): Iterator<T> {
    const src = this.#open();
    if (!(Symbol.iterator in src)) {
      throw new ArgumentError(
        'this IterableDataset is asynchronous: iterate it (or its DataLoader) with for await',
      );
    }
    return src[Symbol.iterator]();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const src = this.#open();
    if (Symbol.asyncIterator in src) return src[Symbol.asyncIterator]();
    const it = src[Symbol.iterator]();
    return {
      next: () => Promise.resolve(it.next()),
      return: (value?: unknown) =>
        Promise.resolve(it.return?.(value) ?? { done: true as const, value: undefined }),
    };
  }
}

/** Rows of equally long tensors: item i is `[t0[i], t1[i], ...]` (views), like torch's TensorDataset. */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new ArgumentError('TensorDataset needs at least one tensor');
    const n = tensors[0]!.ndim === 0 ? -1 : tensors[0]!.shape[0]!;
    for (const t of tensors) {
      if (t.ndim === 0 || t.shape[0] !== n) {
        throw new ShapeError(
          `Size mismatch between tensors: TensorDataset needs tensors with the same first dimension, got shapes ${tensors.map((x) => `[${x.shape.join(', ')}]`).join(', ')}`,
        );
      }
    }
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  get(index: number): Tensor[] {
    const i = normalizeIndex(index, this.length, 'TensorDataset');
    return this.tensors.map((t) => select(t, 0, i));
  }

  /** The collated batch for these indices: one indexSelect per tensor (same values as stacking rows). */
  getBatch(indices: readonly number[]): Tensor[] {
    const n = this.length;
    const idx = indices.map((i) => normalizeIndex(i, n, 'TensorDataset'));
    return this.tensors.map((t) => indexSelect(t, 0, idx));
  }
}

/** The items of `dataset` at `indices`, in that order (torch's Subset). */
export class Subset<T> extends Dataset<T> {
  readonly dataset: DatasetLike<T>;
  readonly indices: readonly number[];

  constructor(dataset: DatasetLike<T>, indices: ArrayLike<number>) {
    super();
    this.dataset = dataset;
    this.indices = Array.from(indices);
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T {
    const i = normalizeIndex(index, this.indices.length, 'Subset');
    return itemAt(this.dataset, this.indices[i]!);
  }

  /** A collated batch: the wrapped dataset's getBatch when it has one, else the default collate. */
  getBatch(indices: readonly number[]): unknown {
    const n = this.indices.length;
    const mapped = indices.map((i) => this.indices[normalizeIndex(i, n, 'Subset')]!);
    if (hasGetBatch(this.dataset)) return this.dataset.getBatch(mapped);
    return defaultCollate(mapped.map((i) => itemAt(this.dataset, i)));
  }
}

/** Several datasets one after another (torch's ConcatDataset). */
export class ConcatDataset<T> extends Dataset<T> {
  readonly datasets: readonly DatasetLike<T>[];
  /** Running totals of the lengths: cumulativeSizes[k] = items in datasets 0..k. */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: Iterable<DatasetLike<T>>) {
    super();
    this.datasets = [...datasets];
    if (this.datasets.length === 0) {
      throw new ArgumentError('datasets should not be an empty iterable');
    }
    let total = 0;
    this.cumulativeSizes = this.datasets.map((d) => {
      if (d instanceof IterableDataset) {
        throw new ArgumentError('ConcatDataset does not support IterableDataset');
      }
      total += sizeOf(d);
      return total;
    });
  }

  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1]!;
  }

  get(index: number): T {
    const i = normalizeIndex(index, this.length, 'ConcatDataset');
    // bisect_right: the first dataset whose running total exceeds i.
    let lo = 0;
    let hi = this.cumulativeSizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulativeSizes[mid]! <= i) lo = mid + 1;
      else hi = mid;
    }
    const offset = lo === 0 ? 0 : this.cumulativeSizes[lo - 1]!;
    return itemAt(this.datasets[lo]!, i - offset);
  }
}

export interface RandomSplitOptions {
  /** The generator the permutation is drawn from (default: the library's global generator). */
  readonly generator?: Generator;
}

/** Python's math.isclose(a, b) with its default relative tolerance. */
function isClose(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * torch.utils.data.random_split: non-overlapping random subsets of the given lengths. Fractions
 * summing to 1 become floor(fraction * n) items each, the remainder handed out one by one from the
 * first split on. The split is consecutive slices of randperm(n) drawn from the generator, so the
 * same seed gives PyTorch's split.
 */
const RANDOM_SPLIT = defineOptions<RandomSplitOptions>('data.randomSplit', {
  generator: 'object',
});

export function randomSplit<T>(
  dataset: DatasetLike<T>,
  lengths: readonly number[],
  opts?: RandomSplitOptions,
): Subset<T>[] {
  RANDOM_SPLIT.check(opts);
  const n = sizeOf(dataset);
  let total = 0;
  for (const l of lengths) total += l; // Python's left-to-right float sum
  let sizes: number[];
  if (isClose(total, 1) && total <= 1) {
    sizes = lengths.map((frac, i) => {
      if (!(frac >= 0 && frac <= 1)) {
        throw new ArgumentError(`Fraction at index ${i} is not between 0 and 1`);
      }
      return Math.floor(n * frac);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length]! += 1;
  } else {
    sizes = lengths.map((l, i) => {
      if (!Number.isInteger(l) || l < 0) {
        throw new ArgumentError(
          `randomSplit: length at index ${i} must be a non-negative integer (or all lengths fractions summing to 1), got ${l}`,
        );
      }
      return l;
    });
  }
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum !== n) {
    throw new ArgumentError(
      `Sum of input lengths does not equal the length of the input dataset! (${sum} vs ${n})`,
    );
  }
  const perm = permutation(sum, opts?.generator ?? defaultGenerator);
  const out: Subset<T>[] = [];
  let offset = 0;
  for (const len of sizes) {
    out.push(new Subset(dataset, perm.subarray(offset, offset + len)));
    offset += len;
  }
  return out;
}
