// Test helper (child process): the native GEMM under the ISA NABLA_NATIVE_ISA forces, against the cpu oracle; prints JSON.
import { nn, randn, type Tensor } from '../../src/index.js';
import { loadFastBackends } from '../../src/node/backends.js';
import { NO_THRESHOLDS } from '../../src/backend/fast/backend.js';
import { getBackend } from '../../src/backend/registry.js';

const { errors } = await loadFastBackends({ thresholds: NO_THRESHOLDS, threads: 2, quiet: true });
if (errors.native !== undefined) throw new Error(`native did not load: ${errors.native}`);

type Operands = Record<'a' | 'at' | 'b' | 'bt' | 'bias', Tensor>;

/** Every packing path: A row-major or transposed, B row-major or transposed, with and without bias. */
const PRODUCTS: [string, (o: Operands) => Tensor][] = [
  ['a.b', (o) => o.a.matmul(o.b)],
  ['at^T.b', (o) => o.at.t().matmul(o.b)],
  ['a.bt^T', (o) => o.a.matmul(o.bt.t())],
  ['at^T.bt^T', (o) => o.at.t().matmul(o.bt.t())],
  ['linear', (o) => nn.functional.linear(o.a, o.bt, o.bias)],
];

// Sizes around every tile and transpose width (MR 4/6/12, NR 8/16/32, 4/8/16-wide transposes).
const sizes = [1, 3, 4, 5, 6, 7, 8, 12, 13, 16, 17, 33, 70];
const ks = [1, 3, 4, 8, 9, 16, 17, 40, 300];
let worst = 0;
let where = '';
let cases = 0;
for (let s = 0; s < sizes.length; s++) {
  const m = sizes[s]!;
  const n = sizes[(s * 5 + 3) % sizes.length]!;
  for (const k of ks) {
    const cpu: Operands = {
      a: randn([m, k]),
      at: randn([k, m]),
      b: randn([k, n]),
      bt: randn([n, k]),
      bias: randn([n]),
    };
    const native = Object.fromEntries(
      Object.entries(cpu).map(([key, t]) => [key, t.to({ device: 'native' })]),
    ) as Operands;
    for (const [name, f] of PRODUCTS) {
      const got = f(native).to({ device: 'cpu' }).dataSync() as Float32Array;
      const want = f(cpu).dataSync() as Float32Array;
      cases++;
      for (let i = 0; i < m * n; i++) {
        const err = Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!));
        if (!(err <= worst)) {
          worst = Number.isNaN(err) ? Infinity : err;
          where = `${name} ${m}x${n}x${k} at ${i}: ${got[i]} vs ${want[i]}`;
        }
      }
    }
  }
}
console.log(JSON.stringify({ isa: getBackend('native').version, cases, worst, where }));
