// The demo's training worker, served by nabla/worker: the trouble lab's deep MLP (watched by the gradient-health monitor every step, clipped when asked) and the digits MLP (which then classifies drawings).
import {
  Generator,
  Trainer,
  data,
  manualSeed,
  nn,
  noGrad,
  optim,
  randperm,
  tidy,
  type Tensor,
} from '../entry/browser.js';
import { serveTrainer, type ServedTrainer } from '../entry/worker.js';
import { fromArray } from '../functions/creation.js';
import { fetchDigits } from './data.js';
import { deepMlp, digitsMlp, shuffledBatches } from './nets.js';
import type { DemoConfig, DigitsRequests, TroubleConfig } from './protocol.js';

/** The digits as tensors: x float32 [n, 64] in [0, 1], y int32 [n]. */
interface Digits {
  readonly x: Tensor;
  readonly y: Tensor;
}

let cached: Promise<Digits> | undefined;
function digits(url: string): Promise<Digits> {
  cached ??= fetchDigits(url).then((d) => ({
    x: fromArray(d.features, [d.targets.length, 64], 'float32'),
    y: fromArray(d.targets, [d.targets.length], 'int32'),
  }));
  return cached;
}

/** The configured deep MLP on `steps` shuffled digits batches of 64 (one epoch), SGD, the monitor on every step. */
function trouble({ x, y }: Digits, c: TroubleConfig): ServedTrainer {
  manualSeed(0);
  const model = deepMlp({ ...c.net, inFeatures: 64, classes: 10 });
  const optimizer = new optim.SGD(model.parameters(), { lr: c.lr });
  const n = x.shape[0]!;
  const batches = {
    length: c.steps,
    *[Symbol.iterator]() {
      const order = shuffledBatches(n, 64, new Generator(0));
      for (let i = 0; i < c.steps; i++) {
        const idx = order.next().value as Tensor;
        yield [x.indexSelect(0, idx), y.indexSelect(0, idx)];
      }
    },
  };
  const trainer = new Trainer({ model, optimizer, train: batches, epochs: 1, accuracy: false });
  const clip = c.clip;
  // Gradients are in .grad and the optimizer has not stepped: the place to clip them.
  if (clip !== null)
    trainer.on('afterBackward', () => void nn.clipGradNorm_(model.parameters(), clip));
  return { trainer, health: { every: 1 } };
}

/** The digits MLP with Adam on a fixed 80/20 split, batches of 32; the test accuracy after each epoch. */
function digitsRun({ x, y }: Digits, epochs: number): ServedTrainer<DigitsRequests> {
  manualSeed(0);
  const model = digitsMlp();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.005 });
  const n = x.shape[0]!;
  const split = randperm(n, { generator: new Generator(0) });
  const nTest = Math.round(0.2 * n);
  const part = (from: number, size: number) => {
    const idx = split.narrow(0, from, size);
    return new data.TensorDataset(x.indexSelect(0, idx), y.indexSelect(0, idx));
  };
  const train = new data.DataLoader(part(nTest, n - nTest), {
    batchSize: 32,
    shuffle: true,
    dropLast: true,
    generator: new Generator(1),
  });
  const trainer = new Trainer({ model, optimizer, train, val: part(0, nTest), epochs });
  const requests: DigitsRequests = {
    classify: (pixels) =>
      noGrad(() =>
        tidy(() => {
          const training = model.training;
          model.eval();
          const input = fromArray(
            Float32Array.from(pixels, (p) => p / 16),
            [1, 64],
            'float32',
          );
          const probs = nn.functional.softmax(model.forward(input) as Tensor, 1);
          model.train(training);
          return (probs.tolist() as number[][])[0]!;
        }),
      ),
  };
  return { trainer, requests };
}

serveTrainer(async (c: DemoConfig) => {
  const d = await digits(c.dataUrl);
  return c.kind === 'trouble' ? trouble(d, c.run) : digitsRun(d, c.epochs);
});
