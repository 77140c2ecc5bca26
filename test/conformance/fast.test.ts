// The fast CPU backends (native addon, wasm) against the cpu oracle on random shapes: GEMM with
// every layout, elementwise ops in ulps, reductions, windows, gradients of a small MLP and a conv,
// fused optimizer updates, and results that do not depend on the thread count.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Generator, optim, randn, tensor, type Tensor } from '../../src/index.js';
import { NO_THRESHOLDS, type FastBackend } from '../../src/backend/fast/backend.js';
import { resolveBackend, selectBackend } from '../../src/backend/select.js';
import { getBackend, setBackend } from '../../src/backend/registry.js';
import { conv2d } from '../../src/nn/functional/conv.js';
import { apply } from '../../src/ops/apply.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';
import { loadFastBackends } from '../../src/node/backends.js';
import { createNodeWasmBackend } from '../../src/node/wasm.js';
import { readFile } from 'node:fs/promises';

const loaded = await loadFastBackends({ thresholds: NO_THRESHOLDS, threads: 2, quiet: true });
// The single-threaded SIMD128 build without relaxed SIMD too (what older engines run).
const plainWasm = await createNodeWasmBackend({
  name: 'wasm-plain',
  threads: 1,
  relaxedSimd: false,
  thresholds: NO_THRESHOLDS,
  register: true,
});
const fast = [loaded.native, loaded.wasm, plainWasm].filter((b): b is FastBackend => b !== null);

const gen = new Generator(7);
const r = (...shape: number[]) => randn(shape, { generator: gen });
const on = (t: Tensor, device: string) => t.to({ device });
const host = (t: Tensor) => Array.from(on(t, 'cpu').dataSync() as ArrayLike<number>);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The distance in float32 ulps (0 for equal values, including two NaNs). */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) && Number.isNaN(b)) return 0;
  if (a === b) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b) || Number.isNaN(a) || Number.isNaN(b)) {
    return Infinity;
  }
  const key = (x: number) => {
    f32[0] = x;
    const u = u32[0]!;
    return u >= 0x80000000 ? 0x80000000 - u : u;
  };
  return Math.abs(key(a) - key(b));
}

/** |got − want| ≤ tol · scale elementwise (NaN and ±inf must match exactly). */
function expectClose(got: Tensor, want: Tensor, tol: number, scale?: Tensor): void {
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  const g = host(got);
  const w = host(want);
  const s = scale === undefined ? w.map((v) => Math.max(1, Math.abs(v))) : host(scale);
  let worst = 0;
  g.forEach((v, i) => {
    const x = w[i]!;
    if (!Number.isFinite(x)) {
      if (Number.isNaN(x)) expect(v).toBeNaN();
      else expect(v).toBe(x);
      return;
    }
    worst = Math.max(worst, Math.abs(v - x) / Math.max(s[i]!, 1e-30));
  });
  expect(worst).toBeLessThanOrEqual(tol);
}

const gemmRefs = new Map<string, { a0: Tensor; b0: Tensor; want: Tensor; scale: Tensor }>();

afterEach(() => {
  for (const b of fast) b.engine.setNumThreads(2);
  setBackend('cpu');
});

