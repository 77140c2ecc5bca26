// webgpu indexing, sorting and fused optimizer kernels against the cpu oracle: float32, int32 and
// bool operands, several workgroups, strided and broadcast views, and no fallback to the host.
import { describe, expect, it } from 'vitest';
import { Generator, randn, tensor } from '../../src/index.js';
import { getBackend } from '../../src/backend/registry.js';
import type { FusedAdamOptions, FusedSGDOptions, FusedTensor } from '../../src/backend/backend.js';
import { jsAdam, jsSgd } from '../../src/backend/cpu/fused.js';
import type { WebgpuBackend } from '../../src/backend/webgpu/index.js';
import type { TypedArray } from '../../src/dtype.js';
import { apply } from '../../src/ops/apply.js';
import type { ParamsOf, Primitive } from '../../src/primitives.js';
import type { Tensor } from '../../src/tensor.js';

const onWebgpu = process.env.NABLA_TEST_BACKEND === 'webgpu';

const gen = new Generator(7);
/** Random float32 data of `shape` on the cpu. */
const r = (...shape: number[]) => randn(shape, { generator: gen });
/** Random int32 data in [lo, hi) of `shape` on the cpu. */
const ri = (lo: number, hi: number, ...shape: number[]) =>
  r(...shape)
    .abs()
    .mul(1e4)
    .floor()
    .remainder(hi - lo)
    .add(lo)
    .to('int32');
type T = FusedTensor<unknown>;
type C = FusedTensor<TypedArray>;
const int = (data: number[], shape: number[]) => tensor(data, { dtype: 'int32' }).reshape(shape);

/** A case: its inputs on the cpu, and what to do with them on a device (views are made there). */
interface Case {
  readonly p: Primitive;
  readonly label: string;
  readonly inputs: () => Tensor[];
  readonly views?: (xs: Tensor[]) => Tensor[];
  readonly params: object;
}

