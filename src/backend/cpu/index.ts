// The cpu backend: plain TypeScript over typed arrays, the reference oracle for every other backend.
import { allocArray, type TypedArray } from '../../dtype.js';
import {
  BINARY_PRIMITIVES,
  REDUCE_PRIMITIVES,
  UNARY_PRIMITIVES,
  type BinaryPrimitive,
  type ReducePrimitive,
  type UnaryPrimitive,
} from '../../primitives.js';
import type { Backend, Kernel, KernelInput, KernelTable } from '../backend.js';
import { binaryKernel, castKernel, clampKernel, unaryKernel, whereKernel } from './elementwise.js';
import {
  catKernel,
  gatherKernel,
  scatterAddKernel,
  maxPoolBackwardKernel,
  scatterReduceKernel,
  scatterReplaceKernel,
  sliceScatterKernel,
} from './indexing.js';
import { linearKernel, matmulKernel } from './linalg.js';
import {
  batchNormBackwardKernel,
  batchNormGradStatsKernel,
  batchNormKernel,
  batchNormStatsKernel,
} from './norm.js';
import { logSoftmaxKernel, nllLossBackwardKernel, nllLossKernel } from './loss.js';
import { kthIndexKernel, sortKernel } from './sorting.js';
import { cumsumKernel, normKernel, reduceKernel } from './reduce.js';
import { cumExtremeIndexKernel, cumprodKernel, logcumsumexpKernel } from './scan.js';
import { copyStrided, denseStrides } from './strided.js';
import { jsAdam, jsSgd } from './fused.js';
import { clearPool, poolStats, returnArray, takeArray } from './pool.js';
import {
  conv2dInputGradKernel,
  conv2dKernel,
  conv2dWeightGradKernel,
  foldKernel,
  maxPoolIndicesKernel,
  unfoldKernel,
} from './window.js';

type Buf = TypedArray;

function family<P extends string, K>(names: readonly P[], make: (p: P) => K): { [Q in P]: K } {
  return Object.fromEntries(names.map((n) => [n, make(n)])) as { [Q in P]: K };
}

const kernels: KernelTable<Buf> = {
  ...family<UnaryPrimitive, Kernel<Buf, UnaryPrimitive>>(UNARY_PRIMITIVES, unaryKernel),
  ...family<BinaryPrimitive, Kernel<Buf, BinaryPrimitive>>(BINARY_PRIMITIVES, binaryKernel),
  ...family<ReducePrimitive, Kernel<Buf, ReducePrimitive>>(REDUCE_PRIMITIVES, reduceKernel),
  cast: castKernel,
  clamp: clampKernel,
  where: whereKernel,
  norm: normKernel,
  cumsum: cumsumKernel,
  logSoftmax: logSoftmaxKernel,
  nllLoss: nllLossKernel,
  nllLossBackward: nllLossBackwardKernel,
  cumprod: cumprodKernel,
  logcumsumexp: logcumsumexpKernel,
  cumExtremeIndex: cumExtremeIndexKernel,
  matmul: matmulKernel,
  linear: linearKernel,
  batchNormStats: batchNormStatsKernel,
  batchNormGradStats: batchNormGradStatsKernel,
  batchNorm: batchNormKernel,
  batchNormBackward: batchNormBackwardKernel,
  sliceScatter: sliceScatterKernel,
  cat: catKernel,
  gather: gatherKernel,
  scatter: scatterReplaceKernel,
  scatterAdd: scatterAddKernel,
  maxPoolBackward: maxPoolBackwardKernel,
  scatterReduce: scatterReduceKernel,
  sort: sortKernel,
  kthIndex: kthIndexKernel,
  unfold: unfoldKernel,
  fold: foldKernel,
  maxPoolIndices: maxPoolIndicesKernel,
  conv2d: conv2dKernel,
  conv2dWeightGrad: conv2dWeightGradKernel,
  conv2dInputGrad: conv2dInputGradKernel,
};

function readView(view: KernelInput<Buf>): TypedArray {
  const out = allocArray(
    view.dtype,
    view.shape.reduce((a, b) => a * b, 1),
  );
  copyStrided(
    out,
    view.dtype,
    denseStrides(view.shape),
    0,
    view.buffer,
    view.strides,
    view.offset,
    view.shape,
  );
  return out;
}

export const cpuBackend: Backend<Buf> = {
  name: 'cpu',
  version: '1',
  gcManaged: true,
  alloc: takeArray,
  free: returnArray,
  cacheStats: poolStats,
  emptyCache: clearPool,
  write: (buffer, data, offset) => buffer.set(data, offset),
  readSync: readView,
  read: (view) => Promise.resolve(readView(view)),
  fused: { sgd: jsSgd, adam: jsAdam },
  assign: (dst, src) =>
    copyStrided(
      dst.buffer,
      dst.dtype,
      dst.strides,
      dst.offset,
      src.buffer,
      src.strides,
      src.offset,
      src.shape,
    ),
  kernels,
};
