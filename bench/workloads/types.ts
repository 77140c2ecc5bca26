// What a workload file exports (an id shared with torch_bench.py, nabla and tfjs runners), and a shared step.
import type * as TF from '@tensorflow/tfjs';
import type { Runner } from '../harness.js';
import { nn, optim, tidy, type Tensor } from '../../src/index.js';

export type Tfjs = typeof TF;

/** How the nabla step is written: as a PyTorch user writes it, or each step inside tidy(). */
export type NablaStyle = 'as-written' | 'tidy';

/** A step in the given style: `step` as it is, or inside tidy(). */
export function styled(style: NablaStyle, step: () => void): () => void {
  return style === 'tidy' ? () => tidy(step) : step;
}

export interface Workload {
  /** The key in results and in bench/torch_bench.py ('sgemm-1024', 'mlp', ...). */
  readonly id: string;
  readonly title: string;
  /** Floating-point operations per step, for workloads reported in GFLOP/s. */
  readonly flops?: number;
  /**
   * Builds the nabla runner on the current default backend: written as a user writes it (no
   * tidy(), loss.item() each step) or with each step inside tidy().
   */
  nabla(style: NablaStyle): Runner;
  /** Only the default nabla contenders and PyTorch run it (the batch-size sweep). */
  readonly sweep?: boolean;
  /** Samples per step, for throughput (samples/s) in the sweep. */
  readonly batch?: number;
  /** Builds the TensorFlow.js runner on tf's current backend. */
  tfjs(tf: Tfjs): Runner;
}

/**
 * nabla's classifier train step on a fixed batch (the MLP and CNN workloads): zeroGrad, forward,
 * cross-entropy, backward, SGD lr 0.01, loss.item(), as a training loop runs it.
 */
export function nablaClassifierStep(
  model: nn.Sequential,
  x: Tensor,
  y: Tensor,
  style: NablaStyle,
): Runner {
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
  return {
    step: styled(style, () => {
      optimizer.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      optimizer.step();
      loss.item();
    }),
  };
}
