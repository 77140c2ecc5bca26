// Wrong input gets the right error, in PyTorch's words, and leaves every input as it was.
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DTypeError,
  DeviceError,
  IndexError,
  OutOfMemoryError,
  ShapeError,
  arange,
  cat,
  full,
  matmul,
  nn,
  ones,
  optim,
  randn,
  setBackend,
  stack,
  tensor,
  zeros,
} from '../../src/index.js';

describe('errors', () => {
  it('broadcast mismatch', () => {
    expect(() => ones(2, 3).add(ones(4))).toThrow(ShapeError);
    expect(() => ones(2, 3).add(ones(4))).toThrow(
      'The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1',
    );
  });

  it('matmul shapes', () => {
    expect(() => matmul(ones(2, 3), ones(4, 5))).toThrow(
      'mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)',
    );
    expect(() => ones(3).dot(ones(4))).toThrow(
      /inconsistent tensor size, expected tensor \[3\] and src \[4\]/,
    );
    expect(() => ones(2, 3).bmm(ones(2, 3, 4))).toThrow('batch1 must be a 3D tensor');
    expect(() => matmul(ones(2, 3), ones(3, 2, { dtype: 'float64' }))).toThrow(DTypeError);
  });

  it('reshape size', () => {
    expect(() => ones(6).reshape(4, 2)).toThrow("shape '[4, 2]' is invalid for input of size 6");
    expect(() => ones(6).reshape(-1, -1)).toThrow('only one dimension can be inferred');
    expect(() => ones(2, 3).expand(3, 3)).toThrow(
      /The expanded size of the tensor \(3\) must match the existing size \(2\)/,
    );
  });

  it('cat mismatches', () => {
    expect(() => cat([ones(2, 3), ones(2, 4)], 0)).toThrow(
      'Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list.',
    );
    expect(() => cat([ones(2, 3), ones(3)], 0)).toThrow(
      'Tensors must have same number of dimensions: got 2 and 1',
    );
    expect(() => cat([])).toThrow('torch.cat(): expected a non-empty list of Tensors');
    expect(() => stack([ones(2), ones(3)])).toThrow(/stack expects each tensor to be equal size/);
  });

  it('dimensions and indices out of range', () => {
    expect(() => ones(2, 3).sum(2)).toThrow(
      'Dimension out of range (expected to be in range of [-2, 1], but got 2)',
    );
    expect(() => ones(2, 3).sum(2)).toThrow(IndexError);
    expect(() => ones(3).gather(0, tensor([5], { dtype: 'int32' }))).toThrow(
      'index 5 is out of bounds for dimension 0 with size 3',
    );
    expect(() => ones(3).index(3)).toThrow('index 3 is out of bounds for dimension 0 with size 3');
    expect(() => ones(3).index([0, 7])).toThrow(
      'index 7 is out of bounds for dimension 0 with size 3',
    );
    expect(() => ones(3).index(0, 0)).toThrow('too many indices for tensor of dimension 1');
  });

  it('negative indices in gather, indexSelect, Embedding, scatter and scatterAdd are index errors', () => {
    // PyTorch wraps a negative index only in x[...]; these ops raise instead (issue 13, defect 2).
    const x = arange(6).reshape(2, 3).float();
    const neg = tensor([[0, -1]], { dtype: 'int32' });
    const msg = 'index -1 is out of bounds for dimension 1 with size 3';
    expect(() => x.gather(1, neg)).toThrow(IndexError);
    expect(() => x.gather(1, neg)).toThrow(msg);
    expect(() => x.scatter(1, neg, 7)).toThrow(msg);
    expect(() => x.scatter(1, neg, ones(1, 2))).toThrow(msg);
    expect(() => x.scatterAdd(1, neg, ones(1, 2))).toThrow(msg);
    expect(() => x.indexSelect(0, [-1])).toThrow(IndexError);
    expect(() => x.indexSelect(0, [-1])).toThrow('index out of range in self');
    expect(() => x.indexSelect(1, tensor([3], { dtype: 'int32' }))).toThrow(
      'index out of range in self',
    );
    const emb = new nn.Embedding(3, 2);
    expect(() => emb.forward(tensor([0, -1], { dtype: 'int32' }))).toThrow(IndexError);
    expect(() => emb.forward(tensor([0, -1], { dtype: 'int32' }))).toThrow(
      'index out of range in self',
    );
    expect(() => emb.forward(tensor([3], { dtype: 'int32' }))).toThrow(
      'index out of range in self',
    );
    // x[...] still counts from the end, and the inputs are as they were
    expect(x.index(-1).tolist()).toEqual([3, 4, 5]);
    expect(x.index([-1, 0]).tolist()).toEqual([
      [3, 4, 5],
      [0, 1, 2],
    ]);
    expect(x.gather(1, tensor([[2, 0]], { dtype: 'int32' })).tolist()).toEqual([[2, 0]]);
  });

  it('values PyTorch refuses are errors: int ** negative int, unknown pad mode, circular pad wrapping twice, flip with a repeated dim', () => {
    // issue 13, defect 6: each of these used to return a value
    const i = tensor([2, 3], { dtype: 'int32' });
    const msg = 'Integers to negative integer powers are not allowed.';
    expect(() => i.pow(-1)).toThrow(ArgumentError);
    expect(() => i.pow(-2)).toThrow(msg);
    expect(() => tensor([true]).pow(-1)).toThrow(msg);
    expect(i.pow(2).tolist()).toEqual([4, 9]);
    expect(i.pow(-0.5).dtype).toBe('float32');
    expect(i.pow(tensor([-1, 1], { dtype: 'int32' })).tolist()).toEqual([0, 3]); // as PyTorch
    const x = ones(1, 1, 3);
    const pad = nn.functional.pad;
    expect(() => pad(x, [1, 1], { mode: 'foo' as never })).toThrow(ArgumentError);
    expect(() => pad(x, [1, 1], { mode: 'foo' as never })).toThrow('Unrecognised padding mode foo');
    const wrap = 'Padding value causes wrapping around more than once.';
    expect(() => pad(x, [4, 0], { mode: 'circular' })).toThrow(wrap);
    expect(() => pad(x, [0, 4], { mode: 'circular' })).toThrow(wrap);
    expect(() => pad(ones(1, 1, 3, 3), [0, 0, 4, 0], { mode: 'circular' })).toThrow(wrap);
    expect(pad(arange(3).reshape(1, 1, 3), [3, 3], { mode: 'circular' }).tolist()).toEqual([
      [[0, 1, 2, 0, 1, 2, 0, 1, 2]],
    ]);
    const m = arange(6).reshape(2, 3);
    const dims = 'dim 0 appears multiple times in the list of dims';
    expect(() => m.flip([0, 0])).toThrow(ShapeError);
    expect(() => m.flip([0, -2])).toThrow(dims);
    expect(() => tensor(5).flip([0, 0])).toThrow(dims);
    expect(m.flip([1, 0]).tolist()).toEqual([
      [5, 4, 3],
      [2, 1, 0],
    ]);
  });

  it('NablaErrors, not plain JS errors: huge shapes, SGD without lr, a fractional Linear size', () => {
    // issue 13, defect 13: a RangeError, a TypeError and "negative dimension 2.5" before
    for (const make of [
      () => zeros([2 ** 40]),
      () => ones(2 ** 20, 2 ** 20),
      () => randn(2 ** 41),
      () =>
        ones(1)
          .expand(2 ** 40)
          .contiguous(),
    ]) {
      expect(make).toThrow(OutOfMemoryError);
      expect(make).toThrow(/can't allocate memory: you tried to allocate \d+ bytes/);
    }
    expect(() => zeros([2 ** 62, 2 ** 62])).toThrow(ShapeError);
    expect(() => zeros([2 ** 62, 2 ** 62])).toThrow(
      `Storage size calculation overflowed with sizes=[${2 ** 62}, ${2 ** 62}]`,
    );
    const w = [zeros(2).requiresGrad_()];
    const noLr = () => new optim.SGD(w);
    expect(noLr).toThrow(ArgumentError);
    expect(noLr).toThrow(
      "parameter group didn't specify a value of required optimization parameter lr",
    );
    // (a group may give its own lr, as in PyTorch)
    expect(new optim.SGD([{ params: w, lr: 0.5 }]).paramGroups[0]!.lr).toBe(0.5);
    expect(() => new optim.SGD(w, { lr: -1 })).toThrow('Invalid learning rate: -1');
    expect(() => new nn.Linear(2.5, 3)).toThrow(ShapeError);
    expect(() => new nn.Linear(2.5, 3)).toThrow(
      'Trying to create tensor with dimension 2.5: [3, 2.5]; a dimension must be a non-negative integer',
    );
    expect(() => zeros(2, NaN)).toThrow('a dimension must be a non-negative integer');
    expect(() => zeros(3, -1)).toThrow(
      'Trying to create tensor with negative dimension -1: [3, -1]',
    );
    // full() fills straight into the backend's buffer, a chunk at a time
    const n = 3 * 65536 + 5;
    const f = full([n], 2.5).dataSync();
    expect(f.length).toBe(n);
    expect(f.every((v) => v === 2.5)).toBe(true);
    expect(full([3], 7, { dtype: 'int32' }).tolist()).toEqual([7, 7, 7]);
    expect(zeros(4).tolist()).toEqual([0, 0, 0, 0]);
  });

  it('dtype errors', () => {
    expect(() => tensor([1, 2], { dtype: 'int32' }).mean()).toThrow(
      /mean\(\): could not infer output dtype/,
    );
    expect(() => tensor([true]).neg()).toThrow(
      /Negation, the `-` operator, on a bool tensor is not supported/,
    );
    expect(() => tensor([true]).sub(tensor([false]))).toThrow(
      /Subtraction, the `-` operator, with two bool tensors/,
    );
    expect(() => ones(3).gather(0, tensor([0]))).toThrow(/Expected dtype int32 for index/);
    expect(() => ones(3).maskedFill(tensor([1, 0, 1]), 0)).toThrow(/only supports boolean masks/);
  });

  it('unknown backends', () => {
    expect(() => setBackend('quantum')).toThrow(DeviceError);
    expect(() => zeros(2, { device: 'quantum' })).toThrow(/backend 'quantum' is not available/);
  });

  it('a failed call leaves its inputs, and the graph, as they were', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    const before = y.gradFn;
    expect(() => y.add(ones(4))).toThrow(ShapeError);
    expect(() => cat([y, ones(2, 2)])).toThrow(ShapeError);
    expect(() => y.reshape(4)).toThrow(ShapeError);
    expect(y.gradFn).toBe(before);
    expect(y.tolist()).toEqual([2, 4, 6]);
    const a = arange(6).reshape(2, 3);
    expect(() => a.scatter(0, tensor([[9, 0, 0]], { dtype: 'int32' }), 1)).toThrow(IndexError);
    expect(a.tolist()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual([2, 2, 2]);
  });
});
