// Gradients tier: gradcheck itself (it must catch a wrong backward), custom Functions, and in-place ops under autograd.
import { describe, expect, it } from 'vitest';
import * as nb from '../../src/index.js';
import { autograd, type Tensor } from '../../src/index.js';
import { check, gen, pos, rn } from './helpers.js';

class Cube extends autograd.Function {
  static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.mul(x).mul(x);
  }
  // d x³ = 3x²
  static override backward(ctx: autograd.FunctionCtx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x!.mul(x!).mul(3));
  }
}

class WrongCube extends autograd.Function {
  static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.mul(x).mul(x);
  }
  // deliberately wrong: 2x² instead of 3x²
  static override backward(ctx: autograd.FunctionCtx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x!.mul(x!).mul(2));
  }
}

/** Two inputs, two outputs, a non-tensor argument: (a·b·k, a + b). */
class MulAdd extends autograd.Function {
  static override forward(ctx: autograd.FunctionCtx, a: Tensor, b: Tensor, k: number): Tensor[] {
    ctx.saveForBackward(a, b);
    ctx.state.k = k;
    return [a.mul(b).mul(k), a.add(b)];
  }
  static override backward(ctx: autograd.FunctionCtx, g1: Tensor, g2: Tensor): (Tensor | null)[] {
    const [a, b] = ctx.savedTensors;
    const k = ctx.state.k as number;
    return [g1.mul(b!).mul(k).add(g2), g1.mul(a!).mul(k).add(g2), null];
  }
}

describe('gradcheck catches wrong gradients', () => {
  it('a custom Function with a wrong backward throws GradcheckError', () => {
    const x = rn([3], gen());
    expect(() => autograd.gradcheck((a) => WrongCube.apply(a), [x])).toThrow(
      autograd.GradcheckError,
    );
    expect(() => autograd.gradcheck((a) => WrongCube.apply(a), [x])).toThrow(/Jacobian mismatch/);
  });

  it('returns false with raiseException: false', () => {
    const x = rn([3], gen());
    expect(autograd.gradcheck((a) => WrongCube.apply(a), [x], { raiseException: false })).toBe(
      false,
    );
    expect(autograd.gradcheck((a) => Cube.apply(a), [x], { raiseException: false })).toBe(true);
  });

  it('gradgradcheck catches a backward that is right to first order only', () => {
    // First derivative right, but computed from a detached input: second derivative lost.
    class DetachedCube extends autograd.Function {
      static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
        ctx.saveForBackward(x);
        return x.mul(x).mul(x);
      }
      static override backward(ctx: autograd.FunctionCtx, g: Tensor): Tensor {
        const [x] = ctx.savedTensors;
        const xd = x!.detach();
        return g.mul(xd.mul(xd).mul(3));
      }
    }
    const x = rn([3], gen());
    check((a) => DetachedCube.apply(a), [x]);
    expect(() => autograd.gradgradcheck((a) => DetachedCube.apply(a), [x])).toThrow(
      autograd.GradcheckError,
    );
    expect(
      autograd.gradgradcheck((a) => DetachedCube.apply(a), [x], { raiseException: false }),
    ).toBe(false);
  });

  it('rejects float32 inputs that require grad', () => {
    const x = nb.randn([3], { requiresGrad: true });
    expect(() => autograd.gradcheck((a) => a.exp(), [x])).toThrow(/double precision/);
  });
});

describe('custom autograd.Function', () => {
  it('single input, saved tensors', () => {
    const x = rn([2, 3], gen());
    check((a) => Cube.apply(a), [x]);
    check((a) => Cube.apply(a.t()).sin(), [x]);
  });

  it('two inputs, two outputs, a non-tensor argument', () => {
    const g = gen();
    const a = rn([4], g);
    const b = rn([4], g);
    check((x, y) => MulAdd.apply(x, y, 1.5), [a, b]);
    // only the first output used downstream
    check((x, y) => MulAdd.apply(x, y, -2)[0]!.exp(), [a, b]);
    // only one input requiring grad
    check((x) => MulAdd.apply(x, b.detach(), 3), [a]);
  });

  it('second order through a Function whose backward is differentiable', () => {
    const x = rn([3], gen());
    expect(autograd.gradgradcheck((a) => Cube.apply(a), [x])).toBe(true);
  });
});

