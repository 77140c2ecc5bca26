// What a workload file exports (an id shared with torch_bench.py, nabla and tfjs runners), and a shared step.
import type * as TF from '@tensorflow/tfjs';
import type { Runner } from '../harness.js';
import { nn, optim, tidy, type Tensor } from '../../src/index.js';

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

/**
 * nabla's classifier train step on a fixed batch (the MLP and CNN workloads): zeroGrad, forward,
 * cross-entropy, backward, SGD lr 0.01, inside tidy() as a training loop runs it.
 */
export function nablaClassifierStep(model: nn.Sequential, x: Tensor, y: Tensor): Runner {
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
  return {
    step: () =>
      tidy(() => {
        optimizer.zeroGrad();
        const loss = nn.functional.crossEntropy(model.forward(x), y);
        loss.backward();
        optimizer.step();
      }),
  };
}
