// Datasets: TensorDataset, Subset, ConcatDataset, IterableDataset.from and randomSplit (against PyTorch's splits).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  Generator,
  IndexError,
  manualSeed,
  rand,
  ShapeError,
  tensor,
} from '../../src/index.js';
import {
  ConcatDataset,
  Dataset,
  IterableDataset,
  randomSplit,
  Subset,
  TensorDataset,
} from '../../src/data/index.js';

interface SplitCase {
  n: number;
  lengths: number[];
  seed: number;
  global: boolean;
  parts: number[][];
  after?: number[];
}
const golden = JSON.parse(
  readFileSync(new URL('../fixtures/data_golden.json', import.meta.url), 'utf8'),
) as { cases: { randomSplit: SplitCase[] } };

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

class Squares extends Dataset<number> {
  get length() {
    return 5;
  }
  get(i: number) {
    return i * i;
  }
}

describe('TensorDataset', () => {
  it('yields rows of every tensor and reads batches with indexSelect', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = tensor([0, 1, 2], { dtype: 'int32' });
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(3);
    const [xi, yi] = ds.get(1);
    expect(xi!.tolist()).toEqual([3, 4]);
    expect(yi!.item()).toBe(1);
    expect(ds.get(-1)[0]!.tolist()).toEqual([5, 6]);
    const [bx, by] = ds.getBatch([2, 0]);
    expect(bx!.tolist()).toEqual([
      [5, 6],
      [1, 2],
    ]);
    expect(by!.dtype).toBe('int32');
    expect([...ds].length).toBe(3);
  });

  it('rejects tensors of different lengths and out-of-range indices', () => {
    expect(() => new TensorDataset(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => new TensorDataset()).toThrow(ArgumentError);
    expect(() => new TensorDataset(tensor([1, 2])).get(2)).toThrow(IndexError);
  });
});

describe('Subset and ConcatDataset', () => {
  it('Subset reads through its indices', () => {
    const s = new Subset(new Squares(), [4, 0, 2]);
    expect(s.length).toBe(3);
    expect([...s]).toEqual([16, 0, 4]);
    expect(s.get(-1)).toBe(4);
    expect(() => s.get(3)).toThrow(IndexError);
    expect((s.getBatch([0, 1]) as { tolist(): unknown }).tolist()).toEqual([16, 0]);
  });

  it('ConcatDataset finds the right part (bisect_right), also for negative indices', () => {
    const c = new ConcatDataset<number>([new Squares(), [100, 101], [], [200]]);
    expect(c.length).toBe(8);
    expect(c.cumulativeSizes).toEqual([5, 7, 7, 8]);
    expect([...c]).toEqual([0, 1, 4, 9, 16, 100, 101, 200]);
    expect(c.get(-1)).toBe(200);
    expect(c.get(-8)).toBe(0);
    expect(() => c.get(8)).toThrow(IndexError);
    expect(() => new ConcatDataset([])).toThrow(ArgumentError);
    expect(() => new ConcatDataset([IterableDataset.from([1]) as never])).toThrow(ArgumentError);
  });

  it('arrays and Datasets mix', () => {
    const s = new Subset(['a', 'b', 'c'], [2, 2, 0]);
    expect([...s]).toEqual(['c', 'c', 'a']);
    expect(() => new Subset(['a'], [3]).get(0)).toThrow(IndexError);
  });
});

describe('IterableDataset', () => {
  it('wraps sync and async sources', async () => {
    const sync = IterableDataset.from(() => [1, 2, 3], 3);
    expect(sync.length).toBe(3);
    const got: number[] = [];
    for await (const v of sync) got.push(v);
    expect(got).toEqual([1, 2, 3]);
    async function* gen() {
      yield 'x';
      yield 'y';
    }
    const asyncDs = IterableDataset.from(gen);
    expect(asyncDs.length).toBeUndefined();
    const out: string[] = [];
    for await (const v of asyncDs) out.push(v);
    expect(out).toEqual(['x', 'y']);
  });
});

describe('randomSplit', () => {
  it.each(
    golden.cases.randomSplit.map(
      (c) =>
        [
          `n=${c.n} ${JSON.stringify(c.lengths)} seed ${c.seed}${c.global ? ' (global)' : ''}`,
          c,
        ] as const,
    ),
  )('matches PyTorch: %s', (_name, c) => {
    let parts: Subset<number>[];
    if (c.global) {
      manualSeed(c.seed);
      parts = randomSplit(range(c.n), c.lengths);
    } else {
      parts = randomSplit(range(c.n), c.lengths, { generator: new Generator(c.seed) });
    }
    expect(parts.map((p) => [...p])).toEqual(c.parts);
    if (c.after) {
      const after = rand(3).tolist() as number[];
      after.forEach((v, i) => expect(v).toBeCloseTo(c.after![i]!, 6));
    }
  });

  it('rejects lengths that do not add up, and bad fractions', () => {
    expect(() => randomSplit(range(10), [3, 3])).toThrow(/does not equal/);
    expect(() => randomSplit(range(10), [1.5, -0.5])).toThrow(/between 0 and 1/);
    expect(() => randomSplit(range(10), [2.5, 7.5])).toThrow(ArgumentError);
  });
});
