// The fused batch norm's kernels on webgpu.
import type { HostOnly } from './index.js';

const HOST: HostOnly = { host: 'batch norm runs on the host for now' };

export const NORM_KERNELS = {
  batchNormStats: HOST,
  batchNormGradStats: HOST,
  batchNorm: HOST,
  batchNormBackward: HOST,
};
