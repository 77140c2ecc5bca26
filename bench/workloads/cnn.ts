// Workload: one SGD train step of a small CNN on 64 MNIST-sized images (1×28×28), cross-entropy loss.
// conv3×3 1→16 (padding 1), ReLU, maxpool 2, conv3×3 16→32 (padding 1), ReLU, maxpool 2, linear 1568→10.
import type { Scalar, Tensor, Tensor1D, Tensor4D, Variable } from '@tensorflow/tfjs';
import { manualSeed, nn, randint, randn } from '../../src/index.js';
import { nablaClassifierStep, type Tfjs, type Workload } from './types.js';

const BATCH = 64;

/** The CNN of the step (also timed on the GPU by bench/gpu/bench.ts). */
export function cnnModel(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * 7 * 7, 10),
  );
}

/** The CNN step at batch `batch`; the default (64) is the main row, others sweep the batch size. */
export function cnnAt(batch: number): Workload {
  const BATCH = batch;
  return {
    id: batch === 64 ? 'cnn' : `cnn-b${batch}`,
    title: `CNN step, batch ${batch}`,
    batch,
    ...(batch === 64 ? {} : { sweep: true }),
    nabla(style) {
      manualSeed(0);
      const model = cnnModel();
      return nablaClassifierStep(model, randn([BATCH, 1, 28, 28]), randint(0, 10, [BATCH]), style);
    },
    tfjs(tf: Tfjs) {
      // TensorFlow.js is channels-last (NHWC); 'same' padding of a 3×3 stride-1 conv is padding 1.
      const u = (shape: number[], fanIn: number) =>
        tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
      const w1 = u([3, 3, 1, 16], 9);
      const b1 = tf.variable(tf.zeros([16]));
      const w2 = u([3, 3, 16, 32], 144);
      const b2 = tf.variable(tf.zeros([32]));
      const w3 = u([32 * 7 * 7, 10], 32 * 7 * 7);
      const b3 = tf.variable(tf.zeros([10]));
      const vars: Variable[] = [w1, b1, w2, b2, w3, b3];
      const optimizer = tf.train.sgd(0.01);
      const x = tf.randomNormal([BATCH, 28, 28, 1]) as Tensor4D;
      const labels = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32') as Tensor1D, 10);
      const forward = (): Tensor => {
        const block = (h: Tensor4D, w: Variable, b: Variable): Tensor4D =>
          tf.maxPool(
            tf.relu(tf.add(tf.conv2d(h, w as Tensor4D, 1, 'same'), b)) as Tensor4D,
            2,
            2,
            'valid',
          );
        const h = block(block(x, w1, b1), w2, b2);
        return tf.add(tf.matMul(tf.reshape(h, [BATCH, 32 * 7 * 7]), w3), b3);
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
}

export const cnn = cnnAt(BATCH);
