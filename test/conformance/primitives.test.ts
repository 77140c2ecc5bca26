// Conformance: every primitive on every registered backend against the cpu oracle, on broadcast,
// strided, empty, 0-d and non-finite inputs. The case table is typed so a new primitive needs a row.
import { describe, expect, it } from 'vitest';
import { Generator, listBackends, randn, tensor, zeros } from '../../src/index.js';
import { getBackend } from '../../src/backend/registry.js';
import { Storage } from '../../src/memory.js';
import { apply } from '../../src/ops/apply.js';
import { Tensor } from '../../src/tensor.js';
import {
  BINARY_PRIMITIVES,
  REDUCE_PRIMITIVES,
  UNARY_PRIMITIVES,
  type ParamsOf,
  type Primitive,
} from '../../src/primitives.js';
import { NO_THRESHOLDS } from '../../src/backend/fast/backend.js';
import { loadFastBackends } from '../../src/node/backends.js';
import { WGSL_KERNELS, type WebgpuBackend } from '../../src/backend/webgpu/index.js';
import type { KernelPrimitive } from '../../src/primitives.js';

// The fast CPU backends (native, wasm) take every call they can here, however small.
await loadFastBackends({ thresholds: NO_THRESHOLDS, threads: 2, quiet: true });

type Case = { readonly label: string; readonly inputs: () => Tensor[]; readonly params: object };

const gen = new Generator(2024);
const r = (...shape: number[]) => randn(shape, { generator: gen });
const specials = () => tensor([0, -0, 1.5, -2.5, Number.NaN, Infinity, -Infinity, 1e-30]);
// images whose first holds specials() (inf, NaN) and the rest small finite values
const nonFiniteFirst = (...shape: number[]) =>
  tensor([
    ...specials().dataSync(),
    ...r(shape.reduce((a, b) => a * b) - 8)
      .mul(0.1)
      .dataSync(),
  ]).reshape(shape);
const int = (data: number[], shape?: number[]) => {
  const t = tensor(data, { dtype: 'int32' });
  return shape ? t.reshape(shape) : t;
};

const win = (
  kernelSize: [number, number],
  dilation: [number, number],
  padding: [number, number],
  stride: [number, number],
) => ({ kernelSize, dilation, padding, stride });

// batch norm: the statistics of x, and the inputs of its fused primitives
const bnStats = (x: Tensor) => apply('batchNormStats', [x], {});
const withStats = (x: Tensor, gradScale: number) => [
  r(...x.shape)
    .mul(gradScale)
    .to(x.dtype),
  x,
  bnStats(x),
];
const bnp = (training: boolean, affine: string) => ({
  eps: 1e-5,
  training,
  weight: affine.includes('w'),
  bias: affine.includes('b'),
});
const bnInputs = (x: Tensor, affine: string) => {
  const c = x.shape[1]!;
  const ins = [x, bnStats(x)];
  if (affine.includes('w')) ins.push(r(c).to(x.dtype));
  if (affine.includes('b')) ins.push(r(c).to(x.dtype));
  return ins;
};
const bnb = (weight: boolean) => ({ eps: 1e-5, weight });
const bnGrad = (x: Tensor, weight: boolean) => {
  const [g, , st] = withStats(x, 1) as [Tensor, Tensor, Tensor];
  const ins = [g, x, st, apply('batchNormGradStats', [g, x, st], {})];
  if (weight) ins.push(r(x.shape[1]!).to(x.dtype));
  return ins;
};
const unaryCases: Case[] = [
  { label: 'contiguous', inputs: () => [r(3, 4)], params: {} },
  { label: 'transposed', inputs: () => [r(4, 3).t()], params: {} },
  { label: 'broadcast view', inputs: () => [r(1, 3).expand(4, 3)], params: {} },
  { label: 'empty', inputs: () => [zeros(0, 3)], params: {} },
  { label: '0-d', inputs: () => [tensor(0.75)], params: {} },
  { label: 'non-finite', inputs: () => [specials()], params: {} },
];

const binaryCases: Case[] = [
  { label: 'same shape', inputs: () => [r(3, 4), r(3, 4)], params: {} },
  { label: 'broadcast', inputs: () => [r(3, 1), r(4)], params: {} },
  { label: 'strided', inputs: () => [r(4, 3).t(), r(3, 8).slice(1, 0, null, 2)], params: {} },
  { label: '0-d and empty', inputs: () => [tensor(2), zeros(0, 2)], params: {} },
  { label: 'non-finite', inputs: () => [specials(), specials().flip(0)], params: {} },
];

// Integer (and bool) operands: the bitwise ops take nothing else, the rounded divisions must be
// exact on them (divisors are non-zero: a zero raises, which test/golden/elementwise2.test.ts checks).
const ints = () => int([7, -7, 3, -3, 0, 2147483647, -2147483648, 12, -1, 5, 1, -9], [3, 4]);
const divisors = () => int([2, -2, 3, -3], [4]);
const intUnaryCases: Case[] = [
  { label: 'int32', inputs: () => [ints()], params: {} },
  { label: 'int32 transposed', inputs: () => [ints().t()], params: {} },
  { label: 'bool', inputs: () => [tensor([true, false, true])], params: {} },
  { label: 'empty', inputs: () => [int([], [0, 2])], params: {} },
];
const intBinaryCases: Case[] = [
  { label: 'int32 broadcast', inputs: () => [ints(), divisors()], params: {} },
  { label: 'int32 strided', inputs: () => [ints().t(), int([5, -4, 7], [3])], params: {} },
  { label: 'int32 0-d and empty', inputs: () => [int([6], []), int([], [0, 2])], params: {} },
];
const bitwiseCases: Case[] = [
  ...intBinaryCases,
  {
    label: 'bool',
    inputs: () => [tensor([true, false, true, false]), tensor([true, true, false, false])],
    params: {},
  },
  {
    label: 'int32 and bool',
    inputs: () => [ints(), tensor([true, false, true, true])],
    params: {},
  },
];
const shiftCases: Case[] = [
  {
    label: 'int32 broadcast',
    inputs: () => [ints(), int([0, 1, 5, 31], [4])],
    params: {},
  },
  { label: 'int32 strided', inputs: () => [ints().t(), int([3, 0, 2], [3])], params: {} },
];

