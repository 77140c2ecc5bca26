// webgpu matmul and window kernels against the cpu oracle on shapes that cross the GPU kernels'
// tile, skinny and batch boundaries (both the tiled and the skinny GEMM of each primitive), and a
// check that float32/int32 calls never leave the GPU.
// Runs in the webgpu test project (where the webgpu backend is loaded); skipped elsewhere.
import { describe, expect, it } from 'vitest';
import { Generator, listBackends, randn, tensor } from '../../src/index.js';
import { getBackend } from '../../src/backend/registry.js';
import type { WebgpuBackend } from '../../src/backend/webgpu/index.js';
import { apply } from '../../src/ops/apply.js';
import type { ParamsOf, Primitive } from '../../src/primitives.js';
import type { Tensor } from '../../src/tensor.js';

const hasWebgpu = listBackends().some((b) => b.name === 'webgpu');
const gen = new Generator(77);
const r = (...shape: number[]) => randn(shape, { generator: gen });

/** `p` on webgpu and on cpu from the same values (webgpu inputs keep the view's layout). */
function compare<P extends Primitive>(
  p: P,
  make: (device: string) => Tensor[],
  params: ParamsOf<P>,
  tol = 1e-4,
): void {
  const got = apply(p, make('webgpu'), params);
  const want = apply(p, make('cpu'), params);
  expect(got.device).toBe('webgpu');
  expect(got.shape).toEqual(want.shape);
  const a = Array.from(got.to('cpu').dataSync() as ArrayLike<number>);
  const b = Array.from(want.dataSync() as ArrayLike<number>);
  b.forEach((w, i) => {
    const v = a[i]!;
    if (Number.isNaN(w)) expect(v, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(w)) expect(v, `element ${i}`).toBe(w);
    else
      expect(Math.abs(v - w), `element ${i}: ${v} vs ${w}`).toBeLessThanOrEqual(
        tol * (1 + Math.abs(w)),
      );
  });
}

/** `t` moved to `device`, then viewed by `view` there. */
const on = (t: Tensor, device: string, view: (x: Tensor) => Tensor = (x) => x) =>
  view(t.to(device));

describe.skipIf(!hasWebgpu)('webgpu linalg kernels', () => {
  const backend = () => getBackend('webgpu') as WebgpuBackend;

  it('matmul: several tiles with ragged edges, strided and transposed operands', () => {
    const a = r(150, 70);
    const b = r(90, 70);
    compare('matmul', (d) => [on(a, d), on(b, d, (x) => x.t())], {});
    const c = r(70, 200);
    compare('matmul', (d) => [on(a, d), on(c, d, (x) => x.slice(1, 1, null, 2))], {});
  });

  it('matmul: broadcast batches and the skinny path (small m or n, large k)', () => {
    const a = r(3, 1, 65, 33);
    const b = r(4, 33, 66);
    compare('matmul', (d) => [on(a, d).expand(3, 4, 65, 33), on(b, d).expand(3, 4, 33, 66)], {});
    const v = r(1, 700);
    const w = r(700, 300);
    compare('matmul', (d) => [on(v, d), on(w, d)], {});
    compare('matmul', (d) => [on(w, d, (x) => x.t()), on(v, d, (x) => x.t())], {});
  });

  it('matmul: int32 wraps as the cpu kernel, NaN and inf propagate, k = 0 gives zeros', () => {
    const ai = tensor(
      [
        [2147483647, 2],
        [-5, 7],
      ],
      { dtype: 'int32' },
    );
    const bi = tensor(
      [
        [1, 3],
        [1, -4],
      ],
      { dtype: 'int32' },
    );
    compare('matmul', (d) => [on(ai, d), on(bi, d)], {});
    // int32 on the tiled kernel too (products fill their tiles)
    const ia = r(70, 40).mul(50).round().to({ dtype: 'int32' });
    const ib = r(40, 90).mul(50).round().to({ dtype: 'int32' });
    compare('matmul', (d) => [on(ia, d), on(ib, d)], {});
    const big = r(80, 80);
    const nan = tensor([
      [Number.NaN, 1, Infinity],
      [0, 1, 2],
    ]);
    compare('matmul', (d) => [on(nan, d), on(big, d, (x) => x.slice(0, 0, 3))], {});
    const e = r(70, 0);
    compare('matmul', (d) => [on(e, d), on(r(0, 90), d)], {});
  });

  it('convolutions: several tiles of outputs, channels and taps, strided views', () => {
    const win = { kernelSize: [3, 3], dilation: [2, 1], padding: [2, 1], stride: [1, 2] } as const;
    const x = r(3, 9, 14, 20).mul(0.3);
    const w = r(70, 9, 3, 3).mul(0.3);
    const b = r(70);
    const xt = (d: string) => on(x.transpose(2, 3).contiguous(), d, (t) => t.transpose(2, 3));
    compare('conv2d', (d) => [xt(d), on(w, d), on(b, d)], win);
    const gy = r(3, 70, 14, 10).mul(0.3);
    compare('conv2dWeightGrad', (d) => [on(gy, d), xt(d)], win);
    compare('conv2dInputGrad', (d) => [on(gy, d), on(w, d)], { ...win, inputSize: [14, 20] });
  });

  it('float32 and int32 calls run on the GPU (no host route)', () => {
    backend().hostCalls.clear();
    apply('matmul', [r(5, 6).to('webgpu'), r(6, 7).to('webgpu')], {});
    apply('matmul', [r(100, 6).to('webgpu'), r(6, 70).to('webgpu')], {});
    apply(
      'matmul',
      [
        tensor([[1, 2]], { dtype: 'int32' }).to('webgpu'),
        tensor([[3], [4]], { dtype: 'int32' }).to('webgpu'),
      ],
      {},
    );
    const x = r(2, 3, 9, 8).to('webgpu');
    const win = { kernelSize: [3, 2], dilation: [1, 2], padding: [1, 1], stride: [2, 1] } as const;
    const cols = apply('unfold', [x], win);
    apply('fold', [cols], { ...win, outputSize: [9, 8] });
    apply('maxPoolIndices', [x], { ...win, grid: [5, 8] });
    const w = r(4, 3, 3, 2).to('webgpu');
    const y = apply('conv2d', [x, w, r(4).to('webgpu')], win);
    apply('conv2dWeightGrad', [y, x], win);
    apply('conv2dInputGrad', [y, w], { ...win, inputSize: [9, 8] });
    expect([...backend().hostCalls.keys()]).toEqual([]);
  });
});
