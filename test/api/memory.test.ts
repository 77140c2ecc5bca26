// Memory: no manual disposal needed (GC + FinalizationRegistry), dispose()/tidy() free at once, no growth in loops.
import { describe, expect, it } from 'vitest';
import {
  emptyCache,
  getBackend,
  keep,
  manualSeed,
  memory,
  noGrad,
  optim,
  randn,
  setMemoryTracking,
  tensor,
  tidy,
  zeros,
  type Tensor,
} from '../../src/index.js';

// Lifetime tracking is off until memory() is first called; these tests want it from the start.
setMemoryTracking(true);

const gc = (globalThis as { gc?: () => void }).gc;

/** Runs the collector and lets finalisation callbacks fire. */
async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 0));
  }
}

function mlp(zeroInPlace = false) {
  manualSeed(0);
  const params = [randn(8, 16), zeros(16), randn(16, 4), zeros(4)].map((p) =>
    p.mul(0.1).requiresGrad_(),
  );
  const x = randn(32, 8);
  const y = randn(32, 4);
  const step = () => {
    const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
    const loss = x.matmul(w1).add(b1).relu().matmul(w2).add(b2).sub(y).square().mean();
    for (const p of params) {
      if (zeroInPlace) p.grad?.zero_();
      else p.grad = null;
    }
    loss.backward();
    noGrad(() => {
      for (const p of params) p.sub_(p.grad!, { alpha: 0.01 });
    });
    return loss;
  };
  return { params, step };
}

describe('memory', () => {
  it('needs --expose-gc for these tests', () => {
    expect(typeof gc).toBe('function');
  });

  it('shows no growth over 1,000 forward/backward iterations without manual disposal', async () => {
    const { step } = mlp();
    for (let i = 0; i < 20; i++) step();
    await collect();
    const start = memory();
    for (let i = 0; i < 1000; i++) step();
    await collect();
    const end = memory();
    expect(end.tensors).toBeLessThanOrEqual(start.tensors);
    expect(end.bytes).toBeLessThanOrEqual(start.bytes);
  });

  it('shows no growth over 1,000 iterations inside tidy, deterministically', () => {
    // Gradients are zeroed in place (PyTorch's zero_grad(set_to_none=False)), so they are allocated once.
    const { step } = mlp(true);
    // two warm-up steps: the second is the first to zero gradients in place (its scalar 0 is cached)
    tidy(() => void step());
    tidy(() => void step());
    const start = memory();
    for (let i = 0; i < 1000; i++) tidy(() => void step());
    const end = memory();
    // Exact: every tensor a step creates is disposed by tidy.
    expect(end.tensors).toBe(start.tensors);
    expect(end.storages).toBe(start.storages);
    expect(end.bytes).toBe(start.bytes);
  });

  it('dispose frees the storage once the last view goes', () => {
    const before = memory();
    const a = zeros(1000);
    const v = a.reshape(10, 100);
    expect(memory().bytes - before.bytes).toBe(4000);
    a.dispose();
    expect(memory().bytes - before.bytes).toBe(4000);
    v.dispose();
    expect(memory().bytes - before.bytes).toBe(0);
    expect(memory().tensors).toBe(before.tensors);
    expect(() => a.add(1)).toThrow('Tensor is disposed');
  });

  it('tidy keeps returned tensors and kept ones', () => {
    zeros(3).add(1).mul(2).mul(3); // warm the shared scalar constants 1, 2 and 3
    const before = memory().tensors;
    let kept: Tensor | undefined;
    const out = tidy(() => {
      const a = zeros(3).add(1);
      kept = keep(a.mul(2));
      return { result: a.mul(3) };
    });
    expect(out.result.tolist()).toEqual([3, 3, 3]);
    expect(kept!.tolist()).toEqual([2, 2, 2]);
    expect(memory().tensors - before).toBe(2);
  });

  it('releases tensors saved for backward once backward has run', async () => {
    const x = randn(256, 256, { requiresGrad: true });
    const loss = x.exp().tanh().sigmoid().sum();
    await collect();
    const held = memory().bytes;
    loss.backward();
    await collect();
    const after = memory().bytes;
    // exp, tanh and sigmoid each saved a 256 KiB output; those are gone now (x.grad was added).
    expect(held - after).toBeGreaterThanOrEqual(2 * 256 * 256 * 4);
  });
});

describe('memory tracking', () => {
  it('on cpu counts only what is created once tracking is on, and never goes negative', async () => {
    setMemoryTracking(false);
    const before = tensor([1, 2, 3], { device: 'cpu' });
    const base = memory(); // turns tracking on again
    const after = tensor([4, 5], { device: 'cpu' });
    expect(memory().tensors - base.tensors).toBe(1);
    before.dispose();
    expect(memory().tensors - base.tensors).toBe(1);
    after.dispose();
    expect(memory().tensors - base.tensors).toBe(0);
    await collect();
    expect(memory().tensors).toBeGreaterThanOrEqual(0);
  });
});

describe('memory() on its first call', () => {
  // issue 13: memory() returned zeros on its first call. Native and wasm tensors (the defaults)
  // are registered with the finalizer anyway, so they are counted from the start.
  it('counts native and wasm tensors made before it was ever called', () => {
    setMemoryTracking(false);
    const t = tensor([1, 2]);
    const first = memory();
    t.dispose();
    const dropped = first.tensors - memory().tensors;
    expect(dropped).toBe(getBackend().gcManaged ? 0 : 1);
    if (!getBackend().gcManaged)
      expect(first.backends[getBackend().name]!.bytes).toBeGreaterThan(0);
  });
});

