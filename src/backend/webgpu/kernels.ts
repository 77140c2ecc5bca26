// The webgpu kernel families beyond elementwise, one file each: reductions, scans and losses
// (reduce.ts), matmul and linear (matmul.ts), the sliding-window primitives (linalg.ts), indexing
// and sorting (indexing.ts).
import { INDEX_KERNELS } from './indexing.js';
import { LINALG_KERNELS } from './linalg.js';
import { MATMUL_KERNELS } from './matmul.js';
import { NORM_KERNELS } from './norm.js';
import { REDUCE_KERNELS } from './reduce.js';

export const WGSL_KERNELS_MORE = {
  ...REDUCE_KERNELS,
  ...LINALG_KERNELS,
  ...MATMUL_KERNELS,
  ...NORM_KERNELS,
  ...INDEX_KERNELS,
};
