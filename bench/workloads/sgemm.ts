// Workload: square float32 matrix product C = A·B of size n (reported in GFLOP/s, 2n³ flops).
import { randn } from '../../src/index.js';
import { styled, type Workload } from './types.js';

export function sgemm(n: number): Workload {
  return {
    id: `sgemm-${n}`,
    title: `sgemm ${n}`,
    flops: 2 * n ** 3,
    nabla(style) {
      const a = randn([n, n]);
      const b = randn([n, n]);
      return {
        step: styled(style, () => void a.matmul(b)),
        dispose: () => (a.dispose(), b.dispose()),
      };
    },
    tfjs(tf) {
      const a = tf.randomNormal([n, n]);
      const b = tf.randomNormal([n, n]);
      return {
        step: () => tf.matMul(a, b).dispose(),
        dispose: () => (a.dispose(), b.dispose()),
      };
    },
  };
}
