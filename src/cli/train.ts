// `nabla train`: trains a preset model on a dataset with a progress bar per epoch, validates each
// epoch, checkpoints the last complete epoch, and writes the final weights and metrics.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/grad_mode.js';
import { setBackend } from '../backend/registry.js';
import { DataLoader, Subset } from '../data/index.js';
import { tidy } from '../memory.js';
import { crossEntropy } from '../nn/functional/loss.js';
import type { Module } from '../nn/module.js';
import * as optim from '../optim/index.js';
import { Generator, getRngState, manualSeed, setRngState, type GeneratorState } from '../random.js';
import type { Tensor } from '../tensor.js';
import { loadCheckpoint, saveCheckpoint } from '../node/checkpoint.js';
import { saveStateDict } from '../node/io.js';
import { choiceFlag, intFlag, numberFlag, parseFlags, type CommandSpec } from './args.js';
import { loadData, type LoadedData, type Split } from './datasets.js';
import { buildModel, MODEL_HELP, MODEL_NAMES, type ModelName } from './models.js';

const MODEL_LIST = ['Models:', ...MODEL_NAMES.map((m) => `  ${m.padEnd(10)}${MODEL_HELP[m]}`)].join(
  '\n',
);
import { ProgressBar, table, type Writer } from './progress.js';
import { chooseBackend } from './backends.js';
import { TrainDiagnostics } from './train_diagnostics.js';

export const OPTIMIZERS = ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'nadam', 'radam'] as const;
export const SCHEDULERS = ['none', 'step', 'cosine', 'onecycle', 'plateau'] as const;
type OptimizerName = (typeof OPTIMIZERS)[number];
type SchedulerName = (typeof SCHEDULERS)[number];

export const TRAIN_SPEC: CommandSpec = {
  name: 'train',
  summary:
    'Train a model on a dataset: progress per epoch, validation accuracy, final test accuracy.',
  usage: 'nabla train [options]',
  flags: {
    data: {
      type: 'string',
      value: '<name|file.csv>',
      help: 'digits, fashion-mnist, mnist, or a CSV file (label in the last column)',
      default: 'digits',
    },
    'data-dir': {
      type: 'string',
      value: '<dir>',
      help: "folder with the MNIST/Fashion-MNIST files (default: Debian's dataset-fashion-mnist, ./data)",
    },
    target: {
      type: 'string',
      value: '<column>',
      help: 'CSV label column, by name or index (default: the last)',
    },
    model: {
      type: 'string',
      value: '<preset>',
      help: `one of ${MODEL_NAMES.join(', ')} (below)`,
      default: 'mlp',
    },
    epochs: {
      type: 'string',
      value: '<n>',
      help: 'passes over the training set (default: 30 for digits, 10 otherwise)',
    },
    'batch-size': {
      type: 'string',
      value: '<n>',
      help: 'samples per step (default: 32 for digits, 128 otherwise)',
    },
    lr: { type: 'string', value: '<rate>', help: 'learning rate (default: 0.001, 0.05 for sgd)' },
    optimizer: {
      type: 'string',
      value: '<name>',
      help: `one of ${OPTIMIZERS.join(', ')}`,
      default: 'adam',
    },
    scheduler: {
      type: 'string',
      value: '<name>',
      help: `one of ${SCHEDULERS.join(', ')}`,
      default: 'cosine',
    },
    steps: {
      type: 'string',
      value: '<n>',
      help: 'stop after n optimizer steps in all (checkpointing there, even inside an epoch)',
    },
    'stop-after': {
      type: 'string',
      value: '<n>',
      help: 'end this process after step n, checkpointing there (continue later with --resume)',
    },
    resume: {
      type: 'string',
      value: '<checkpoint>',
      help: 'continue a run from its checkpoint.safetensors (same data, model and options)',
    },
    limit: {
      type: 'string',
      value: '<n>',
      help: 'use only the first n training samples (and n/5 validation and test samples): quick runs',
    },
    seed: {
      type: 'string',
      value: '<n>',
      help: 'seed of the initialisation and shuffling',
      default: '0',
    },
    backend: {
      type: 'string',
      value: '<name>',
      help: 'auto (native, then wasm, then cpu), or a backend name',
      default: 'auto',
    },
    out: {
      type: 'string',
      value: '<dir>',
      help: 'where weights, checkpoint and metrics go (default: runs/<data>-<model>)',
    },
    diagnose: {
      type: 'boolean',
      help: 'watch gradient health: a line per epoch, a diagnosis with remedies at the end',
    },
    plots: {
      type: 'string',
      value: '<dir>',
      help: 'write loss, accuracy and per-layer gradient-norm plots (SVG and PNG) to dir',
    },
    quiet: { type: 'boolean', short: 'q', help: 'print only the summary' },
    help: { type: 'boolean', short: 'h', help: 'show this help' },
  },
  notes: [MODEL_LIST],
  examples: [
    'nabla train                                   # MLP on the embedded digits',
    'nabla train --data fashion-mnist --model cnn --epochs 5',
    'nabla train --data iris.csv --model mlp-small --epochs 100 --lr 0.01',
  ],
};

