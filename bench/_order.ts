import { loadFastBackends, setBackend } from '../src/node.js';
import { measureRunner } from './harness.js';
import { seed } from './workloads/seed.js';
await loadFastBackends({ threads: 2, quiet: true });
for (const b of (process.argv[2] ?? 'native,cpu,native,cpu,wasm,cpu').split(',')) {
  setBackend(b);
  const m = measureRunner(() => seed.nabla(), { budget: 2 });
  setBackend('cpu');
  console.log(b, m.ok ? (m.median * 1e6).toFixed(1) + ' us' : m.reason);
}
