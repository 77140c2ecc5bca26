// API tier: sorting, selection, einsum, scatterReduce and max unpooling through the public entry point: return shapes, int32 indices, error kinds, options checking.
import { describe, expect, it } from 'vitest';
import * as nb from '../../src/index.js';
import { ArgumentError, DTypeError, IndexError, ShapeError } from '../../src/errors.js';

const F = nb.nn.functional;
const i32 = (v: number[]) => nb.tensor(v, { dtype: 'int32' });

describe('sorting and selection', () => {
  it('return [values, indices] with named fields and int32 indices', () => {
    const x = nb.tensor([[3, 1, 2]]);
    for (const r of [x.sort(), x.topk(2), x.kthvalue(1), x.median(1), x.mode(1)]) {
      expect(r.values).toBe(r[0]);
      expect(r.indices).toBe(r[1]);
      expect(r.indices.dtype).toBe('int32');
    }
    expect(x.argsort().dtype).toBe('int32');
    expect(nb.argsort(x, { descending: true }).tolist()).toEqual([[0, 2, 1]]);
    expect(x.topk(2, -1, false).values.tolist()).toEqual([[1, 2]]);
  });

  it('unique returns the output alone, or [output, inverse?, counts?]', () => {
    const x = nb.tensor([2, 1, 2, 3]);
    expect(nb.unique(x).tolist()).toEqual([1, 2, 3]);
    const [u, inv] = nb.unique(x, { returnInverse: true });
    expect([u.tolist(), inv.tolist(), inv.dtype]).toEqual([[1, 2, 3], [1, 0, 1, 2], 'int32']);
    const [, counts] = nb.unique(x, { returnCounts: true });
    expect(counts.tolist()).toEqual([1, 2, 1]);
    expect(nb.unique(nb.tensor([1, Number.NaN, Number.NaN])).shape).toEqual([3]);
  });

  it('unknown option keys are TypeErrors naming the key', () => {
    const x = nb.tensor([3, 1, 2]);
    const bad = { dim: 0, descnding: true } as never;
    expect(() => nb.sort(x, bad)).toThrow(TypeError);
    expect(() => nb.sort(x, bad)).toThrow(
      "sort(): unknown option 'descnding'; did you mean 'descending'?",
    );
    expect(() => nb.argsort(x, bad)).toThrow("'descnding'");
    expect(() => nb.topk(x, 1, { larges: false } as never)).toThrow("'larges'");
    expect(() => nb.unique(x, { return_counts: true } as never)).toThrow("'return_counts'");
    expect(() =>
      x.scatterReduce(0, i32([0]), nb.ones(1), 'sum', { include_self: 0 } as never),
    ).toThrow("scatterReduce(): unknown option 'include_self'; did you mean 'includeSelf'?");
    expect(() =>
      F.maxUnpool2d(nb.ones(1, 1, 1, 1), i32([0]).reshape(1, 1, 1, 1), 2, {
        output_size: [2, 2],
      } as never),
    ).toThrow(
      "nn.functional.maxUnpool2d(): unknown option 'output_size'; did you mean 'outputSize'?",
    );
  });

  it('error kinds: dims and k out of range are IndexErrors', () => {
    const x = nb.randn(3, 4);
    expect(() => x.sort(2)).toThrow(IndexError);
    expect(() => x.topk(5)).toThrow(IndexError);
    expect(() => x.kthvalue(0)).toThrow(IndexError);
    expect(() => nb.zeros(2, 0).median(1)).toThrow(IndexError);
    expect(() => nb.zeros(2, 0).mode(1)).toThrow(IndexError);
  });
});

describe('scatterReduce', () => {
  it('index errors (negatives included), dtype and reduce checks', () => {
    const x = nb.zeros(3);
    expect(() => x.scatterReduce(0, i32([-1]), nb.ones(1), 'sum')).toThrow(IndexError);
    expect(() => x.scatterReduce(0, i32([3]), nb.ones(1), 'amax')).toThrow(
      'index 3 is out of bounds for dimension 0 with size 3',
    );
    expect(() => x.scatterReduce(0, nb.tensor([0]), nb.ones(1), 'sum')).toThrow(DTypeError);
    expect(() => x.scatterReduce(0, i32([0]), nb.ones(1), 'max' as never)).toThrow(ArgumentError);
    expect(() => x.scatterReduce(0, i32([0, 1]).reshape(1, 2), nb.ones(1, 2), 'sum')).toThrow(
      ShapeError,
    );
  });

  it('a failed call leaves self unchanged', () => {
    const x = nb.tensor([1, 2, 3]);
    expect(() => x.scatterReduce(0, i32([0, 5]), nb.ones(2), 'prod')).toThrow(IndexError);
    expect(x.tolist()).toEqual([1, 2, 3]);
  });
});

describe('einsum', () => {
  it('takes operands as arguments or as one array; errors are ArgumentError or ShapeError', () => {
    const a = nb.randn(2, 3);
    const b = nb.randn(3, 4);
    expect(nb.einsum('ij,jk', [a, b]).shape).toEqual([2, 4]);
    expect(() => nb.einsum('ij,jk->ik', a)).toThrow(ArgumentError);
    expect(() => nb.einsum('ij,jk-ik', a, b)).toThrow(ArgumentError);
    expect(() => nb.einsum('ijk,jk->ik', a, b)).toThrow(ShapeError);
    expect(() => nb.einsum('ij,ik->', a, b)).toThrow(ShapeError);
    expect(() => nb.einsum('ij')).toThrow(ArgumentError);
  });
});

describe('max unpooling', () => {
  it('nn.MaxPool2d with returnIndices feeds nn.MaxUnpool2d', () => {
    const pool = new nb.nn.MaxPool2d(2, { returnIndices: true });
    const unpool = new nb.nn.MaxUnpool2d(2);
    const x = nb.randn(1, 2, 4, 4);
    const [y, idx] = pool.forward(x);
    expect(idx.dtype).toBe('int32');
    const back = unpool.forward(y, idx);
    expect(back.shape).toEqual([1, 2, 4, 4]);
    // every maximum back in its place, zeros elsewhere
    expect(F.maxPool2d(back, 2).tolist()).toEqual(y.tolist());
    expect(back.ne(0).sum().item()).toBe(8);
    expect(String(unpool)).toBe('MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))');
  });

  it('bad indices are IndexErrors; a bad shape or dtype is refused', () => {
    const y = nb.ones(1, 1, 2, 2);
    const idx = (v: number[]) => i32(v).reshape(1, 1, 2, 2);
    expect(() => F.maxUnpool2d(y, idx([0, -1, 3, 2]), 2)).toThrow(IndexError);
    expect(() => F.maxUnpool2d(y, idx([0, 16, 3, 2]), 2)).toThrow('Found an invalid max index: 16');
    expect(() => F.maxUnpool2d(y, nb.zeros(1, 1, 2, 2), 2)).toThrow(DTypeError);
    expect(() => F.maxUnpool2d(y, i32([0, 1]).reshape(1, 1, 2, 1), 2)).toThrow(ShapeError);
  });
});
