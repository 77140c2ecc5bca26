// DataLoader: batching, dropLast, PyTorch's shuffle order, generator state replay, sync and async iteration, the prefetch queue, collate.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  Generator,
  manualSeed,
  rand,
  tensor,
  type Tensor,
} from '../../src/index.js';
import {
  BatchSampler,
  DataLoader,
  Dataset,
  defaultCollate,
  defaultConvert,
  IterableDataset,
  randomSplit,
  SequentialSampler,
  TensorDataset,
} from '../../src/data/index.js';

interface LoaderCase {
  n: number;
  batchSize: number;
  seed: number;
  dropLast: boolean;
  global: boolean;
  epochs: number[][][];
  after?: number[];
}
const golden = (
  JSON.parse(readFileSync(new URL('../fixtures/data_golden.json', import.meta.url), 'utf8')) as {
    cases: { dataLoader: LoaderCase[] };
  }
).cases;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const lists = (batches: Iterable<Tensor>) => [...batches].map((b) => b.tolist());

/** Counts reads, to watch what the loader fetches and when. */
class Counting extends Dataset<number> {
  reads: number[] = [];
  constructor(readonly n: number) {
    super();
  }
  get length() {
    return this.n;
  }
  get(i: number) {
    this.reads.push(i);
    return i;
  }
}

const tick = () => new Promise<void>((r) => setTimeout(r, 5));

