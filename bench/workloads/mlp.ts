// Workload: one SGD train step of an MLP 784-256-128-10 (ReLU) on a batch of 128, cross-entropy loss.
import { manualSeed, nn, randint, randn } from '../../src/index.js';
import type { Scalar, Tensor, Tensor1D, Variable } from '@tensorflow/tfjs';
import { nablaClassifierStep, type Tfjs, type Workload } from './types.js';

const BATCH = 128;
const SIZES = [784, 256, 128, 10] as const;

/** The MLP 784-256-128-10 with ReLUs (also timed on the GPU by bench/gpu/bench.ts). */
export function mlpModel(): nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(784, 256),
    new nn.ReLU(),
    new nn.Linear(256, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}

export const mlp: Workload = {
  id: 'mlp',
  title: 'MLP 784-256-128-10 step, batch 128',
  nabla(style) {
    manualSeed(0);
    const model = mlpModel();
    return nablaClassifierStep(model, randn([BATCH, 784]), randint(0, 10, [BATCH]), style);
  },
  tfjs(tf: Tfjs) {
    // Variables and optimizer.minimize: TensorFlow.js's own idiom for a custom training step.
    const vars: Variable[] = [];
    for (let i = 0; i + 1 < SIZES.length; i++) {
      const [fin, fout] = [SIZES[i]!, SIZES[i + 1]!];
      vars.push(
        tf.variable(tf.randomUniform([fin, fout], -1 / Math.sqrt(fin), 1 / Math.sqrt(fin))),
      );
      vars.push(tf.variable(tf.zeros([fout])));
    }
    const optimizer = tf.train.sgd(0.01);
    const x = tf.randomNormal([BATCH, 784]);
    const labels = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32') as Tensor1D, 10);
    const forward = () => {
      let h: Tensor = x;
      for (let i = 0; i < vars.length; i += 2) {
        h = tf.add(tf.matMul(h, vars[i]!), vars[i + 1]!);
        if (i + 2 < vars.length) h = tf.relu(h);
      }
      return h;
    };
    return {
      step: () =>
        tf.tidy(() => {
          optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward()) as Scalar);
        }),
      dispose: () => {
        for (const v of vars) v.dispose();
        optimizer.dispose();
        x.dispose();
        labels.dispose();
      },
    };
  },
};
