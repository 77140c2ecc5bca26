// Trainer: the supervised training loop (model, data, optimizer, scheduler, evaluation, metrics history, events, checkpoint/resume), browser-safe.
import { defineOptions } from '../options.js';
import { noGrad } from '../autograd/grad_mode.js';
import { nextTask } from '../data/dataloader.js';
import { ArgumentError, NablaError } from '../errors.js';
import { tidy } from '../memory.js';
import { crossEntropy } from '../nn/functional/loss.js';
import type { Module } from '../nn/module.js';
import type { ScheduledLR } from '../optim/factory.js';
import { ReduceLROnPlateau } from '../optim/lr_scheduler/plateau.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import {
  captureCheckpoint,
  freshAccum,
  freshRunState,
  restoreCheckpoint,
  type CheckpointParts,
  type TrainingCheckpoint,
} from './checkpoint.js';
import {
  evaluate,
  forwardOf,
  inputsAndTargets,
  type Batch,
  type EvalData,
  type EvalResult,
  type LossFn,
} from './evaluate.js';
import {
  TrainerEmitter,
  type EpochMetrics,
  type EpochProgress,
  type FitResult,
  type TrainerEventName,
  type TrainerHistory,
  type TrainerListener,
  type TrainerPosition,
} from './events.js';
import {
  ownGenerator,
  resolveScheduler,
  trainLoaderOf,
  type FitOptions,
  type TrainLoader,
  type TrainerOptions,
} from './options.js';

const TRAINER = defineOptions<TrainerOptions>('Trainer', {
  model: 'object',
  optimizer: 'object',
  train: ['object', 'array'],
  val: ['object', 'array'],
  epochs: 'number',
  maxSteps: 'number',
  batchSize: 'number',
  generator: 'object',
  scheduler: ['object', 'function'],
  trainTransform: 'function',
  lossFn: 'function',
  accuracy: 'boolean',
  evalBatchSize: 'number',
  onCheckpoint: 'function',
  callbacks: 'object',
  yieldEvery: 'number',
});
const FIT = defineOptions<FitOptions>('Trainer.fit', {
  untilStep: 'number',
  shouldStop: 'function',
});

/**
 * Trains a model on [input, target] batches: forward, loss, zeroGrad, backward, step, the
 * scheduler, validation after each epoch, a metrics history, and events that progress bars,
 * metric writers and monitors subscribe to with on(). The loop is the one a hand-written PyTorch
 * loop runs, so results match step for step. Checkpoints go to the `onCheckpoint` callback;
 * loadStateDict() resumes from one, bitwise.
 */
export class Trainer {
  readonly model: Module;
  readonly optimizer: Optimizer<object>;
  readonly trainLoader: TrainLoader;
  readonly epochs: number;
  readonly maxSteps: number;
  readonly batchesPerEpoch: number;
  readonly #val: EvalData | undefined;
  readonly #scheduler: ScheduledLR | undefined;
  readonly #lossFn: LossFn;
  readonly #accuracy: boolean;
  readonly #evalBatchSize: number;
  readonly #onCheckpoint: TrainerOptions['onCheckpoint'];
  readonly #yieldEvery: number;
  readonly #trainTransform: ((batch: Batch) => Batch) | undefined;
  readonly #loaderGen: Generator | undefined;
  readonly #events = new TrainerEmitter();
  readonly #st = freshRunState();
  #running = false;

