// Lazy fusion of elementwise chains (src/ops/fusion.ts, kernels/fused.c) on native and wasm:
// fused results equal eager ones bit for bit, and every hazard of a pending tensor is handled.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory, noGrad, optim, randn, tensor, tidy, type Tensor } from '../../src/index.js';
import { NO_THRESHOLDS } from '../../src/backend/fast/backend.js';
import { getBackend, setBackend } from '../../src/backend/registry.js';
import { loadFastBackends } from '../../src/node/backends.js';
import { fusionEnabled, setFusion, setFusionThreshold } from '../../src/ops/fusion.js';

const loaded = await loadFastBackends({ thresholds: NO_THRESHOLDS, threads: 2, quiet: true });
const names = (['native', 'wasm'] as const).filter((n) => loaded[n] !== null);

// NOTE: a NaN's sign and payload are compared as one NaN: when both operands of an add are NaN, x86
// returns the first one's, and the compiler orders commutative operands as it likes (the eager
// kernels' own row loops already differ there). Every other value is compared bit for bit.
const bits = (t: Tensor) =>
  Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer), (u) =>
    (u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0 ? 0x7fc00000 : u,
  );
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 1e-40, -1e-40, 3.4e38, -1, 1];

/** Data of n floats with the special values mixed in. */
function data(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] =
      s % 11 === 0 ? SPECIAL[s % SPECIAL.length]! : ((s / 2 ** 32) * 8 - 4) * (s & 1 ? 1 : 0.01);
  }
  return a;
}