describe('memory tracking in a loop that never yields', () => {
  // issue 13, defect 11: the finalizer's held value kept each tensor's storage (and buffer)
  // alive until its callback ran, which a synchronous loop never lets happen.
  it('lets the garbage collector take the buffers of dropped tensors while tracking', () => {
    memory();
    const mb = () => process.memoryUsage().arrayBuffers / 2 ** 20;
    gc!();
    const before = mb();
    for (let i = 0; i < 100; i++) {
      const x = randn(256, 1024); // 1 MiB, dropped at once: only the collector can free it
      x.add(1).mul(2);
      if (i % 10 === 9) gc!();
    }
    gc!();
    expect(mb() - before).toBeLessThan(40);
  });

  it('counts a view of a tensor made before tracking, and uncounts it when disposed', async () => {
    await collect(); // (what earlier tests dropped)
    setMemoryTracking(false);
    const old = zeros(4);
    setMemoryTracking(true);
    const base = memory();
    const v = old.view(2, 2);
    expect(memory().tensors - base.tensors).toBe(1);
    expect(memory().storages - base.storages).toBe(0);
    v.dispose();
    expect(memory().tensors - base.tensors).toBe(0);
    // and when it is collected instead
    old.view(4, 1).add(1); // two tensors, one new storage (freed by the collector)
    await collect();
    expect(memory().tensors - base.tensors).toBe(0);
    expect(memory().storages - base.storages).toBe(0);
    expect(memory().bytes - base.bytes).toBe(0);
    expect(old.tolist()).toEqual([0, 0, 0, 0]);
  });
});

describe('buffer pool', () => {
  it('reuses the large buffers that tidy frees, zero-filled', () => {
    // the default backend's cache (the typed-array pool on cpu/wasm/native, GPU buffers on webgpu)
    const backend = getBackend();
    const poolStats = () => backend.cacheStats!();
    backend.emptyCache!();
    const x = tidy(() => {
      const a = randn(128, 128).mul(3); // 64 KiB: pooled when freed
      return a.sum();
    });
    expect(Number.isFinite(x.item() as number)).toBe(true);
    expect(poolStats().buffers).toBeGreaterThanOrEqual(1);
    const before = poolStats().buffers;
    const z = zeros(128, 128); // takes a pooled buffer back
    expect(poolStats().buffers).toBe(before - 1);
    expect(z.abs().sum().item()).toBe(0);
  });

  it('keeps its bookkeeping bounded when the same buffers cycle through it', async () => {
    // A buffer returned again once left its older queue entry live, so the queue grew by one entry
    // per return and was filtered on every return: 20% of an MLP step. The pool now keeps one
    // entry per pooled buffer.
    const { clearPool, poolStats, returnArray, takeArray } =
      await import('../../src/backend/cpu/pool.js');
    clearPool();
    const bufs = [takeArray('float32', 8192), takeArray('float32', 8192)];
    for (let i = 0; i < 20_000; i++) {
      for (const b of bufs) returnArray(b);
      returnArray(bufs[0]!); // a second return of the same buffer is ignored
      expect(poolStats().buffers).toBe(2);
      bufs[1] = takeArray('float32', 8192);
      bufs[0] = takeArray('float32', 8192);
      expect(poolStats()).toEqual({ buffers: 0, bytes: 0 });
    }
    expect(bufs[0]).not.toBe(bufs[1]);
    clearPool();
  });

  it('lets the buffers returned longest ago go first once past its 1 GiB cap', async () => {
    // Taken for overwriting, so neither taking nor returning touches their pages.
    const { clearPool, poolStats, returnArray, takeArray } =
      await import('../../src/backend/cpu/pool.js');
    clearPool();
    const size = 64 * 2 ** 20 + 1; // a little over 256 MiB of float32: three fit under the cap
    const bufs = Array.from({ length: 5 }, () => takeArray('float32', size, true));
    for (const b of bufs) returnArray(b);
    expect(poolStats().buffers).toBe(3);
    const back = new Set([0, 1, 2].map(() => takeArray('float32', size, true)));
    expect(back).toEqual(new Set(bufs.slice(2)));
    clearPool();
  });

  it('is reported by memory() and emptied by emptyCache()', () => {
    emptyCache();
    expect(memory().cached).toEqual({ buffers: 0, bytes: 0 });
    tidy(() => void randn(64, 256).relu()); // two 64 KiB buffers freed into the cache
    expect(memory().cached.buffers).toBe(2);
    expect(memory().cached.bytes).toBe(2 * 64 * 256 * 4);
    emptyCache();
    expect(memory().cached.bytes).toBe(0);
  });

  it('zeroGrad() recycles a gradient nobody has read, and leaves one the user holds alone', () => {
    const w = randn([64, 128], { requiresGrad: true }); // 32 KiB: pooled when freed
    const opt = new optim.SGD([w], { lr: 0.1 });
    const step = () => tidy(() => w.mul(w).sum().backward());
    step();
    emptyCache();
    opt.zeroGrad(); // unseen: disposed at once, its buffer cached for the next backward
    expect(memory().cached.buffers).toBe(1);
    step();
    const held = w.grad!; // seen: zeroGrad must not touch it
    const before = held.tolist();
    opt.zeroGrad();
    expect(w.grad).toBeNull();
    expect(held.isDisposed).toBe(false);
    step();
    opt.step();
    expect(held.tolist()).toEqual(before);
  });
});
