// The fast CPU backends (native addon, wasm) against the cpu oracle on random shapes: GEMM with
// every layout, elementwise ops in ulps, reductions, windows, gather/scatter, gradients of a small
// MLP, a conv and a max pool, fused optimizer updates, and results that do not depend on the
// thread count.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Generator, optim, randint, randn, tensor, type Tensor } from '../../src/index.js';
import { NO_THRESHOLDS, type FastBackend } from '../../src/backend/fast/backend.js';
import { UNARY_THRESHOLD } from '../../src/backend/fast/elementwise.js';
import {
  BINARY_OPS,
  REDUCE_OPS,
  UNARY_OPS,
  type FastUnaryPrimitive,
} from '../../src/backend/fast/contract.js';
import {
  BINARY_PRIMITIVES,
  REDUCE_PRIMITIVES,
  UNARY_PRIMITIVES,
  type BinaryPrimitive,
  type ReducePrimitive,
  type UnaryPrimitive,
} from '../../src/primitives.js';
import { resolveBackend, selectBackend } from '../../src/backend/select.js';
import { getBackend, setBackend } from '../../src/backend/registry.js';
import { conv2d } from '../../src/nn/functional/conv.js';
import { maxPool2d } from '../../src/nn/functional/pooling.js';
import { apply } from '../../src/ops/apply.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';
import { loadFastBackends } from '../../src/node/backends.js';
import { createNodeWasmBackend } from '../../src/node/wasm.js';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

/** The float32 bits of a tensor's values (NaN payloads and the sign of zero included). */
const bits = (t: Tensor) =>
  new Uint32Array((on(t, 'cpu').dataSync() as Float32Array).slice().buffer);

/** The first element whose bits differ (-1: none; the length when the lengths differ). */
function firstDiff(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** got and want have the same shape and the same float32 bits. */
function expectSameBits(got: Tensor, want: Tensor): void {
  expect(got.shape).toEqual(want.shape);
  expect(firstDiff(bits(got), bits(want))).toBe(-1);
}

/** A small deterministic generator of shapes and choices (the tensors come from `gen`). */
let seed = 12345;
const pick = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};

type Layout = 'contiguous' | 'transposed' | 'sliced' | 'broadcast';
const LAYOUTS: readonly Layout[] = ['contiguous', 'transposed', 'sliced', 'broadcast'];

/**
 * A view of `shape` in the given layout over a fresh base made by `make`: a permuted copy, every
 * other element of a longer last dim, or a size-1 dim expanded (stride 0). `view(base)` rebuilds
 * the same view over the base moved to another device.
 */
function layoutOf(
  shape: readonly number[],
  layout: Layout,
  make: (shape: number[]) => Tensor,
): { base: Tensor; view: (base: Tensor) => Tensor } {
  const nd = shape.length;
  if (layout === 'transposed' && nd > 1) {
    const rev = [...shape].reverse();
    const dims = rev.map((_, i) => nd - 1 - i);
    return { base: make(rev), view: (b) => b.permute(...dims) };
  }
  if (layout === 'sliced') {
    const wide = [...shape];
    wide[nd - 1] = Math.max(1, 2 * shape[nd - 1]! - 1);
    return { base: make(wide), view: (b) => b.slice(nd - 1, 0, null, 2) };
  }
  if (layout === 'broadcast') {
    const d = pick(nd);
    const narrow = [...shape];
    narrow[d] = 1;
    return { base: make(narrow), view: (b) => b.expand(...shape) };
  }
  return { base: make([...shape]), view: (b) => b };
}