const CASES: Case[] = [
  {
    p: 'gather',
    label: 'float32, several workgroups, negative indices',
    inputs: () => [r(40, 50), ri(-50, 50, 40, 30)],
    params: { dim: 1 },
  },
  {
    p: 'gather',
    label: 'int32 along dim 0 of a transposed input and index',
    inputs: () => [ri(-9, 9, 7, 6), ri(-6, 6, 5, 7)],
    views: ([x, i]) => [x!.t(), i!.t()],
    params: { dim: 0 },
  },
  {
    p: 'gather',
    label: 'bool, broadcast index',
    inputs: () => [r(4, 9).gt(0), int([0, 8, -1, 3], [1, 4])],
    views: ([x, i]) => [x!, i!.expand(4, 4)],
    params: { dim: 1 },
  },
  {
    p: 'gather',
    label: '0-d input, 1-element index',
    inputs: () => [tensor(4.5), int([-1], [1])],
    params: { dim: 0 },
  },
  {
    p: 'cat',
    label: 'int32 blocks along dim 0, an empty and a transposed one',
    inputs: () => [ri(-5, 5, 3, 4), ri(-5, 5, 0, 4), ri(-5, 5, 4, 2)],
    views: ([a, b, c]) => [a!, b!, c!.t()],
    params: { dim: 0 },
  },
  {
    p: 'cat',
    label: 'bool along dim 1',
    inputs: () => [r(3, 2).gt(0), r(3, 5).gt(0)],
    params: { dim: 1 },
  },
  {
    p: 'cat',
    label: 'float32 3-d along the last dim, a broadcast block',
    inputs: () => [r(2, 3, 5), r(2, 1, 1)],
    views: ([a, b]) => [a!, b!.expand(2, 3, 4)],
    params: { dim: 2 },
  },
  {
    p: 'sliceScatter',
    label: 'bool base, strided source along dim 0',
    inputs: () => [r(9, 3).gt(0), r(3, 3).gt(0)],
    views: ([a, b]) => [a!, b!.t()],
    params: { dim: 0, start: 2, end: 9, step: 3 },
  },
  {
    p: 'sliceScatter',
    label: 'float32 broadcast base, large',
    inputs: () => [r(1, 700), r(300, 350)],
    views: ([a, b]) => [a!.expand(300, 700), b!],
    params: { dim: 1, start: 1, end: 700, step: 2 },
  },
  {
    p: 'scatter',
    label: 'bool, repeats: the last write wins',
    inputs: () => [
      r(5, 6).gt(0),
      int([0, 0, 4, 4, -1, 2, 2, 0, 0, 1, 1, 1], [2, 6]),
      r(3, 6).gt(0),
    ],
    params: { dim: 0 },
  },
  {
    p: 'scatter',
    label: 'int32, index smaller than self along every dim',
    inputs: () => [ri(-9, 9, 6, 8), ri(-8, 8, 4, 5), ri(-9, 9, 5, 7)],
    params: { dim: 1 },
  },
  {
    p: 'scatter',
    label: 'float32, several workgroups, 3-d, dim 1',
    inputs: () => [r(6, 40, 30), ri(-40, 40, 5, 60, 30), r(5, 60, 30)],
    params: { dim: 1 },
  },
  {
    p: 'scatterAdd',
    label: 'float32 embedding-style backward (broadcast index rows), atomic',
    inputs: () => [r(1, 1), ri(0, 50, 300, 1), r(300, 16)],
    views: ([z, i, g]) => [z!.expand(50, 16), i!.expand(300, 16), g!],
    params: { dim: 0 },
  },
  {
    p: 'scatterAdd',
    label: 'int32 wraps around',
    inputs: () => [
      int([2147483647, -2147483648, 5], [3]),
      int([0, 1, 2, 0], [4]),
      int([1, -1, 7, 3], [4]),
    ],
    params: { dim: 0 },
  },
  {
    p: 'scatterAdd',
    label: 'float32 0-d self and source',
    inputs: () => [tensor(1.25), int([0], []), tensor(-3)],
    params: { dim: 0 },
  },
  // within the loop's cost bound (n·L ≤ 65536): one thread per output element, several workgroups
  {
    p: 'scatter',
    label: 'float32 repeats, per-element loop',
    inputs: () => [r(60, 100), ri(-60, 60, 10, 100), r(10, 100)],
    params: { dim: 0 },
  },
  {
    p: 'scatterAdd',
    label: 'float32 repeats, per-element loop (the cpu order)',
    inputs: () => [r(60, 100), ri(-60, 60, 10, 100), r(10, 100)],
    params: { dim: 0 },
  },
  // past the loop's cost bound: the atomic kernels (one thread per index position)
  {
    p: 'scatterAdd',
    label: 'float32 max-pool-style backward, atomic',
    inputs: () => [r(1, 1, 1), ri(0, 400, 4, 3, 100), r(4, 3, 100)],
    views: ([z, i, g]) => [z!.expand(4, 3, 400), i!, g!],
    params: { dim: 2 },
  },
  {
    p: 'scatterAdd',
    label: 'float32 large embedding backward, atomic',
    inputs: () => [r(2000, 16), ri(-2000, 2000, 600, 1), r(600, 16)],
    views: ([z, i, g]) => [z!, i!.expand(600, 16), g!],
    params: { dim: 0 },
  },
  {
    p: 'scatterAdd',
    label: 'int32, atomic, transposed source',
    inputs: () => [ri(-99, 99, 3, 500), ri(-500, 500, 3, 300), ri(-99, 99, 300, 3)],
    views: ([x, i, g]) => [x!, i!, g!.t()],
    params: { dim: 1 },
  },
  {
    p: 'scatter',
    label: 'float32 repeats, atomic: the last write still wins',
    inputs: () => [r(2, 500), ri(-100, 100, 2, 400), r(2, 450)],
    params: { dim: 1 },
  },
  {
    p: 'sort',
    label: 'float32 lines of 1000 with ties, NaN and -inf, dim 0 of a transposed input, descending',
    inputs: () => [r(3, 1000).mul(3).round().add(2).log()],
    views: ([x]) => [x!.t()],
    params: { dim: 0, descending: true },
  },
  {
    p: 'sort',
    label: 'float32 ascending, many short lines of a 3-d input',
    inputs: () => [r(30, 17, 40).mul(3).round()],
    params: { dim: 1, descending: false },
  },
  {
    p: 'sort',
    label: 'int32',
    inputs: () => [ri(-5, 5, 6, 300)],
    params: { dim: 1, descending: false },
  },
  {
    p: 'sort',
    label: 'bool, descending',
    inputs: () => [r(4, 33).gt(0)],
    params: { dim: 1, descending: true },
  },
  {
    p: 'kthIndex',
    label: 'float32 ties, NaN and -inf, lines of 999',
    inputs: () => [r(5, 999).mul(3).round().add(2).log()],
    params: { dim: 1, k: 500 },
  },
  {
    p: 'kthIndex',
    label: 'int32 along dim 0 of a transposed input',
    inputs: () => [ri(-3, 3, 40, 64)],
    views: ([x]) => [x!.t()],
    params: { dim: 0, k: 7 },
  },
  {
    p: 'kthIndex',
    label: 'bool, the last k',
    inputs: () => [r(3, 20).gt(0)],
    params: { dim: 1, k: 20 },
  },
  ...(['sum', 'prod', 'mean', 'amax', 'amin'] as const).flatMap((reduce) =>
    [true, false].map((includeSelf) => ({
      p: 'scatterReduce' as const,
      label: `float32 ${reduce}, includeSelf ${includeSelf}, NaN, several workgroups`,
      inputs: () => [
        r(40, 30).mul(3).round().add(2).log(),
        ri(-40, 40, 20, 30),
        r(20, 30).mul(3).round().add(2).log(),
      ],
      params: { dim: 0, reduce, includeSelf },
    })),
  ),
  ...(['sum', 'prod', 'mean', 'amax', 'amin'] as const).map((reduce) => ({
    p: 'scatterReduce' as const,
    label: `int32 ${reduce}, transposed self, negative means floor`,
    inputs: () => [ri(-20, 20, 9, 6), ri(-9, 9, 5, 4), ri(-20, 20, 5, 7)],
    views: ([x, i, s]: Tensor[]) => [x!.t(), i!, s!],
    params: { dim: 1, reduce, includeSelf: reduce !== 'amin' },
  })),
];

