// Measures webgpu matmul throughput (GFLOP/s) at a few sizes: tsx bench/webgpu_matmul.ts [sizes...]
// (on a machine without a GPU, set VK_ICD_FILENAMES to SwiftShader's manifest first). With
// SwiftShader the GPU is this process's CPU, so the rate per CPU-second of the process is printed too.
import { randn } from '../src/index.js';
import { loadWebgpuBackend } from '../src/node/webgpu.js';

const backend = await loadWebgpuBackend({ quiet: true });
console.log(`device: ${backend.version}`);
const shapes = (process.argv.length > 2 ? process.argv.slice(2) : ['1024']).map((s) => {
  const [m, k, n] = s.split('x').map(Number);
  return [m!, k ?? m!, n ?? m!] as const;
});
for (const [m, k, n] of shapes) {
  const a = randn([m, k]).to('webgpu');
  const b = randn([k, n]).to('webgpu');
  a.matmul(b).dataSync(); // compiles the pipeline
  const reps = Math.max(3, Math.min(20, Math.round(2e9 / (2 * m * n * k))));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let c = a.matmul(b);
  for (let r = 1; r < reps; r++) c = a.matmul(b);
  c.dataSync();
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const gflops = (2 * m * n * k * reps) / s / 1e9;
  console.log(
    `${m}x${k} @ ${k}x${n}: ${gflops.toFixed(2)} GFLOP/s (${reps} reps, ${s.toFixed(2)} s; ${((2 * m * n * k * reps) / cpuS / 1e9).toFixed(2)} GFLOP per CPU-second, which other load on the machine does not change)`,
  );
}
backend.destroy();
