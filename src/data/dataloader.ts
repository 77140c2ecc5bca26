// DataLoader: batches of a dataset in sampler order, iterated with for...of or, with batches prepared ahead, for await.
import { ArgumentError, OptionError } from '../errors.js';
import { argsOrOptions, defineOptions } from '../options.js';
import { defaultGenerator, type Generator } from '../random.js';
import { defaultCollate, defaultConvert, type Collated } from './collate.js';
import {
  hasGetBatch,
  itemAt,
  IterableDataset,
  sizeOf,
  syncIteratorOf,
  type DatasetLike,
} from './dataset.js';
import {
  BatchSampler,
  randomInt64,
  RandomSampler,
  samplerLength,
  SequentialSampler,
  type SamplerLike,
} from './sampler.js';

export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1); `null` turns automatic batching off (items one by one). */
  readonly batchSize?: number | null;
  /** Reshuffle every epoch (a RandomSampler over the loader's generator). Default false. */
  readonly shuffle?: boolean;
  /** The order of indices (exclusive with shuffle). */
  readonly sampler?: SamplerLike<number>;
  /** Lists of indices, one per batch (exclusive with batchSize, shuffle, sampler, dropLast). */
  readonly batchSampler?: SamplerLike<readonly number[]>;
  /** Drop the last batch when it is short. Default false. */
  readonly dropLast?: boolean;
  /** Merges a list of samples into a batch (default: defaultCollate; with batchSize null it gets one item). */
  readonly collateFn?: (batch: T[]) => B;
  /** The generator for shuffling and the per-iterator base seed (default: the global generator). */
  readonly generator?: Generator;
  /** Batches prepared ahead during `for await` (default 2; 0 prepares each on demand). */
  readonly prefetch?: number;
}

type Step<B> = IteratorResult<B, undefined>;
const DONE: Step<never> = { done: true, value: undefined };

const DATA_LOADER = defineOptions<DataLoaderOptions<unknown, unknown>>('data.DataLoader', {
  batchSize: ['integer', 'null'],
  shuffle: 'boolean',
  sampler: ['object', 'array'],
  batchSampler: ['object', 'array'],
  dropLast: 'boolean',
  collateFn: 'function',
  generator: 'object',
  prefetch: 'integer',
});

/**
 * torch.utils.data.DataLoader (single process). Iterating draws the iterator's base seed from the
 * generator (64 bits, as PyTorch does) and then the sampler's order, so with the same seed the
 * shuffled batches are PyTorch's. `for (const batch of loader)` reads batches on demand;
 * `for await (const batch of loader)` keeps `prefetch` batches prepared ahead, each built in its
 * own event-loop task so that the page or server stays responsive.
 */
