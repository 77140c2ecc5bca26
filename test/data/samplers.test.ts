// Samplers: orders compared with PyTorch's for the same seed (test/fixtures/generate_data.py), batching and option checks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, Generator, manualSeed, rand } from '../../src/index.js';
import {
  BatchSampler,
  RandomSampler,
  randomInt64,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from '../../src/data/index.js';

interface SamplerCase {
  n: number;
  seed: number;
  global: boolean;
  replacement: boolean;
  numSamples: number | null;
  epochs: number[][];
  after?: number[];
}
interface Golden {
  randomSampler: SamplerCase[];
  subsetRandomSampler: { indices: number[]; seed: number; epochs: number[][] };
  weightedRandomSampler: {
    weights: number[];
    numSamples: number;
    seed: number;
    epochs: number[][];
  };
  weightedNoReplacement: {
    mkl: boolean;
    cases: {
      weights: number[];
      numSamples: number;
      replacement: boolean;
      seed: number;
      values: number[];
    }[];
  };
  wideRandint: { seed: number; ranges: number[]; values: number[][] };
}
const golden = (
  JSON.parse(readFileSync(new URL('../fixtures/data_golden.json', import.meta.url), 'utf8')) as {
    cases: Golden;
  }
).cases;

const sized = (n: number) => ({ length: n });

describe('RandomSampler', () => {
  it.each(
    golden.randomSampler.map(
      (c) =>
        [
          `n=${c.n} seed ${c.seed}${c.global ? ' global' : ''}${c.replacement ? ' replacement' : ''} numSamples ${c.numSamples}`,
          c,
        ] as const,
    ),
  )('matches PyTorch over two epochs: %s', (_name, c) => {
    let s: RandomSampler;
    const opts = {
      replacement: c.replacement,
      ...(c.numSamples !== null ? { numSamples: c.numSamples } : {}),
    };
    if (c.global) {
      manualSeed(c.seed);
      s = new RandomSampler(sized(c.n), opts);
    } else {
      s = new RandomSampler(sized(c.n), { ...opts, generator: new Generator(c.seed) });
    }
    expect([[...s], [...s]]).toEqual(c.epochs);
    expect(s.length).toBe(c.numSamples ?? c.n);
    if (c.after) {
      (rand(3).tolist() as number[]).forEach((v, i) => expect(v).toBeCloseTo(c.after![i]!, 6));
    }
  });

  it('checks its options', () => {
    expect(() => new RandomSampler(sized(0))).toThrow(/numSamples should be a positive integer/);
    expect(() => new RandomSampler(sized(3), { numSamples: 1.5 })).toThrow(ArgumentError);
  });

  it('draws a seed from the global generator only when iterated', () => {
    manualSeed(3);
    const s = new RandomSampler(sized(4));
    const a = rand(2).tolist();
    manualSeed(3);
    expect(rand(2).tolist()).toEqual(a);
    const it = s[Symbol.iterator]();
    manualSeed(3);
    it.next();
    expect(rand(2).tolist()).not.toEqual(a);
  });
});

describe('other samplers', () => {
  it('SequentialSampler counts up', () => {
    expect([...new SequentialSampler(sized(4))]).toEqual([0, 1, 2, 3]);
  });

  it('SubsetRandomSampler matches PyTorch', () => {
    const g = golden.subsetRandomSampler;
    const s = new SubsetRandomSampler(g.indices, { generator: new Generator(g.seed) });
    expect([[...s], [...s]]).toEqual(g.epochs);
    expect(s.length).toBe(g.indices.length);
  });

  it('WeightedRandomSampler with replacement matches PyTorch draw for draw', () => {
    const g = golden.weightedRandomSampler;
    const s = new WeightedRandomSampler(g.weights, g.numSamples, {
      generator: new Generator(g.seed),
    });
    expect([[...s], [...s]]).toEqual(g.epochs);
  });

  it('WeightedRandomSampler without replacement matches a PyTorch built without MKL', () => {
    for (const c of golden.weightedNoReplacement.cases) {
      const s = new WeightedRandomSampler(c.weights, c.numSamples, {
        replacement: c.replacement,
        generator: new Generator(c.seed),
      });
      const v = [...s];
      if (!golden.weightedNoReplacement.mkl) expect(v).toEqual(c.values);
      if (!c.replacement) expect(new Set(v).size).toBe(v.length);
    }
  });

  it('WeightedRandomSampler checks its weights', () => {
    expect(() => new WeightedRandomSampler([1, -1], 2)).toThrow(ArgumentError);
    expect(() => new WeightedRandomSampler([0, 0], 2)).toThrow(/sum of probabilities/);
    expect(() => new WeightedRandomSampler([1, 0, 1], 3, { replacement: false })).toThrow(
      /without replacement/,
    );
    expect(() => new WeightedRandomSampler([1], 0)).toThrow(ArgumentError);
  });

  it('BatchSampler groups indices, with and without dropLast', () => {
    const s = new SequentialSampler(sized(10));
    expect([...new BatchSampler(s, 3, false)]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect([...new BatchSampler(s, 3, true)]).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
    expect(new BatchSampler(s, 3, false).length).toBe(4);
    expect(new BatchSampler(s, 3, true).length).toBe(3);
    expect(new BatchSampler([5, 6, 7], 2).length).toBe(2);
    expect(() => new BatchSampler(s, 0)).toThrow(/batchSize should be a positive integer/);
    expect(() => new BatchSampler(new Set([1]), 1).length).toThrow(/no length/);
  });
});

describe('64-bit draws', () => {
  it('randomInt64 is torch.empty((), dtype=torch.int64).random_()', () => {
    // seed 0: the first two 32-bit draws are 209652396 + 2^31 and 2546248239.
    expect(randomInt64(new Generator(0))).toBe(900450186894289455n);
  });

  it('Generator.below takes two draws for ranges of 2^32 and more, as torch.randint does', () => {
    const g = new Generator(golden.wideRandint.seed);
    golden.wideRandint.ranges.forEach((r, k) => {
      expect([g.below(r), g.below(r)]).toEqual(golden.wideRandint.values[k]);
    });
  });
});
