// The primitives one training step runs (a profiling aid): listed in order with their input
// shapes, or with --times, the time each takes, summed by primitive and shapes over several steps.
//
//   npx tsx bench/trace_ops.ts [WORKLOAD|fashion-cnn] [backend] [--times [steps]]
//
// WORKLOAD is a bench workload id (mlp, cnn, seed, ...; default seed, backend cpu); fashion-cnn is
// the CLI's Fashion-MNIST CNN (src/cli/models.ts) at the CLI's batch of 128 with Adam. A primitive's
// time is the time between its completion and the previous one's, so it includes its dispatch and
// autograd bookkeeping; the tracer's own cost makes the step slower than untraced, so read the
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

const args = process.argv.slice(2);
const timesAt = args.indexOf('--times');
const timed = timesAt >= 0;
const steps = timed && args[timesAt + 1] !== undefined ? Number(args[timesAt + 1]) : 15;
const [id = 'seed', backend = 'cpu'] = timed ? args.slice(0, timesAt) : args;
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
const step = runner === undefined ? fashionCnnStep() : () => runner.step();
const shapes = (ins: readonly Tensor[]) => ins.map((t) => t.shape.join('x')).join(', ');

if (!timed) {
  for (let i = 0; i < 2; i++) step();
  const ops: string[] = [];
  withOpTracer(
    (op, ins, params, out) =>
      ops.push(`${op}(${shapes(ins)}) ${JSON.stringify(params)} -> ${out.shape.join('x')}`),
    step,
  );
  console.log(`${ops.length} primitives\n${ops.join('\n')}`);
} else {
  for (let i = 0; i < steps; i++) step();
  const byOp = new Map<string, number>();
  const REST = '(after the last primitive: optimizer step, reads)';
  let total = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    let last = t0;
    withOpTracer((op, ins) => {
      const now = performance.now();
      const key = `${op}(${shapes(ins)})`;
      byOp.set(key, (byOp.get(key) ?? 0) + now - last);
      last = now;
    }, step);
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
}
