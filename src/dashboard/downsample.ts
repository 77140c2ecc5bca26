// The dashboard's downsampler: a reservoir sample of a series (TensorBoard's), so that a long run keeps at most a fixed number of points per series.
import { ArgumentError } from '../errors.js';
import { Generator } from '../random.js';

/** How many points the dashboard keeps per series, as TensorBoard keeps per scalar tag. */
export const MAX_POINTS = 1000;

/**
 * A uniform random sample of at most `capacity` items of a stream, kept in arrival order, that
 * always holds the latest item (TensorBoard's reservoir): the first `capacity` items are kept;
 * then the n-th item replaces a random kept one with probability capacity/n (the kept ones after
 * it move up one place, so the order stays), or else takes the last place. Seeded, so the same
 * stream gives the same sample.
 */
export class Reservoir<T> {
  readonly capacity: number;
  readonly #items: T[] = [];
  readonly #gen: Generator;
  #seen = 0;

  constructor(capacity: number = MAX_POINTS, seed = 0) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new ArgumentError(`Reservoir: capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#gen = new Generator(seed);
  }

  /** The kept items, oldest first. */
  get items(): readonly T[] {
    return this.#items;
  }

  /** How many items were added in all. */
  get seen(): number {
    return this.#seen;
  }

  add(item: T): void {
    this.#seen++;
    if (this.#items.length < this.capacity) {
      this.#items.push(item);
      return;
    }
    // NOTE: r in [0, seen): item n is in the sample with probability capacity/n, as in Vitter's
    // algorithm R; when it is not drawn it still replaces the last place, so the newest is kept.
    const r = this.#gen.below(this.#seen);
    if (r < this.capacity) {
      this.#items.splice(r, 1);
      this.#items.push(item);
    } else {
      this.#items[this.#items.length - 1] = item;
    }
  }

  /** Drops the kept items that `drop` selects (a resumed run replaces the steps after its checkpoint). */
  removeWhere(drop: (item: T) => boolean): void {
    const kept = this.#items.filter((x) => !drop(x));
    this.#items.length = 0;
    this.#items.push(...kept);
  }
}

/** At most `max` of `items`, in order, by a reservoir over them (all of them when they fit). */
export function downsample<T>(items: readonly T[], max: number = MAX_POINTS, seed = 0): T[] {
  const r = new Reservoir<T>(max, seed);
  for (const x of items) r.add(x);
  return [...r.items];
}
