// Issue 13's activations and tensor ops through the public API: modules, views, return types and errors in PyTorch's words.
import { describe, expect, it } from 'vitest';
import * as nb from '../../src/index.js';
import {
  ArgumentError,
  DTypeError,
  IndexError,
  ShapeError,
  arange,
  nn,
  randn,
  tensor,
  zeros,
} from '../../src/index.js';

const F = nn.functional;
const ints = (data: number[]) => tensor(data, { dtype: 'int32' });

describe('activation modules', () => {
  it('forward as their functional forms, and print as PyTorch', () => {
    const x = randn([2, 5]).mul(4);
    const pairs: [{ forward(x: nb.Tensor): nb.Tensor }, nb.Tensor, string][] = [
      [new nn.CELU(0.5), F.celu(x, 0.5), 'CELU(alpha=0.5)'],
      [new nn.Hardswish(), F.hardswish(x), 'Hardswish()'],
      [new nn.Hardsigmoid(), F.hardsigmoid(x), 'Hardsigmoid()'],
      [new nn.LogSigmoid(), F.logsigmoid(x), 'LogSigmoid()'],
      [new nn.Softsign(), F.softsign(x), 'Softsign()'],
      [new nn.Softmin(1), F.softmin(x, 1), 'Softmin(dim=1)'],
      [new nn.Mish(), F.mish(x), 'Mish()'],
    ];
    for (const [m, expected, repr] of pairs) {
      expect(m.forward(x).tolist()).toEqual(expected.tolist());
      expect(m.toString()).toBe(repr);
    }
  });

  it('reject bad arguments', () => {
    expect(() => F.celu(tensor([1]), 0)).toThrow(ArgumentError);
    expect(() => F.celu(tensor([1]), 0)).toThrow('alpha cannot be 0 for CELU');
    expect(() => F.normalize(tensor([1, 2]))).toThrow(IndexError);
    expect(() => F.normalize(tensor([[1, 2]]), { dims: 1 } as never)).toThrow(
      "nn.functional.normalize(): unknown option 'dims'; did you mean 'dim'?",
    );
  });
});

describe('triangles and diagonals', () => {
  it('diagonal is a view, as PyTorch: writes go through', () => {
    const x = arange(12, { dtype: 'float32' }).reshape(3, 4);
    const d = x.diagonal(1);
    expect(d.tolist()).toEqual([1, 6, 11]);
    expect(d._storage).toBe(x._storage);
    const y = arange(24, { dtype: 'float32' }).reshape(2, 3, 4);
    const dt = y.transpose(0, 2).diagonal(-1, 1, 0);
    expect(dt._storage).toBe(y._storage);
    // PyTorch: strides (12, 5), storage offset 4; y[0,1,0], y[0,2,1], y[1,1,0], y[1,2,1]
    expect([dt.stride(), dt.storageOffset()]).toEqual([[12, 5], 4]);
    dt.fill_(-1);
    expect(nb.nonzero(y.eq(-1)).tolist()).toEqual([
      [0, 1, 0],
      [0, 2, 1],
      [1, 1, 0],
      [1, 2, 1],
    ]);
    expect(x.diag().tolist()).toEqual([0, 5, 10]);
    expect(x.diag()._storage).not.toBe(x._storage);
  });

  it('keeps integer and bool dtypes', () => {
    expect(nb.tril(ints([1, 2, 3, 4]).reshape(2, 2)).dtype).toBe('int32');
    expect(
      nb
        .triu(
          tensor([
            [true, true],
            [true, true],
          ]),
        )
        .tolist(),
    ).toEqual([
      [true, true],
      [false, true],
    ]);
    expect(nb.diag(tensor([true, false])).dtype).toBe('bool');
  });

  it('errors', () => {
    expect(() => nb.tril(tensor([1, 2]))).toThrow(
      new IndexError('Dimension out of range (expected to be in range of [-1, 0], but got -2)'),
    );
    expect(() => nb.diag(zeros(2, 2, 2))).toThrow(new ShapeError('matrix or a vector expected'));
    expect(() => nb.diag(tensor(1))).toThrow(ShapeError);
    expect(() => nb.diagonal(zeros(2, 2), 0, 0, -2)).toThrow(
      new ArgumentError('diagonal dimensions cannot be identical 0, -2'),
    );
    expect(() => nb.diagonal(zeros(2, 2), 0, 0, 2)).toThrow(IndexError);
  });
});

