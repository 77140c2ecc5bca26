// The networks of the demo's trouble lab and digits panel, and the deep MLP of the gradient-health
// demonstrations (examples/gradient_health.ts): browser-safe builders shared by the page's worker and Node.
import type { GradientHealthMonitor } from '../diagnostics/health.js';
import { randperm } from '../functions/creation.js';
import { keep, tidy } from '../memory.js';
import * as nn from '../nn/index.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Generator as RandomGenerator } from '../random.js';
import type { Tensor } from '../tensor.js';

export interface DeepMlpOptions {
  readonly depth: number;
  readonly width: number;
  readonly inFeatures: number;
  readonly classes: number;
  readonly activation: 'sigmoid' | 'tanh' | 'relu';
  /**
   * A fixed-std normal init ("naive"), Kaiming (He) normal init for ReLU, or Linear's own
   * default (PyTorch's kaiming-uniform with a = √5); the biases start at zero except with 'default'.
   */
  readonly init: { readonly std: number } | 'kaiming' | 'default';
  readonly batchNorm?: boolean;
}

const ACTIVATIONS = { sigmoid: nn.Sigmoid, tanh: nn.Tanh, relu: nn.ReLU } as const;

/** depth Linear layers (depth − 1 hidden), each hidden one followed by [BatchNorm1d] and the activation. */
export function deepMlp(o: DeepMlpOptions): nn.Sequential {
  const layers: nn.Module[] = [];
  for (let i = 0; i < o.depth; i++) {
    const last = i === o.depth - 1;
    const lin = new nn.Linear(i === 0 ? o.inFeatures : o.width, last ? o.classes : o.width);
    if (o.init !== 'default') {
      if (o.init === 'kaiming') nn.init.kaimingNormal_(lin.weight, { nonlinearity: 'relu' });
      else nn.init.normal_(lin.weight, 0, o.init.std);
      nn.init.zeros_(lin.bias!);
    }
    layers.push(lin);
    if (last) break;
    if (o.batchNorm) layers.push(new nn.BatchNorm1d(o.width));
    layers.push(new ACTIVATIONS[o.activation]());
  }
  return new nn.Sequential(...layers);
}

/** The digits panel's MLP: 64 pixels → 64 hidden ReLU units → 10 classes. */
export function digitsMlp(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 10));
}

/** Batches of indices into n items: a permutation drawn from `gen`, redrawn when fewer than `batch` remain. */
export function* shuffledBatches(
  n: number,
  batch: number,
  gen: RandomGenerator,
): Generator<Tensor> {
  let perm = keep(randperm(n, { generator: gen }));
  let at = 0;
  for (;;) {
    if (at + batch > n) {
      perm = keep(randperm(n, { generator: gen }));
      at = 0;
    }
    yield perm.narrow(0, at, batch);
    at += batch;
  }
}

/**
 * One training step on the rows `idx` of (x, y): cross-entropy, backward, the total gradient norm
 * clipped to `clip` when given, the optimizer's step, the loss given to the monitor; returns it.
 */
export function watchedStep(
  model: nn.Module,
  opt: Optimizer<object>,
  monitor: GradientHealthMonitor,
  data: { readonly x: Tensor; readonly y: Tensor },
  idx: Tensor,
  clip?: number,
): number {
  return tidy(() => {
    const logits = (model.forward as (x: Tensor) => Tensor)(data.x.indexSelect(0, idx));
    const loss = nn.functional.crossEntropy(logits, data.y.indexSelect(0, idx));
    opt.zeroGrad();
    loss.backward();
    if (clip !== undefined) nn.clipGradNorm_(model.parameters(), clip);
    opt.step();
    monitor.recordLoss(loss);
    return monitor.losses.at(-1)!;
  });
}
