// Autograd semantics through the public API: leaves, accumulation, retainGraph, hooks, grad, custom Functions.
import { describe, expect, it } from 'vitest';
import {
  AutogradError,
  autograd,
  enableGrad,
  isGradEnabled,
  nn,
  noGrad,
  ones,
  randn,
  tensor,
  type Tensor,
} from '../../src/index.js';

const close = (t: Tensor | null, expected: number[] | number, tol = 1e-6) => {
  expect(t).not.toBeNull();
  const got = Array.from(t!.dataSync() as Float32Array);
  const exp = typeof expected === 'number' ? [expected] : expected;
  expect(got.length).toBe(exp.length);
  got.forEach((g, i) =>
    expect(Math.abs(g - exp[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(exp[i]!))),
  );
};

describe('leaves and accumulation', () => {
  it('marks leaves and non-leaves', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    expect(x.isLeaf).toBe(true);
    expect(y.isLeaf).toBe(false);
    expect(y.requiresGrad).toBe(true);
    expect(y.gradFn?.name).toBe('MulBackward');
    expect(tensor([1]).requiresGrad).toBe(false);
  });

  it('accumulates .grad across backward calls until zeroed', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    close(x.grad, [2, 4, 6]);
    x.mul(3).sum().backward();
    close(x.grad, [5, 7, 9]);
    x.grad = null;
    x.sum().backward();
    close(x.grad, [1, 1, 1]);
  });

  it('leaves never share a .grad tensor, and a user gradient is never adopted', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    a.add(b).sum().backward(); // add's backward passes the same gradient to both
    expect(a.grad).not.toBe(b.grad);
    noGrad(() => a.grad!.add_(10));
    close(b.grad, [1, 1]);
    const c = tensor([1, 2], { requiresGrad: true });
    const g = tensor([5, 6]);
    c.mul(1).backward(g);
    noGrad(() => c.grad!.add_(1));
    expect(g.tolist()).toEqual([5, 6]);
    // A fresh gradient is stored without a copy and accumulates in place afterwards.
    const d = tensor([1, 2], { requiresGrad: true });
    d.mul(3).sum().backward();
    const first = d.grad;
    d.mul(3).sum().backward();
    expect(d.grad).toBe(first);
    close(d.grad, [6, 6]);
  });

  it('a gradient a hook kept is not modified by later accumulation', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    let seen: Tensor | undefined;
    w.registerHook((g) => {
      seen = g;
    });
    w.mul(3).sum().backward();
    w.mul(3).sum().backward();
    close(w.grad, [6, 6]);
    close(seen!, [3, 3]);
  });

  it('a Linear weight gets a contiguous gradient of its own', () => {
    const lin = new nn.Linear(3, 2);
    lin.forward(ones(4, 3)).sum().backward();
    expect(lin.weight.grad!.isContiguous()).toBe(true);
    expect(lin.weight.grad!.shape).toEqual([2, 3]);
  });

  it('exposes gradFn.nextFunctions down to AccumulateGrad', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4]);
    const y = a.mul(b).sum();
    const mul = y.gradFn!.nextFunctions[0]![0]!;
    expect(mul.name).toBe('MulBackward');
    const [accA, accB] = mul.nextFunctions;
    expect(accA![0]!.name).toBe('AccumulateGrad');
    expect(accB![0]).toBeNull();
  });

  it('rejects requiresGrad on integer tensors and on non-leaves', () => {
    expect(() => tensor([1, 2], { dtype: 'int32', requiresGrad: true })).toThrow(
      'only Tensors of floating point and complex dtype can require gradients',
    );
    const y = tensor([1], { requiresGrad: true }).mul(2);
    expect(() => {
      y.requiresGrad = false;
    }).toThrow(/only change requires_grad flags of leaf variables/);
  });

  it('implicit gradient only for scalars; explicit gradient shape is checked', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(
      'grad can be implicitly created only for scalar outputs',
    );
    expect(() => x.mul(2).backward(tensor([1, 2, 3]))).toThrow(/Mismatch in shape/);
    x.mul(2).backward(tensor([1, 10]));
    close(x.grad, [2, 20]);
  });

  it('errors when backward is called on a tensor that does not require grad', () => {
    expect(() => tensor([1]).sum().backward()).toThrow(
      'element 0 of tensors does not require grad and does not have a grad_fn',
    );
  });
});

describe('retainGraph', () => {
  it('a second backward through freed saved tensors is an error in PyTorch words', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(/Trying to backward through the graph a second time/);
  });

  it('retainGraph keeps the graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward(null, { retainGraph: true });
    y.backward();
    close(x.grad, [4, 8]);
  });

  it('nodes that saved nothing may run again, as in PyTorch', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.add(1).sum();
    y.backward();
    y.backward();
    close(x.grad, [2, 2]);
  });
});

