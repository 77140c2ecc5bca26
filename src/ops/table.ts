// The exhaustive op table: every primitive's definition, typed so that a missing one does not compile.
import { BINARY_PRIMITIVES, REDUCE_PRIMITIVES, UNARY_PRIMITIVES } from '../primitives.js';
import type { OpTable } from './op.js';
import { binaryDefs, castDef, clampDef, unaryDefs, whereDef } from './defs/elementwise.js';
import {
  gatherDef,
  maxPoolBackwardDef,
  scatterAddDef,
  scatterDef,
  scatterReduceDef,
} from './defs/indexing.js';
import { kthIndexDef, sortDef } from './defs/sorting.js';
import { linearDef, matmulDef } from './defs/linalg.js';
import {
  batchNormBackwardDef,
  batchNormDef,
  batchNormGradStatsDef,
  batchNormStatsDef,
} from './defs/norm.js';
import {
  catDef,
  expandDef,
  permuteDef,
  sliceDef,
  sliceScatterDef,
  viewDef,
} from './defs/movement.js';
import { logSoftmaxDef, nllLossBackwardDef, nllLossDef } from './defs/loss.js';
import { cumsumDef, normDef, reduceDef } from './defs/reduce.js';
import { cumExtremeIndexDef, cumprodDef, logcumsumexpDef } from './defs/scan.js';
import { diagonalDef, windowsDef } from './defs/strided_views.js';
import {
  conv2dDef,
  conv2dInputGradDef,
  conv2dWeightGradDef,
  foldDef,
  maxPoolIndicesDef,
  unfoldDef,
} from './defs/window.js';

export const OPS: OpTable = {
  ...unaryDefs(UNARY_PRIMITIVES),
  ...binaryDefs(BINARY_PRIMITIVES),
  ...(Object.fromEntries(REDUCE_PRIMITIVES.map((p) => [p, reduceDef(p)])) as Pick<
    OpTable,
    (typeof REDUCE_PRIMITIVES)[number]
  >),
  cast: castDef,
  clamp: clampDef,
  where: whereDef,
  norm: normDef,
  cumsum: cumsumDef,
  logSoftmax: logSoftmaxDef,
  nllLoss: nllLossDef,
  nllLossBackward: nllLossBackwardDef,
  cumprod: cumprodDef,
  logcumsumexp: logcumsumexpDef,
  cumExtremeIndex: cumExtremeIndexDef,
  matmul: matmulDef,
  linear: linearDef,
  batchNormStats: batchNormStatsDef,
  batchNormGradStats: batchNormGradStatsDef,
  batchNorm: batchNormDef,
  batchNormBackward: batchNormBackwardDef,
  view: viewDef,
  permute: permuteDef,
  expand: expandDef,
  slice: sliceDef,
  diagonal: diagonalDef,
  windows: windowsDef,
  sliceScatter: sliceScatterDef,
  cat: catDef,
  gather: gatherDef,
  scatter: scatterDef,
  scatterAdd: scatterAddDef,
  maxPoolBackward: maxPoolBackwardDef,
  scatterReduce: scatterReduceDef,
  sort: sortDef,
  kthIndex: kthIndexDef,
  unfold: unfoldDef,
  fold: foldDef,
  maxPoolIndices: maxPoolIndicesDef,
  conv2d: conv2dDef,
  conv2dWeightGrad: conv2dWeightGradDef,
  conv2dInputGrad: conv2dInputGradDef,
};