export class DataLoader<T, B = Collated<Awaited<T>>> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: DatasetLike<T> | IterableDataset<T>;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  /** The index order (undefined for an IterableDataset). */
  readonly sampler: SamplerLike<number> | undefined;
  /** The batches of indices (undefined when batching is off or the dataset is iterable). */
  readonly batchSampler: SamplerLike<readonly number[]> | undefined;
  readonly collateFn: (batch: T[]) => B;
  readonly prefetch: number;
  readonly #generator: Generator | undefined;
  readonly #defaultCollate: boolean;

  /** DataLoader(dataset, { batchSize, shuffle, ... }), or DataLoader(dataset, batchSize) as PyTorch. */
  constructor(
    dataset: DatasetLike<T> | IterableDataset<T>,
    batchSizeOrOpts: number | null | DataLoaderOptions<T, B> = {},
    shuffleArg?: boolean,
    samplerArg?: SamplerLike<number>,
    batchSamplerArg?: SamplerLike<readonly number[]>,
    ...rest: readonly never[]
  ) {
    // NOTE: PyTorch's positionals are batch_size, shuffle, sampler, batch_sampler, num_workers, ...;
    // nabla takes the first four and refuses the rest (no worker processes) rather than drop them.
    if (rest.length > 0) {
      throw new OptionError(
        'data.DataLoader(): only batchSize, shuffle, sampler and batchSampler may be given positionally',
      );
    }
    const keys = ['batchSize', 'shuffle', 'sampler', 'batchSampler'] as const;
    const args = [batchSizeOrOpts, shuffleArg, samplerArg, batchSamplerArg];
    const opts = argsOrOptions(DATA_LOADER, keys, args, undefined) as DataLoaderOptions<T, B>;
    this.dataset = dataset;
    const iterable = dataset instanceof IterableDataset;
    let batchSize = opts.batchSize === undefined ? 1 : opts.batchSize;
    let dropLast = opts.dropLast ?? false;
    let sampler = opts.sampler;
    let batchSampler = opts.batchSampler;
    const shuffle = opts.shuffle ?? false;
    if (iterable) {
      if (shuffle) {
        throw new ArgumentError(
          `DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${shuffle}`,
        );
      }
      if (sampler !== undefined) {
        throw new ArgumentError(
          'DataLoader with IterableDataset: expected unspecified sampler option',
        );
      }
      if (batchSampler !== undefined) {
        throw new ArgumentError(
          'DataLoader with IterableDataset: expected unspecified batchSampler option',
        );
      }
    }
    if (sampler !== undefined && shuffle) {
      throw new ArgumentError('sampler option is mutually exclusive with shuffle');
    }
    if (batchSampler !== undefined) {
      if (
        (opts.batchSize !== undefined && opts.batchSize !== 1) ||
        shuffle ||
        sampler !== undefined ||
        dropLast
      ) {
        throw new ArgumentError(
          'batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast',
        );
      }
      batchSize = null;
      dropLast = false;
    } else if (batchSize === null) {
      if (dropLast) {
        throw new ArgumentError(
          'batchSize=null option disables auto-batching and is mutually exclusive with dropLast',
        );
      }
    } else if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new ArgumentError(
        `batchSize should be a positive integer value, but got batchSize=${batchSize}`,
      );
    }
    const prefetch = opts.prefetch ?? 2;
    if (!Number.isInteger(prefetch) || prefetch < 0) {
      throw new ArgumentError(`prefetch should be a non-negative integer, but got ${prefetch}`);
    }
    if (!iterable && sampler === undefined) {
      const ds = dataset as DatasetLike<T>;
      const sized = {
        get length() {
          return sizeOf(ds);
        },
      };
      sampler = shuffle
        ? new RandomSampler(sized, opts.generator ? { generator: opts.generator } : {})
        : new SequentialSampler(sized);
    }
    if (!iterable && batchSize !== null && batchSampler === undefined) {
      batchSampler = new BatchSampler(sampler!, batchSize, dropLast);
    }
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.sampler = sampler;
    this.batchSampler = batchSampler;
    this.#generator = opts.generator;
    this.#defaultCollate = opts.collateFn === undefined;
    this.collateFn =
      opts.collateFn ??
      ((this.#autoCollation ? defaultCollate : defaultConvert) as unknown as (batch: T[]) => B);
    this.prefetch = prefetch;
  }

  /** Whether samples are gathered into batches (batchSize or batchSampler given). */
  get #autoCollation(): boolean {
    return (
      this.batchSampler !== undefined ||
      (this.dataset instanceof IterableDataset && this.batchSize !== null)
    );
  }

  /**
   * The generator that orders the epochs: the one given, else the library's global generator.
   * Saving its state before an epoch and restoring it later replays that epoch's order.
   */
  get generator(): Generator {
    return this.#generator ?? defaultGenerator;
  }

  /** The number of batches per epoch (for an IterableDataset, from its length when it has one). */
  get length(): number {
    if (this.dataset instanceof IterableDataset) {
      const n = this.dataset.length;
      if (n === undefined) {
        throw new ArgumentError('this DataLoader has no length: its IterableDataset has none');
      }
      if (this.batchSize === null) return n;
      return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    return samplerLength(this.batchSampler ?? this.sampler!);
  }

  /** Reads the next batch (or item) synchronously; draws the base seed first, as PyTorch does. */
  [Symbol.iterator](): DataLoaderIterator<B> {
    const baseSeed = randomInt64(this.generator);
    if (this.dataset instanceof IterableDataset) {
      const it = syncIteratorOf(this.dataset);
      if (it === undefined) {
        throw new ArgumentError(
          'this IterableDataset is asynchronous: iterate the DataLoader with for await',
        );
      }
      return new DataLoaderIterator(
        baseSeed,
        this.#iterableFetcher(() => it.next()),
        () => it.return?.(),
      );
    }
    return new DataLoaderIterator(baseSeed, this.#mapFetcher(), undefined);
  }

  /** Iterates with `prefetch` batches prepared ahead, each in its own event-loop task. */
  [Symbol.asyncIterator](): DataLoaderAsyncIterator<B> {
    const baseSeed = randomInt64(this.generator);
    if (this.dataset instanceof IterableDataset) {
      const it = this.dataset[Symbol.asyncIterator]();
      const fetch = this.#iterableFetcherAsync(it);
      return new DataLoaderAsyncIterator(baseSeed, fetch, this.prefetch, async () => {
        await it.return?.();
      });
    }
    const fetch = this.#mapFetcherAsync();
    return new DataLoaderAsyncIterator(baseSeed, fetch, this.prefetch, undefined);
  }

  /**
   * The raw batches of a map-style dataset: indices from the (batch) sampler, then get (or
   * getBatch, already collated); null at the end.
   */
  #mapReader(): () => { readonly items: unknown[] } | { readonly batch: B } | null {
    const ds = this.dataset as DatasetLike<T>;
    if (this.batchSampler !== undefined) {
      const batches = this.batchSampler[Symbol.iterator]();
      const fast = this.#defaultCollate && hasGetBatch(ds);
      return () => {
        const r = batches.next();
        if (r.done) return null;
        if (fast) return { batch: ds.getBatch(r.value) as B };
        return { items: readItems(ds, r.value) };
      };
    }
    const indices = this.sampler![Symbol.iterator]();
    return () => {
      const r = indices.next();
      return r.done ? null : { items: readItems(ds, [r.value]) };
    };
  }

  /** Collates a batch's items (or converts the one item when batching is off). */
  #collate(items: unknown[]): B {
    if (this.batchSampler !== undefined) return this.collateFn(items as T[]);
    return (this.collateFn as unknown as (item: unknown) => B)(items[0]);
  }

  /** Batches from a map-style dataset, read synchronously: an asynchronous get() is an error. */
  #mapFetcher(): () => Step<B> {
    const read = this.#mapReader();
    return () => {
      const r = read();
      if (r === null) return DONE;
      if ('batch' in r) return { done: false, value: r.batch };
      if (r.items.some(isThenable)) {
        handled(r.items);
        throw new ArgumentError(
          "the dataset's get() returned a Promise: iterate the DataLoader with for await",
        );
      }
      return { done: false, value: this.#collate(r.items) };
    };
  }

  /**
   * Batches from a map-style dataset for for await: a get() that returns a promise is awaited,
   * and a rejection is thrown at its batch (the first in index order), as a synchronous throw is.
   */
  #mapFetcherAsync(): () => Promise<Step<B>> {
    const read = this.#mapReader();
    return async () => {
      const r = read();
      if (r === null) return DONE;
      if ('batch' in r) return { done: false, value: r.batch };
      if (!r.items.some(isThenable)) return { done: false, value: this.#collate(r.items) };
      const settled = await Promise.allSettled(r.items);
      const items = settled.map((s) => {
        if (s.status === 'rejected') throw s.reason;
        return s.value;
      });
      return { done: false, value: this.#collate(items) };
    };
  }

  /** Batches from a synchronous stream: batchSize items (fewer at the end unless dropLast). */
  #iterableFetcher(next: () => IteratorResult<T>): () => Step<B> {
    let ended = false;
    const size = this.batchSize;
    return () => {
      if (ended) return DONE;
      if (size === null) {
        const r = next();
        if (r.done) {
          ended = true;
          return DONE;
        }
        return { done: false, value: (this.collateFn as unknown as (item: T) => B)(r.value) };
      }
      const items: T[] = [];
      while (items.length < size) {
        const r = next();
        if (r.done) {
          ended = true;
          break;
        }
        items.push(r.value);
      }
      if (items.length === 0 || (this.dropLast && items.length < size)) return DONE;
      return { done: false, value: this.collateFn(items) };
    };
  }

  #iterableFetcherAsync(it: AsyncIterator<T>): () => Promise<Step<B>> {
    let ended = false;
    const size = this.batchSize;
    return async () => {
      if (ended) return DONE;
      const items: T[] = [];
      const want = size ?? 1;
      while (items.length < want) {
        const r = await it.next();
        if (r.done) {
          ended = true;
          break;
        }
        items.push(r.value);
      }
      if (size === null) {
        if (items.length === 0) return DONE;
        return { done: false, value: (this.collateFn as unknown as (item: T) => B)(items[0]!) };
      }
      if (items.length === 0 || (this.dropLast && items.length < size)) return DONE;
      return { done: false, value: this.collateFn(items) };
    };
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    x !== null &&
    (typeof x === 'object' || typeof x === 'function') &&
    typeof (x as { then?: unknown }).then === 'function'
  );
}