describe('in-place ops on non-leaf tensors', () => {
  it('add_ / sub_ (with alpha, tensor and scalar operands)', () => {
    const g = gen();
    const x = rn([2, 3], g);
    const z = rn([3], g);
    check(
      (a, b) => {
        const y = a.mul(2);
        y.add_(b);
        return y;
      },
      [x, z],
    );
    check(
      (a, b) => {
        const y = a.mul(0.5);
        y.add_(b, { alpha: -1.5 }).sub_(b.sin(), { alpha: 2 }).add_(0.5);
        return y;
      },
      [x, z],
    );
  });

  it('mul_ / div_ by a tensor and by a scalar', () => {
    const g = gen();
    const x = rn([2, 3], g);
    const z = pos([2, 3], g);
    check(
      (a, b) => {
        const y = a.mul(1);
        y.mul_(b);
        return y;
      },
      [x, z],
    );
    check(
      (a, b) => {
        const y = a.add(1);
        y.div_(b).mul_(3).div_(2);
        return y;
      },
      [x, z],
    );
    // the in-place result used again afterwards
    check(
      (a, b) => {
        const y = a.sin();
        y.mul_(b);
        return y.mul(y);
      },
      [x, z],
    );
  });

  it('addcmul_ and addcdiv_', () => {
    const g = gen();
    const x = rn([2, 3], g);
    const t1 = rn([2, 3], g);
    const t2 = pos([3], g);
    check(
      (a, b, c) => {
        const y = a.mul(2);
        y.addcmul_(b, c, { value: 0.5 });
        return y;
      },
      [x, t1, t2],
    );
    check(
      (a, b, c) => {
        const y = a.mul(2);
        y.addcdiv_(b, c, { value: -2 });
        return y;
      },
      [x, t1, t2],
    );
    check(
      (a, b, c) => {
        const y = a.sub(1);
        y.addcmul_(b, c).addcdiv_(b, c);
        return y;
      },
      [x, t1, t2],
    );
  });

  it('clamp_ with scalar and tensor bounds', () => {
    const x = nb.tensor(
      [
        [-1.5, -0.7, -0.2, 0.1],
        [0.35, 0.6, 0.95, 1.8],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    check(
      (a) => {
        const y = a.mul(1.5);
        y.clamp_(-0.5, 0.8);
        return y;
      },
      [x],
    );
    const hi = nb.tensor([0.4, 1.2, 0.3, -0.1], { dtype: 'float64', requiresGrad: true });
    check(
      (a, h) => {
        const y = a.mul(1);
        y.clamp_(null, h);
        return y;
      },
      [x, hi],
    );
  });

  it('copy_ (gradient goes to the source, none to the overwritten values)', () => {
    const g = gen();
    const x = rn([2, 3], g);
    const s = rn([3], g);
    check(
      (a, b) => {
        const y = a.mul(2);
        y.copy_(b);
        return y.mul(a);
      },
      [x, s],
    );
    // copying into a tensor that does not require grad
    check((b) => nb.zeros([2, 3], { dtype: 'float64' }).copy_(b.exp()), [s]);
  });

  it('fill_ and zero_ (the old values get no gradient)', () => {
    const g = gen();
    const x = rn([2, 3], g);
    const v = rn([], g);
    check(
      (a) => {
        const y = a.mul(2);
        y.fill_(0.5);
        return y.add(a);
      },
      [x],
    );
    check(
      (a, b) => {
        const y = a.mul(2);
        y.fill_(b);
        return y.mul(a);
      },
      [x, v],
    );
    check(
      (a) => {
        const y = a.mul(3);
        y.zero_();
        return y.add(a.sin());
      },
      [x],
    );
  });

  it('mul_ / div_ / clamp_ into a tensor that does not require grad', () => {
    const g = gen();
    const z = pos([2, 3], g);
    check((b) => nb.ones([2, 3], { dtype: 'float64' }).mul(2).mul_(b), [z]);
    check((b) => nb.ones([2, 3], { dtype: 'float64' }).div_(b), [z]);
  });

  it('modifying a tensor that backward saved is an error, as in PyTorch', () => {
    const x = rn([3], gen());
    const y = x.tanh(); // tanh saves its output
    y.add_(1);
    expect(() => y.sum().backward()).toThrow(/modified by an inplace operation/);
  });
});

describe('composites', () => {
  it('a two-layer MLP with a softmax cross-entropy-like loss', () => {
    const g = gen();
    const x = rn([3, 4], g);
    const w1 = rn([4, 5], g);
    const b1 = rn([5], g);
    const w2 = rn([5, 2], g);
    const target = nb.tensor([0, 1, 1], { dtype: 'int32' });
    check(
      (inp, a, b, c) =>
        inp
          .matmul(a)
          .add(b)
          .tanh()
          .matmul(c)
          .logSoftmax(1)
          .gather(1, target.unsqueeze(1))
          .mean()
          .neg(),
      [x, w1, b1, w2],
    );
  });

  it('layer-norm-like normalisation', () => {
    const g = gen();
    const x = rn([3, 5], g);
    const w = rn([5], g);
    check(
      (a, b) => {
        const m = a.mean(1, true);
        const v = a.var(1, false, true);
        return a.sub(m).div(v.add(1e-5).sqrt()).mul(b);
      },
      [x, w],
    );
  });

  it('a tensor used many times (gradient accumulation in the graph)', () => {
    const x = rn([4], gen());
    check((a) => a.mul(a).add(a.exp()).mul(a.sin()).sum().add(a.dot(a)), [x]);
  });
});