describe('rearranging', () => {
  it('roll errors', () => {
    expect(() => nb.roll(zeros(2, 3), [1, 2])).toThrow(
      new ArgumentError('shifts and dimensions must align. shifts: 2, dims:0'),
    );
    expect(() => nb.roll(zeros(2, 3), [1, 2], [0])).toThrow(
      new ArgumentError('shifts and dimensions must align. shifts: 2, dims:1'),
    );
    expect(nb.roll(zeros(0, 3), 1, 0).shape).toEqual([0, 3]);
    expect(nb.roll(tensor(5), 3).tolist()).toBe(5);
  });

  it('repeatInterleave errors', () => {
    const x = zeros(2, 3);
    expect(() => x.repeatInterleave(-1)).toThrow(new ArgumentError('repeats can not be negative'));
    expect(() => x.repeatInterleave(ints([1, -2]), 0)).toThrow('repeats can not be negative');
    expect(() => x.repeatInterleave(ints([1, 2]), 1)).toThrow(
      new ShapeError('repeats must have the same size as input along dim'),
    );
    expect(() => x.repeatInterleave(ints([1]).reshape(1, 1), 0)).toThrow(
      new ShapeError('repeats must be 0-dim or 1-dim tensor'),
    );
    expect(() => x.repeatInterleave(tensor([1, 2]), 0)).toThrow(DTypeError);
    expect(() => x.repeatInterleave(2, 2)).toThrow(IndexError);
  });

  it('Tensor.unfold is a view, as PyTorch', () => {
    const x = arange(8, { dtype: 'float32' });
    const w = x.unfold(0, 3, 2);
    expect(w.tolist()).toEqual([
      [0, 1, 2],
      [2, 3, 4],
      [4, 5, 6],
    ]);
    expect(w._storage).toBe(x._storage);
    expect(w.stride()).toEqual([2, 1]);
    x.fill_(1);
    expect(w.sum().item()).toBe(9);
  });

  it('Tensor.unfold errors and edge sizes', () => {
    expect(() => zeros(5).unfold(0, 6, 1)).toThrow(
      new ShapeError('maximum size for tensor at dimension 0 is 5 but size is 6'),
    );
    expect(() => zeros(5).unfold(0, 2, 0)).toThrow(new ArgumentError('step is 0 but must be > 0'));
    expect(zeros(5).unfold(0, 0, 1).shape).toEqual([6, 0]);
    expect(tensor(3).unfold(0, 1, 1).tolist()).toEqual([3]);
  });

  it('meshgrid: views, and errors', () => {
    const [a, b] = nb.meshgrid(tensor([1, 2]), tensor([3, 4, 5]));
    expect(a!.shape).toEqual([2, 3]);
    expect(b!.stride()).toEqual([0, 1]);
    expect(() => nb.meshgrid(zeros(2, 2))).toThrow(ShapeError);
    expect(() => nb.meshgrid([zeros(2)], { indexing: 'foo' as 'ij' })).toThrow(
      new ArgumentError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: foo'),
    );
    expect(() => nb.meshgrid(zeros(2), zeros(3, { dtype: 'float64' }))).toThrow(
      new DTypeError('meshgrid expects all tensors to have the same dtype'),
    );
    expect(() => nb.meshgrid([])).toThrow(ArgumentError);
    expect(() => nb.meshgrid(zeros(2), { index: 'ij' } as never)).toThrow(
      "meshgrid(): unknown option 'index'; did you mean 'indexing'?",
    );
  });
});

