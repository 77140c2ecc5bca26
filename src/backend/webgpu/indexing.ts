// webgpu indexing and sorting: slice scatter, cat, gather, the scatters, sort and kth index.
import type { HostOnly } from './index.js';

const TODO: HostOnly = { host: 'no WGSL kernel yet' };

export const INDEX_KERNELS = {
  sliceScatter: TODO,
  cat: TODO,
  gather: TODO,
  scatter: TODO,
  scatterAdd: TODO,
  scatterReduce: TODO,
  sort: TODO,
  kthIndex: TODO,
};
