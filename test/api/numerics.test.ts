// The numeric edge cases the core must get right: stability, summation accuracy, NaN, kinks, ties.
import { describe, expect, it } from 'vitest';
import { full, logSoftmax, softmax, tensor } from '../../src/index.js';

const values = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

describe('numerics', () => {
  it('log_softmax([1000, 0]) = [0, -1000]', () => {
    expect(values(logSoftmax(tensor([1000, 0]), 0))).toEqual([0, -1000]);
  });

  it('softmax([-1e4, -1e4]) = [0.5, 0.5]', () => {
    expect(values(softmax(tensor([-1e4, -1e4]), 0))).toEqual([0.5, 0.5]);
  });

  it('rounding keeps the sign of zero, as libm does, also in the C kernels (a large tensor)', () => {
    const n = 1 << 17; // past the fast backends' thresholds
    const at0 = (t: { dataSync(): ArrayLike<number> }) => t.dataSync()[0];
    expect(Object.is(at0(full([n], -0.7).ceil()), -0)).toBe(true);
    expect(Object.is(at0(full([n], -0.3).round()), -0)).toBe(true);
    expect(Object.is(at0(full([n], -0).floor()), -0)).toBe(true);
    expect(Object.is(at0(full([n], 0.7).floor()), 0)).toBe(true);
  });

  it('logsumexp([-inf, -inf]) = -inf', () => {
    expect(tensor([-Infinity, -Infinity]).logsumexp(0).item()).toBe(-Infinity);
  });

  it('the sum of 1,392,640 float32 copies of 0.1 is within 1e-5 relative of 139264', () => {
    const s = full([1_392_640], 0.1).sum().item() as number;
    expect(Math.abs(s - 139264) / 139264).toBeLessThan(1e-5);
    // also along a dim of a 2-d tensor, and over a strided view
    const t = full([1360, 1024], 0.1);
    const byRow = t.sum(1).sum().item() as number;
    const strided = t.t().sum().item() as number;
    expect(Math.abs(byRow - 139264) / 139264).toBeLessThan(1e-5);
    expect(Math.abs(strided - 139264) / 139264).toBeLessThan(1e-5);
  });

  it('the unbiased var of [1e9+4, 1e9+7, 1e9+13, 1e9+16] in float64 is 30', () => {
    const x = tensor([1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16], { dtype: 'float64' });
    expect(x.var().item()).toBe(30);
    expect(x.var(0, false).item()).toBe(22.5);
  });

  it('relu(NaN) and max([1, NaN]) are NaN', () => {
    expect(tensor([Number.NaN]).relu().item()).toBeNaN();
    expect(tensor([1, Number.NaN]).max().item()).toBeNaN();
    expect(tensor([Number.NaN, 1]).max().item()).toBeNaN();
    expect(tensor([1, Number.NaN]).amin().item()).toBeNaN();
    expect(tensor([1, Number.NaN]).argmax().item()).toBe(1);
    expect(
      tensor([1, Number.NaN])
        .maximum(tensor([2, 2]))
        .tolist(),
    ).toEqual([2, Number.NaN]);
  });

  it('relu keeps -0 and NaN and zeros the negatives, as PyTorch (all lanes and the tail)', () => {
    // PyTorch 1.13: torch.relu(torch.tensor([-0., 0., -1., nan])) is [-0., 0., 0., nan].
    const x = tensor(Array.from({ length: 37 }, (_, i) => [-0, 0, -1, Number.NaN, 2][i % 5]!));
    const got = Array.from(x.relu().dataSync() as Float32Array);
    got.forEach((v, i) => {
      const want = [-0, 0, 0, Number.NaN, 2][i % 5]!;
      expect(Object.is(v, want), `relu at ${i}: ${v}`).toBe(true);
    });
  });

  it("relu'(0) = 0 and abs'(0) = 0", () => {
    const x = tensor([0], { requiresGrad: true });
    x.relu().sum().backward();
    expect(values(x.grad!)).toEqual([0]);
    const y = tensor([0], { requiresGrad: true });
    y.abs().sum().backward();
    expect(values(y.grad!)).toEqual([0]);
  });

  it('the gradient of max over the ties [1, 1] is [0.5, 0.5]', () => {
    const x = tensor([1, 1], { requiresGrad: true });
    x.max().backward();
    expect(values(x.grad!)).toEqual([0.5, 0.5]);
  });

  it('max along a dim sends the gradient to the first maximum only, as PyTorch does', () => {
    const x = tensor([[1, 1]], { requiresGrad: true });
    x.max(1).values.sum().backward();
    expect(values(x.grad!)).toEqual([1, 0]);
  });

  it('d/dx pow(x, 0) at 0 = 0', () => {
    const x = tensor([0], { requiresGrad: true });
    x.pow(0).sum().backward();
    expect(values(x.grad!)).toEqual([0]);
    const y = tensor([0], { requiresGrad: true });
    y.pow(tensor([0]))
      .sum()
      .backward();
    expect(values(y.grad!)).toEqual([0]);
  });

  it('sigmoid and tanh saturate without NaN', () => {
    expect(values(tensor([-1000, 1000]).sigmoid())).toEqual([0, 1]);
    expect(values(tensor([-1000, 1000]).tanh())).toEqual([-1, 1]);
  });

  it('round rounds half to even, as torch.round', () => {
    expect(values(tensor([0.5, 1.5, 2.5, -0.5, -1.5, 2.4]).round())).toEqual([0, 2, 2, -0, -2, 2]);
  });

  it('prod gradient with zeros is exact', () => {
    const one = tensor([2, 0, 3], { requiresGrad: true });
    one.prod().backward();
    expect(values(one.grad!)).toEqual([0, 6, 0]);
    const two = tensor([2, 0, 0], { requiresGrad: true });
    two.prod().backward();
    expect(values(two.grad!)).toEqual([0, 0, 0]);
  });

  it('norm gradient at the zero vector is 0, not NaN', () => {
    const x = tensor([0, 0], { requiresGrad: true });
    x.norm().backward();
    expect(values(x.grad!)).toEqual([0, 0]);
  });
});

describe('clamp bounds', () => {
  it('min > max gives max everywhere, as torch.clamp', () => {
    expect(values(tensor([-5, 0, 5]).clamp(2, 1))).toEqual([1, 1, 1]);
    expect(tensor([Number.NaN]).clamp(0, 1).item()).toBeNaN();
  });
});

describe('gather and scatter on a 0-d tensor', () => {
  // PyTorch treats a 0-d self as one element along dim 0; every index position reads or writes it.
  const idx = (v: number[] | number) => tensor(v, { dtype: 'int32' });
  it('gather repeats the element', () => {
    expect(
      tensor(5)
        .gather(0, idx([0, 0, 0]))
        .tolist(),
    ).toEqual([5, 5, 5]);
    expect(tensor(5).gather(0, idx(0)).tolist()).toBe(5);
    // as PyTorch: a negative index is out of bounds, also here
    expect(() => tensor(5).gather(0, idx(-1))).toThrow(
      'index -1 is out of bounds for dimension 0 with size 1',
    );
  });
  it('scatterAdd sums every source element into it, scatter keeps the last', () => {
    expect(
      tensor(5)
        .scatterAdd(0, idx([0, 0]), tensor([3, 3]))
        .tolist(),
    ).toBe(11);
    expect(
      tensor(5)
        .scatter(0, idx([0, 0]), tensor([3, 4]))
        .tolist(),
    ).toBe(4);
  });
});
