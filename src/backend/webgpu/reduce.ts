// webgpu reductions, scans, log_softmax and the NLL loss.
import type { HostOnly } from './index.js';

const TODO: HostOnly = { host: 'no WGSL kernel yet' };

export const REDUCE_KERNELS = {
  sum: TODO,
  prod: TODO,
  amax: TODO,
  amin: TODO,
  argmax: TODO,
  argmin: TODO,
  all: TODO,
  any: TODO,
  norm: TODO,
  cumsum: TODO,
  cumprod: TODO,
  logcumsumexp: TODO,
  cumExtremeIndex: TODO,
  logSoftmax: TODO,
  nllLoss: TODO,
  nllLossBackward: TODO,
};