/** Marks the promises among `items` as handled: an error is reported instead of their rejection. */
function handled(items: readonly unknown[]): void {
  for (const x of items) {
    if (isThenable(x)) x.then(undefined, () => undefined);
  }
}

/** dataset.get(i) for each index; a get() that throws leaves no earlier promise unhandled. */
function readItems<T>(ds: DatasetLike<T>, indices: readonly number[]): unknown[] {
  const items: unknown[] = [];
  try {
    for (const i of indices) items.push(itemAt(ds, i));
  } catch (e) {
    handled(items);
    throw e;
  }
  return items;
}

/** One synchronous pass over a DataLoader. */
export class DataLoaderIterator<B> implements IterableIterator<B> {
  /** The 64-bit seed PyTorch draws per iterator (it seeds worker processes there). */
  readonly baseSeed: bigint;
  readonly #fetch: () => Step<B>;
  readonly #close: (() => void) | undefined;
  #done = false;

  /** @internal */
  constructor(baseSeed: bigint, fetch: () => Step<B>, close: (() => void) | undefined) {
    this.baseSeed = baseSeed;
    this.#fetch = fetch;
    this.#close = close;
  }

  next(): IteratorResult<B, undefined> {
    if (this.#done) return DONE;
    let r: Step<B>;
    try {
      r = this.#fetch();
    } catch (e) {
      this.#done = true;
      throw e;
    }
    if (r.done) this.#done = true;
    return r;
  }

  return(): IteratorResult<B, undefined> {
    if (!this.#done) {
      this.#done = true;
      this.#close?.();
    }
    return DONE;
  }

  [Symbol.iterator](): this {
    return this;
  }
}

type Settled<B> =
  { readonly ok: true; readonly step: Step<B> } | { readonly ok: false; readonly error: unknown };

interface PortLike {
  onmessage: (() => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

interface Scheduler {
  setImmediate?: (cb: () => void) => unknown;
}

/**
 * Resolves in a later event-loop task (a macrotask, not a microtask), so that timers, I/O and
 * rendering get their turn: setImmediate in Node, a MessageChannel in browsers, else setTimeout.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const g = globalThis as Scheduler;
    if (typeof g.setImmediate === 'function') {
      g.setImmediate(resolve);
    } else if (typeof MessageChannel === 'function') {
      const ch = new MessageChannel() as unknown as { port1: PortLike; port2: PortLike };
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    } else {
      setTimeout(resolve, 0);
    }
  });
}

/**
 * One asynchronous pass over a DataLoader with a prefetch queue: after each batch is handed out,
 * batches are prepared (in order, one per event-loop task) until `prefetch` wait ahead of the
 * consumer. Errors surface at the batch that failed; breaking out of the loop stops preparation.
 */
export class DataLoaderAsyncIterator<B> implements AsyncIterableIterator<B> {
  /** The 64-bit seed PyTorch draws per iterator. */
  readonly baseSeed: bigint;
  readonly prefetch: number;
  readonly #fetch: () => Step<B> | Promise<Step<B>>;
  readonly #close: (() => Promise<void>) | undefined;
  #queue: Promise<Settled<B>>[] = [];
  #tail: Promise<unknown> = Promise.resolve();
  #ready = 0;
  #exhausted = false;
  #closed = false;

  /** @internal */
  constructor(
    baseSeed: bigint,
    fetch: () => Step<B> | Promise<Step<B>>,
    prefetch: number,
    close: (() => Promise<void>) | undefined,
  ) {
    this.baseSeed = baseSeed;
    this.#fetch = fetch;
    this.prefetch = prefetch;
    this.#close = close;
  }

  /** Batches scheduled ahead of the consumer (prepared or being prepared); at most `prefetch`. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Of the queued batches, how many are prepared and waiting. */
  get ready(): number {
    return this.#ready;
  }

  #schedule(deferred: boolean): void {
    const p: Promise<Settled<B>> = this.#tail.then(async (): Promise<Settled<B>> => {
      if (deferred) await nextTask();
      if (this.#closed || this.#exhausted) return { ok: true, step: DONE };
      try {
        const step = await this.#fetch();
        if (step.done) this.#exhausted = true;
        return { ok: true, step };
      } catch (error) {
        this.#exhausted = true;
        return { ok: false, error };
      } finally {
        if (!this.#closed) this.#ready++;
      }
    });
    this.#tail = p;
    this.#queue.push(p);
  }

  async next(): Promise<IteratorResult<B, undefined>> {
    if (this.#closed) return DONE;
    if (this.#queue.length === 0) this.#schedule(false);
    const head = this.#queue.shift()!;
    // Keep `prefetch` batches in preparation behind the one handed out now.
    if (!this.#exhausted) {
      while (this.#queue.length < this.prefetch) this.#schedule(true);
    }
    const settled = await head;
    if (this.#closed) return DONE;
    this.#ready--;
    if (!settled.ok) {
      await this.return();
      throw settled.error;
    }
    if (settled.step.done) await this.return();
    return settled.step;
  }

  async return(): Promise<IteratorResult<B, undefined>> {
    if (!this.#closed) {
      this.#closed = true;
      this.#queue = [];
      this.#ready = 0;
      await this.#tail;
      await this.#close?.();
    }
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