describe('grad mode', () => {
  it('noGrad and enableGrad in function form', () => {
    const x = tensor([1], { requiresGrad: true });
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    const z = noGrad(() => enableGrad(() => x.mul(2)));
    expect(z.requiresGrad).toBe(true);
    expect(isGradEnabled()).toBe(true);
  });

  it('noGrad in scope form, with exit() and with using', () => {
    const x = tensor([1], { requiresGrad: true });
    const scope = noGrad();
    expect(x.mul(2).requiresGrad).toBe(false);
    scope.exit();
    expect(x.mul(2).requiresGrad).toBe(true);
    {
      using _ = noGrad();
      expect(isGradEnabled()).toBe(false);
    }
    expect(isGradEnabled()).toBe(true);
  });

  it('restores grad mode when the function throws', () => {
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });

  it('detach cuts the graph and shares data', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    const y = x.mul(d).sum();
    y.backward();
    close(x.grad, [1, 2]);
  });
});

describe('hooks and retainGrad', () => {
  it('retainGrad keeps a non-leaf gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(3);
    h.retainGrad();
    h.mul(h).sum().backward();
    close(h.grad, [6, 12]);
    close(x.grad, [18, 36]);
  });

  it('a hook sees the gradient and may replace it', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const seen: number[][] = [];
    const h = x.mul(2);
    h.registerHook((g) => {
      seen.push(Array.from(g.dataSync()));
      return g.mul(10);
    });
    h.sum().backward();
    expect(seen).toEqual([[1, 1]]);
    close(x.grad, [20, 20]);
  });

  it('leaf hooks run before accumulation and can be removed', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const handle = x.registerHook((g) => g.mul(2));
    x.sum().backward();
    close(x.grad, [2, 2]);
    handle.remove();
    x.grad = null;
    x.sum().backward();
    close(x.grad, [1, 1]);
  });
});

describe('autograd.grad and higher order', () => {
  it('returns gradients without touching .grad', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const [g] = autograd.grad(x.pow(3).sum(), [x]);
    close(g!, [3, 12, 27]);
    expect(x.grad).toBeNull();
  });

  it('createGraph gives second derivatives', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const [g] = autograd.grad(x.pow(3).sum(), [x], { createGraph: true });
    const [gg] = autograd.grad(g!.sum(), [x]);
    close(gg!, [6, 12, 18]);
    // and a third
    const x2 = tensor([2], { requiresGrad: true });
    const [d1] = autograd.grad(x2.pow(4), [x2], { createGraph: true });
    const [d2] = autograd.grad(d1!, [x2], { createGraph: true });
    const [d3] = autograd.grad(d2!, [x2]);
    close(d3!, [48]); // 24 x
  });

  it('backward with createGraph accumulates a differentiable .grad', () => {
    const x = tensor([3], { requiresGrad: true });
    x.pow(2).backward(null, { createGraph: true });
    expect(x.grad!.requiresGrad).toBe(true);
    const [gg] = autograd.grad(x.grad!, [x]);
    close(gg!, [2]);
  });

  it('allowUnused', () => {
    const x = tensor([1], { requiresGrad: true });
    const z = tensor([1], { requiresGrad: true });
    expect(() => autograd.grad(x.mul(2), [x, z])).toThrow(
      /appears to not have been used in the graph/,
    );
    const [gx, gz] = autograd.grad(x.mul(2), [x, z], { allowUnused: true });
    close(gx!, [2]);
    expect(gz).toBeNull();
  });

  it('gradients with respect to intermediate tensors, with gradOutputs', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    const y = h.mul(h);
    const [gh] = autograd.grad(y, [h], { gradOutputs: [tensor([1, 0.5])] });
    close(gh!, [4, 4]);
  });
});

