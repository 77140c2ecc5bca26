// Measures the fast CPU backends: sgemm GFLOP/s (native and wasm, 1 and 2 threads) and, per kernel
// family, the size at which the C kernels overtake the JavaScript ones (the thresholds in
// src/node/native.ts and src/backend/wasm/index.ts). Run: npx tsx scripts/measure-fast.ts [quick]
import { allocArray, type DType, type TypedArray } from '../src/dtype.js';
import type { Backend, KernelInput, KernelOutput } from '../src/backend/backend.js';
import { cpuBackend } from '../src/backend/cpu/index.js';
import { NO_THRESHOLDS, type FastBackend } from '../src/backend/fast/backend.js';
import { jsAdam } from '../src/backend/cpu/fused.js';
import { createNativeBackend } from '../src/node/native.js';
import { createNodeWasmBackend } from '../src/node/wasm.js';

const quick = process.argv.includes('quick');

function input(data: TypedArray, dtype: DType, shape: number[]): KernelInput<TypedArray> {
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  return { buffer: data, dtype, shape, strides, offset: 0 };
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

/** The fastest of ~25 timings of `fn` (this machine is a noisy VM: the minimum is the signal). */
function time(fn: () => void, budget = quick ? 0.05 : 0.2): number {
  fn();
  const t0 = performance.now();
  fn();
  const once = Math.max((performance.now() - t0) / 1000, 1e-7);
  const reps = Math.max(3, Math.min(2000, Math.round(budget / once)));
  const inner = once < 1e-4 ? Math.ceil(1e-4 / once) : 1;
  const samples: number[] = [];
  for (let r = 0; r < Math.min(reps, 25); r++) {
    const s = performance.now();
    for (let i = 0; i < inner; i++) fn();
    samples.push((performance.now() - s) / 1000 / inner);
  }
  return Math.min(...samples);
}

type Run = (b: Backend<TypedArray>) => () => void;

function family(name: string, sizes: number[], make: (n: number) => Run, backends: FastBackend[]) {
  const rows: string[] = [];
  const cross: Record<string, number | null> = {};
  for (const b of backends) cross[b.name] = null;
  for (const n of sizes) {
    const run = make(n);
    const js = time(run(cpuBackend));
    const cols = [`${name} n=${n}`.padEnd(28), `js ${(js * 1e6).toFixed(2)}µs`.padEnd(16)];
    for (const b of backends) {
      const t = time(run(b));
      cols.push(`${b.name} ${(t * 1e6).toFixed(2)}µs (${(js / t).toFixed(2)}x)`.padEnd(28));
      if (cross[b.name] === null && t < js) cross[b.name] = n;
    }
    rows.push(cols.join(''));
  }
  console.log(rows.join('\n'));
  console.log(`  ${name}: C faster from`, cross, '\n');
}

const native = (() => {
  try {
    return createNativeBackend({ thresholds: NO_THRESHOLDS });
  } catch (e) {
    console.log('native unavailable:', (e as Error).message);
    return null;
  }
})();
const wasm1 = await createNodeWasmBackend({ threads: 1, thresholds: NO_THRESHOLDS, name: 'wasm' });
const wasm2 = await createNodeWasmBackend({
  threads: 2,
  thresholds: NO_THRESHOLDS,
  name: 'wasm-mt',
});
console.log(`native: ${native?.version ?? '-'}  wasm: ${wasm1.version} / ${wasm2.version}\n`);

// ---- sgemm GFLOP/s ----
for (const n of quick ? [256, 1024] : [256, 1024, 2048]) {
  const a = input(rand(n * n), 'float32', [n, n]);
  const b = input(rand(n * n), 'float32', [n, n]);
  const out: KernelOutput<TypedArray> = {
    buffer: allocArray('float32', n * n),
    dtype: 'float32',
    shape: [n, n],
  };
  const gf = (t: number) => ((2 * n ** 3) / t / 1e9).toFixed(1);
  const line: string[] = [`sgemm ${n}:`];
  const run = (be: Backend<TypedArray>) => time(() => be.kernels.matmul(out, [a, b], {}), 0.5);
  if (native) {
    native.engine.setNumThreads(1);
    line.push(`native 1t ${gf(run(native))}`);
    native.engine.setNumThreads(2);
    line.push(`native 2t ${gf(run(native))}`);
  }
  line.push(`wasm 1t ${gf(run(wasm1))}`);
  line.push(`wasm 2t ${gf(run(wasm2))}`);
  if (n <= 256) line.push(`js ${gf(run(cpuBackend))}`);
  console.log(line.join('  '), 'GFLOP/s');
}
console.log();

// ---- thresholds ----
const fams = [native, wasm1].filter((b): b is FastBackend => b !== null);
const sizes = [16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576];

const elementwise = (op: 'add' | 'mul') => (n: number) => {
  const a = input(rand(n), 'float32', [n]);
  const b = input(rand(n), 'float32', [n]);
  const out = { buffer: allocArray('float32', n), dtype: 'float32' as const, shape: [n] };
  return (be: Backend<TypedArray>) => () => be.kernels[op](out, [a, b], {});
};
const unary = (op: 'relu' | 'exp' | 'tanh') => (n: number) => {
  const a = input(rand(n), 'float32', [n]);
  const out = { buffer: allocArray('float32', n), dtype: 'float32' as const, shape: [n] };
  return (be: Backend<TypedArray>) => () => be.kernels[op](out, [a], {});
};
family('add', sizes, elementwise('add'), fams);
family('relu', sizes, unary('relu'), fams);
family('exp', sizes, unary('exp'), fams);
family('tanh', sizes, unary('tanh'), fams);
family(
  'sum rows (over last dim)',
  sizes,
  (n) => {
    const a = input(rand(n), 'float32', [16, n / 16]);
    const out = { buffer: allocArray('float32', 16), dtype: 'float32' as const, shape: [16] };
    return (be) => () => be.kernels.sum(out, [a], { dims: [1], keepdim: false });
  },
  fams,
);
family(
  'sum cols (over dim 0)',
  sizes,
  (n) => {
    const a = input(rand(n), 'float32', [n / 16, 16]);
    const out = { buffer: allocArray('float32', 16), dtype: 'float32' as const, shape: [16] };
    return (be) => () => be.kernels.sum(out, [a], { dims: [0], keepdim: false });
  },
  fams,
);
family(
  'matmul m·n·k (cube)',
  [8, 16, 32, 64, 128].map((s) => s ** 3),
  (n) => {
    const s = Math.round(Math.cbrt(n));
    const a = input(rand(s * s), 'float32', [s, s]);
    const b = input(rand(s * s), 'float32', [s, s]);
    const out = { buffer: allocArray('float32', s * s), dtype: 'float32' as const, shape: [s, s] };
    return (be) => () => be.kernels.matmul(out, [a, b], {});
  },
  fams,
);
/** Max pooling's shapes: columns [n/4, 4], the index (argmax) [n/4, 1] along dim 1. */
const pooling = (op: 'gather' | 'scatterAdd') => (n: number) => {
  const rows = Math.max(1, n / 4);
  const x = input(rand(rows * 4), 'float32', [rows, 4]);
  const idx = new Int32Array(rows).map((_, i) => i % 4);
  const index = input(idx, 'int32', [rows, 1]);
  const g = input(rand(rows), 'float32', [rows, 1]);
  const shape = op === 'gather' ? [rows, 1] : [rows, 4];
  const out = { buffer: allocArray('float32', numel(shape)), dtype: 'float32' as const, shape };
  return (be: Backend<TypedArray>) =>
    op === 'gather'
      ? () => be.kernels.gather(out, [x, index], { dim: 1 })
      : () => be.kernels.scatterAdd(out, [x, index, g], { dim: 1 });
};
family('gather (output elements)', sizes, pooling('gather'), fams);
family('scatterAdd (x elements)', sizes, pooling('scatterAdd'), fams);
family(
  'adam (fused vs js loop)',
  sizes,
  (n) => {
    const [p, g, m, v] = [rand(n), rand(n), rand(n), rand(n).map(Math.abs)];
    const t = (buffer: Float32Array) => ({ buffer, offset: 0, size: n });
    const o = {
      lr: 1e-3,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      stepSize: 1e-3,
      biasCorrection2Sqrt: 0.1,
      maximize: false,
      decoupled: false,
      amsgrad: false,
    };
    return (be) =>
      be === cpuBackend
        ? () => jsAdam(t(p), t(g), t(m), t(v), null, o)
        : () => (be as FastBackend).fused!.adam!(t(p), t(g), t(m), t(v), null, o);
  },
  fams,
);
process.exit(0);
