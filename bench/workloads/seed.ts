// Workload: the seed network's train step (examples/seed.ts): Linear(2,2), ReLU, Linear(2,1), MSE, SGD.
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { manualSeed, nn, optim, tensor, type Tensor as NTensor } from '../../src/index.js';
import { styled, type Tfjs, type Workload } from './types.js';

class SimpleNN extends nn.Module {
  fc1 = new nn.Linear(2, 2);
  fc2 = new nn.Linear(2, 1);

  forward(x: NTensor): NTensor {
    x = nn.functional.relu(this.fc1.forward(x));
    x = this.fc2.forward(x);
    return x;
  }
}

export const seed: Workload = {
  id: 'seed',
  title: 'seed network step',
  nabla(style) {
    manualSeed(0);
    const model = new SimpleNN();
    const criterion = new nn.MSELoss();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
    // As in the seed program, the input requires grad (its gradient is computed too).
    const inputs = tensor([[1.0, 2.0]], { requiresGrad: true });
    const labels = tensor([[1.0]]);
    return {
      step: styled(style, () => {
        const loss = criterion.forward(model.forward(inputs), labels);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        loss.item();
      }),
    };
  },
  tfjs(tf: Tfjs) {
    // NOTE: minimize differentiates only the variables, so tfjs skips the input's gradient.
    const w1 = tf.variable(tf.randomUniform([2, 2], -0.7, 0.7));
    const b1 = tf.variable(tf.randomUniform([2], -0.7, 0.7));
    const w2 = tf.variable(tf.randomUniform([2, 1], -0.7, 0.7));
    const b2 = tf.variable(tf.randomUniform([1], -0.7, 0.7));
    const vars: Variable[] = [w1, b1, w2, b2];
    const optimizer = tf.train.sgd(0.01);
    const inputs = tf.tensor2d([[1.0, 2.0]]);
    const labels = tf.tensor2d([[1.0]]);
    const forward = (): Tensor =>
      tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(inputs, w1), b1)), w2), b2);
    return {
      step: () =>
        tf.tidy(() => {
          optimizer.minimize(() => tf.losses.meanSquaredError(labels, forward()) as Scalar);
        }),
      dispose: () => {
        for (const v of vars) v.dispose();
        optimizer.dispose();
        inputs.dispose();
        labels.dispose();
      },
    };
  },
};
