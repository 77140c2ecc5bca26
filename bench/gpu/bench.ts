// The GPU check's nabla side (bench/gpu/run.sh): sgemm, the MLP and CNN train steps of
// `npm run bench`, and a 6-layer Transformer-encoder train step, on 'webgpu' (and the MLP on the
// fastest CPU backend, for the "GPU beats this CPU" comparison). Prints one JSON object.
//   tsx bench/gpu/bench.ts [--quick]     (--quick: small sizes, for SwiftShader)
import { manualSeed, nn, optim, randint, randn, setBackend, type Tensor } from '../../src/index.js';
import { loadFastBackends } from '../../src/node/backends.js';
import { loadWebgpuBackend } from '../../src/node/webgpu.js';
import { cnnModel } from '../workloads/cnn.js';
import { mlpModel } from '../workloads/mlp.js';

const quick = process.argv.includes('--quick');
const gpu = await loadWebgpuBackend();

/** Median seconds per call of `step` after `warm` calls (`step` ends with a read, so work is done). */
function time(step: () => void, reps: number, warm = 2): number {
  for (let i = 0; i < warm; i++) step();
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    step();
    xs.push((performance.now() - t0) / 1000);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

function sgemm(n: number, device: string): number {
  const a = randn([n, n]).to(device);
  const b = randn([n, n]).to(device);
  const inner = 5;
  const s = time(
    () => {
      let c: Tensor = a.matmul(b);
      for (let i = 1; i < inner; i++) c = a.matmul(b);
      c.sum().item();
    },
    quick ? 2 : 5,
  );
  return (2 * n ** 3 * inner) / s / 1e9;
}

function trainStep(model: nn.Module, x: Tensor, y: Tensor, device: string): number {
  model.to(device);
  const xd = x.to(device);
  const yd = y.to(device);
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  return time(
    () => {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(xd) as Tensor, yd);
      loss.backward();
      opt.step();
      loss.item();
    },
    quick ? 3 : 20,
  );
}

function mlp(device: string): number {
  manualSeed(0);
  return trainStep(mlpModel(), randn([128, 784]), randint(0, 10, [128]), device);
}

function cnn(device: string): number {
  manualSeed(0);
  const batch = quick ? 8 : 64;
  return trainStep(cnnModel(), randn([batch, 1, 28, 28]), randint(0, 10, [batch]), device);
}

/** A 6-layer encoder (d=512, 8 heads, ff 2048, no dropout), batch 32 × sequence 128, token classes. */
class Encoder extends nn.Module {
  encoder: nn.TransformerEncoder;
  head: nn.Linear;
  constructor(d: number, layers: number) {
    super();
    const layer = new nn.TransformerEncoderLayer(d, 8, {
      dimFeedforward: 4 * d,
      dropout: 0,
      batchFirst: true,
    });
    this.encoder = new nn.TransformerEncoder(layer, layers);
    this.head = new nn.Linear(d, 10);
  }
  forward(x: Tensor): Tensor {
    const h = this.encoder.forward(x);
    return this.head.forward(h).reshape([-1, 10]);
  }
}

function transformer(device: string): { seconds: number; shape: string } {
  manualSeed(0);
  const [d, layers, batch, seq] = quick ? [64, 2, 4, 16] : [512, 6, 32, 128];
  const model = new Encoder(d, layers);
  const s = trainStep(model, randn([batch, seq, d]), randint(0, 10, [batch * seq]), device);
  return { seconds: s, shape: `${layers} layers, d=${d}, batch ${batch}, sequence ${seq}` };
}

const results: Record<string, unknown> = { device: gpu.version, quick };
const sizes = quick ? [256, 512] : [1024, 4096];
for (const n of sizes) results[`sgemm_${n}_gflops`] = sgemm(n, 'webgpu');
results.mlp_step_ms = mlp('webgpu') * 1000;
results.cnn_step_ms = cnn('webgpu') * 1000;
const t = transformer('webgpu');
results.transformer_step_ms = t.seconds * 1000;
results.transformer = t.shape;
const fast = await loadFastBackends({ quiet: true });
const cpu = fast.native !== null ? 'native' : fast.wasm !== null ? 'wasm' : 'cpu';
setBackend(cpu);
results.cpu_backend = cpu;
results.cpu_mlp_step_ms = mlp(cpu) * 1000;
console.log(JSON.stringify(results));
gpu.destroy();
