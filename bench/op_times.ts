// Where one training step's time goes, primitive by primitive (a profiling aid): the time between
// consecutive primitives' completions, summed by primitive and input shapes over several steps.
//
//   npx tsx bench/op_times.ts [WORKLOAD|fashion-cnn] [backend] [steps]
//
// WORKLOAD is a bench workload id (mlp, cnn, seed, ...); fashion-cnn is the CLI's Fashion-MNIST CNN
// (src/cli/models.ts) at the CLI's batch of 128 with Adam. Times include each primitive's dispatch
// and autograd bookkeeping; the tracer's own cost makes the step slower than untraced, so read the
// shares, not the absolute times.
import {
  loadFastBackends,
  manualSeed,
  nn,
  optim,
  randint,
  randn,
  setBackend,
  type Tensor,
} from '../src/node.js';
import { withOpTracer } from '../src/ops/trace.js';
import { buildModel } from '../src/cli/models.js';
import { WORKLOADS } from './workloads/index.js';

const [id = 'fashion-cnn', backend = 'native', stepsArg = '15'] = process.argv.slice(2);
const steps = Number(stepsArg);
await loadFastBackends({ quiet: true });
setBackend(backend);
manualSeed(0);

function fashionCnnStep(): () => void {
  const model = buildModel('cnn', [1, 28, 28], 10);
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = randn([128, 1, 28, 28]);
  const y = randint(0, 10, [128]).to('int32');
  return () => {
    opt.zeroGrad();
    nn.functional.crossEntropy(model.forward(x) as Tensor, y).backward();
    opt.step();
  };
}

const workload = WORKLOADS.find((w) => w.id === id);
if (id !== 'fashion-cnn' && workload === undefined) {
  console.error(
    `unknown workload '${id}': fashion-cnn or ${WORKLOADS.map((w) => w.id).join(', ')}`,
  );
  process.exit(2);
}
const runner = workload?.nabla('as-written');
const run = runner === undefined ? fashionCnnStep() : () => runner.step();
for (let i = 0; i < steps; i++) run();

const byOp = new Map<string, number>();
const REST = '(after the last primitive: optimizer step, reads)';
let total = 0;
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  let last = t0;
  withOpTracer(
    (op, ins) => {
      const now = performance.now();
      const key = `${op}(${ins.map((t) => t.shape.join('x')).join(', ')})`;
      byOp.set(key, (byOp.get(key) ?? 0) + now - last);
      last = now;
    },
    () => run(),
  );
  const end = performance.now();
  byOp.set(REST, (byOp.get(REST) ?? 0) + end - last);
  total += end - t0;
}
console.log(
  `${id} on ${backend}: ${(total / steps).toFixed(2)} ms per traced step, ${steps} steps`,
);
for (const [k, v] of [...byOp.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  const share = ((100 * v) / total).toFixed(1).padStart(5);
  console.log(`${(v / steps).toFixed(3).padStart(9)} ms ${share}%  ${k}`);
}