describe('batching', () => {
  it('batches in order, the last short unless dropLast', () => {
    expect(lists(new DataLoader(range(7), { batchSize: 3 }))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const dl = new DataLoader(range(7), { batchSize: 3, dropLast: true });
    expect(lists(dl)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(dl.length).toBe(2);
    expect(new DataLoader(range(7), { batchSize: 3 }).length).toBe(3);
    expect(new DataLoader(range(7)).length).toBe(7);
  });

  it('stacks TensorDataset rows (through getBatch) into [B, ...] tensors', () => {
    const x = tensor(range(12)).reshape([6, 2]);
    const y = tensor(range(6), { dtype: 'int32' });
    const dl = new DataLoader(new TensorDataset(x, y), { batchSize: 4 });
    const batches = [...dl];
    expect(batches.length).toBe(2);
    expect(batches[0]![0]!.shape).toEqual([4, 2]);
    expect(batches[1]![0]!.tolist()).toEqual([
      [8, 9],
      [10, 11],
    ]);
    expect(batches[1]![1]!.dtype).toBe('int32');
    // A custom collate sees the rows themselves.
    const custom = new DataLoader(new TensorDataset(x, y), {
      batchSize: 4,
      collateFn: (rows) => rows.length,
    });
    expect([...custom]).toEqual([4, 2]);
  });

  it('Subsets of a TensorDataset batch like the rows they pick', () => {
    const x = tensor(range(10));
    const [a] = randomSplit(new TensorDataset(x), [6, 4], { generator: new Generator(1) });
    const viaBatch = [...new DataLoader(a!, { batchSize: 6 })][0] as Tensor[];
    expect(viaBatch[0]!.tolist()).toEqual([...a!].map((row) => row[0]!.item()));
  });

  it('batchSize null yields items one by one (default_convert)', () => {
    const dl = new DataLoader<number | Float32Array, unknown>([1, new Float32Array([2, 3])], {
      batchSize: null,
    });
    const items = [...dl];
    expect(items[0]).toBe(1);
    expect((items[1] as Tensor).tolist()).toEqual([2, 3]);
    expect(dl.length).toBe(2);
  });

  it('takes a sampler or a batchSampler', () => {
    expect(lists(new DataLoader(range(5), { sampler: [4, 3, 2], batchSize: 2 }))).toEqual([
      [4, 3],
      [2],
    ]);
    const bs = new BatchSampler(new SequentialSampler({ length: 5 }), 2, true);
    expect(lists(new DataLoader(range(5), { batchSampler: bs }))).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(lists(new DataLoader(range(5), { batchSampler: [[4, 0]] }))).toEqual([[4, 0]]);
  });

  it('rejects conflicting options as PyTorch does', () => {
    expect(() => new DataLoader(range(3), { sampler: [0], shuffle: true })).toThrow(
      /mutually exclusive with shuffle/,
    );
    expect(() => new DataLoader(range(3), { batchSampler: [[0]], batchSize: 2 })).toThrow(
      /batchSampler option is mutually exclusive/,
    );
    expect(() => new DataLoader(range(3), { batchSize: null, dropLast: true })).toThrow(
      ArgumentError,
    );
    expect(() => new DataLoader(range(3), { batchSize: 0 })).toThrow(/positive integer/);
    expect(() => new DataLoader(range(3), { prefetch: -1 })).toThrow(/prefetch/);
    const it = IterableDataset.from([1]);
    expect(() => new DataLoader(it, { shuffle: true })).toThrow(/IterableDataset/);
    expect(() => new DataLoader(it, { sampler: [0] })).toThrow(/IterableDataset/);
  });
});

describe('shuffling', () => {
  it.each(
    golden.dataLoader.map(
      (c) =>
        [`n=${c.n} batch ${c.batchSize} seed ${c.seed}${c.global ? ' global' : ''}`, c] as const,
    ),
  )("gives PyTorch's batches for the same seed: %s", (_name, c) => {
    let dl: DataLoader<number>;
    if (c.global) {
      manualSeed(c.seed);
      dl = new DataLoader(range(c.n), {
        batchSize: c.batchSize,
        shuffle: true,
        dropLast: c.dropLast,
      });
    } else {
      dl = new DataLoader(range(c.n), {
        batchSize: c.batchSize,
        shuffle: true,
        dropLast: c.dropLast,
        generator: new Generator(c.seed),
      });
    }
    expect([lists(dl), lists(dl)]).toEqual(c.epochs);
    if (c.after) {
      (rand(3).tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo(c.after![i]!, 6));
    }
  });

  it("replays an epoch from the generator's saved state (own generator and global)", () => {
    const dl = new DataLoader(range(20), {
      batchSize: 4,
      shuffle: true,
      generator: new Generator(5),
    });
    lists(dl);
    const state = dl.generator.getState();
    const second = lists(dl);
    const third = lists(dl);
    expect(third).not.toEqual(second);
    dl.generator.setState(state);
    expect(lists(dl)).toEqual(second);
    // A new loader with a generator restored from the state gives the same epoch.
    const g = new Generator().setState(JSON.parse(JSON.stringify(state)));
    expect(lists(new DataLoader(range(20), { batchSize: 4, shuffle: true, generator: g }))).toEqual(
      second,
    );

    manualSeed(0);
    const gl = new DataLoader(range(20), { batchSize: 4, shuffle: true });
    const saved = gl.generator.getState();
    const epoch = lists(gl);
    gl.generator.setState(saved);
    expect(lists(gl)).toEqual(epoch);
  });
});

describe('async iteration and prefetch', () => {
  it('gives the same batches as sync iteration', async () => {
    const make = () =>
      new DataLoader(range(10), { batchSize: 3, shuffle: true, generator: new Generator(2) });
    const got: unknown[] = [];
    for await (const b of make()) got.push(b.tolist());
    expect(got).toEqual(lists(make()));
  });

  it('keeps `prefetch` batches prepared ahead of the consumer, no more', async () => {
    const ds = new Counting(40);
    const dl = new DataLoader(ds, { batchSize: 4, prefetch: 3 });
    const it = dl[Symbol.asyncIterator]();
    expect(it.queued).toBe(0);
    const first = await it.next();
    expect((first.value as Tensor).tolist()).toEqual([0, 1, 2, 3]);
    expect(it.queued).toBe(3);
    while (it.ready < 3) await tick();
    expect(ds.reads.length).toBe(16); // the batch handed out + 3 ahead
    await tick();
    expect(ds.reads.length).toBe(16); // and nothing more until the consumer takes one
    await it.next();
    while (it.ready < 3) await tick();
    await tick();
    expect(ds.reads.length).toBe(20);
    await it.return();
    await tick();
    expect(ds.reads.length).toBe(20);
    expect((await it.next()).done).toBe(true);
  });

  it('prepares ahead in separate tasks, so timers run between batches', async () => {
    const events: string[] = [];
    class Slow extends Dataset<number> {
      get length() {
        return 12;
      }
      get(i: number) {
        const until = Date.now() + 2;
        while (Date.now() < until); // a slow read: 2 ms of work
        events.push(`read ${i}`);
        return i;
      }
    }
    const it = new DataLoader(new Slow(), { batchSize: 2, prefetch: 4 })[Symbol.asyncIterator]();
    await it.next();
    await new Promise<void>((r) =>
      setTimeout(() => {
        events.push('timer');
        r();
      }, 0),
    );
    while (it.ready < 4) await tick();
    // The timer fired while the four look-ahead batches were being built, not after them all.
    const t = events.indexOf('timer');
    expect(t).toBeGreaterThan(0);
    expect(t).toBeLessThan(events.length - 1);
    expect(events.filter((e) => e !== 'timer').length).toBe(10);
    await it.return();
  });

  it('prefetch 0 reads each batch on demand', async () => {
    const ds = new Counting(8);
    const it = new DataLoader(ds, { batchSize: 2, prefetch: 0 })[Symbol.asyncIterator]();
    await it.next();
    await tick();
    expect(ds.reads.length).toBe(2);
    let n = 1;
    while (!(await it.next()).done) n++;
    expect(n).toBe(4);
  });

  it('surfaces a failing batch at its turn, after the good ones', async () => {
    class Failing extends Dataset<number> {
      get length() {
        return 6;
      }
      get(i: number) {
        if (i === 4) throw new Error('bad item 4');
        return i;
      }
    }
    const got: unknown[] = [];
    await expect(
      (async () => {
        for await (const b of new DataLoader(new Failing(), { batchSize: 2 })) got.push(b.tolist());
      })(),
    ).rejects.toThrow('bad item 4');
    expect(got).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(() => [...new DataLoader(new Failing(), { batchSize: 2 })]).toThrow('bad item 4');
  });

  it('an async get() that rejects throws at its batch, like a sync throw, with no unhandled rejection', async () => {
    // issue 13, defect 12: the rejected promise used to kill the process
    class AsyncFailing extends Dataset<Promise<number>> {
      get length() {
        return 6;
      }
      get(i: number) {
        return i === 4 || i === 5
          ? Promise.reject(new Error(`bad item ${i}`))
          : new Promise<number>((r) => setTimeout(() => r(i), 1));
      }
    }
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const prefetch of [0, 2]) {
        const got: unknown[] = [];
        await expect(
          (async () => {
            const loader = new DataLoader(new AsyncFailing(), { batchSize: 2, prefetch });
            for await (const b of loader) got.push(b.tolist());
          })(),
        ).rejects.toThrow('bad item 4');
        expect(got).toEqual([
          [0, 1],
          [2, 3],
        ]);
        // one item at a time (batchSize null) too
        const items: unknown[] = [];
        await expect(
          (async () => {
            const loader = new DataLoader(new AsyncFailing(), { batchSize: null, prefetch });
            for await (const b of loader) items.push(b);
          })(),
        ).rejects.toThrow('bad item 4');
        expect(items).toEqual([0, 1, 2, 3]);
      }
      // iterated synchronously: an error that says to use for await
      expect(() => [...new DataLoader(new AsyncFailing(), { batchSize: 2 })]).toThrow(/for await/);
      await tick();
      await tick();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('breaking out of for await stops the preparation', async () => {
    const ds = new Counting(100);
    for await (const b of new DataLoader(ds, { batchSize: 5, prefetch: 2 })) {
      expect(b.shape).toEqual([5]);
      break;
    }
    await tick();
    const n = ds.reads.length;
    await tick();
    expect(ds.reads.length).toBe(n);
    expect(n).toBeLessThanOrEqual(15);
  });
});

describe('IterableDataset loading', () => {
  it('batches a sync stream both ways, with dropLast and length', async () => {
    const ds = IterableDataset.from(() => range(7), 7);
    const dl = new DataLoader(ds, { batchSize: 3 });
    expect(lists(dl)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(dl.length).toBe(3);
    const out: unknown[] = [];
    for await (const b of new DataLoader(ds, { batchSize: 3, dropLast: true }))
      out.push(b.tolist());
    expect(out).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(new DataLoader(ds, { batchSize: 3, dropLast: true }).length).toBe(2);
  });

  it('streams items one by one without batching, and closes the source on break', () => {
    let closed = 0;
    function* gen() {
      try {
        for (let i = 0; i < 5; i++) yield i;
      } finally {
        closed++;
      }
    }
    const ds = IterableDataset.from(gen, 5);
    const dl = new DataLoader(ds, { batchSize: null });
    expect([...dl]).toEqual([0, 1, 2, 3, 4]);
    expect(dl.length).toBe(5);
    expect(closed).toBe(1);
    for (const item of dl) {
      expect(item).toBe(0);
      break;
    }
    expect(closed).toBe(2);
    const it = new DataLoader(range(2), { batchSize: 2 })[Symbol.iterator]();
    expect(typeof it.baseSeed).toBe('bigint');
    expect(it[Symbol.iterator]()).toBe(it);
    expect(it.next().done).toBe(false);
    expect(it.next().done).toBe(true);
    expect(it.next().done).toBe(true);
    expect(() => new DataLoader(ds, { batchSampler: [[0]] })).toThrow(/IterableDataset/);
  });

  it('loads an async stream with for await only', async () => {
    async function* gen() {
      for (let i = 0; i < 5; i++) {
        await tick();
        yield { x: i, y: [i, -i] };
      }
    }
    const ds = IterableDataset.from(gen);
    const dl = new DataLoader(ds, { batchSize: 2 });
    const out: unknown[] = [];
    for await (const b of dl) out.push({ x: b.x.tolist(), y: b.y.map((t) => t.tolist()) });
    expect(out).toEqual([
      {
        x: [0, 1],
        y: [
          [0, 1],
          [0, -1],
        ],
      },
      {
        x: [2, 3],
        y: [
          [2, 3],
          [-2, -3],
        ],
      },
      { x: [4], y: [[4], [-4]] },
    ]);
    expect(() => [...dl]).toThrow(/for await/);
    expect(() => dl.length).toThrow(/no length/);
    const single: unknown[] = [];
    for await (const item of new DataLoader(ds, { batchSize: null })) single.push(item);
    expect(single.length).toBe(5);
  });
});

describe('defaultCollate', () => {
  it('collates nested arrays, objects and Maps recursively', () => {
    const batch = [
      {
        image: tensor([1, 2]),
        label: 3,
        meta: { name: 'a', w: 0.5, ok: true },
        pair: [1, tensor(1)],
      },
      {
        image: tensor([3, 4]),
        label: 7,
        meta: { name: 'b', w: 1, ok: false },
        pair: [2, tensor(2)],
      },
    ] as const;
    const out = defaultCollate(batch as unknown as (typeof batch)[number][]);
    expect(out.image.shape).toEqual([2, 2]);
    expect(out.label.dtype).toBe('int32');
    expect(out.label.tolist()).toEqual([3, 7]);
    expect(out.meta.name).toEqual(['a', 'b']);
    expect(out.meta.w.dtype).toBe('float32');
    expect(out.meta.ok.dtype).toBe('bool');
    expect((out.pair[0] as Tensor).tolist()).toEqual([1, 2]);
    expect((out.pair[1] as Tensor).tolist()).toEqual([1, 2]);
    const m = defaultCollate([new Map([['k', 1]]), new Map([['k', 2]])]);
    expect(m.get('k')!.tolist()).toEqual([1, 2]);
    const typed = defaultCollate([new Float32Array([1, 2]), new Float32Array([3, 4])]);
    expect(typed.shape).toEqual([2, 2]);
  });

  it('numbers: int32 when all are integers, float32 otherwise', () => {
    expect(defaultCollate([1, 2]).dtype).toBe('int32');
    expect(defaultCollate([1, 2.5]).dtype).toBe('float32');
    expect(defaultCollate([1, 2 ** 40]).dtype).toBe('float32');
  });

  it('explains what it cannot collate', () => {
    expect(() => defaultCollate([[1, 2], [3]])).toThrow(/equal size/);
    expect(() => defaultCollate([])).toThrow(/empty/);
    expect(() => defaultCollate([null])).toThrow(/found null/);
    expect(() => defaultCollate([Promise.resolve(1)])).toThrow(/for await/);
    expect(() => defaultCollate([tensor([1]), 2] as unknown[])).toThrow(/element 1/);
    expect(() => defaultCollate([tensor([1]), tensor([1, 2])])).toThrow(/equal size/);
  });

  it('defaultConvert turns typed arrays into tensors and keeps the rest', () => {
    const out = defaultConvert({ a: new Int32Array([1]), b: 'x', c: [2] }) as Record<
      string,
      unknown
    >;
    expect((out.a as Tensor).dtype).toBe('int32');
    expect(out.b).toBe('x');
    expect(out.c).toEqual([2]);
  });
});