/** Host calls of primitive `p` so far on the webgpu backend. */
function hostCallsOf(backend: WebgpuBackend, p: string): number {
  let n = 0;
  for (const [k, v] of backend.hostCalls) if (k.startsWith(`${p}(`)) n += v;
  return n;
}

function run(c: Case, device: string, inputs: Tensor[]): Tensor {
  const moved = inputs.map((t) => t.to(device));
  const viewed = c.views ? c.views(moved) : moved;
  return apply(c.p, viewed, c.params as ParamsOf<typeof c.p>);
}

describe.skipIf(!onWebgpu)('webgpu indexing kernels', () => {
  for (const c of CASES) {
    it(`${c.p}: ${c.label} matches cpu without a host call`, () => {
      const backend = getBackend('webgpu') as WebgpuBackend;
      const before = hostCallsOf(backend, c.p);
      const inputs = c.inputs();
      const got = run(c, 'webgpu', inputs);
      const want = run(c, 'cpu', inputs);
      expect(got.shape).toEqual(want.shape);
      expect(got.dtype).toBe(want.dtype);
      const a = Array.from(got.to('cpu').dataSync() as ArrayLike<number>);
      const b = Array.from(want.dataSync() as ArrayLike<number>);
      // float sums in the GPU's order (atomics) and WGSL's division (2.5 ulp) come within 1e-5
      const rounded = c.label.includes('atomic') || c.p === 'scatterReduce';
      if (rounded && want.dtype === 'float32') {
        a.forEach((v, i) => {
          const w = b[i]!;
          if (!Number.isFinite(w)) expect(v).toBe(w);
          else expect(Math.abs(v - w)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(w));
        });
      } else {
        expect(a).toEqual(b);
      }
      expect(hostCallsOf(backend, c.p)).toBe(before);
    });
  }
});

describe.skipIf(!onWebgpu)('webgpu sort of lines longer than workgroup memory holds', () => {
  it('runs on the host (one host call) and matches cpu', () => {
    const backend = getBackend('webgpu') as WebgpuBackend;
    const before = hostCallsOf(backend, 'sort');
    const x = r(2, 1500).mul(3).round();
    const got = apply('sort', [x.to('webgpu')], { dim: 1, descending: false });
    const want = apply('sort', [x.to('cpu')], { dim: 1, descending: false });
    expect(Array.from(got.to('cpu').dataSync())).toEqual(Array.from(want.dataSync()));
    expect(hostCallsOf(backend, 'sort')).toBe(before + 1);
  });
});

/** The contiguous run of `t`'s buffer from element `offset` (the fused ops' operand). */
const run1 = (t: Tensor, offset: number, size: number) => ({
  buffer: t._storage.buffer,
  offset,
  size,
});