const reduceCases = (p: Primitive): Case[] => {
  const nonEmpty = p === 'amax' || p === 'amin' || p === 'argmax' || p === 'argmin';
  const dims = (d: number[], keepdim = false) => ({ dims: d, keepdim });
  return [
    { label: 'all dims', inputs: () => [r(3, 4)], params: dims([0, 1]) },
    { label: 'one dim keepdim', inputs: () => [r(3, 4, 5)], params: dims([1], true) },
    {
      label: 'two dims of transposed',
      inputs: () => [r(5, 4, 3).permute(2, 0, 1)],
      params: dims([0, 2]),
    },
    { label: 'non-finite', inputs: () => [specials().reshape(2, 4)], params: dims([1]) },
    {
      // a conv bias gradient: [N, C, L] over N and L, runs of 37 (whole vectors and a tail)
      label: 'batch and positions of [N, C, L]',
      inputs: () => [r(5, 3, 37)],
      params: dims([0, 2]),
    },
    {
      label: 'batch and positions, non-finite in one channel',
      inputs: () => [r(2, 3, 4).add(tensor([0, Infinity, Number.NaN]).reshape(1, 3, 1))],
      params: dims([0, 2], true),
    },
    ...(nonEmpty ? [] : [{ label: 'empty', inputs: () => [zeros(2, 0)], params: dims([1]) }]),
  ];
};

