// The workload list, in the order the benchmark runs and prints them.
import { cnn, cnnAt } from './cnn.js';
import { mlp } from './mlp.js';
import { relu } from './relu.js';
import { seed } from './seed.js';
import { sgemm } from './sgemm.js';
import type { Workload } from './types.js';

export type { Tfjs, Workload } from './types.js';

export const WORKLOADS: readonly Workload[] = [
  sgemm(256),
  sgemm(1024),
  sgemm(2048),
  mlp,
  cnn,
  seed,
  relu,
  cnnAt(16),
  cnnAt(256),
  cnnAt(1024),
];