/** Largest |a − b| / (|b| + 1e-30) over two arrays (0 where both are equal, NaN included). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + 1e-30));
  }
  return worst;
}

describe.skipIf(!onWebgpu)('webgpu fused optimizer updates', () => {
  // operands start at element 3 of their buffers; 700 elements span several workgroups
  const N = 700;
  const AT = 3;
  const data = () => r(N + AT + 5);

  const sgdCases: FusedSGDOptions[] = [
    {
      lr: 0.1,
      weightDecay: 0,
      momentum: 0,
      dampening: 0,
      nesterov: false,
      maximize: false,
      first: false,
    },
    {
      lr: 0.05,
      weightDecay: 0.01,
      momentum: 0.9,
      dampening: 0,
      nesterov: false,
      maximize: false,
      first: true,
    },
    {
      lr: 0.05,
      weightDecay: 0.01,
      momentum: 0.9,
      dampening: 0.3,
      nesterov: false,
      maximize: true,
      first: false,
    },
    {
      lr: 0.02,
      weightDecay: 0,
      momentum: 0.8,
      dampening: 0,
      nesterov: true,
      maximize: false,
      first: false,
    },
  ];
  for (const o of sgdCases) {
    it(`sgd ${JSON.stringify(o)} matches the cpu's float32 order`, () => {
      const fused = getBackend('webgpu').fused!;
      const [p, g, b] = [data(), data(), data()];
      const [gp, gg, gb] = [p, g, b].map((t) => t.to('webgpu').clone()) as [Tensor, Tensor, Tensor];
      const [cp, cg, cb] = [p, g, b].map((t) => t.to('cpu').clone()) as [Tensor, Tensor, Tensor];
      const withBuf = o.momentum !== 0;
      fused.sgd!(run1(gp, AT, N), run1(gg, AT, N), withBuf ? run1(gb, AT, N) : null, o);
      jsSgd(
        run1(cp, AT, N) as FusedTensor<TypedArray>,
        run1(cg, AT, N) as FusedTensor<TypedArray>,
        withBuf ? (run1(cb, AT, N) as FusedTensor<TypedArray>) : null,
        o,
      );
      for (const [got, want] of [
        [gp, cp],
        [gb, cb],
        [gg, cg],
      ] as const) {
        expect(maxRelDiff(got.to('cpu').dataSync(), want.dataSync())).toBeLessThanOrEqual(2e-7);
      }
    });
  }

  const adamBase = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const adamCases: FusedAdamOptions[] = [
    {
      ...adamBase,
      weightDecay: 0,
      stepSize: 0.1,
      biasCorrection2Sqrt: 0.0447,
      maximize: false,
      decoupled: false,
      amsgrad: false,
    },
    {
      ...adamBase,
      weightDecay: 0.01,
      stepSize: 0.0526,
      biasCorrection2Sqrt: 0.0632,
      maximize: true,
      decoupled: false,
      amsgrad: true,
    },
    {
      ...adamBase,
      weightDecay: 0.1,
      stepSize: 0.0369,
      biasCorrection2Sqrt: 0.0773,
      maximize: false,
      decoupled: true,
      amsgrad: false,
    },
    {
      ...adamBase,
      weightDecay: 0.1,
      stepSize: 0.0369,
      biasCorrection2Sqrt: 0.0773,
      maximize: false,
      decoupled: true,
      amsgrad: true,
    },
  ];
  for (const o of adamCases) {
    it(`adam ${JSON.stringify(o)} matches the cpu's float32 order`, () => {
      const fused = getBackend('webgpu').fused!;
      const square = () => data().square();
      const ts = [data(), data(), data(), square(), square()];
      const gpu = ts.map((t) => t.to('webgpu').clone());
      const cpu = ts.map((t) => t.to('cpu').clone());
      const args = (xs: Tensor[]) => xs.map((t) => run1(t, AT, N));
      const [gp, gg, gm, gv, gx] = args(gpu) as [T, T, T, T, T];
      fused.adam!(gp, gg, gm, gv, o.amsgrad ? gx : null, o);
      const [cp, cg, cm, cv, cx] = args(cpu) as FusedTensor<TypedArray>[] as [C, C, C, C, C];
      jsAdam(cp, cg, cm, cv, o.amsgrad ? cx : null, o);
      gpu.forEach((t, k) => {
        expect(maxRelDiff(t.to('cpu').dataSync(), cpu[k]!.dataSync())).toBeLessThanOrEqual(2e-7);
      });
    });
  }
});