  constructor(o: TrainerOptions) {
    TRAINER.checkGiven(o);
    if (!Number.isInteger(o.epochs) || o.epochs < 1)
      throw new ArgumentError(`epochs must be a positive integer, got ${o.epochs}`);
    this.model = o.model;
    this.optimizer = o.optimizer;
    this.epochs = o.epochs;
    this.trainLoader = trainLoaderOf(o);
    this.#loaderGen = ownGenerator(this.trainLoader);
    this.batchesPerEpoch = this.trainLoader.length;
    this.maxSteps = o.maxSteps ?? this.epochs * this.batchesPerEpoch;
    this.#val = o.val;
    this.#lossFn = o.lossFn ?? crossEntropy;
    this.#trainTransform = o.trainTransform;
    this.#accuracy = o.accuracy ?? true;
    this.#evalBatchSize = o.evalBatchSize ?? 512;
    this.#onCheckpoint = o.onCheckpoint;
    this.#yieldEvery = o.yieldEvery ?? 50;
    this.#scheduler = resolveScheduler(o.scheduler, {
      epochs: this.epochs,
      totalSteps: this.maxSteps,
      batchesPerEpoch: this.batchesPerEpoch,
    });
    for (const [name, listener] of Object.entries(o.callbacks ?? {}))
      this.on(name as TrainerEventName, listener as TrainerListener<TrainerEventName>);
  }

  /** The scheduler and the interval it steps at, if any. */
  get scheduler(): ScheduledLR | undefined {
    return this.#scheduler;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends TrainerEventName>(name: K, listener: TrainerListener<K>): () => void {
    return this.#events.on(name, listener);
  }

  off<K extends TrainerEventName>(name: K, listener: TrainerListener<K>): void {
    this.#events.off(name, listener);
  }

  /** Where the run stands: completed epochs, steps, batches into the current epoch. */
  get position(): TrainerPosition {
    return { epoch: this.#st.epoch, step: this.#st.step, batchInEpoch: this.#st.batchInEpoch };
  }

  /** The metrics of every completed epoch and the loss of every step, oldest first. */
  get history(): TrainerHistory {
    return { metrics: this.#st.metrics, stepLosses: this.#st.stepLosses };
  }

  /** The training loss of one batch, recording the graph (what each step backpropagates). */
  loss(batch: Batch): Tensor {
    const [x, y] = inputsAndTargets(batch);
    return this.#lossFn(forwardOf(this.model)(x), y, { reduction: 'mean' });
  }

  /** Mean loss and accuracy on `data` in eval mode, with this trainer's loss and batch size. */
  evaluate(data: EvalData): EvalResult {
    return evaluate(this.model, data, {
      lossFn: this.#lossFn,
      accuracy: this.#accuracy,
      batchSize: this.#evalBatchSize,
    });
  }

  /** Trains until `epochs` (or `maxSteps`) are done, `untilStep` is reached or `shouldStop()`. */
  async fit(opts: FitOptions = {}): Promise<FitResult> {
    FIT.checkGiven(opts);
    if (this.#running) throw new NablaError('Trainer.fit() is already running');
    this.#running = true;
    try {
      return await this.#fit(opts);
    } finally {
      this.#running = false;
    }
  }

  async #fit(opts: FitOptions): Promise<FitResult> {
    const stopAt = Math.min(this.maxSteps, opts.untilStep ?? Infinity);
    const shouldStop = opts.shouldStop ?? (() => false);
    const perEpoch = this.batchesPerEpoch;
    await this.#events.emit('fitStart', {
      ...this.position,
      epochs: this.epochs,
      maxSteps: this.maxSteps,
      batchesPerEpoch: perEpoch,
    });
    let interrupted = false;
    // Across epochs: many short epochs must still let messages (a worker's stop) and timers in.
    let lastYield = performance.now();
    while (this.#st.epoch < this.epochs && this.#st.step < stopAt && !interrupted) {
      this.model.train();
      // The loader's state before this epoch's iterator draws its order: a mid-epoch checkpoint
      // stores it, so a resumed run draws the same order and skips the batches already done.
      this.#st.epochLoaderState = this.#loaderGen?.getState();
      const skip = this.#st.batchInEpoch;
      await this.#events.emit('epochStart', {
        epoch: this.#st.epoch + 1,
        epochs: this.epochs,
        batchesPerEpoch: perEpoch,
        skip,
      });
      const accum = this.#st.accum;
      const start = performance.now() - accum.seconds * 1000;
      const progress = (): EpochProgress => ({
        done: this.#st.batchInEpoch,
        total: perEpoch,
        loss: accum.lossSum / Math.max(1, accum.seen),
        accuracy: this.#accuracy ? accum.correct / Math.max(1, accum.seen) : NaN,
        samplesPerSecond: (accum.seen * 1000) / Math.max(1e-9, performance.now() - start),
      });
      let b = 0;
      for (const batch of this.trainLoader) {
        if (b++ < skip) continue;
        const loss = this.#trainStep(batch);
        if (this.#scheduler?.interval === 'step') this.#stepScheduler(loss);
        this.#st.batchInEpoch++;
        this.#st.step++;
        this.#events.emitSync('step', { ...this.position, loss, progress: progress() });
        // Let signals (Ctrl-C), timers and rendering in now and then.
        if (performance.now() - lastYield > this.#yieldEvery) {
          await nextTask();
          lastYield = performance.now();
        }
        if (shouldStop()) interrupted = true;
        if (interrupted || this.#st.step >= stopAt) break;
      }
      accum.seconds = (performance.now() - start) / 1000;
      if (this.#st.batchInEpoch < perEpoch) {
        // Stopped inside an epoch: at the step limit (checkpoint this position) or by shouldStop
        // (keep the last checkpoint, of a complete epoch).
        const p = progress();
        if (!interrupted) await this.#checkpoint();
        await this.#events.emit('stop', {
          ...this.position,
          reason: interrupted ? 'interrupted' : 'steps',
          progress: p,
        });
        break;
      }
      await this.#endEpoch(progress());
    }
    const result: FitResult = {
      metrics: [...this.#st.metrics],
      stepLosses: [...this.#st.stepLosses],
      steps: this.#st.step,
      interrupted,
    };
    await this.#events.emit('fitEnd', result);
    return result;
  }

  /** One optimizer step on a batch; the step's loss. */
  #trainStep(batch: Batch): number {
    const accum = this.#st.accum;
    return tidy(() => {
      const [x, y] = inputsAndTargets(this.#trainTransform?.(batch) ?? batch);
      const logits = forwardOf(this.model)(x);
      const loss = this.#lossFn(logits, y, { reduction: 'mean' });
      this.optimizer.zeroGrad();
      loss.backward();
      this.#events.emitSync('afterBackward', this.position);
      this.optimizer.step();
      const n = y.shape[0]!;
      const l = loss.item() as number;
      this.#st.stepLosses.push(l);
      accum.lossSum += l * n;
      if (this.#accuracy)
        accum.correct += noGrad(() => logits.argmax(1).eq(y).sum().item() as number);
      accum.seen += n;
      return l;
    });
  }

  #stepScheduler(metric: number): void {
    const s = this.#scheduler!.scheduler;
    if (s instanceof ReduceLROnPlateau) s.step(metric);
    else s.step();
  }

  async #endEpoch(progress: EpochProgress): Promise<void> {
    const accum = this.#st.accum;
    const trainLoss = accum.lossSum / accum.seen;
    const val = this.#val === undefined ? undefined : this.evaluate(this.#val);
    const lr = this.optimizer.paramGroups[0]!.lr as number;
    if (this.#scheduler?.interval === 'epoch') this.#stepScheduler(val?.loss ?? trainLoss);
    const metrics: EpochMetrics = {
      epoch: this.#st.epoch + 1,
      trainLoss,
      trainAccuracy: this.#accuracy ? accum.correct / accum.seen : NaN,
      valLoss: val?.loss ?? NaN,
      valAccuracy: val?.accuracy ?? NaN,
      samplesPerSecond: accum.seen / accum.seconds,
      seconds: accum.seconds,
      lr,
    };
    this.#st.metrics.push(metrics);
    this.#st.epoch++;
    this.#st.batchInEpoch = 0;
    this.#st.accum = freshAccum();
    this.#st.epochLoaderState = undefined;
    await this.#checkpoint();
    await this.#events.emit('epochEnd', { metrics, progress, epochs: this.epochs });
  }

  async #checkpoint(): Promise<void> {
    if (this.#onCheckpoint !== undefined) await this.#onCheckpoint(this.stateDict());
  }

  #parts(): CheckpointParts {
    const { model, optimizer } = this;
    return { model, optimizer, scheduler: this.#scheduler?.scheduler, loaderGen: this.#loaderGen };
  }

  /**
   * The training state now: model, optimizer, scheduler, generators, position and history
   * (inside an epoch, the loader's state from before the epoch, so a resume replays its order).
   */
  stateDict(): TrainingCheckpoint {
    return captureCheckpoint(this.#parts(), this.#st);
  }

  /**
   * Restores what stateDict() returned (or a checkpoint file's contents). A part the checkpoint
   * lacks starts fresh; the names of those parts are returned ('model', 'optimizer', 'scheduler',
   * 'rng.global', 'rng.loader', 'position').
   */
  loadStateDict(checkpoint: Partial<TrainingCheckpoint>): string[] {
    if (this.#running) throw new NablaError('Trainer.loadStateDict() during fit()');
    return restoreCheckpoint(this.#parts(), this.#st, checkpoint);
  }
}