export interface TrainConfig {
  readonly data: string;
  readonly dataDir: string | undefined;
  readonly target: string | undefined;
  readonly model: ModelName;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly optimizer: OptimizerName;
  readonly scheduler: SchedulerName;
  readonly seed: number;
  readonly limit: number | undefined;
  /** Stop after this many optimizer steps in all (possibly inside an epoch) and checkpoint there. */
  readonly steps: number | undefined;
  /** End this process after this step, checkpointing there; the schedule still plans for `steps`. */
  readonly stopAfter: number | undefined;
  /** A checkpoint to continue from. */
  readonly resume: string | undefined;
  readonly backend: string;
  readonly out: string;
  readonly quiet: boolean;
  /** --diagnose: run a GradientHealthMonitor and print its report. */
  readonly diagnose?: boolean;
  /** --plots: the folder for the training plots. */
  readonly plots?: string | undefined;
}

export function parseTrainArgs(argv: readonly string[]): TrainConfig | 'help' {
  const f = parseFlags(TRAIN_SPEC, argv);
  if (f.help) return 'help';
  const data = String(f.data);
  const small = data === 'digits';
  const optimizer = choiceFlag(TRAIN_SPEC, 'optimizer', f.optimizer, OPTIMIZERS);
  const model = choiceFlag(TRAIN_SPEC, 'model', f.model, MODEL_NAMES);
  return {
    data,
    dataDir: f['data-dir'] as string | undefined,
    target: f.target as string | undefined,
    model,
    epochs: f.epochs === undefined ? (small ? 30 : 10) : intFlag(TRAIN_SPEC, 'epochs', f.epochs),
    batchSize:
      f['batch-size'] === undefined
        ? small
          ? 32
          : 128
        : intFlag(TRAIN_SPEC, 'batch-size', f['batch-size']),
    lr:
      f.lr === undefined ? (optimizer === 'sgd' ? 0.05 : 1e-3) : numberFlag(TRAIN_SPEC, 'lr', f.lr),
    optimizer,
    scheduler: choiceFlag(TRAIN_SPEC, 'scheduler', f.scheduler, SCHEDULERS),
    seed: intFlag(TRAIN_SPEC, 'seed', f.seed, 0),
    limit: f.limit === undefined ? undefined : intFlag(TRAIN_SPEC, 'limit', f.limit),
    steps: f.steps === undefined ? undefined : intFlag(TRAIN_SPEC, 'steps', f.steps),
    stopAfter:
      f['stop-after'] === undefined
        ? undefined
        : intFlag(TRAIN_SPEC, 'stop-after', f['stop-after']),
    resume: f.resume as string | undefined,
    backend: String(f.backend),
    out:
      (f.out as string | undefined) ?? join('runs', `${data.replace(/[^\w.-]+/g, '_')}-${model}`),
    quiet: Boolean(f.quiet),
    diagnose: Boolean(f.diagnose),
    plots: f.plots as string | undefined,
  };
}

export function makeOptimizer(
  name: OptimizerName,
  params: Tensor[],
  lr: number,
): optim.Optimizer<object> {
  switch (name) {
    case 'sgd':
      return new optim.SGD(params, { lr, momentum: 0.9 });
    case 'adam':
      return new optim.Adam(params, { lr });
    case 'adamw':
      return new optim.AdamW(params, { lr });
    case 'rmsprop':
      return new optim.RMSprop(params, { lr });
    case 'adagrad':
      return new optim.Adagrad(params, { lr });
    case 'nadam':
      return new optim.NAdam(params, { lr });
    case 'radam':
      return new optim.RAdam(params, { lr });
  }
}

interface Scheduling {
  /** Called after every optimizer step. */
  afterStep(): void;
  /** Called after every epoch with the validation loss. */
  afterEpoch(valLoss: number): void;
  state(): Record<string, unknown> | undefined;
  load(state: Record<string, unknown>): void;
}

