// Workload: relu(2x + 1) over 2^20 float32 elements (three elementwise ops, no autograd).
import { randn } from '../../src/index.js';
import { styled, type Workload } from './types.js';

const N = 1 << 20;

export const relu: Workload = {
  id: 'relu',
  title: 'relu(2x+1), 1M',
  nabla(style) {
    const x = randn([N]);
    return {
      step: styled(style, () => void x.mul(2).add(1).relu()),
      dispose: () => x.dispose(),
    };
  },
  tfjs(tf) {
    const x = tf.randomNormal([N]);
    return {
      step: () => tf.tidy(() => void tf.relu(tf.add(tf.mul(x, 2), 1))),
      dispose: () => x.dispose(),
    };
  },
};