describe('fast CPU backends', () => {
  it('loadWasmBackend takes module bytes (any build), as browsers pass them', async () => {
    for (const file of ['nabla.wasm', 'nabla-mt.wasm']) {
      const bytes = await readFile(new URL(`../../kernels/build/${file}`, import.meta.url));
      const b = await loadWasmBackend(bytes, {
        name: `wasm-bytes-${file}`,
        register: false,
        thresholds: NO_THRESHOLDS,
      });
      const x = r(9, 33);
      const y = r(33, 7);
      const out = new Float32Array(63);
      const view = (t: Tensor) => ({
        buffer: t.dataSync(),
        dtype: 'float32' as const,
        shape: t.shape,
        strides: [t.shape[1]!, 1],
        offset: 0,
      });
      b.kernels.matmul({ buffer: out, dtype: 'float32', shape: [9, 7] }, [view(x), view(y)], {});
      const want = host(x.matmul(y));
      out.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-4));
    }
  });

  it('load: wasm always, native where it was built (required in CI)', () => {
    expect(loaded.wasm).not.toBeNull();
    expect(plainWasm.version).toBe('simd128');
    if (process.env.NABLA_REQUIRE_NATIVE === '1') expect(loaded.errors.native).toBeUndefined();
    expect(resolveBackend('auto')).toBe(loaded.native ? 'native' : 'wasm');
    expect(selectBackend('cpu')).toBe('cpu');
  });

  for (const b of fast) {
    describe(b.name, () => {
      const dev = b.name;

      const gemmCases: [string, () => [Tensor, Tensor]][] = [
        ['1x1x1', () => [r(1, 1), r(1, 1)]],
        ['7x13x11', () => [r(7, 13), r(13, 11)]],
        ['129x65x257', () => [r(129, 257), r(257, 65)]],
        ['512x512x512', () => [r(512, 512), r(512, 512)]],
        ['k = 1, n = 1', () => [r(37, 1), r(1, 1)]],
        ['k = 0', () => [r(5, 0), r(0, 3)]],
      ];
      for (const [label, make] of gemmCases) {
        for (const [ta, tb] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ] as const) {
          it(`matmul ${label}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`, () => {
            // The operands and the cpu results are shared by the backends (the large cases cost
            // the JavaScript oracle a second each).
            const key = `${label} ${ta} ${tb}`;
            let c = gemmRefs.get(key);
            if (c === undefined) {
              const [a0, b0] = make();
              // Transposed operands are views of a transposed copy: strided on the device.
              const a = ta ? a0.t().contiguous().t() : a0;
              const bb = tb ? b0.t().contiguous().t() : b0;
              c = { a0, b0, want: a.matmul(bb), scale: a.abs().matmul(bb.abs()) };
              gemmRefs.set(key, c);
            }
            const k = c.a0.shape[1]!;
            const got = on(ta ? c.a0.t().contiguous() : c.a0, dev);
            const ga = ta ? got.t() : got;
            const gbRaw = on(tb ? c.b0.t().contiguous() : c.b0, dev);
            const gb = tb ? gbRaw.t() : gbRaw;
            expectClose(ga.matmul(gb), c.want, 2e-7 * (Math.sqrt(k) + 2), c.scale);
          });
        }
      }

      it('matmul with broadcast, strided and sliced batches', () => {
        const cases: [Tensor, Tensor][] = [
          [r(2, 1, 3, 4), r(5, 4, 2)],
          [r(3, 5, 6), r(6, 7)],
          [r(4, 9, 8).slice(2, 1, null, 2), r(4, 4, 5)],
          [r(1, 6, 17), r(3, 17, 19).transpose(1, 2).contiguous().transpose(1, 2)],
        ];
        for (const [a, bb] of cases) {
          const want = a.matmul(bb);
          const ga = on(a.contiguous(), dev);
          const gb = on(bb.contiguous(), dev);
          const scale = a.abs().matmul(bb.abs());
          expectClose(ga.matmul(gb), want, 2e-6, scale);
          // the same through device-side views (expand gives stride-0 batches)
          const ea = on(r(1, 3, 4), dev);
          const eb = on(r(5, 4, 2), dev);
          const ex = ea.expand(5, 3, 4).matmul(eb);
          const ref = on(ea, 'cpu').expand(5, 3, 4).matmul(on(eb, 'cpu'));
          expectClose(ex, ref, 2e-6);
        }
      });

      it('matmul is bit-identical with 1 and 2 threads', () => {
        const a = on(r(203, 157), dev);
        const bb = on(r(157, 301), dev);
        b.engine.setNumThreads(1);
        const one = host(a.matmul(bb));
        const batched = host(on(r(6, 70, 80), dev).matmul(on(r(80, 90), dev)));
        b.engine.setNumThreads(2);
        expect(host(a.matmul(bb))).toEqual(one);
        expect(batched.length).toBe(6 * 70 * 90);
      });

      const sizes = [1, 7, 15, 16, 17, 31, 1000, 4099];
      const UNARY = [
        ['neg', 0],
        ['abs', 0],
        ['relu', 0],
        ['sign', 0],
        ['floor', 0],
        ['ceil', 0],
        ['round', 0],
        ['sqrt', 0],
        ['rsqrt', 2],
        ['exp', 2],
        ['log', 2],
        ['log1p', 3],
        ['expm1', 3],
        ['tanh', 3],
        ['sigmoid', 3],
      ] as const;
      const specials = [0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, NaN, Infinity, -Infinity, 1e-40, -1e-40];
      for (const [op, maxUlps] of UNARY) {
        it(`${op} within ${maxUlps} ulps, contiguous, strided and broadcast`, () => {
          for (const n of sizes) {
            const x = r(n).mul(op === 'exp' || op === 'expm1' ? 30 : 4);
            const xs = op === 'log' || op === 'sqrt' || op === 'rsqrt' ? x.abs() : x;
            const inputs = [xs, tensor(specials), ...(op === 'log1p' ? [xs.abs().sub(0.999)] : [])];
            for (const t of inputs) {
              const want = host(apply(op, [t], {}));
              const got = host(apply(op, [on(t, dev)], {}));
              got.forEach((v, i) => expect(ulps(v, want[i]!)).toBeLessThanOrEqual(maxUlps));
            }
          }
          const m = on(r(13, 9), dev);
          for (const view of [m.t(), m.slice(1, 1, null, 2), m.slice(0, 0, 1).expand(5, 9)]) {
            const want = host(apply(op, [on(view, 'cpu')], {}));
            const got = host(apply(op, [view], {}));
            got.forEach((v, i) => expect(ulps(v, want[i]!)).toBeLessThanOrEqual(maxUlps));
          }
        });
      }

      it('binary ops and comparisons: exact, over broadcast and strided inputs', () => {
        const shapes: [number[], number[]][] = [
          [[17], [17]],
          [
            [13, 1],
            [1, 31],
          ],
          [
            [3, 1, 5],
            [4, 1],
          ],
          [[1], [1001]],
        ];
        for (const op of [
          'add',
          'sub',
          'mul',
          'div',
          'maximum',
          'minimum',
          'eq',
          'ne',
          'lt',
          'le',
          'gt',
          'ge',
        ] as const) {
          for (const [sa, sb] of shapes) {
            const a = r(...sa).round();
            const bb = r(...sb).round();
            const want = apply(op, [a, bb], {});
            const got = apply(op, [on(a, dev), on(bb, dev)], {});
            expect(got.dtype).toBe(want.dtype);
            expect(host(got)).toEqual(host(want));
          }
          const m = on(r(12, 10), dev);
          const [x, y] = [m.t(), on(r(10, 25), dev).slice(1, 0, 24, 2)];
          const want = apply(op, [on(x, 'cpu'), on(y, 'cpu')], {});
          expect(host(apply(op, [x, y], {}))).toEqual(host(want));
        }
        const s = tensor([0, -0, NaN, Infinity, -Infinity, 1]);
        for (const op of ['maximum', 'minimum', 'add', 'mul', 'div'] as const) {
          const want = host(apply(op, [s, s.flip(0)], {}));
          const got = host(apply(op, [on(s, dev), on(s.flip(0), dev)], {}));
          got.forEach((v, i) => expect(ulps(v, want[i]!)).toBe(0));
        }
      });

      it('where, clamp and copies', () => {
        const c = r(7, 1).gt(0);
        const a = r(7, 9);
        const bb = r(9);
        const want = apply('where', [c, a, bb], {});
        expect(host(apply('where', [on(c, dev), on(a, dev), on(bb, dev)], {}))).toEqual(host(want));
        const x = r(33, 5);
        const p = { min: -0.5, max: 0.25 };
        expect(host(apply('clamp', [on(x, dev)], p))).toEqual(host(apply('clamp', [x], p)));
        expect(host(on(x, dev).t().contiguous())).toEqual(host(x.t().contiguous()));
      });

      const REDUCE = ['sum', 'prod', 'amax', 'amin', 'argmax', 'argmin'] as const;
      it('reductions over every dim combination', () => {
        const x = r(6, 35, 9);
        for (const op of REDUCE) {
          for (const dims of [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]) {
            if ((op === 'argmax' || op === 'argmin') && dims.length > 1) continue;
            const src = op === 'prod' ? x.mul(0.2).add(1) : x;
            const params = { dims, keepdim: false };
            const want = apply(op, [src], params);
            const got = apply(op, [on(src, dev)], params);
            expectClose(got, want, 2e-7);
            const tr = on(src, dev).permute(2, 0, 1);
            const wantT = apply(op, [src.permute(2, 0, 1)], params);
            expectClose(apply(op, [tr], params), wantT, 2e-7);
          }
        }
        const nan = tensor([
          [1, NaN, 3],
          [-Infinity, -Infinity, 2],
        ]);
        for (const op of REDUCE) {
          const p = { dims: [1], keepdim: true };
          expect(host(apply(op, [on(nan, dev)], p))).toEqual(host(apply(op, [nan], p)));
        }
      });

      it('reductions agree between 1 and 2 threads', () => {
        const x = on(r(300, 1037), dev);
        for (const op of REDUCE) {
          for (const dims of [[0], [1], [0, 1]]) {
            if ((op === 'argmax' || op === 'argmin') && dims.length > 1) continue;
            const params = { dims, keepdim: false };
            b.engine.setNumThreads(1);
            const one = host(apply(op, [x], params));
            b.engine.setNumThreads(2);
            expect(host(apply(op, [x], params))).toEqual(one);
            expectClose(apply(op, [x], params), apply(op, [on(x, 'cpu')], params), 1e-6);
          }
        }
      });

      it('unfold and fold', () => {
        const x = r(2, 3, 11, 10);
        const params = {
          kernelSize: [3, 2],
          dilation: [1, 2],
          padding: [1, 0],
          stride: [2, 1],
        } as const;
        const want = apply('unfold', [x], params);
        expect(host(apply('unfold', [on(x, dev)], params))).toEqual(host(want));
        const cols = r(2, 3 * 6, want.shape[2]!);
        const fp = { ...params, outputSize: [11, 10] as const };
        expectClose(apply('fold', [on(cols, dev)], fp), apply('fold', [cols], fp), 1e-6);
      });

      it('gradients of an MLP and a conv match the cpu backend', () => {
        const w1 = r(32, 20).mul(0.3);
        const b1 = r(32).mul(0.1);
        const w2 = r(5, 32).mul(0.3);
        const x = r(17, 20);
        const grads = (device: string) => {
          const ps = [w1, b1, w2].map((t) => on(t, device).detach().requiresGrad_());
          const [pw1, pb1, pw2] = ps as [Tensor, Tensor, Tensor];
          const h = on(x, device).matmul(pw1.t()).add(pb1).relu();
          const y = h.matmul(pw2.t()).sigmoid();
          y.mul(y).sum().backward();
          return ps.map((p) => p.grad!);
        };
        const want = grads('cpu');
        const got = grads(dev);
        got.forEach((g, i) => expectClose(g, want[i]!, 5e-5));
        // conv2d (unfold + matmul) forward and backward
        const img = r(2, 3, 9, 8);
        const ker = r(4, 3, 3, 3);
        const convGrads = (device: string) => {
          const xi = on(img, device).detach().requiresGrad_();
          const k = on(ker, device).detach().requiresGrad_();
          const y = conv2d(xi, k, null, { padding: 1, stride: [2, 1] });
          y.mul(y).sum().backward();
          return [y, xi.grad!, k.grad!];
        };
        const wc = convGrads('cpu');
        convGrads(dev).forEach((g, i) => expectClose(g, wc[i]!, 5e-5));
      });

      const optimizers: [string, (ps: Tensor[]) => { zeroGrad(): void; step(): unknown }][] = [
        ['SGD', (ps) => new optim.SGD(ps, { lr: 0.05 })],
        [
          'SGD momentum, nesterov, weight decay',
          (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
        ],
        [
          'SGD dampening, maximize',
          (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.5, dampening: 0.3, maximize: true }),
        ],
        ['Adam', (ps) => new optim.Adam(ps, { lr: 0.01, weightDecay: 1e-2 })],
        [
          'Adam amsgrad, maximize',
          (ps) => new optim.Adam(ps, { lr: 0.01, amsgrad: true, maximize: true }),
        ],
        ['AdamW', (ps) => new optim.AdamW(ps, { lr: 0.01 })],
      ];
      for (const [label, make] of optimizers) {
        it(`fused ${label} agrees with the composed update over 20 steps`, () => {
          const init = [r(5000), r(7, 3), r(1)];
          const targets = init.map((t) => randn(t.shape, { generator: gen }));
          const train = (device: string) => {
            const ps = init.map((t) => on(t, device).detach().clone().requiresGrad_());
            const opt = make(ps);
            for (let step = 0; step < 20; step++) {
              opt.zeroGrad();
              ps.forEach((p, i) => p.sub(on(targets[i]!, device)).pow(2).sum().backward());
              opt.step();
            }
            return ps;
          };
          const calls = { n: 0 };
          const fused = b.fused!;
          const orig = { sgd: fused.sgd, adam: fused.adam };
          const spy = fused as { sgd?: unknown; adam?: unknown };
          spy.sgd = (...a: Parameters<NonNullable<typeof orig.sgd>>) => {
            calls.n++;
            return orig.sgd!(...a);
          };
          spy.adam = (...a: Parameters<NonNullable<typeof orig.adam>>) => {
            calls.n++;
            return orig.adam!(...a);
          };
          try {
            const want = train('cpu');
            const got = train(dev);
            expect(calls.n).toBe(60);
            got.forEach((p, i) => expectClose(p, want[i]!, 1e-6));
          } finally {
            spy.sgd = orig.sgd;
            spy.adam = orig.adam;
          }
        });
      }
    });
  }

  beforeAll(() => {
    expect(getBackend('cpu').name).toBe('cpu');
  });
});