function makeScheduler(
  name: SchedulerName,
  opt: optim.Optimizer<object>,
  epochs: number,
  totalSteps: number,
  lr: number,
): Scheduling {
  const S = optim.lrScheduler;
  const o = opt as unknown as optim.lrScheduler.SchedulableOptimizer;
  const none = {
    afterStep: () => {},
    afterEpoch: () => {},
    state: () => undefined,
    load: () => {},
  };
  switch (name) {
    case 'none':
      return none;
    case 'step': {
      const s = new S.StepLR(o, { stepSize: Math.max(1, Math.floor(epochs / 3)), gamma: 0.1 });
      return {
        afterStep: () => {},
        afterEpoch: () => s.step(),
        state: () => s.stateDict(),
        load: (st) => s.loadStateDict(st as never),
      };
    }
    case 'cosine': {
      const s = new S.CosineAnnealingLR(o, { tMax: epochs });
      return {
        afterStep: () => {},
        afterEpoch: () => s.step(),
        state: () => s.stateDict(),
        load: (st) => s.loadStateDict(st as never),
      };
    }
    case 'onecycle': {
      const s = new S.OneCycleLR(o, { maxLr: lr, totalSteps });
      return {
        afterStep: () => s.step(),
        afterEpoch: () => {},
        state: () => s.stateDict(),
        load: (st) => s.loadStateDict(st as never),
      };
    }
    case 'plateau': {
      const s = new S.ReduceLROnPlateau(o, { patience: 2 });
      return {
        afterStep: () => {},
        afterEpoch: (v) => s.step(v),
        state: () => s.stateDict(),
        load: (st) => s.loadStateDict(st as never),
      };
    }
  }
}

function firstN(ds: Split, n: number): Split {
  return n >= ds.length
    ? ds
    : new Subset(
        ds,
        Array.from({ length: n }, (_, i) => i),
      );
}

/** --limit: the first n training samples and proportionally fewer validation and test samples. */
export function limitData(data: LoadedData, limit: number | undefined): LoadedData {
  if (limit === undefined) return data;
  const small = Math.max(1, Math.floor(limit / 5));
  return {
    ...data,
    train: firstN(data.train, limit),
    val: firstN(data.val, small),
    test: firstN(data.test, small),
  };
}

/** Loss and accuracy of the model on a dataset, in eval mode, without recording the graph. */
export function evaluate(
  model: Module,
  ds: Split,
  batchSize = 512,
): { loss: number; accuracy: number } {
  const wasTraining = model.training;
  model.eval();
  let loss = 0;
  let correct = 0;
  let n = 0;
  noGrad(() => {
    for (const [x, y] of new DataLoader(ds, { batchSize }) as Iterable<[Tensor, Tensor]>) {
      tidy(() => {
        const logits = (model.forward as (x: Tensor) => Tensor)(x);
        loss += crossEntropy(logits, y, { reduction: 'sum' }).item() as number;
        correct += logits.argmax(1).eq(y).sum().item() as number;
        n += y.shape[0]!;
      });
    }
  });
  model.train(wasTraining);
  return { loss: loss / Math.max(1, n), accuracy: correct / Math.max(1, n) };
}

export interface EpochMetrics {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly samplesPerSecond: number;
  readonly seconds: number;
  readonly lr: number;
}

export interface TrainResult {
  readonly metrics: EpochMetrics[];
  readonly testAccuracy: number | undefined;
  readonly interrupted: boolean;
  readonly out: string;
}

