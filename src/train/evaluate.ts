// Evaluation for Trainer: a batch's inputs and targets, the loss function type, and loss/accuracy over a dataset without recording the graph.
import { defineOptions } from '../options.js';
import { noGrad } from '../autograd/grad_mode.js';
import { DataLoader } from '../data/dataloader.js';
import { Dataset } from '../data/dataset.js';
import { ArgumentError } from '../errors.js';
import { tidy } from '../memory.js';
import { crossEntropy } from '../nn/functional/loss.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';

const EVALUATE = defineOptions<EvaluateOptions>('evaluate', {
  lossFn: 'function',
  accuracy: 'boolean',
  batchSize: 'integer',
});

/** A batch as a DataLoader yields it: [inputs, targets, ...anything else]. */
export type Batch = readonly Tensor[];

/** A loss of (model output, target): nn.functional's losses fit (F.crossEntropy, F.mseLoss, ...). */
export type LossFn = (
  output: Tensor,
  target: Tensor,
  options: { readonly reduction: 'mean' | 'sum' },
) => Tensor;

/** Data to evaluate on: a dataset of [input, target] samples, or any iterable of batches. */
export type EvalData =
  Dataset<readonly Tensor[]> | readonly (readonly Tensor[])[] | Iterable<Batch>;

export interface EvaluateOptions {
  /** The loss (default F.crossEntropy). */
  readonly lossFn?: LossFn;
  /** Count argmax(output, 1) == target (classification). Default true; false gives NaN. */
  readonly accuracy?: boolean;
  /** Samples per batch when `data` is a dataset. Default 512. */
  readonly batchSize?: number;
}

export interface EvalResult {
  /** The mean loss per sample. */
  readonly loss: number;
  /** The fraction of samples whose argmax is the target (NaN when not counted). */
  readonly accuracy: number;
  readonly samples: number;
}

/** @internal The inputs and targets of a batch. */
export function inputsAndTargets(batch: Batch): [Tensor, Tensor] {
  const [x, y] = batch;
  if (x === undefined || y === undefined)
    throw new ArgumentError(`a batch must hold [inputs, targets]; got ${batch.length} tensor(s)`);
  return [x, y];
}

/** @internal The batches of evaluation data: datasets and arrays are batched in order. */
export function evalBatches(data: EvalData, batchSize: number): Iterable<Batch> {
  if (data instanceof Dataset || Array.isArray(data))
    return new DataLoader(data as Dataset<readonly Tensor[]>, { batchSize }) as Iterable<Batch>;
  return data as Iterable<Batch>;
}

/** @internal The model's forward on one input (calling it as `model.forward(x)`, with its hooks). */
export function forwardOf(model: Module): (x: Tensor) => Tensor {
  return (x) => (model.forward as (x: Tensor) => Tensor)(x);
}

/**
 * The mean loss and the accuracy of `model` on `data`, in eval mode and without recording the
 * graph; the model's training flag is restored afterwards.
 */
export function evaluate(model: Module, data: EvalData, opts: EvaluateOptions = {}): EvalResult {
  EVALUATE.checkGiven(opts);
  const lossFn = opts.lossFn ?? crossEntropy;
  const countCorrect = opts.accuracy ?? true;
  const forward = forwardOf(model);
  const wasTraining = model.training;
  model.eval();
  let loss = 0;
  let correct = 0;
  let n = 0;
  try {
    noGrad(() => {
      for (const batch of evalBatches(data, opts.batchSize ?? 512)) {
        const [x, y] = inputsAndTargets(batch);
        tidy(() => {
          const output = forward(x);
          loss += lossFn(output, y, { reduction: 'sum' }).item() as number;
          if (countCorrect) correct += output.argmax(1).eq(y).sum().item() as number;
          n += y.shape[0]!;
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const m = Math.max(1, n);
  return { loss: loss / m, accuracy: countCorrect ? correct / m : NaN, samples: n };
}