/** The ulps each unary C kernel may differ from the cpu oracle by (0: exact). */
const MAX_ULPS: { readonly [P in FastUnaryPrimitive]: number } = {
  neg: 0,
  abs: 0,
  relu: 0,
  sign: 0,
  floor: 0,
  ceil: 0,
  round: 0,
  sqrt: 0,
  rsqrt: 2,
  exp: 2,
  log: 2,
  log1p: 3,
  expm1: 3,
  tanh: 3,
  sigmoid: 3,
  erf: 2,
};
// The primitives with a C kernel, from the tables the backends use.
const UNARY = UNARY_PRIMITIVES.filter((p): p is FastUnaryPrimitive => UNARY_OPS[p] !== null);
const BINARY = BINARY_PRIMITIVES.filter((p: BinaryPrimitive) => BINARY_OPS[p] !== null);
const REDUCE = REDUCE_PRIMITIVES.filter((p: ReducePrimitive) => REDUCE_OPS[p] !== null);

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

  it('the unary tables agree on which primitives have a C kernel', () => {
    const inC = (p: UnaryPrimitive) => UNARY_OPS[p] !== null;
    for (const p of UNARY_PRIMITIVES) expect([p, UNARY_THRESHOLD[p] !== null]).toEqual([p, inC(p)]);
    expect(UNARY).toContain('erf');
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
      const specials = [0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, NaN, Infinity, -Infinity, 1e-40, -1e-40];
      for (const op of UNARY) {
        const maxUlps = MAX_ULPS[op];
        it(`${op} within ${maxUlps} ulps, contiguous, strided and broadcast, in C`, () => {
          // Every call on the device must reach the C kernel (one engine.unary call each).
          const e = b.engine as { unary: typeof b.engine.unary };
          const orig = e.unary;
          let calls = 0;
          e.unary = (...a) => (calls++, orig.apply(b.engine, a));
          const inC = (t: Tensor) => {
            const before = calls;
            const y = apply(op, [t], {});
            expect(calls).toBe(before + 1);
            return host(y);
          };
          try {
            for (const n of sizes) {
              const x = r(n).mul(op === 'exp' || op === 'expm1' ? 30 : 4);
              const xs = op === 'log' || op === 'sqrt' || op === 'rsqrt' ? x.abs() : x;
              const extra = op === 'log1p' ? [xs.abs().sub(0.999)] : [];
              for (const t of [xs, tensor(specials), ...extra]) {
                const want = host(apply(op, [t], {}));
                const got = inC(on(t, dev));
                got.forEach((v, i) => expect(ulps(v, want[i]!)).toBeLessThanOrEqual(maxUlps));
              }
            }
            const m = on(r(13, 9), dev);
            for (const view of [m.t(), m.slice(1, 1, null, 2), m.slice(0, 0, 1).expand(5, 9)]) {
              const want = host(apply(op, [on(view, 'cpu')], {}));
              const got = inC(view);
              got.forEach((v, i) => expect(ulps(v, want[i]!)).toBeLessThanOrEqual(maxUlps));
            }
          } finally {
            e.unary = orig;
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
        for (const op of BINARY) {
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

      it("erf in C against PyTorch's values (core_golden.json)", async () => {
        type Input = { data: (number | string)[]; dtype: string; layout: unknown[] };
        type Case = { name: string; inputs: Input[] };
        type Out = { data: (number | string)[] }[];
        const text = await readFile(
          new URL('../fixtures/core_golden.json', import.meta.url),
          'utf8',
        );
        const cases = (JSON.parse(text) as { cases: (Case & { out: Out })[] }).cases.filter(
          (c) =>
            c.name.startsWith('erf/') &&
            c.inputs[0]!.dtype === 'float32' &&
            c.inputs[0]!.layout.length === 0,
        );
        expect(cases.length).toBeGreaterThanOrEqual(4);
        const special: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };
        const num = (v: number | string) => (typeof v === 'number' ? v : special[v]!);
        for (const c of cases) {
          const x = tensor(c.inputs[0]!.data.map(num));
          const got = host(apply('erf', [on(x, dev)], {}));
          const want = c.out[0]!.data.map(num);
          got.forEach((v, i) =>
            expect(ulps(v, want[i]!), `${c.name}[${i}]`).toBeLessThanOrEqual(2),
          );
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

      it("conv2d's Winograd path (3x3 'same', 16+ channels) gives the same bits on 1 and 2 threads", () => {
        // five images (the shares cut between images), one of them non-finite (the direct path)
        const data = r(5, 16, 7, 9).mul(0.1).dataSync() as Float32Array;
        data[2 * 16 * 7 * 9 + 5] = Infinity;
        const x = on(tensor(Array.from(data)).reshape([5, 16, 7, 9]), dev);
        const w = on(r(6, 16, 3, 3).mul(0.1), dev);
        const bias = on(r(6), dev);
        b.engine.setNumThreads(1);
        const one = bits(conv2d(x, w, bias, { padding: 1 }));
        b.engine.setNumThreads(2);
        for (let again = 0; again < 2; again++) {
          expect(firstDiff(bits(conv2d(x, w, bias, { padding: 1 })), one)).toBe(-1);
        }
        const want = conv2d(on(x, 'cpu'), on(w, 'cpu'), on(bias, 'cpu'), { padding: 1 });
        expectClose(conv2d(x, w, bias, { padding: 1 }), want, 1e-5);
      });

      it("conv2d's input gradient by Winograd (16+ output channels) gives the same bits on 1 and 2 threads", () => {
        // the gradient of five images, one of them non-finite (the direct path)
        const data = r(5, 16, 7, 9).mul(0.1).dataSync() as Float32Array;
        data[3 * 16 * 7 * 9 + 11] = Number.NaN;
        const gy = on(tensor(Array.from(data)).reshape([5, 16, 7, 9]), dev);
        const w = on(r(16, 6, 3, 3).mul(0.1), dev);
        const params = {
          kernelSize: [3, 3],
          dilation: [1, 1],
          padding: [1, 1],
          stride: [1, 1],
          inputSize: [7, 9],
        } as const;
        b.engine.setNumThreads(1);
        const one = bits(apply('conv2dInputGrad', [gy, w], params));
        b.engine.setNumThreads(2);
        for (let again = 0; again < 2; again++) {
          expect(firstDiff(bits(apply('conv2dInputGrad', [gy, w], params)), one)).toBe(-1);
        }
        const want = apply('conv2dInputGrad', [on(gy, 'cpu'), on(w, 'cpu')], params);
        expectClose(apply('conv2dInputGrad', [gy, w], params), want, 1e-5);
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

      // The primitives themselves, which count a negative index from the end (as the C kernels
      // do); the public gather/scatter reject one before they are called, as PyTorch does.
      const gatherP = (x: Tensor, dim: number, i: Tensor) => apply('gather', [x, i], { dim });
      const scatterP = (x: Tensor, dim: number, i: Tensor, s: Tensor | number) =>
        apply(
          'scatter',
          [x, i, typeof s === 'number' ? tensor(s, { device: x.device }).expand(...i.shape) : s],
          {
            dim,
          },
        );
      const scatterAddP = (x: Tensor, dim: number, i: Tensor, s: Tensor) =>
        apply('scatterAdd', [x, i, s], { dim });

      /** Counts the engine's gather/scatter calls (so a test knows the C kernels ran). */
      const countIndexCalls = () => {
        const e = b.engine as Pick<typeof b.engine, 'gather' | 'scatter' | 'maxPoolBackward'>;
        const orig = { gather: e.gather, scatter: e.scatter, maxPoolBackward: e.maxPoolBackward };
        const calls = { n: 0 };
        e.gather = (...a) => (calls.n++, orig.gather.apply(b.engine, a));
        e.scatter = (...a) => (calls.n++, orig.scatter.apply(b.engine, a));
        e.maxPoolBackward = (...a) => (calls.n++, orig.maxPoolBackward.apply(b.engine, a));
        return {
          calls,
          restore: () => {
            e.gather = orig.gather;
            e.scatter = orig.scatter;
            e.maxPoolBackward = orig.maxPoolBackward;
          },
        };
      };

      it('gather, scatter and scatterAdd: bit-identical to cpu on random shapes, dims and layouts', () => {
        const SIZES = [1, 2, 3, 5, 7, 13, 16, 17, 31, 33];
        const spy = countIndexCalls();
        let cases = 0;
        try {
          for (let trial = 0; trial < 60; trial++) {
            const nd = 1 + pick(4);
            const xShape = Array.from({ length: nd }, () => SIZES[pick(SIZES.length)]!);
            for (let dim = 0; dim < nd; dim++) {
              const size = xShape[dim]!;
              // Index: at most x's size off the indexed dim (sometimes less), anything along it.
              const iShape = xShape.map((s, d) => (d === dim ? 1 + pick(size + 3) : 1 + pick(s)));
              const sShape = iShape.map((s) => s + (pick(3) === 0 ? pick(3) : 0));
              const xl = layoutOf(xShape, LAYOUTS[pick(4)]!, (sh) => r(...sh));
              const il = layoutOf(iShape, LAYOUTS[pick(4)]!, (sh) =>
                randint(-size, size, sh, { generator: gen, dtype: 'int32' }),
              );
              const sl = layoutOf(sShape, LAYOUTS[pick(4)]!, (sh) => r(...sh));
              const args = (device: string) => {
                const mv = (t: Tensor) => (device === 'cpu' ? t : on(t, device));
                return [xl.view(mv(xl.base)), il.view(mv(il.base)), sl.view(mv(sl.base))] as const;
              };
              const [cx, ci, cs] = args('cpu');
              const [dx, di, ds] = args(dev);
              expectSameBits(gatherP(dx, dim, di), gatherP(cx, dim, ci));
              expectSameBits(scatterP(dx, dim, di, ds), scatterP(cx, dim, ci, cs));
              expectSameBits(scatterAddP(dx, dim, di, ds), scatterAddP(cx, dim, ci, cs));
              cases++;
            }
          }
        } finally {
          spy.restore();
        }
        expect(spy.calls.n).toBe(3 * cases);
      });

      it('gather and scatter: large, non-finite, empty and 0-d operands', () => {
        const x = r(61, 67, 5);
        const idx = randint(-67, 67, [61, 131, 5], { generator: gen, dtype: 'int32' });
        const src = r(61, 131, 5);
        const dx = on(x, dev);
        const di = on(idx, dev);
        const ds = on(src, dev);
        expectSameBits(gatherP(dx, 1, di), gatherP(x, 1, idx));
        expectSameBits(scatterP(dx, 1, di, ds), scatterP(x, 1, idx, src));
        expectSameBits(scatterAddP(dx, 1, di, ds), scatterAddP(x, 1, idx, src));
        // a scalar source (expanded, stride 0) and non-finite values
        const sp = tensor([0, -0, NaN, Infinity, -Infinity, 1e-40, 3]);
        const ri = tensor([6, 5, 4, 3, 2, 1, 0, -1, 2], { dtype: 'int32' });
        expectSameBits(gatherP(on(sp, dev), 0, on(ri, dev)), gatherP(sp, 0, ri));
        expectSameBits(scatterP(on(sp, dev), 0, on(ri, dev), 2.5), scatterP(sp, 0, ri, 2.5));
        const ssrc = tensor([1, Infinity, -Infinity, NaN, -0, 0, 1e38, 1e38, -2]);
        expectSameBits(
          scatterAddP(on(sp, dev), 0, on(ri, dev), on(ssrc, dev)),
          scatterAddP(sp, 0, ri, ssrc),
        );
        // empty index, empty input, 1 element, 0-d (these may stay in JavaScript)
        const e = tensor([], { dtype: 'int32' }).reshape(0, 3);
        const m = r(4, 3);
        expectSameBits(gatherP(on(m, dev), 0, on(e, dev)), gatherP(m, 0, e));
        expectSameBits(scatterAddP(on(m, dev), 0, on(e, dev), on(r(0, 3), dev)), m);
        const one = tensor([[0]], { dtype: 'int32' });
        const m1 = r(1, 1);
        expectSameBits(gatherP(on(m1, dev), 1, on(one, dev)), m1);
        const s0 = tensor(1.5);
        const i0 = tensor(0, { dtype: 'int32' });
        expectSameBits(gatherP(on(s0, dev), 0, on(i0, dev)), s0);
        expectSameBits(
          scatterAddP(on(s0, dev), 0, on(i0, dev), on(tensor(2), dev)),
          scatterAddP(s0, 0, i0, tensor(2)),
        );
      });

      it('gather and scatter: an index out of range raises the cpu error', () => {
        const x = on(r(6, 40), dev);
        for (const bad of [40, -41, 2 ** 31 - 1, -(2 ** 31)]) {
          const data = Array.from({ length: 6 * 30 }, (_, i) => (i * 7) % 40);
          data[97] = bad;
          data[150] = 1000;
          const idx = on(tensor(data, { dtype: 'int32' }).reshape(6, 30), dev);
          const msg = `index ${bad} is out of bounds for dimension 1 with size 40`;
          expect(() => gatherP(x, 1, idx)).toThrow(msg);
          expect(() => scatterP(x, 1, idx, on(r(6, 30), dev))).toThrow(msg);
          expect(() => scatterAddP(x, 1, idx, on(r(6, 30), dev))).toThrow(msg);
        }
        const x0 = on(r(3, 0), dev);
        expect(() => gatherP(x0, 1, on(tensor([[0]], { dtype: 'int32' }), dev))).toThrow(
          'index 0 is out of bounds for dimension 1 with size 0',
        );
      });

      it('gather and scatter are bit-identical with 1 and 2 threads', () => {
        // scatterAdd sums in float32 in index order: collisions along the indexed dim, with the
        // shares cut across the outer dims, across the inner dims, and (index size 1 along the
        // dim, as max pooling's backward) anywhere.
        const cases: [number[], number[], number][] = [
          [[4, 40001], [4, 40001], 0],
          [[4, 3001], [64, 3001], 0],
          [[300, 8], [300, 450], 1],
          [[64, 16, 4, 196], [64, 16, 1, 196], 2],
          [[3, 5, 9001], [3, 5, 9001], 1],
        ];
        for (const [xs, is, dim] of cases) {
          const x = on(r(...xs), dev);
          const idx = on(randint(-xs[dim]!, xs[dim]!, is, { generator: gen, dtype: 'int32' }), dev);
          const src = on(r(...is), dev);
          const run = () => [
            gatherP(x, dim, idx),
            scatterP(x, dim, idx, src),
            scatterAddP(x, dim, idx, src),
          ];
          b.engine.setNumThreads(1);
          const one = run().map(bits);
          b.engine.setNumThreads(2);
          // (repeated: a wrong cut of the shares shows only when the threads overlap in time)
          const two = run().map(bits);
          for (let again = 0; again < 2; again++) {
            expect(firstDiff(bits(scatterAddP(x, dim, idx, src)), two[2]!)).toBe(-1);
          }
          const want = [
            gatherP(on(x, 'cpu'), dim, on(idx, 'cpu')),
            scatterP(on(x, 'cpu'), dim, on(idx, 'cpu'), on(src, 'cpu')),
            scatterAddP(on(x, 'cpu'), dim, on(idx, 'cpu'), on(src, 'cpu')),
          ].map(bits);
          for (let k = 0; k < 3; k++) {
            expect(firstDiff(two[k]!, one[k]!)).toBe(-1);
            expect(firstDiff(one[k]!, want[k]!)).toBe(-1);
          }
        }
      });

      it('gradients through gather, scatter, scatterAdd and max pooling match the cpu backend', () => {
        const x = r(5, 9, 4);
        const idx = randint(-9, 9, [5, 12, 4], { generator: gen, dtype: 'int32' });
        const src = r(5, 12, 4);
        const w = r(5, 9, 4);
        const wg = r(5, 12, 4);
        const grads = (device: string) => {
          const px = on(x, device).detach().requiresGrad_();
          const ps = on(src, device).detach().requiresGrad_();
          const i = on(idx, device);
          const y = gatherP(px, 1, i)
            .mul(on(wg, device))
            .sum()
            .add(
              scatterP(px, 1, i.slice(1, 0, 7), ps.slice(1, 0, 7))
                .mul(on(w, device))
                .sum(),
            )
            .add(scatterAddP(px, 1, i, ps).mul(on(w, device)).sum());
          y.backward();
          return [y, px.grad!, ps.grad!];
        };
        const want = grads('cpu');
        grads(dev).forEach((g, i) => expectSameBits(g, want[i]!));
        // max pooling: argmax + gather forward, maxPoolBackward backward (all three in C)
        const img = r(3, 4, 13, 11);
        const wp = r(3, 4, 6, 5);
        const pool = (device: string) => {
          const pi = on(img, device).detach().requiresGrad_();
          const y = maxPool2d(pi, 2);
          y.mul(on(wp, device)).sum().backward();
          return [y, pi.grad!];
        };
        const wantPool = pool('cpu');
        const spy = countIndexCalls();
        try {
          pool(dev).forEach((g, i) => expectSameBits(g, wantPool[i]!));
        } finally {
          spy.restore();
        }
        expect(spy.calls.n).toBeGreaterThanOrEqual(2);
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

  // The addon picks its best ISA once per process, so the others (AVX2 and the SSE2 baseline on an
  // AVX-512 machine, each with its own packing transposes and tiles) run in child processes that
  // force theirs (NABLA_NATIVE_ISA), over every packing path of the GEMM.
  const isas = x86Isas();
  it.runIf(loaded.native !== null && isas.length > 0)(
    `native GEMM under every ISA this CPU runs (${isas.join(', ')}) matches cpu`,
    () => {
      for (const isa of isas) {
        const r = spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            fileURLToPath(new URL('../helpers/native_isa_gemm.ts', import.meta.url)),
          ],
          { encoding: 'utf8', env: { ...process.env, NABLA_NATIVE_ISA: isa }, timeout: 60_000 },
        );
        expect(r.status, r.stderr).toBe(0);
        const got = JSON.parse(r.stdout) as {
          isa: string;
          cases: number;
          worst: number;
          where: string;
        };
        expect(got.isa).toBe(isa);
        expect(got.cases).toBeGreaterThan(500);
        expect(got.worst, `${isa}: ${got.where}`).toBeLessThanOrEqual(1e-4);
      }
    },
  );

  beforeAll(() => {
    expect(getBackend('cpu').name).toBe('cpu');
  });
});

/** The native ISAs this x86-64 CPU runs, by the addon's names (none elsewhere: only one is built). */
function x86Isas(): string[] {
  if (process.arch !== 'x64') return [];
  const flags = new Set(
    (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/),
  );
  const has = (...f: string[]) => f.every((x) => flags.has(x));
  return [
    'base',
    ...(has('avx2', 'fma') ? ['avx2'] : []),
    ...(has('avx512f', 'avx512bw', 'avx512dq', 'avx512vl') ? ['avx512'] : []),
  ];
}