describe('graph cases', () => {
  it('x·x·x at 1 gives gradient 3', () => {
    const x = tensor(1, { requiresGrad: true });
    x.mul(x).mul(x).backward();
    close(x.grad, 3);
  });

  it('x·(x·a) + (x·x)·a + x·(x·a) at a = x = 1 gives 6', () => {
    const x = tensor(1, { requiresGrad: true });
    const a = tensor(1);
    x.mul(x.mul(a))
      .add(x.mul(x).mul(a))
      .add(x.mul(x.mul(a)))
      .backward();
    close(x.grad, 6);
  });

  it('indexing y[[0, 0]] gives gradient 2', () => {
    const y = tensor([5, 7], { requiresGrad: true });
    y.index([0, 0]).sum().backward();
    close(y.grad, [2, 0]);
  });

  it('randn(1) * randn(5, 4) gives gradients of the input shapes', () => {
    const a = randn(1, { requiresGrad: true });
    const b = randn(5, 4, { requiresGrad: true });
    a.mul(b).sum().backward();
    expect(a.grad!.shape).toEqual([1]);
    expect(b.grad!.shape).toEqual([5, 4]);
  });

  it('backward through a chain of 100,000 ops works (iterative traversal)', () => {
    const x = tensor([1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 100_000; i++) y = y.add(1);
    y.sum().backward();
    close(x.grad, [1]);
  });
});

describe('in-place ops and version counters', () => {
  it('in-place on a leaf that requires grad is an error', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => w.add_(1)).toThrow(
      'a leaf Variable that requires grad is being used in an in-place operation.',
    );
    expect(Array.from(w.dataSync())).toEqual([1, 2]);
    noGrad(() => w.add_(1));
    expect(Array.from(w.dataSync())).toEqual([2, 3]);
  });

  it('modifying a tensor saved for backward is detected', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp();
    const z = y.mul(2).sum(); // exp saved y
    noGrad(() => y.mul_(2));
    expect(() => z.backward()).toThrow(
      /modified by an inplace operation.*is at version 1; expected version 0/,
    );
  });

  it('in-place ops on non-leaves are recorded', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    y.add_(1);
    y.mul_(3);
    expect(y.gradFn?.name).toBe('MulBackward');
    y.sum().backward();
    close(x.grad, [6, 6]);
    close(y, [9, 15]);
  });

  it('the optimizer in-place ops compute what PyTorch computes', () => {
    const p = tensor([1, 2]);
    const a = tensor([2, 4]);
    const b = tensor([4, 8]);
    p.addcmul_(a, b, { value: 0.5 });
    close(p, [5, 18]);
    p.addcdiv_(a, b, { value: 2 });
    close(p, [6, 19]);
    p.sub_(a, { alpha: 0.5 });
    close(p, [5, 17]);
    p.clamp_(0, 10);
    close(p, [5, 10]);
    p.copy_(tensor([7]));
    close(p, [7, 7]);
    p.zero_();
    close(p, [0, 0]);
    p.fill_(3);
    close(p, [3, 3]);
  });

  it('in-place ops reject shapes that do not fit and leave the tensor unchanged', () => {
    const p = tensor([1, 2]);
    expect(() => p.add_(tensor([[1, 2]]))).toThrow(/doesn't match the broadcast shape/);
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => i.add_(0.5)).toThrow(/can't be cast to the desired output type/);
    expect(Array.from(p.dataSync())).toEqual([1, 2]);
    expect(Array.from(i.dataSync())).toEqual([1, 2]);
  });
});

describe('custom Function', () => {
  class Cube extends autograd.Function {
    static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
      ctx.saveForBackward(x);
      return x.pow(3);
    }
    static override backward(ctx: autograd.FunctionCtx, g: Tensor): Tensor {
      const [x] = ctx.savedTensors;
      return g.mul(x!.pow(2)).mul(3);
    }
  }

  class ScaleBy extends autograd.Function {
    static override forward(ctx: autograd.FunctionCtx, x: Tensor, k: number): Tensor {
      ctx.state.k = k;
      expect(ctx.needsInputGrad).toEqual([true, false]);
      return x.mul(k);
    }
    static override backward(ctx: autograd.FunctionCtx, g: Tensor): (Tensor | null)[] {
      return [g.mul(ctx.state.k as number), null];
    }
  }

  it('forward, backward and saveForBackward', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = Cube.apply(x);
    expect(y.gradFn?.name).toBe('CubeBackward');
    y.sum().backward();
    close(x.grad, [3, 12]);
  });

  it('non-tensor arguments and needsInputGrad', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    ScaleBy.apply(x, 5).sum().backward();
    close(x.grad, [5, 5]);
  });

  it('passes gradcheck', () => {
    const x = randn(3, { dtype: 'float64', requiresGrad: true });
    expect(autograd.gradcheck((t) => Cube.apply(t), [x])).toBe(true);
  });

  it('without grad-requiring inputs it records nothing', () => {
    expect(Cube.apply(ones(2)).requiresGrad).toBe(false);
  });

  it('a wrong number of gradients is reported', () => {
    class Bad extends autograd.Function {
      static override forward(_ctx: autograd.FunctionCtx, x: Tensor): Tensor {
        return x.mul(2);
      }
      static override backward(_ctx: autograd.FunctionCtx, g: Tensor): (Tensor | null)[] {
        return [g, g];
      }
    }
    const x = tensor([1], { requiresGrad: true });
    expect(() => Bad.apply(x).sum().backward()).toThrow(AutogradError);
  });
});
