// Lists the primitives one step of a bench workload runs, with input shapes (a profiling aid):
// npx tsx bench/trace_ops.ts cnn [native]
import { loadFastBackends, setBackend } from '../src/node.js';
import { withOpTracer } from '../src/ops/trace.js';
import { WORKLOADS } from './workloads/index.js';

const [id = 'seed', backend = 'cpu'] = process.argv.slice(2);
await loadFastBackends({ quiet: true });
setBackend(backend);
const w = WORKLOADS.find((x) => x.id === id)!.nabla('as-written');
for (let i = 0; i < 2; i++) w.step();
const ops: string[] = [];
withOpTracer(
  (op, ins, params, out) =>
    ops.push(
      `${op}(${ins.map((t) => t.shape.join('x')).join(', ')}) ${JSON.stringify(params)} -> ${out.shape.join('x')}`,
    ),
  () => w.step(),
);
console.log(`${ops.length} primitives\n${ops.join('\n')}`);
