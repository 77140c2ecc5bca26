// Gradient-health demonstrations: a deep sigmoid MLP whose gradients vanish, the same depth fixed
// with ReLU + Kaiming + BatchNorm, and a large-init net at a high LR that explodes (fixed by
// clipping and a lower LR). `npx tsx examples/gradient_health.ts` prints the four reports of
// docs/tutorial.md (TUTORIAL_STEPS); the tests, the tutorial and its pictures use these builders.
import { fileURLToPath } from 'node:url';
import { GradientHealthMonitor } from '../src/diagnostics/health.js';
import { fromArray } from '../src/functions/creation.js';
import { Digits } from '../src/data/node/index.js';
import type * as nn from '../src/nn/index.js';
import * as optim from '../src/optim/index.js';
import { Generator, manualSeed } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';
import { deepMlp, shuffledBatches, watchedStep } from '../src/demo/nets.js';

export { deepMlp, type DeepMlpOptions } from '../src/demo/nets.js';

/** The digits as one float32 [n, 64] tensor in [0, 1] and int32 labels. */
export function digitsTensors(): { x: Tensor; y: Tensor } {
  const d = new Digits();
  return {
    x: fromArray(d.features, [d.length, 64], 'float32'),
    y: fromArray(d.targets, [d.length], 'int32'),
  };
}

export interface RunOptions {
  readonly steps: number;
  readonly batchSize?: number;
  readonly every?: number;
  /** Clip the total gradient norm to this before each step. */
  readonly clip?: number;
  readonly seed?: number;
}

/** Trains `model` on shuffled digits batches with `opt`, watched by a monitor; returns it and the losses. */
export function trainWatched(
  model: nn.Module,
  opt: optim.Optimizer<object>,
  o: RunOptions,
): { monitor: GradientHealthMonitor; losses: number[] } {
  const data = digitsTensors();
  const monitor = new GradientHealthMonitor(model, opt, { every: o.every ?? 1 });
  const batches = shuffledBatches(data.x.shape[0]!, o.batchSize ?? 64, new Generator(o.seed ?? 0));
  model.train();
  for (let step = 0; step < o.steps; step++)
    watchedStep(model, opt, monitor, data, batches.next().value as Tensor, o.clip);
  monitor.remove();
  return { monitor, losses: monitor.losses };
}

/** The four demonstrations, as used by the tests and the tutorial. */
export const demos = {
  /** 20 sigmoid layers, weights ~ N(0, 0.1²): the gradient vanishes on its way back. */
  vanishing(steps = 30) {
    manualSeed(0);
    const model = deepMlp({
      depth: 20,
      width: 32,
      inFeatures: 64,
      classes: 10,
      activation: 'sigmoid',
      init: { std: 0.1 },
    });
    return trainWatched(model, new optim.SGD(model.parameters(), { lr: 0.1 }), { steps });
  },
  /** The same depth with ReLU, Kaiming init and BatchNorm. */
  fixedVanishing(steps = 30) {
    manualSeed(0);
    const model = deepMlp({
      depth: 20,
      width: 32,
      inFeatures: 64,
      classes: 10,
      activation: 'relu',
      init: 'kaiming',
      batchNorm: true,
    });
    return trainWatched(model, new optim.SGD(model.parameters(), { lr: 0.1 }), { steps });
  },
  /** 10 ReLU layers with weights ~ N(0, 0.5²) (about 3× Kaiming) and SGD at lr 0.1. */
  exploding(steps = 30) {
    manualSeed(0);
    const model = deepMlp({
      depth: 10,
      width: 32,
      inFeatures: 64,
      classes: 10,
      activation: 'relu',
      init: { std: 0.5 },
    });
    return trainWatched(model, new optim.SGD(model.parameters(), { lr: 0.1 }), { steps });
  },
  /** The same net and init, with the gradient norm clipped to 1 and lr 0.05. */
  fixedExploding(steps = 30) {
    manualSeed(0);
    const model = deepMlp({
      depth: 10,
      width: 32,
      inFeatures: 64,
      classes: 10,
      activation: 'relu',
      init: { std: 0.5 },
    });
    return trainWatched(model, new optim.SGD(model.parameters(), { lr: 0.05 }), {
      steps,
      clip: 1,
    });
  },
};

/** The steps each demonstration runs in docs/tutorial.md (and its pictures). */
export const TUTORIAL_STEPS: { readonly [K in keyof typeof demos]: number } = {
  vanishing: 60,
  fixedVanishing: 60,
  exploding: 30,
  fixedExploding: 60,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of Object.keys(demos) as (keyof typeof demos)[]) {
    const t0 = performance.now();
    const { monitor } = demos[name](TUTORIAL_STEPS[name]);
    console.log(`==== ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    console.log(monitor.report().text);
    console.log();
  }
}
