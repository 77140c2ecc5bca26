// webgpu matmul and the sliding-window primitives (unfold, fold, max-pool indices, convolution).
import type { HostOnly } from './index.js';

const TODO: HostOnly = { host: 'no WGSL kernel yet' };

export const LINALG_KERNELS = {
  matmul: TODO,
  unfold: TODO,
  fold: TODO,
  maxPoolIndices: TODO,
  conv2d: TODO,
  conv2dWeightGrad: TODO,
  conv2dInputGrad: TODO,
};