function writeMetrics(
  out: string,
  cfg: TrainConfig,
  data: LoadedData,
  metrics: EpochMetrics[],
  extra: Record<string, unknown>,
): void {
  const json = {
    config: cfg,
    data: {
      name: data.name,
      train: data.train.length,
      val: data.val.length,
      test: data.test.length,
    },
    epochs: metrics,
    ...extra,
  };
  writeFileSync(join(out, 'metrics.json'), `${JSON.stringify(json, null, 2)}\n`);
  const cols = [
    'epoch',
    'trainLoss',
    'trainAccuracy',
    'valLoss',
    'valAccuracy',
    'samplesPerSecond',
    'seconds',
    'lr',
  ] as const;
  const lines = [cols.join(','), ...metrics.map((m) => cols.map((c) => String(m[c])).join(','))];
  writeFileSync(join(out, 'metrics.csv'), `${lines.join('\n')}\n`);
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export interface TrainHooks {
  /** Called after each completed epoch (and its checkpoint). */
  onEpoch?(m: EpochMetrics): void | Promise<void>;
}

/** Running sums of the current epoch (kept in mid-epoch checkpoints). */
interface EpochAccum {
  lossSum: number;
  correct: number;
  seen: number;
  seconds: number;
}

/** What a checkpoint's `extra` holds for this trainer. */
interface TrainerExtra {
  readonly config: TrainConfig;
  readonly metrics: EpochMetrics[];
  readonly accum: EpochAccum;
  readonly stepLosses: number[];
}

/** Runs a training job. `shouldStop` is polled between batches (Ctrl-C sets it). */
export async function train(
  cfg: TrainConfig,
  out: Writer,
  shouldStop: () => boolean,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const log = (s: string) => {
    if (!cfg.quiet) out.write(`${s}\n`);
  };
  const backend = await chooseBackend(cfg.backend);
  setBackend(backend);
  manualSeed(cfg.seed);
  const loaded = loadData(cfg.data, {
    ...(cfg.dataDir ? { dataDir: cfg.dataDir } : {}),
    ...(cfg.target ? { target: cfg.target } : {}),
  });
  const data = limitData(loaded, cfg.limit);
  const model = buildModel(cfg.model, data.inputShape, data.numClasses);
  const opt = makeOptimizer(cfg.optimizer, model.parameters(), cfg.lr);
  const loaderGen = new Generator(cfg.seed);
  const loader = new DataLoader(data.train, {
    batchSize: cfg.batchSize,
    shuffle: true,
    generator: loaderGen,
  });
  const perEpoch = loader.length;
  const maxSteps = cfg.steps ?? cfg.epochs * perEpoch;
  const sched = makeScheduler(cfg.scheduler, opt, cfg.epochs, maxSteps, cfg.lr);
  mkdirSync(cfg.out, { recursive: true });
  const diag =
    cfg.diagnose || cfg.plots !== undefined
      ? new TrainDiagnostics(model, opt, {
          diagnose: cfg.diagnose ?? false,
          plots: cfg.plots,
          totalSteps: maxSteps,
          quiet: cfg.quiet,
        })
      : undefined;

  // Where the run stands: completed epochs, optimizer steps, batches done in the current epoch.
  let epoch = 0;
  let step = 0;
  let batchInEpoch = 0;
  let metrics: EpochMetrics[] = [];
  let accum: EpochAccum = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
  let stepLosses: number[] = [];
  if (cfg.resume !== undefined) {
    const ck = loadCheckpoint(cfg.resume);
    const missing: string[] = [];
    if (ck.model !== undefined && Object.keys(ck.model).length > 0) model.loadStateDict(ck.model);
    else missing.push('model');
    if (ck.optimizer !== undefined) opt.loadStateDict(ck.optimizer);
    else missing.push('optimizer');
    if (ck.scheduler !== undefined) sched.load(ck.scheduler);
    else if (cfg.scheduler !== 'none') missing.push('scheduler');
    if (ck.rng?.global !== undefined) setRngState(ck.rng.global);
    else missing.push('rng.global');
    if (ck.rng?.loader !== undefined) loaderGen.setState(ck.rng.loader);
    else missing.push('rng.loader');
    if (typeof ck.step === 'number') {
      epoch = ck.epoch;
      step = ck.step;
      batchInEpoch = ck.batchInEpoch;
    } else missing.push('position');
    const extra = ck.extra as Partial<TrainerExtra> | undefined;
    metrics = [...(extra?.metrics ?? [])];
    accum = { ...(extra?.accum ?? accum) };
    stepLosses = [...(extra?.stepLosses ?? [])];
    log(
      `resuming from ${cfg.resume}: epoch ${epoch + 1}, batch ${batchInEpoch}, step ${step}` +
        (missing.length > 0
          ? ` (the checkpoint lacks: ${missing.join(', ')}; starting those fresh)`
          : ''),
    );
  }
  log(
    `nabla train: ${data.name} (${data.train.length} train / ${data.val.length} val / ${data.test.length} test), ` +
      `model ${cfg.model} (${model.countParameters().toLocaleString('en-US')} parameters), ${cfg.optimizer} lr ${cfg.lr}, ` +
      `batch ${cfg.batchSize}, ${cfg.steps !== undefined ? `${cfg.steps} steps` : `${cfg.epochs} epochs`}, backend ${backend}`,
  );

  const checkpoint = (loaderState: GeneratorState) =>
    saveCheckpoint(join(cfg.out, 'checkpoint.safetensors'), {
      model: model.stateDict(),
      optimizer: opt.stateDict(),
      ...(sched.state() ? { scheduler: sched.state()! } : {}),
      rng: { global: getRngState(), loader: loaderState },
      epoch,
      step,
      batchInEpoch,
      extra: { config: cfg, metrics, accum, stepLosses } satisfies TrainerExtra,
    });

  const stopAt = Math.min(maxSteps, cfg.stopAfter ?? Infinity);
  let interrupted = false;
  while (epoch < cfg.epochs && step < stopAt && !interrupted) {
    model.train();
    // The loader's state before this epoch's iterator draws its order: a mid-epoch checkpoint
    // stores it, so a resumed run draws the same order and skips the batches already done.
    const loaderState = loaderGen.getState();
    const skip = batchInEpoch;
    const bar = new ProgressBar(
      cfg.quiet ? { write: () => true, isTTY: false } : out,
      `epoch ${String(epoch + 1).padStart(String(cfg.epochs).length)}/${cfg.epochs}`,
    );
    const start = performance.now() - accum.seconds * 1000;
    let lastYield = performance.now();
    const stats = () => ({
      done: batchInEpoch,
      total: perEpoch,
      loss: accum.lossSum / Math.max(1, accum.seen),
      accuracy: accum.correct / Math.max(1, accum.seen),
      samplesPerSecond: (accum.seen * 1000) / Math.max(1e-9, performance.now() - start),
    });
    let b = 0;
    for (const [x, y] of loader as Iterable<[Tensor, Tensor]>) {
      if (b++ < skip) continue;
      tidy(() => {
        const logits = (model.forward as (x: Tensor) => Tensor)(x);
        const loss = crossEntropy(logits, y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        const n = y.shape[0]!;
        const l = loss.item() as number;
        stepLosses.push(l);
        diag?.onStep(l);
        accum.lossSum += l * n;
        accum.correct += noGrad(() => logits.argmax(1).eq(y).sum().item() as number);
        accum.seen += n;
      });
      sched.afterStep();
      batchInEpoch++;
      step++;
      bar.update(stats());
      // Let signals (Ctrl-C) and timers in now and then.
      if (performance.now() - lastYield > 50) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
      if (shouldStop()) interrupted = true;
      if (interrupted || step >= stopAt) break;
    }
    accum.seconds = (performance.now() - start) / 1000;
    if (batchInEpoch < perEpoch) {
      // Stopped inside an epoch: by --steps (checkpoint this position) or by Ctrl-C (keep the last one).
      bar.finish(stats(), interrupted ? '  (interrupted)' : `  (stopped at step ${step})`);
      if (!interrupted) checkpoint(loaderState);
      break;
    }
    const val = evaluate(model, data.val);
    const lr = opt.paramGroups[0]!.lr as number;
    sched.afterEpoch(val.loss);
    const m: EpochMetrics = {
      epoch: epoch + 1,
      trainLoss: accum.lossSum / accum.seen,
      trainAccuracy: accum.correct / accum.seen,
      valLoss: val.loss,
      valAccuracy: val.accuracy,
      samplesPerSecond: accum.seen / accum.seconds,
      seconds: accum.seconds,
      lr,
    };
    metrics.push(m);
    bar.finish(stats(), `  val acc ${pct(val.accuracy)}`);
    diag?.onEpoch(out);
    epoch++;
    batchInEpoch = 0;
    accum = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
    checkpoint(loaderGen.getState());
    await hooks.onEpoch?.(m);
  }
  let testAccuracy: number | undefined;
  if (!interrupted) {
    testAccuracy = evaluate(model, data.test).accuracy;
    saveStateDict(model, join(cfg.out, 'model.safetensors'));
  }
  writeMetrics(cfg.out, cfg, data, metrics, {
    testAccuracy: testAccuracy ?? null,
    interrupted,
    steps: step,
    stepLosses,
  });
  const rows = metrics.map((m) => [
    String(m.epoch),
    m.trainLoss.toFixed(4),
    pct(m.trainAccuracy),
    m.valLoss.toFixed(4),
    pct(m.valAccuracy),
    String(Math.round(m.samplesPerSecond)),
    `${m.seconds.toFixed(1)}s`,
  ]);
  out.write(
    `\n${table(['epoch', 'train loss', 'train acc', 'val loss', 'val acc', 'samples/s', 'time'], rows)}\n`,
  );
  if (interrupted) {
    out.write(
      `\ninterrupted: ${metrics.length > 0 ? `the checkpoint of epoch ${metrics.length} is kept in ${join(cfg.out, 'checkpoint.safetensors')}` : 'no epoch completed, so there is no checkpoint'}\n`,
    );
  } else {
    out.write(
      `\ntest accuracy: ${pct(testAccuracy!)}  (weights: ${join(cfg.out, 'model.safetensors')}, metrics: ${join(cfg.out, 'metrics.json')})\n`,
    );
  }
  await diag?.finish(metrics, stepLosses, out);
  return { metrics, testAccuracy, interrupted, out: cfg.out };
}
