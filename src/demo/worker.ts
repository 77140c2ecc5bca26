// The demo's training worker: trouble-lab runs watched by the gradient-health monitor, and the digits MLP (training, then classifying drawings), streaming progress to the page.
import {
  Generator,
  GradientHealthMonitor,
  getBackend,
  manualSeed,
  nn,
  noGrad,
  optim,
  randperm,
  ready,
  tidy,
  type Tensor,
} from '../entry/browser.js';
import { fromArray } from '../functions/creation.js';
import { fetchDigits } from './data.js';
import { deepMlp, digitsMlp, shuffledBatches, watchedStep } from './nets.js';
import type { Finding, TroubleConfig, WorkerReply, WorkerRequest } from './protocol.js';

const port = self as unknown as {
  postMessage(m: WorkerReply): void;
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
};
const post = (m: WorkerReply) => port.postMessage(m);

/** The digits as tensors: x float32 [n, 64] in [0, 1], y int32 [n]. */
interface Data {
  readonly x: Tensor;
  readonly y: Tensor;
}

let data: Promise<Data> | undefined;
function digits(url: string): Promise<Data> {
  data ??= fetchDigits(url).then((d) => ({
    x: fromArray(d.features, [d.targets.length, 64], 'float32'),
    y: fromArray(d.targets, [d.targets.length], 'int32'),
  }));
  return data;
}

let stopping = false;
let classifier: nn.Sequential | undefined;
/** Lets the worker read its messages (a stop) between steps. */
const tick = () => new Promise<void>((r) => setTimeout(r, 0));

const findings = (m: GradientHealthMonitor): Finding[] =>
  m.diagnose().map((d) => ({
    kind: d.kind,
    severity: d.severity,
    title: d.title,
    message: d.message,
    remedies: [...d.remedies],
  }));

/** Trains the configured deep MLP on shuffled digits batches of 64, one message per step. */
async function trouble(run: number, c: TroubleConfig, url: string): Promise<void> {
  const { x, y } = await digits(url);
  manualSeed(0);
  const model = deepMlp({ ...c.net, inFeatures: 64, classes: 10 });
  const opt = new optim.SGD(model.parameters(), { lr: c.lr });
  const monitor = new GradientHealthMonitor(model, opt, { every: 1 });
  const weights = monitor.layers.filter((l) => l.kind === 'weight').map((l) => l.name);
  post({ type: 'layers', run, names: weights });
  const batches = shuffledBatches(x.shape[0]!, 64, new Generator(0));
  model.train();
  try {
    for (let step = 0; step < c.steps && !stopping; step++) {
      const idx = batches.next().value as Tensor;
      const loss = watchedStep(model, opt, monitor, { x, y }, idx, c.clip ?? undefined);
      const layers = monitor.records.at(-1)?.layers;
      post({
        type: 'trouble-step',
        run,
        step: step + 1,
        loss,
        norms: weights.map((w) => layers?.get(w)?.gradNorm ?? NaN),
      });
      if ((step + 1) % 10 === 0)
        post({ type: 'diagnosis', run, steps: step + 1, findings: findings(monitor), done: false });
      await tick();
    }
    post({ type: 'diagnosis', run, steps: monitor.step, findings: findings(monitor), done: true });
  } finally {
    monitor.remove();
  }
}

/** Trains the digits MLP with Adam on a fixed 80/20 split, reporting the loss and test accuracy. */
async function digitsRun(epochs: number, url: string): Promise<void> {
  const { x, y } = await digits(url);
  manualSeed(0);
  const model = digitsMlp();
  const opt = new optim.Adam(model.parameters(), { lr: 0.005 });
  const split = randperm(x.shape[0]!, { generator: new Generator(0) });
  const nTest = Math.round(0.2 * x.shape[0]!);
  const test = split.narrow(0, 0, nTest);
  const train = split.narrow(0, nTest, x.shape[0]! - nTest);
  const gen = new Generator(1);
  const batch = 32;
  let step = 0;
  let accuracy = 0;
  for (let epoch = 1; epoch <= epochs && !stopping; epoch++) {
    model.train();
    const order = train.indexSelect(0, randperm(train.shape[0]!, { generator: gen }));
    for (let at = 0; at + batch <= order.shape[0]! && !stopping; at += batch) {
      const idx = order.narrow(0, at, batch);
      const loss = tidy(() => {
        const l = nn.functional.crossEntropy(
          model.forward(x.indexSelect(0, idx)) as Tensor,
          y.indexSelect(0, idx),
        );
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l.item() as number;
      });
      step += 1;
      if (step % 5 === 0) {
        post({ type: 'digits-progress', epoch, step, loss });
        await tick();
      }
    }
    model.eval();
    accuracy = noGrad(() =>
      tidy(() => {
        const pred = (model.forward(x.indexSelect(0, test)) as Tensor).argmax(1);
        return (pred.eq(y.indexSelect(0, test)).sum().item() as number) / nTest;
      }),
    );
    post({ type: 'digits-epoch', epoch, step, accuracy });
  }
  classifier = model;
  post({ type: 'digits-done', accuracy });
}

function classify(pixels: readonly number[]): void {
  if (classifier === undefined) throw new Error('train the digits model first');
  const model = classifier;
  const probs = noGrad(() =>
    tidy(() => {
      const input = fromArray(
        Float32Array.from(pixels, (p) => p / 16),
        [1, 64],
        'float32',
      );
      const logits = model.forward(input) as Tensor;
      return nn.functional.softmax(logits, 1).tolist() as number[][];
    }),
  );
  post({ type: 'probs', probs: probs[0]! });
}

let queue = ready().then((backend) => {
  post({ type: 'ready', backend: `${backend} (${getBackend().version ?? backend})` });
});

port.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'stop') {
    stopping = true;
    return;
  }
  queue = queue.then(async () => {
    stopping = false;
    try {
      if (m.type === 'trouble') await trouble(m.run, m.config, m.dataUrl);
      else if (m.type === 'digits') await digitsRun(m.epochs, m.dataUrl);
      else classify(m.pixels);
    } catch (err) {
      post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  });
};
