// Digits: the shipped 8x8 digits (1,797 images, label counts from scikit-learn's copy) and its shapes.
import { describe, expect, it } from 'vitest';
import { DataLoader } from '../../src/data/index.js';
import { Digits, digitsPath } from '../../src/data/node/index.js';

describe('Digits', () => {
  const ds = new Digits();

  it('loads 1,797 images with the known label counts', () => {
    expect(digitsPath()).toMatch(/data[/\\]digits[/\\]digits\.csv\.gz$/);
    expect(ds.length).toBe(1797);
    const counts = new Array<number>(10).fill(0);
    for (const y of ds.targets) counts[y]!++;
    expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(ds.targets[5]).toBe(5);
    expect(ds.targets[1796]).toBe(8);
  });

  it('gives float32 [64] features scaled to [0, 1], or raw [1, 8, 8] images', () => {
    const [x, y] = ds.get(0);
    expect(y).toBe(0);
    expect(x.shape).toEqual([64]);
    expect(x.dtype).toBe('float32');
    expect((x.tolist() as number[]).slice(0, 6)).toEqual([0, 0, 5 / 16, 13 / 16, 9 / 16, 1 / 16]);
    expect(Math.max(...ds.features)).toBe(1);
    const raw = new Digits({ shape: 'image', scale: false });
    const [img] = raw.get(0);
    expect(img.shape).toEqual([1, 8, 8]);
    expect((img.tolist() as number[][][])[0]![1]!.slice(2, 5)).toEqual([13, 15, 10]);
    expect(raw.features.reduce((a, b) => a + b, 0)).toBe(561718);
  });

  it('batches through a DataLoader and as whole tensors', () => {
    const [xb, yb] = [...new DataLoader(ds, { batchSize: 256 })][7]!;
    expect(xb.shape).toEqual([1797 - 7 * 256, 64]);
    expect(yb.dtype).toBe('int32');
    const [X, Y] = ds.tensors();
    expect(X.shape).toEqual([1797, 64]);
    expect(Y.shape).toEqual([1797]);
    const t = new Digits({ targetTransform: (v) => v * 10 });
    expect(t.get(3)[1]).toBe(30);
    expect([...new DataLoader(t, { batchSize: 2, sampler: [3, 4] })][0]![1].tolist()).toEqual([
      30, 40,
    ]);
  });

  it('explains a missing or malformed file', () => {
    expect(() => new Digits({ path: '/nonexistent/digits.csv' })).toThrow(/cannot read/);
  });
});