const CASES: { readonly [P in Primitive]: Case[] } = {
  ...(Object.fromEntries(UNARY_PRIMITIVES.map((p) => [p, unaryCases])) as Record<
    (typeof UNARY_PRIMITIVES)[number],
    Case[]
  >),
  ...(Object.fromEntries(BINARY_PRIMITIVES.map((p) => [p, binaryCases])) as Record<
    (typeof BINARY_PRIMITIVES)[number],
    Case[]
  >),
  ...(Object.fromEntries(REDUCE_PRIMITIVES.map((p) => [p, reduceCases(p)])) as Record<
    (typeof REDUCE_PRIMITIVES)[number],
    Case[]
  >),
  bitwiseNot: intUnaryCases,
  bitwiseAnd: bitwiseCases,
  bitwiseOr: bitwiseCases,
  bitwiseXor: bitwiseCases,
  bitwiseLeftShift: shiftCases,
  bitwiseRightShift: shiftCases,
  divTrunc: [...binaryCases, ...intBinaryCases],
  divFloor: [...binaryCases, ...intBinaryCases],
  remainder: [...binaryCases, ...intBinaryCases],
  fmod: [...binaryCases, ...intBinaryCases],
  reluBackward: [
    ...binaryCases,
    ...intBinaryCases,
    {
      label: 'zeros of both signs in y',
      inputs: () => [r(2, 4), tensor([0, -0, 1e-30, -1e-30]).expand(2, 4)],
      params: {},
    },
    { label: 'float64', inputs: () => [r(3, 4).double(), r(4, 3).double().t()], params: {} },
    // past the fast backends' vector tails and one thread's share
    { label: 'long rows', inputs: () => [r(3, 1037), r(1037, 3).t()], params: {} },
  ],
  cast: [
    { label: 'to float64', inputs: () => [r(3, 4).t()], params: { dtype: 'float64' } },
    { label: 'to int32', inputs: () => [specials().mul(3)], params: { dtype: 'int32' } },
    { label: 'to bool', inputs: () => [specials()], params: { dtype: 'bool' } },
  ],
  clamp: [
    { label: 'both', inputs: () => [r(3, 4).t()], params: { min: -0.5, max: 0.5 } },
    {
      label: 'min only, non-finite',
      inputs: () => [specials()],
      params: { min: 0, max: undefined },
    },
  ],
  where: [
    { label: 'broadcast', inputs: () => [r(3, 1).gt(0), r(4), r(3, 4)], params: {} },
    { label: 'empty', inputs: () => [zeros(0, 2).gt(0), zeros(0, 2), zeros(2)], params: {} },
  ],
  norm: [
    { label: 'p=2', inputs: () => [r(3, 4)], params: { dims: [1], keepdim: false, p: 2 } },
    {
      label: 'p=inf strided',
      inputs: () => [r(4, 3).t()],
      params: { dims: [0, 1], keepdim: true, p: Infinity },
    },
    { label: 'p=3', inputs: () => [r(3, 4)], params: { dims: [0], keepdim: false, p: 3 } },
  ],
  cumsum: [
    { label: 'last dim', inputs: () => [r(3, 5)], params: { dim: 1 } },
    { label: 'first dim of transposed', inputs: () => [r(5, 3).t()], params: { dim: 0 } },
    { label: 'empty', inputs: () => [zeros(0, 3)], params: { dim: 0 } },
  ],
  logSoftmax: [
    { label: 'last dim', inputs: () => [r(4, 7)], params: { dim: 1 } },
    { label: 'first dim of transposed', inputs: () => [r(6, 3).t()], params: { dim: 0 } },
    { label: 'middle dim, 3-d', inputs: () => [r(2, 5, 3)], params: { dim: 1 } },
    {
      label: 'non-finite rows',
      inputs: () => [
        tensor([
          [1, Infinity, 2, 0],
          [-Infinity, -Infinity, -Infinity, -Infinity],
          [0, Number.NaN, 1, 2],
          [-Infinity, 3, 1000, -1000],
        ]),
      ],
      params: { dim: 1 },
    },
    { label: '0-d', inputs: () => [tensor(1.5)], params: { dim: 0 } },
    { label: 'empty', inputs: () => [zeros(0, 3)], params: { dim: 1 } },
    { label: 'float64', inputs: () => [r(3, 4).double()], params: { dim: 1 } },
  ],
  nllLoss: [
    {
      label: 'mean, ignored target',
      inputs: () => [r(5, 4), int([0, 3, -100, 1, 3])],
      params: { ignoreIndex: -100, reduction: 'mean' },
    },
    {
      label: 'sum, weighted, transposed input',
      inputs: () => [r(4, 5).t(), int([2, 0, 1, 3, 3]), tensor([0.5, 2, 1, 3])],
      params: { ignoreIndex: 1, reduction: 'sum' },
    },
    {
      label: 'none, spatial [N, C, d]',
      inputs: () => [r(2, 3, 4), int([0, 2, 1, 1, 2, 0, 0, 2], [2, 4])],
      params: { ignoreIndex: -100, reduction: 'none' },
    },
    {
      label: 'mean, every target ignored (NaN)',
      inputs: () => [r(3, 2), int([0, 0, 0])],
      params: { ignoreIndex: 0, reduction: 'mean' },
    },
    {
      label: '1-d input',
      inputs: () => [r(6), int([4], [])],
      params: { ignoreIndex: -100, reduction: 'mean' },
    },
  ],
  nllLossBackward: [
    {
      label: 'mean, weighted',
      inputs: () => [tensor(1.5), int([0, 3, -100, 1, 3]), tensor([0.5, 2, 1, 3])],
      params: { ignoreIndex: -100, reduction: 'mean', shape: [5, 4] },
    },
    {
      label: 'none, spatial, strided gradient',
      inputs: () => [r(4, 2).t(), int([0, 2, 1, 1, 2, 0, 0, 2], [2, 4])],
      params: { ignoreIndex: 2, reduction: 'none', shape: [2, 3, 4] },
    },
  ],
  cumprod: [
    { label: 'last dim', inputs: () => [r(3, 5)], params: { dim: 1 } },
    { label: 'first dim of transposed', inputs: () => [r(5, 3).t()], params: { dim: 0 } },
    { label: 'zeros and non-finite', inputs: () => [specials().reshape(2, 4)], params: { dim: 1 } },
    { label: 'int32', inputs: () => [int([2, -3, 0, 4, 5, 1], [2, 3])], params: { dim: 1 } },
    { label: '0-d', inputs: () => [tensor(0.75)], params: { dim: 0 } },
    { label: 'empty', inputs: () => [zeros(0, 3)], params: { dim: 0 } },
  ],
  logcumsumexp: [
    { label: 'last dim', inputs: () => [r(3, 5)], params: { dim: 1 } },
    { label: 'first dim of transposed', inputs: () => [r(5, 3).t().mul(30)], params: { dim: 0 } },
    { label: 'non-finite', inputs: () => [specials().reshape(2, 4)], params: { dim: 1 } },
    { label: 'empty', inputs: () => [zeros(0, 3)], params: { dim: 0 } },
  ],
  cumExtremeIndex: [
    { label: 'max, last dim', inputs: () => [r(3, 5)], params: { dim: 1, op: 'max' } },
    { label: 'min of transposed', inputs: () => [r(5, 3).t()], params: { dim: 0, op: 'min' } },
    {
      label: 'ties and NaN',
      inputs: () => [tensor([1, 3, 3, Number.NaN, 5, Number.NaN, 2, 2])],
      params: { dim: 0, op: 'max' },
    },
    {
      label: 'int32 min',
      inputs: () => [int([2, -3, -3, 4, -5, 1], [2, 3])],
      params: { dim: 1, op: 'min' },
    },
    { label: 'empty', inputs: () => [zeros(0, 3)], params: { dim: 0, op: 'max' } },
  ],
  matmul: [
    { label: '2-d', inputs: () => [r(3, 5), r(5, 2)], params: {} },
    { label: 'transposed operands', inputs: () => [r(5, 3).t(), r(2, 5).t()], params: {} },
    { label: 'broadcast batch', inputs: () => [r(2, 1, 3, 4), r(5, 4, 2)], params: {} },
    { label: 'k = 0', inputs: () => [zeros(3, 0), zeros(0, 2)], params: {} },
    { label: 'primes', inputs: () => [r(7, 11), r(11, 13)], params: {} },
  ],
  linear: [
    { label: '2-d with bias', inputs: () => [r(4, 5), r(3, 5), r(3)], params: {} },
    { label: '1-d input, no bias', inputs: () => [r(5), r(3, 5)], params: {} },
    {
      label: '3-d input, transposed weight, strided bias',
      inputs: () => [r(2, 3, 5), r(5, 3).t(), r(6).slice(0, 0, null, 2)],
      params: {},
    },
    {
      label: 'leading dims that do not merge',
      inputs: () => [r(5, 2, 3).permute(1, 2, 0), r(4, 5), r(4)],
      params: {},
    },
    { label: 'k = 0', inputs: () => [zeros(3, 0), zeros(4, 0), r(4)], params: {} },
    { label: 'no rows', inputs: () => [zeros(0, 4), r(3, 4), r(3)], params: {} },
    { label: 'primes', inputs: () => [r(37, 71), r(45, 71), r(45)], params: {} },
    {
      // more than one K block (the bias must start C only once) and ragged edge tiles (x scaled
      // so that float32 sums of 1,100 terms stay within the fixed tolerance)
      label: 'long k, several tiles',
      inputs: () => [r(2, 9, 1100).mul(0.05), r(35, 1100), r(35)],
      params: {},
    },
    {
      label: 'non-finite',
      inputs: () => [specials().reshape(2, 4), r(3, 4), tensor([0, Infinity, Number.NaN])],
      params: {},
    },
    // The activation applied as the sums are stored (the GEMM's tiles after their last K block).
    {
      label: 'relu epilogue, more than one K block, ragged tiles',
      inputs: () => [r(2, 9, 1100).mul(0.05), r(35, 1100), r(35)],
      params: { activation: 'relu' },
    },
    {
      label: 'relu epilogue, primes',
      inputs: () => [r(37, 71), r(45, 71), r(45)],
      params: { activation: 'relu' },
    },
    {
      label: 'relu epilogue, non-finite (NaN passes, -inf to 0)',
      inputs: () => [specials().reshape(2, 4), r(3, 4), tensor([0, -Infinity, Number.NaN])],
      params: { activation: 'relu' },
    },
    {
      label: 'relu epilogue, k = 0',
      inputs: () => [zeros(3, 0), zeros(4, 0), r(4)],
      params: { activation: 'relu' },
    },
    {
      label: 'gelu epilogue, primes',
      inputs: () => [r(37, 71), r(45, 71), r(45)],
      params: { activation: 'gelu' },
    },
    {
      label: 'gelu epilogue, 3-d input, no bias, non-finite',
      inputs: () => [specials().reshape(2, 1, 4).mul(3), r(5, 4)],
      params: { activation: 'gelu' },
    },
  ],
  batchNormStats: [
    { label: '4-d', inputs: () => [r(4, 3, 5, 6)], params: {} },
    { label: '[N, C]', inputs: () => [r(9, 5)], params: {} },
    { label: '3-d spatial', inputs: () => [r(2, 3, 2, 3, 4)], params: {} },
    { label: 'C = 1, long rows', inputs: () => [r(3, 1, 101)], params: {} },
    { label: 'N·S = 1', inputs: () => [r(1, 4)], params: {} },
    { label: 'strided', inputs: () => [r(5, 6, 3).permute(2, 1, 0)], params: {} },
    { label: 'sliced spatial', inputs: () => [r(2, 3, 10).slice(2, 1, null, 2)], params: {} },
    {
      label: 'offset and large mean',
      inputs: () => [r(8, 4, 33).add(100).slice(0, 2)],
      params: {},
    },
    { label: 'float64', inputs: () => [r(4, 3, 5).double()], params: {} },
    { label: 'non-finite', inputs: () => [specials().reshape(2, 2, 2)], params: {} },
    { label: 'empty', inputs: () => [zeros(0, 3)], params: {} },
  ],
  batchNormGradStats: [
    { label: '4-d', inputs: () => withStats(r(4, 3, 5, 6), 1), params: {} },
    { label: '[N, C]', inputs: () => withStats(r(9, 5), 1), params: {} },
    { label: 'C = 1, 3-d spatial', inputs: () => withStats(r(2, 1, 3, 4, 5), 1), params: {} },
    {
      label: 'strided grad and input',
      inputs: () => {
        const x = r(5, 6, 3).permute(2, 1, 0);
        return [r(6, 5, 3).permute(2, 0, 1), x, bnStats(x)];
      },
      params: {},
    },
    { label: 'float64', inputs: () => withStats(r(4, 3, 5).double(), 1), params: {} },
    {
      label: 'non-finite',
      inputs: () => [specials().reshape(2, 2, 2), r(2, 2, 2), r(2, 2).abs()],
      params: {},
    },
  ],
  batchNorm: [
    { label: '4-d, affine', inputs: () => bnInputs(r(4, 3, 5, 6), 'wb'), params: bnp(true, 'wb') },
    { label: 'eval, no affine', inputs: () => bnInputs(r(4, 3, 7), ''), params: bnp(false, '') },
    { label: 'bias only', inputs: () => bnInputs(r(2, 3, 4), 'b'), params: bnp(true, 'b') },
    { label: 'weight only', inputs: () => bnInputs(r(2, 3, 4), 'w'), params: bnp(false, 'w') },
    { label: '[N, C]', inputs: () => bnInputs(r(9, 5), 'wb'), params: bnp(true, 'wb') },
    {
      label: '3-d spatial',
      inputs: () => bnInputs(r(2, 3, 2, 3, 4), 'wb'),
      params: bnp(true, 'wb'),
    },
    { label: 'C = 1', inputs: () => bnInputs(r(3, 1, 37), 'wb'), params: bnp(true, 'wb') },
    {
      label: 'strided input and affine',
      inputs: () => [
        r(5, 6, 3).permute(2, 1, 0),
        r(2, 6).abs(),
        r(12).slice(0, 0, null, 2),
        r(6, 2).select(1, 1),
      ],
      params: bnp(true, 'wb'),
    },
    {
      label: 'float64',
      inputs: () => bnInputs(r(4, 3, 5).double(), 'wb'),
      params: bnp(true, 'wb'),
    },
    {
      label: 'non-finite',
      inputs: () => [
        specials().reshape(2, 2, 2),
        tensor([
          [0, 1],
          [1, 0],
        ]),
        r(2),
        r(2),
      ],
      params: bnp(false, 'wb'),
    },
    { label: 'empty', inputs: () => [zeros(0, 3), r(2, 3).abs()], params: bnp(false, '') },
  ],
  batchNormBackward: [
    { label: '4-d, weight', inputs: () => bnGrad(r(4, 3, 5, 6), true), params: bnb(true) },
    { label: '[N, C], no weight', inputs: () => bnGrad(r(9, 5), false), params: bnb(false) },
    {
      label: '3-d spatial, C = 1',
      inputs: () => bnGrad(r(2, 1, 3, 4, 5), true),
      params: bnb(true),
    },
    {
      label: 'strided',
      inputs: () => {
        const x = r(5, 6, 3).permute(2, 1, 0);
        const g = r(6, 5, 3).permute(2, 0, 1);
        const st = bnStats(x);
        return [g, x, st, apply('batchNormGradStats', [g, x, st], {}), r(12).slice(0, 0, null, 2)];
      },
      params: bnb(true),
    },
    { label: 'float64', inputs: () => bnGrad(r(4, 3, 5).double(), true), params: bnb(true) },
  ],
  view: [{ label: 'split dims', inputs: () => [r(6, 4)], params: { shape: [2, 3, 4] } }],
  permute: [{ label: '3-d', inputs: () => [r(2, 3, 4)], params: { dims: [2, 0, 1] } }],
  expand: [{ label: 'leading dims', inputs: () => [r(3, 1)], params: { shape: [2, 3, 4] } }],
  slice: [
    { label: 'step', inputs: () => [r(4, 9)], params: { dim: 1, start: 1, end: 8, step: 3 } },
  ],
  diagonal: [
    { label: 'offset', inputs: () => [r(3, 4)], params: { offset: 1, dim1: 0, dim2: 1 } },
    {
      label: 'negative offset, dims swapped, transposed',
      inputs: () => [r(2, 5, 3).permute(2, 0, 1)],
      params: { offset: -1, dim1: 2, dim2: 0 },
    },
    { label: 'empty', inputs: () => [r(2, 3)], params: { offset: 4, dim1: 0, dim2: 1 } },
  ],
  windows: [
    { label: 'overlapping', inputs: () => [r(3, 7)], params: { dim: 1, size: 3, step: 1 } },
    {
      label: 'strided, transposed',
      inputs: () => [r(4, 9).t()],
      params: { dim: 0, size: 2, step: 3 },
    },
    { label: 'size 0', inputs: () => [r(4)], params: { dim: 0, size: 0, step: 2 } },
  ],
  sliceScatter: [
    {
      label: 'step',
      inputs: () => [r(4, 9), r(4, 3)],
      params: { dim: 1, start: 1, end: 8, step: 3 },
    },
  ],
  cat: [
    {
      label: 'dim 1 strided',
      inputs: () => [r(3, 2), r(4, 3).t(), zeros(3, 0)],
      params: { dim: 1 },
    },
  ],
  gather: [
    {
      label: 'dim 1',
      inputs: () => [r(3, 4), int([0, 3, 3, 1, 2, 0, -1, 1, 2], [3, 3])],
      params: { dim: 1 },
    },
    {
      label: 'transposed input and index, negative indices',
      inputs: () => [r(5, 3).t(), int([0, -5, 4, -1, 2, 3, 1, -2, 0, 0, 4, -3], [4, 3]).t()],
      params: { dim: 1 },
    },
    {
      label: 'broadcast index smaller than the input',
      inputs: () => [r(4, 6), int([0, -1, 2, 5, -6], [1, 5]).expand(3, 5)],
      params: { dim: 1 },
    },
    {
      label: 'broadcast input, dim 0',
      inputs: () => [r(1, 7).expand(4, 7), int([3, -4, 0, 1, 2, -1, 3, 0], [2, 4])],
      params: { dim: 0 },
    },
    { label: 'empty index', inputs: () => [r(3, 4), int([], [0, 4])], params: { dim: 0 } },
    { label: '0-d', inputs: () => [tensor(2.5), int([0], [])], params: { dim: 0 } },
    {
      label: 'non-finite',
      inputs: () => [specials(), int([7, 6, 5, 4, 3, 2, 1, 0, -1, -8], [10])],
      params: { dim: 0 },
    },
  ],
  scatter: [
    {
      label: 'dim 0',
      inputs: () => [r(3, 4), int([2, 0, 1, 0], [1, 4]), r(2, 4)],
      params: { dim: 0 },
    },
    {
      label: 'strided, repeats (the last write wins)',
      inputs: () => [r(5, 4).t(), int([0, 0, 0, 4, -1, 1, 1, -5], [2, 4]).t(), r(4, 3)],
      params: { dim: 1 },
    },
    {
      label: 'broadcast source',
      inputs: () => [r(3, 4), int([1, 3, -4, 0, 2, 2], [3, 2]), r(1, 2).expand(3, 2)],
      params: { dim: 1 },
    },
    { label: 'empty index', inputs: () => [r(2, 3), int([], [0, 3]), r(0, 3)], params: { dim: 0 } },
    { label: '0-d', inputs: () => [tensor(1.5), int([0], []), tensor(-2)], params: { dim: 0 } },
  ],
  maxPoolBackward: [
    {
      label: 'repeats (overlapping windows), negative indices',
      inputs: () => [
        r(2, 3, 5),
        int(
          Array.from({ length: 30 }, (_, i) => ((i * 5) % 9) - 2),
          [2, 3, 5],
        ),
      ],
      params: { size: 7 },
    },
    {
      label: 'permuted gradient and index',
      inputs: () => [
        r(5, 2, 3).permute(1, 2, 0),
        int(
          Array.from({ length: 30 }, (_, i) => (i * 7) % 6),
          [5, 2, 3],
        ).permute(1, 2, 0),
      ],
      params: { size: 6 },
    },
    {
      label: 'broadcast gradient, transposed 2-d index',
      inputs: () => [
        r(1, 4).expand(5, 4),
        int(
          Array.from({ length: 20 }, (_, i) => i % 3),
          [4, 5],
        ).t(),
      ],
      params: { size: 3 },
    },
    { label: '1-d', inputs: () => [r(6), int([0, 2, 2, 5, -1, 0])], params: { size: 6 } },
    { label: 'no planes', inputs: () => [zeros(0, 3), int([], [0, 3])], params: { size: 4 } },
    { label: 'no gradients', inputs: () => [zeros(2, 0), int([], [2, 0])], params: { size: 3 } },
    {
      label: 'non-finite',
      inputs: () => [specials().reshape(1, 8), int([0, 1, 1, 2, 3, 3, 4, 0], [1, 8])],
      params: { size: 5 },
    },
    {
      label: 'float64',
      inputs: () => [r(2, 4).double(), int([1, 1, 0, 3, 2, 2, 2, 0], [2, 4])],
      params: { size: 4 },
    },
    {
      label: 'pool-sized planes',
      inputs: () => [
        r(4, 16, 49),
        int(
          Array.from({ length: 4 * 16 * 49 }, (_, i) => (i * 37) % 196),
          [4, 16, 49],
        ),
      ],
      params: { size: 196 },
    },
  ],
  scatterAdd: [
    {
      label: 'repeats',
      inputs: () => [r(3, 4), int([2, 2, 1, 2, 0, 0, 1, 1], [2, 4]), r(2, 4)],
      params: { dim: 0 },
    },
    {
      label: 'strided self and index, broadcast source',
      inputs: () => [r(6, 3).t(), int([5, 5, -1, 0, 2, -6], [2, 3]).t(), r(3, 1).expand(3, 2)],
      params: { dim: 1 },
    },
    {
      label: 'non-finite',
      inputs: () => [specials(), int([0, 1, 2, 3, 4, 5, 6, 7, 0, 0], [10]), r(10).mul(1e38)],
      params: { dim: 0 },
    },
    { label: '0-d', inputs: () => [tensor(1.5), int([0], []), tensor(2)], params: { dim: 0 } },
  ],
  scatterReduce: [
    ...(['sum', 'prod', 'mean', 'amax', 'amin'] as const).flatMap((reduce) =>
      [true, false].map((includeSelf) => ({
        label: `${reduce}, includeSelf ${includeSelf}, repeats`,
        inputs: () => [r(3, 4), int([2, 2, 1, 2, 0, 0, 1, 1], [2, 4]), r(2, 4)],
        params: { dim: 0, reduce, includeSelf },
      })),
    ),
    {
      label: 'mean of int32 floors, strided self and index, larger source',
      inputs: () => [
        int([5, -3, 7, 2, 9, 4], [3, 2]).t(),
        int([2, 2, 0, 1, 2, 2], [3, 2]).t(),
        int([1, -8, 4, 6, 3, 0, 2, 5], [2, 4]),
      ],
      params: { dim: 1, reduce: 'mean', includeSelf: true },
    },
    {
      label: 'non-finite amax',
      inputs: () => [specials(), int([0, 1, 2, 3, 4, 5, 6, 7, 0, 4], [10]), r(10)],
      params: { dim: 0, reduce: 'amax', includeSelf: false },
    },
    {
      label: '0-d',
      inputs: () => [tensor(1.5), int([0], []), tensor(2)],
      params: { dim: 0, reduce: 'prod', includeSelf: true },
    },
  ],
  sort: [
    { label: 'last dim', inputs: () => [r(3, 7)], params: { dim: 1, descending: false } },
    {
      label: 'dim 0 of transposed, descending',
      inputs: () => [r(5, 4, 3).permute(2, 0, 1)],
      params: { dim: 1, descending: true },
    },
    {
      label: 'ties keep their order, NaN is the largest',
      inputs: () => [tensor([1, 0, 1, Number.NaN, -0, 0, Infinity, Number.NaN, -Infinity, 1])],
      params: { dim: 0, descending: false },
    },
    {
      label: 'ties and NaN descending',
      inputs: () => [tensor([1, 0, 1, Number.NaN, -0, 0, Infinity, Number.NaN, -Infinity, 1])],
      params: { dim: 0, descending: true },
    },
    {
      label: 'int32',
      inputs: () => [int([3, 1, 2, 1, 3, 0], [2, 3])],
      params: { dim: 0, descending: true },
    },
    { label: 'empty', inputs: () => [zeros(2, 0)], params: { dim: 1, descending: false } },
    { label: '0-d', inputs: () => [tensor(3)], params: { dim: 0, descending: false } },
  ],
  kthIndex: [
    { label: 'last dim', inputs: () => [r(3, 7)], params: { dim: 1, k: 3 } },
    {
      label: 'dim 1 of transposed',
      inputs: () => [r(5, 4, 3).permute(2, 0, 1)],
      params: { dim: 1, k: 5 },
    },
    {
      label: 'ties and NaN',
      inputs: () => [tensor([1, 0, 1, Number.NaN, -0, 0, Infinity, Number.NaN, -Infinity, 1])],
      params: { dim: 0, k: 4 },
    },
    { label: 'int32', inputs: () => [int([3, 1, 2, 1, 3, 0], [2, 3])], params: { dim: 0, k: 2 } },
    { label: 'empty', inputs: () => [zeros(0, 3)], params: { dim: 1, k: 1 } },
    { label: '0-d', inputs: () => [tensor(3)], params: { dim: 0, k: 1 } },
  ],
  unfold: [
    { label: '3x3', inputs: () => [r(2, 3, 5, 6)], params: win([3, 3], [1, 1], [0, 0], [1, 1]) },
    {
      label: 'padded, strided, dilated, non-square, transposed input',
      inputs: () => [r(2, 7, 6, 3).permute(0, 3, 2, 1)],
      params: win([2, 3], [2, 1], [1, 2], [2, 3]),
    },
    { label: 'unbatched', inputs: () => [r(2, 4, 4)], params: win([2, 2], [1, 1], [1, 1], [2, 2]) },
    {
      label: 'empty batch',
      inputs: () => [zeros(0, 2, 3, 3)],
      params: win([2, 2], [1, 1], [0, 0], [1, 1]),
    },
    {
      label: 'non-finite',
      inputs: () => [specials().reshape(1, 2, 2, 2)],
      params: win([2, 1], [1, 1], [1, 0], [1, 1]),
    },
  ],
  fold: [
    {
      label: 'overlapping 3x3',
      inputs: () => [r(2, 27, 12)],
      params: { ...win([3, 3], [1, 1], [0, 0], [1, 1]), outputSize: [5, 6] },
    },
    {
      label: 'padded, strided, dilated, transposed input',
      inputs: () => [r(2, 12, 12).transpose(1, 2)],
      params: { ...win([2, 3], [2, 1], [1, 2], [2, 3]), outputSize: [7, 6] },
    },
    {
      label: 'unbatched, strided view',
      inputs: () => [r(8, 18).slice(1, 0, null, 2)],
      params: { ...win([2, 2], [1, 1], [0, 0], [1, 2]), outputSize: [4, 6] },
    },
    {
      label: 'non-finite',
      inputs: () => [specials().reshape(1, 4, 2)],
      params: { ...win([2, 2], [1, 1], [0, 0], [1, 1]), outputSize: [2, 3] },
    },
  ],
  maxPoolIndices: [
    {
      label: '2x2 stride 2',
      inputs: () => [r(2, 4, 12, 10)],
      params: { ...win([2, 2], [1, 1], [0, 0], [2, 2]), grid: [6, 5] },
    },
    {
      label: 'padded, strided, dilated, non-square, transposed input',
      inputs: () => [r(2, 7, 6, 3).permute(0, 3, 2, 1)],
      params: { ...win([3, 2], [2, 1], [1, 1], [2, 2]), grid: [3, 4] },
    },
    {
      label: 'ceil mode: the last windows run past the image',
      inputs: () => [r(3, 5, 5)],
      params: { ...win([2, 2], [1, 1], [0, 0], [2, 2]), grid: [3, 3] },
    },
    {
      label: '2x2 stride 2 in bands (several bands, an odd leftover row)',
      inputs: () => [r(1, 2, 141, 64)],
      params: { ...win([2, 2], [1, 1], [0, 0], [2, 2]), grid: [70, 32] },
    },
    {
      label: '2x2 stride 2, non-finite: the last NaN, else the first maximum',
      // windows (taps in (ki, kj) order) [NaN 1 2 NaN] [NaN 5 7 3] [1 NaN NaN 0] [-inf x4]
      // [3 3 1 3] [1 2 5 5] [-inf -inf -inf 2] [inf NaN inf 1], then the same shifted by one
      inputs: () => {
        const n = Number.NaN;
        const f = -Infinity;
        const taps = [
          [n, 1, 2, n],
          [n, 5, 7, 3],
          [1, n, n, 0],
          [f, f, f, f],
          [3, 3, 1, 3],
          [1, 2, 5, 5],
          [f, f, f, 2],
          [Infinity, n, Infinity, 1],
        ];
        const ws = [...taps, ...taps.slice(1), taps[0]!];
        const top = ws.flatMap((t) => [t[0]!, t[1]!]);
        const bottom = ws.flatMap((t) => [t[2]!, t[3]!]);
        return [tensor([...top, ...bottom, ...bottom, ...top]).reshape(1, 2, 2, 32)];
      },
      params: { ...win([2, 2], [1, 1], [0, 0], [2, 2]), grid: [1, 16] },
    },
    {
      label: 'ties go to the first maximum',
      inputs: () => [zeros(1, 2, 4, 4)],
      params: { ...win([2, 2], [1, 1], [0, 0], [2, 2]), grid: [2, 2] },
    },
    {
      label: 'non-finite',
      inputs: () => [specials().reshape(1, 2, 2, 2)],
      params: { ...win([2, 1], [1, 1], [1, 0], [1, 1]), grid: [3, 2] },
    },
  ],
  conv2d: [
    {
      label: '3x3 padded, with bias',
      inputs: () => [r(2, 3, 6, 5), r(4, 3, 3, 3), r(4)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
    {
      label: 'strided, dilated, non-square, no bias, transposed input',
      inputs: () => [r(2, 7, 6, 3).permute(0, 3, 2, 1), r(5, 3, 2, 3)],
      params: win([2, 3], [2, 1], [1, 2], [2, 3]),
    },
    {
      label: 'a block of 42 positions (a tail of three vectors), 6 output channels',
      inputs: () => [r(2, 2, 7, 6), r(6, 2, 3, 3), r(6)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
    {
      label: 'one input channel, many output positions (several column blocks)',
      inputs: () => [r(2, 1, 40, 45), r(3, 1, 3, 3), r(3)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
    {
      label: 'non-finite',
      inputs: () => [specials().reshape(1, 2, 2, 2), r(2, 2, 2, 1)],
      params: win([2, 1], [1, 1], [1, 0], [1, 1]),
    },
    // The fast backends' Winograd F(2,3) path (3x3, stride 1, 'same', 16 channels or more): its
    // transforms round differently from a direct sum, so the inputs are scaled to keep the
    // outputs, and the absolute error, small enough for the fixed tolerance.
    {
      label: 'Winograd: 16 channels, odd height and width (partial edge tiles), with bias',
      inputs: () => [r(2, 16, 7, 9).mul(0.1), r(5, 16, 3, 3).mul(0.1), r(5)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
    {
      label: 'Winograd: 32 channels, a channels-last input, two blocks of tiles, no bias',
      inputs: () => [r(5, 14, 14, 32).permute(0, 3, 1, 2).mul(0.1), r(9, 32, 3, 3).mul(0.1)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
    {
      // the first image holds inf and NaN: it takes the direct path (inf - inf in the transforms
      // would make NaN where the direct sum gives +-inf); the second takes Winograd's
      label: 'Winograd: a non-finite image beside a finite one',
      inputs: () => [nonFiniteFirst(2, 16, 4, 4), r(3, 16, 3, 3).mul(0.1), r(3)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
    // relu applied as the output is stored, on the direct path and on Winograd's (the non-finite
    // image takes the direct path beside a Winograd one)
    {
      label: 'relu epilogue, direct: several column blocks',
      inputs: () => [r(2, 1, 40, 45), r(3, 1, 3, 3), r(3)],
      params: { ...win([3, 3], [1, 1], [1, 1], [1, 1]), activation: 'relu' },
    },
    {
      label: 'relu epilogue, direct: strided, no bias, non-finite',
      inputs: () => [specials().reshape(1, 2, 2, 2), r(2, 2, 2, 1)],
      params: { ...win([2, 1], [1, 1], [1, 0], [1, 1]), activation: 'relu' },
    },
    {
      label: 'relu epilogue, Winograd: odd sizes, a non-finite image beside a finite one',
      inputs: () => [nonFiniteFirst(2, 16, 5, 7), r(5, 16, 3, 3).mul(0.1), r(5)],
      params: { ...win([3, 3], [1, 1], [1, 1], [1, 1]), activation: 'relu' },
    },
  ],
  conv2dInputGrad: [
    {
      label: '3x3 padded (the flat path)',
      inputs: () => [r(2, 4, 6, 5), r(4, 3, 3, 3)],
      params: { ...win([3, 3], [1, 1], [1, 1], [1, 1]), inputSize: [6, 5] },
    },
    {
      label: 'strided, dilated, non-square, transposed gradient',
      inputs: () => [r(2, 3, 3, 5).transpose(1, 3), r(5, 3, 2, 3)],
      params: { ...win([2, 3], [2, 1], [1, 2], [2, 3]), inputSize: [6, 7] },
    },
    {
      label: 'several column blocks per image',
      inputs: () => [r(2, 3, 40, 45).mul(0.1), r(3, 64, 3, 3).mul(0.1)],
      params: { ...win([3, 3], [1, 1], [1, 1], [1, 1]), inputSize: [40, 45] },
    },
    // The fast backends run a 3x3 stride-1 'same' input gradient with 16 or more output channels
    // as a Winograd convolution of the gradient with the turned weights (see conv2d's cases)
    {
      label: 'Winograd: 16 output channels, odd height and width',
      inputs: () => [r(2, 16, 7, 9).mul(0.1), r(16, 5, 3, 3).mul(0.1)],
      params: { ...win([3, 3], [1, 1], [1, 1], [1, 1]), inputSize: [7, 9] },
    },
    {
      label: 'Winograd: 32 output channels, a transposed gradient, two blocks of tiles',
      inputs: () => [r(5, 14, 14, 32).permute(0, 3, 1, 2).mul(0.1), r(32, 9, 3, 3).mul(0.1)],
      params: { ...win([3, 3], [1, 1], [1, 1], [1, 1]), inputSize: [14, 14] },
    },
    {
      label: 'Winograd: a non-finite gradient image beside a finite one',
      inputs: () => [nonFiniteFirst(2, 16, 4, 4), r(16, 3, 3, 3).mul(0.1)],
      params: { ...win([3, 3], [1, 1], [1, 1], [1, 1]), inputSize: [4, 4] },
    },
  ],
  conv2dWeightGrad: [
    {
      label: '3x3 padded',
      inputs: () => [r(2, 4, 6, 5), r(2, 3, 6, 5)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
    {
      label: 'strided, dilated, non-square, transposed input',
      inputs: () => [r(2, 5, 3, 3), r(2, 7, 6, 3).permute(0, 3, 2, 1)],
      params: win([2, 3], [2, 1], [1, 2], [2, 3]),
    },
    {
      label: 'many images and positions (several chunks and column blocks)',
      // 17 images of two column blocks each: 34 units in 16 chunks (values scaled so that float32
      // sums of 2,040 terms stay within the fixed tolerance)
      inputs: () => [r(17, 2, 10, 12).mul(0.1), r(17, 64, 10, 12).mul(0.1)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
    {
      label: '64 -> 64 channels, unpadded (accumulators past L2 on every width: the GEMM path)',
      inputs: () => [r(3, 64, 3, 2), r(3, 64, 5, 4)],
      params: win([3, 3], [1, 1], [0, 0], [1, 1]),
    },
    // The fast backends' Winograd path for 3x3 stride-1 'same' weight gradients whose
    // accumulators would pass L2 (16+ channels each way; see conv2d's cases)
    {
      label: 'Winograd: 64 -> 64 channels, odd height (partial edge tiles)',
      inputs: () => [r(3, 64, 5, 4).mul(0.1), r(3, 64, 5, 4).mul(0.1)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
    {
      label: 'Winograd: 17 images (16 chunks), three blocks of tiles, a transposed gradient',
      inputs: () => [r(17, 10, 12, 64).permute(0, 3, 1, 2).mul(0.1), r(17, 64, 10, 12).mul(0.1)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
    {
      // the first image's input holds inf and NaN: its chunk takes the direct path
      label: 'Winograd: a non-finite image beside finite ones',
      inputs: () => [r(3, 64, 4, 4).mul(0.1), nonFiniteFirst(3, 64, 4, 4)],
      params: win([3, 3], [1, 1], [1, 1], [1, 1]),
    },
  ],
};

/** `t` on `device` with the same strides and offset (to() would make a contiguous copy). */
function moveKeepingLayout(t: Tensor, device: string): Tensor {
  const backend = getBackend(device);
  const src = t._storage;
  const storage = Storage.alloc(backend, src.dtype, src.size);
  backend.write(
    storage.buffer,
    src.backend.readSync!({
      buffer: src.buffer,
      dtype: src.dtype,
      shape: [src.size],
      strides: [1],
      offset: 0,
    }),
    0,
  );
  return Tensor._create(storage, t._layout, t.dtype, null);
}

function run(p: Primitive, c: Case, device: string, inputs = c.inputs()): Tensor {
  const moved = inputs.map((t) => (t.device === device ? t : moveKeepingLayout(t, device)));
  if (device !== 'webgpu') return apply(p, moved, c.params as ParamsOf<typeof p>);
  // webgpu: a primitive with a WGSL kernel takes float32 operands on the GPU, never the host route
  const gpu = getBackend('webgpu') as WebgpuBackend;
  const before = [...gpu.hostCalls.values()].reduce((a, b) => a + b, 0);
  const out = apply(p, moved, c.params as ParamsOf<typeof p>);
  const after = [...gpu.hostCalls.values()].reduce((a, b) => a + b, 0);
  const hasKernel = typeof WGSL_KERNELS[p as KernelPrimitive] === 'function';
  if (hasKernel && moved.every((t) => t.dtype === 'float32') && out.dtype !== 'float64') {
    expect(after - before, `${p} ran on the host: ${[...gpu.hostCalls.keys()].join(', ')}`).toBe(0);
  }
  return out;
}

function assertClose(got: Tensor, want: Tensor): void {
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  const a = Array.from(got.to({ device: 'cpu' }).dataSync() as ArrayLike<number>);
  const b = Array.from(want.dataSync() as ArrayLike<number>);
  a.forEach((v, i) => {
    const w = b[i]!;
    if (Number.isNaN(w)) expect(v).toBeNaN();
    else if (!Number.isFinite(w)) expect(v).toBe(w);
    else expect(Math.abs(v - w)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(w));
  });
}

const others = listBackends()
  .map((b) => b.name)
  .filter((n) => n !== 'cpu');

describe('conformance', () => {
  for (const p of Object.keys(CASES) as Primitive[]) {
    for (const c of CASES[p]) {
      it(`${p}: ${c.label} runs on the cpu oracle`, () => {
        const out = run(p, c, 'cpu');
        expect(out.shape.every((s) => Number.isInteger(s) && s >= 0)).toBe(true);
        out.dataSync();
      });
      for (const device of others) {
        it(`${p}: ${c.label} on ${device} matches cpu`, () => {
          const inputs = c.inputs();
          assertClose(run(p, c, device, inputs), run(p, c, 'cpu', inputs));
        });
      }
    }
  }

  it('cpu edge cases: empty reductions, k = 0 products and NaN propagation', () => {
    expect(apply('sum', [zeros(2, 0)], { dims: [1], keepdim: false }).tolist()).toEqual([0, 0]);
    expect(apply('prod', [zeros(2, 0)], { dims: [1], keepdim: false }).tolist()).toEqual([1, 1]);
    expect(apply('all', [zeros(2, 0)], { dims: [1], keepdim: false }).tolist()).toEqual([
      true,
      true,
    ]);
    expect(apply('matmul', [zeros(2, 0), zeros(0, 3)], {}).tolist()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(() => apply('amax', [zeros(2, 0)], { dims: [1], keepdim: false })).toThrow(
      /non-zero size/,
    );
    const nan = tensor([[Number.NaN, 1]]);
    expect(apply('matmul', [nan, tensor([[0], [1]])], {}).item()).toBeNaN();
    expect(apply('sum', [nan], { dims: [1], keepdim: false }).item()).toBeNaN();
    expect(apply('relu', [tensor([Number.NaN])], {}).item()).toBeNaN();
  });

  // max pooling's backward as one primitive must be the scatterAdd into zeros it replaced, bit for
  // bit: the same sums in the same (index) order
  for (const device of ['cpu', ...others]) {
    it(`maxPoolBackward on ${device} is scatterAdd into zeros bitwise`, () => {
      const g = r(3, 4, 10).mul(1e3);
      const idx = int(
        Array.from({ length: 120 }, (_, i) => (i * 7) % 12),
        [3, 4, 10],
      );
      const [gd, id] = [g, idx].map((t) => moveKeepingLayout(t, device)) as [Tensor, Tensor];
      const fused = apply('maxPoolBackward', [gd, id], { size: 12 });
      const composite = apply('scatterAdd', [zeros(3, 4, 12).to(device), id, gd], { dim: 2 });
      const bits = (t: Tensor) =>
        Array.from(
          new Uint32Array(
            new Float32Array(t.to({ device: 'cpu' }).dataSync() as Float32Array).buffer,
          ),
        );
      expect(bits(fused)).toEqual(bits(composite));
    });
  }

  // relu's gradient as one primitive must be the composite it replaced, bit for bit: y ≤ 0 gives
  // +0 (also for a NaN or -0 g), a NaN y passes g, -0 in g survives where y > 0
  for (const device of ['cpu', ...others]) {
    it(`reluBackward on ${device} is where(le(y, 0), 0, g) bitwise`, () => {
      const g = tensor([1.5, -0, Number.NaN, -2, Infinity, -0, Number.NaN, 3, 0.25]);
      const y = tensor([2, 3, 4, 0, -0, -1, Number.NaN, Number.NaN, -Infinity]);
      const [gd, yd] = [g, y].map((t) => moveKeepingLayout(t, device)) as [Tensor, Tensor];
      const fused = apply('reluBackward', [gd, yd], {});
      const composite = apply(
        'where',
        [apply('le', [yd, tensor(0).to(device)], {}), tensor(0).to(device), gd],
        {},
      );
      const bits = (t: Tensor) =>
        Array.from(
          new Uint32Array(
            new Float32Array(t.to({ device: 'cpu' }).dataSync() as Float32Array).buffer,
          ),
        );
      expect(bits(fused)).toEqual(bits(composite));
      expect(bits(fused)).toEqual(bits(tensor([1.5, -0, Number.NaN, 0, 0, 0, Number.NaN, 3, 0])));
    });
  }
});