describe('scans', () => {
  it('cummax/cummin return [values, indices] with named fields; dtypes follow PyTorch', () => {
    const r = tensor([1, 3, 2]).cummax(0);
    expect(r.values.tolist()).toEqual([1, 3, 3]);
    expect(r[1].tolist()).toEqual([0, 1, 1]);
    expect(r.indices.dtype).toBe('int32');
    expect(tensor([true, false]).cumprod(0).dtype).toBe('int32');
    expect(nb.cummin(tensor(2), 0).indices.tolist()).toBe(0);
  });

  it('errors', () => {
    expect(() => nb.logcumsumexp(ints([1, 2]), 0)).toThrow(DTypeError);
    expect(() => nb.cumprod(zeros(2), 1)).toThrow(IndexError);
    expect(() => nb.cummax(zeros(2), -2)).toThrow(IndexError);
  });
});

describe('isclose, allclose, stdMean, varMean, sum/prod dtype', () => {
  it('allclose returns a boolean', () => {
    expect(nb.allclose(tensor([1, 2]), tensor([1, 2.000001]))).toBe(true);
    expect(tensor([1, NaN]).allclose(tensor([1, NaN]))).toBe(false);
    expect(tensor([1, NaN]).allclose(tensor([1, NaN]), { equalNan: true })).toBe(true);
    expect(
      tensor([1, 2])
        .isclose(tensor([1, 3]))
        .tolist(),
    ).toEqual([true, false]);
  });

  it('isclose errors', () => {
    expect(() => nb.isclose(zeros(2), zeros(2, { dtype: 'float64' }))).toThrow(
      new DTypeError('Float did not match Double'),
    );
    expect(() => nb.isclose(zeros(2), zeros(2), { rtol: -1 })).toThrow(
      new ArgumentError('rtol must be greater than or equal to zero, but got -1'),
    );
    expect(() => nb.isclose(zeros(2), zeros(2), { atol: -1 })).toThrow(ArgumentError);
    expect(() => nb.allclose(zeros(2), zeros(3))).toThrow(ShapeError);
    expect(() => nb.isclose(zeros(2), zeros(2), { equal_nan: true } as never)).toThrow(
      "isclose(): unknown option 'equal_nan'; did you mean 'equalNan'?",
    );
  });

  it('stdMean and varMean return pairs; int inputs are rejected', () => {
    const x = tensor([
      [1, 2, 3],
      [2, 4, 6],
    ]);
    const [s, m] = nb.stdMean(x, 1);
    expect(s.tolist()).toEqual([1, 2]);
    expect(m.tolist()).toEqual([2, 4]);
    const [v, m2] = nb.varMean(x, { dim: 0, unbiased: false, keepdim: true });
    expect(v.shape).toEqual([1, 3]);
    expect(m2.shape).toEqual([1, 3]);
    expect(() => nb.varMean(ints([1, 2]))).toThrow(
      new DTypeError('var_mean only support floating point and complex dtypes'),
    );
    expect(() => nb.stdMean(x, { dims: 1 } as never)).toThrow(
      "stdMean(): unknown option 'dims'; did you mean 'dim'?",
    );
    expect(() => x.var({ dim: 1, ddof: 1 } as never)).toThrow(TypeError);
  });

  it('sum and prod cast to dtype first, in each calling form', () => {
    const x = tensor([1.5, 2.5]);
    expect(x.sum({ dtype: 'int32' }).tolist()).toBe(3);
    expect(nb.sum(x, 0, true, { dtype: 'float64' }).dtype).toBe('float64');
    expect(nb.sum(x, 0, { dtype: 'float64' }).dtype).toBe('float64');
    expect(nb.prod(ints([2, 3]), { dtype: 'float32' }).dtype).toBe('float32');
    expect(() => x.sum(0, false, { keepdim: true } as never)).toThrow(
      "sum() got multiple values for argument 'keepdim'",
    );
    expect(() => x.prod({ type: 'int32' } as never)).toThrow(
      "prod(): unknown option 'type'; did you mean 'dtype'?",
    );
  });
});