type Step = { op: string; arg: number };
const UNARY = ['neg', 'abs', 'relu', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid'] as const;
const BINARY = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const;

/**
 * Runs a chain: arg 0 = the other tensor y, 1 = a scalar, 2 = the running value itself, 3 = a
 * scalar as the left operand (each operand order has its own loop in kernels/fused.c).
 */
function chain(x: Tensor, y: Tensor, steps: readonly Step[]): Tensor {
  let v = x;
  for (const { op, arg } of steps) {
    if ((UNARY as readonly string[]).includes(op)) {
      v = (v as unknown as Record<string, () => Tensor>)[op]!.call(v);
    } else {
      const other = arg === 0 ? y : arg === 1 || arg === 3 ? tensor(-0.5) : v;
      const [a, b] = arg === 3 ? [other, v] : [v, other];
      v = (a as unknown as Record<string, (o: Tensor) => Tensor>)[op]!.call(a, b);
    }
  }
  return v;
}

function eager<T>(fn: () => T): T {
  const was = setFusion(false);
  try {
    return fn();
  } finally {
    setFusion(was);
  }
}

let threshold = 0;
let wasOn = false;
beforeAll(() => {
  threshold = setFusionThreshold(0);
  wasOn = setFusion(true);
});
afterAll(() => {
  setFusionThreshold(threshold);
  setFusion(wasOn);
  setBackend('cpu');
});

describe.each(names)('fusion on %s', (name) => {
  beforeAll(() => setBackend(name));

  it('makes pending tensors when on', () => {
    expect(fusionEnabled()).toBe(true);
    const x = randn([100]);
    const a = x.mul(2);
    const b = a.add(1).relu();
    expect(a._pending).not.toBeNull();
    expect(b._pending).not.toBeNull();
    expect(b._pending!.program.length / 3).toBe(3);
    expect(b.device).toBe(name);
    expect(b._pending).not.toBeNull(); // device does not compute it
    expect(bits(b)).toEqual(eager(() => bits(x.mul(2).add(1).relu())));
    expect(b._pending).toBeNull();
  });

  it('random chains equal eager execution bit for bit (scalars, NaN/Inf, -0, tails, threads)', () => {
    const step = fc.record({
      op: fc.constantFrom<string>(...UNARY, ...BINARY),
      arg: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(1, 7, 255, 256, 257, 1023, 4099, (1 << 17) + 5),
        fc.array(step, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 1e6 }),
        (n, steps, seed) => {
          const x = tensor(data(n, seed));
          const y = tensor(data(n, seed + 1));
          const want = eager(() => bits(chain(x, y, steps)));
          const got = bits(chain(x, y, steps));
          const i = got.findIndex((g, k) => g !== want[k]);
          if (i >= 0) {
            const xs = bits(x);
            const ys = bits(y);
            throw new Error(
              `n=${n} ${JSON.stringify(steps)} at ${i}: got ${got[i]!.toString(16)} want ${want[i]!.toString(16)} x ${xs[i]!.toString(16)} y ${ys[i]!.toString(16)}`,
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('runs every supported op, and chains longer than a program', () => {
    const n = 3000;
    const x = tensor(data(n, 5));
    const y = tensor(data(n, 6));
    const all: Step[] = [...UNARY, ...BINARY].map((op) => ({ op, arg: 0 }));
    const long = [...all, ...all, ...all];
    expect(bits(chain(x, y, long))).toEqual(eager(() => bits(chain(x, y, long))));
  });

  it('computes a superseded intermediate from its leaf as it was before an in-place write', () => {
    const x = tensor(data(1000, 9));
    const want = eager(() => bits(x.mul(2)));
    const a = x.mul(2);
    const b = a.add(1);
    x.add_(5);
    expect(bits(a)).toEqual(want);
    expect(b.numel()).toBe(1000);
  });

  it('computes readers before a fused optimizer writes the parameter', () => {
    const p = tensor(data(1024, 10), { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 0.5, momentum: 0.9 });
    const want = eager(() => noGrad(() => bits(p.mul(3))));
    const a = noGrad(() => p.mul(3));
    noGrad(() => a.neg()); // supersedes a
    p.mul(2).sum().backward();
    opt.step();
    expect(bits(a)).toEqual(want);
  });

  it('computes readers before a leaf is disposed or moved', () => {
    const x = tensor(data(512, 11));
    const want = eager(() => bits(x.mul(3)));
    const wantB = eager(() => bits(x.mul(3).neg()));
    const a = x.mul(3);
    const b = a.neg();
    x.dispose();
    expect(bits(a)).toEqual(want);
    expect(bits(b)).toEqual(wantB);
    const z = tensor(data(512, 12));
    const wantZ = eager(() => bits(z.sub(1)));
    const c = z.sub(1);
    void c.abs();
    z._moveTo('cpu');
    expect(bits(c)).toEqual(wantZ);
  });

  it('a superseded intermediate keeps the data its leaf had, through writes and frees', () => {
    // (8192 floats: large enough for the buffer pool and the wasm heap to hand a freed buffer on)
    const n = 8192;
    const x = tensor(data(n, 21));
    const want1 = eager(() => bits(x.mul(3)));
    const a = x.mul(3);
    void a.neg(); // supersedes a
    x.add_(1);
    const want2 = eager(() => bits(x.mul(3)));
    const b = x.mul(3);
    void b.neg();
    x.mul_(2); // a second snapshot: a still reads the first
    const want3 = eager(() => bits(x.mul(3).add(1)));
    const c = x.mul(3);
    void c.add(1).abs();
    const wantC = eager(() => bits(x.mul(3)));
    x.dispose(); // c's source takes the buffer itself
    const junk = [tensor(new Float32Array(n).fill(7)), tensor(new Float32Array(n).fill(8))];
    expect(bits(a)).toEqual(want1);
    expect(bits(b)).toEqual(want2);
    expect(bits(c)).toEqual(wantC);
    expect(bits(c.add(1))).toEqual(want3);
    expect(junk[0]!.dataSync()[0]).toBe(7);
  });

  it('the head is computed when the job ends, and memory() counts it', async () => {
    const x = randn([4096]);
    const h = x.mul(2).add(1);
    expect(h._pending).not.toBeNull();
    await Promise.resolve();
    expect(h._pending).toBeNull();
    const g = x.neg();
    expect(g._pending).not.toBeNull();
    memory();
    expect(g._pending).toBeNull();
  });

  it('tidy() returning a pending tensor keeps it; views and reshapes compute it', () => {
    const x = tensor(data(600, 13));
    const want = eager(() => bits(x.mul(2).add(1)));
    const r = tidy(() => x.mul(2).add(1));
    expect(r.isDisposed).toBe(false);
    expect(bits(r)).toEqual(want);
    const v = x.mul(2).add(1);
    expect(bits(v.reshape([20, 30]))).toEqual(want);
    expect(bits(x.mul(2).add(1).narrow(0, 10, 5))).toEqual(want.slice(10, 15));
    expect(bits(x.mul(2).add(1).reshape([20, 30]).t().contiguous().t())).toEqual(want);
  });

  it('a pending tensor used in a recorded op gets the right gradient', () => {
    const x = tensor(data(256, 14).map((v) => (Number.isFinite(v) ? v : 1)));
    const w = randn([256], { requiresGrad: true });
    const p = x.mul(2).add(1);
    expect(p._pending).not.toBeNull();
    p.mul(w).sum().backward();
    expect(bits(w.grad!)).toEqual(eager(() => bits(x.mul(2).add(1))));
  });

  it('fuses under autograd, computing what a backward saves; never mixed dtypes or float64', () => {
    const x = randn([64], { requiresGrad: true });
    // add and sub save nothing: the chain stays pending, with its node
    const a = x.add(1).sub(2);
    expect(a._pending).not.toBeNull();
    expect(a.gradFn?.name).toBe('SubBackward');
    // relu saves its output: computed as it is recorded, the whole chain in one pass
    const r = a.relu();
    expect(r._pending).toBeNull();
    r.backward(tensor(data(64, 5)));
    expect(bits(x.grad!)).toEqual(
      eager(() => {
        const x2 = tensor(x.detach().tolist() as number[], { requiresGrad: true });
        x2.add(1)
          .sub(2)
          .relu()
          .backward(tensor(data(64, 5)));
        return bits(x2.grad!);
      }),
    );
    expect(noGrad(() => x.mul(2))._pending).not.toBeNull();
    const y = randn([64]);
    expect(y.mul(tensor([1, 2, 3, 4]).repeat(16).int())._pending).toBeNull();
    expect(y.double().mul(2)._pending).toBeNull();
    expect(y.add(randn([8, 64]))._pending).toBeNull(); // broadcast of a non-scalar
  });

  it('random chains under autograd: values and gradients equal eager execution bit for bit', () => {
    const step = fc.record({
      op: fc.constantFrom<string>(...UNARY, ...BINARY),
      arg: fc.integer({ min: 0, max: 3 }),
    });
    // NaN's sign and payload aside (two NaN operands: see docs/kernels.md)
    const canon = (t: Tensor | null) =>
      t === null ? null : bits(t).map((b) => ((b & 0x7fffffff) > 0x7f800000 ? 0x7fc00000 : b));
    fc.assert(
      fc.property(
        fc.constantFrom(7, 257, 4099),
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 1e6 }),
        (n, steps, seed) => {
          const run = () => {
            const x = tensor(data(n, seed), { requiresGrad: true });
            const y = tensor(data(n, seed + 1), { requiresGrad: true });
            const out = chain(x, y, steps);
            out.backward(tensor(data(n, seed + 2)));
            return [canon(out.detach()), canon(x.grad), canon(y.grad)];
          };
          expect(run()).toEqual(eager(run));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('dispose of a pending tensor: an intermediate drops its expression, the head is computed', () => {
    const x = randn([300]);
    const a = x.mul(2);
    const b = a.add(1);
    a.dispose();
    expect(a.isDisposed).toBe(true);
    expect(bits(b)).toEqual(eager(() => bits(x.mul(2).add(1))));
    const c = x.neg();
    c.dispose();
    expect(() => c.tolist()).toThrow(/disposed/);
  });

  it('an as-written loop does not grow memory', async () => {
    const x = randn([1 << 16]);
    const step = () => void x.mul(2).add(1).relu();
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 0));
        (globalThis as { gc?: () => void }).gc?.();
      }
      await new Promise((r) => setTimeout(r, 0));
    };
    for (let i = 0; i < 5; i++) step();
    await settle();
    const before = memory().bytes;
    for (let i = 0; i < 40; i++) step();
    await settle();
    const after = memory().bytes;
    expect(after - before).toBeLessThanOrEqual(2 * 4 * (1 << 16));
  });
});

it('the cpu backend stays eager', () => {
  setBackend('cpu');
  expect(randn([100]).mul(2)._pending).toBeNull();
  expect(getBackend('cpu').fusion).toBeUndefined();
});
