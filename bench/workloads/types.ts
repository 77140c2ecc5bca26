// The shape every workload file exports: one id shared with torch_bench.py, a nabla and a tfjs runner.
import type * as TF from '@tensorflow/tfjs';
import type { Runner } from '../harness.js';

export type Tfjs = typeof TF;

export interface Workload {
  /** The key in results and in bench/torch_bench.py ('sgemm-1024', 'mlp', ...). */
  readonly id: string;
  readonly title: string;
  /** Floating-point operations per step, for workloads reported in GFLOP/s. */
  readonly flops?: number;
  /** Builds the nabla runner on the current default backend (the caller selects it). */
  nabla(): Runner;
  /** Builds the TensorFlow.js runner on tf's current backend. */
  tfjs(tf: Tfjs): Runner;
}
