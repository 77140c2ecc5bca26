// The trainers the nabla/worker tests serve, built from a nabla namespace (the worker's, the page bundle's or the test's own), so that a worker and the main thread run the same code.
import type * as Nabla from '../../src/index.js';
import type { ServedTrainer } from '../../src/worker/index.js';

/** What the page sends to build(): plain data. */
export interface WorkerTrainerConfig {
  /** 'blobs' (an MLP classifying Gaussian points, the default) or 'seed' (examples/seed.ts). */
  readonly model?: 'blobs' | 'seed';
  /** Make this backend the default before building (a name the worker has registered). */
  readonly backend?: string;
  readonly seed?: number;
  readonly samples?: number;
  readonly hidden?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  /** Feed the model inputs of this width (not 8): its first Linear then fails in fit(). */
  readonly inputWidth?: number;
  /** Health records every this many steps (0: no monitor). */
  readonly healthEvery?: number;
  /** Throw this message from the factory. */
  readonly fail?: string;
  /** Resolve with the trainer only after this many ms (a factory that fetches its data, say). */
  readonly delayMs?: number;
}

const FEATURES = 8;

/** The requests the blobs trainer serves besides training (TrainerWorker.request). */
export interface WorkerRequests {
  readonly [name: string]: (payload: never) => unknown;
  /** The model's class for each row of 8 features, in eval mode without grad. */
  predict(rows: number[][]): number[];
}

/** The trainer for `c`, built as the worker's factory builds it. */
export function workerTrainer(
  nb: typeof Nabla,
  c: WorkerTrainerConfig = {},
): ServedTrainer<WorkerRequests> {
  return buildTrainer(nb, c);
}

/** The worker's factory: workerTrainer, after `delayMs` when the config asks for a wait. */
export function workerFactory(
  nb: typeof Nabla,
  c: WorkerTrainerConfig = {},
): ServedTrainer<WorkerRequests> | Promise<ServedTrainer<WorkerRequests>> {
  if (c.delayMs === undefined) return buildTrainer(nb, c);
  return new Promise((resolve) => setTimeout(resolve, c.delayMs)).then(() => buildTrainer(nb, c));
}

function buildTrainer(nb: typeof Nabla, c: WorkerTrainerConfig): ServedTrainer<WorkerRequests> {
  if (c.fail !== undefined) throw new nb.ArgumentError(c.fail);
  if (c.backend !== undefined) nb.setBackend(c.backend);
  nb.manualSeed(c.seed ?? 0);
  const { nn, optim } = nb;
  if (c.model === 'seed') {
    // The seed network and its one sample: the losses of test/helpers/seed.ts's seedRun().
    const model = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU(), new nn.Linear(2, 1));
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
    const sample = [nb.tensor([1.0, 2.0]), nb.tensor([1.0])];
    const trainer = new nb.Trainer({
      model,
      optimizer,
      train: [sample],
      batchSize: 1,
      epochs: c.epochs ?? 5,
      lossFn: nb.nn.functional.mseLoss,
      accuracy: false,
    });
    return { trainer };
  }
  const hidden = c.hidden ?? 32;
  const model = new nn.Sequential(
    new nn.Linear(FEATURES, hidden),
    new nn.ReLU(),
    new nn.Linear(hidden, hidden),
    new nn.ReLU(),
    new nn.Linear(hidden, 2),
  );
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const n = c.samples ?? 256;
  const x = nb.randn([n, c.inputWidth ?? FEATURES]);
  // Class 1 where the first two coordinates sum above zero.
  const y = x.narrow(1, 0, 2).sum(1).gt(0).to('int32');
  const data = Array.from({ length: n }, (_, i) => [x.select(0, i), y.select(0, i)]);
  const trainer = new nb.Trainer({
    model,
    optimizer,
    train: data,
    batchSize: c.batchSize ?? 16,
    epochs: c.epochs ?? 2,
  });
  const requests: WorkerRequests = {
    predict: (rows) =>
      nb.noGrad(() => {
        model.eval();
        const classes = model.forward(nb.tensor(rows)).argmax(1).tolist() as number[];
        model.train();
        return classes;
      }),
  };
  const every = c.healthEvery ?? 0;
  return every > 0 ? { trainer, health: { every }, requests } : { trainer, requests };
}
