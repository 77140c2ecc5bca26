// `nabla train`: the flags, their parsing, and the wiring of a Trainer to the command's outputs (progress, checkpoint, metrics, weights, summary, health report).
import { join } from 'node:path';
import { loadCheckpoint } from '../node/checkpoint.js';
import { saveStateDict } from '../node/io.js';
import {
  OPTIMIZER_NAMES,
  RUN_SCHEDULES,
  scheduleForRun,
  type OptimizerName,
  type RunSchedule,
} from '../optim/factory.js';
import { Generator } from '../random.js';
import { Trainer, type EpochMetrics } from '../train/index.js';
import {
  UsageError,
  choiceFlag,
  columns,
  intFlag,
  numberFlag,
  parseFlags,
  type CommandSpec,
} from './args.js';
import { portFlag } from './dashboard.js';
import { recordRun } from '../node/dashboard.js';
import { AUGMENT_NAMES, augmentImages, type AugmentName } from './augment.js';
import { DATA_NAMES } from './datasets.js';
import { MODEL_HELP, MODEL_NAMES, type ModelName } from './models.js';
import type { Writer } from './progress.js';
import { RUN_FLAGS, defaultOutDir, setUpRun } from './run_common.js';
import { MetricsWriter, checkpointTo, printSummary, showProgress } from './train_output.js';
import { TrainDiagnostics } from './train_diagnostics.js';
import { checkResume, givenFlags, inheritFlags, readSavedConfig } from './resume.js';
import { claimOutDir } from './out_dir.js';

export type { EpochMetrics } from '../train/index.js';

const MODEL_LIST = [
  'Models:',
  ...columns(
    MODEL_NAMES.map((m) => [m, MODEL_HELP[m]] as const),
    '  ',
  ),
].join('\n');

/** The defaults a recipe can set, for one dataset and model. */
type Recipe = Partial<Pick<TrainConfig, 'epochs' | 'lr' | 'scheduler' | 'augment'>>;

/**
 * Defaults tuned for one dataset and model, where no flag says otherwise (`lr` only with Adam, the
 * optimizer it was tuned with). The Fashion-MNIST CNN's reach 93% on the test split in the time
 * docs/training.md's "Time to accuracy" records; the general defaults stop at about 92.3%.
 */
const RECIPES: Readonly<Record<string, Recipe>> = {
  'fashion-mnist cnn': { epochs: 12, lr: 3e-3, scheduler: 'onecycle', augment: 'flip' },
};

/** ", <value> for the <data> <model>" for each recipe that sets `key`: the flags' help. */
function recipeDefaults(key: keyof Recipe): string {
  return Object.entries(RECIPES)
    .filter(([, r]) => r[key] !== undefined)
    .map(([name, r]) => `, ${String(r[key])} for the ${name}`)
    .join('');
}

const F = RUN_FLAGS;

export const TRAIN_SPEC: CommandSpec = {
  name: 'train',
  summary:
    'Train a model on a dataset: progress per epoch, validation accuracy, final test accuracy.',
  usage: 'nabla train [options]',
  flags: {
    data: F.data,
    'data-dir': F['data-dir'],
    target: F.target,
    'allow-nonfinite': F['allow-nonfinite'],
    model: F.model,
    epochs: {
      type: 'string',
      value: '<n>',
      help: `passes over the training set (default: 30 for digits${recipeDefaults('epochs')}, 10 otherwise)`,
    },
    'batch-size': F['batch-size'],
    lr: {
      type: 'string',
      value: '<rate>',
      help: `learning rate (default: 0.001${recipeDefaults('lr')} with adam, 0.05 for sgd)`,
    },
    optimizer: F.optimizer,
    scheduler: {
      type: 'string',
      value: '<name>',
      help: `one of ${RUN_SCHEDULES.join(', ')} (default: cosine${recipeDefaults('scheduler')})`,
    },
    augment: {
      type: 'string',
      value: '<kind>',
      help: `image data: ${AUGMENT_NAMES.join(', ')} (random left-right flips; and crops shifted by up to 2 pixels) (default: none${recipeDefaults('augment')})`,
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
      help: "continue a run from its checkpoint.safetensors, with the run's data, model and options (only epochs, steps, output and display may change)",
    },
    limit: F.limit,
    seed: F.seed,
    backend: F.backend,
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
      example: '--plots runs/digits-plots',
    },
    dashboard: {
      type: 'boolean',
      help: 'serve a live dashboard of the run on 127.0.0.1 (prints its URL; see nabla dashboard)',
    },
    port: {
      type: 'string',
      value: '<n>',
      help: "the --dashboard's port on 127.0.0.1 (default 0: any free port)",
    },
    'keep-open': {
      type: 'boolean',
      help: 'keep the --dashboard open after the run ends, until Ctrl-C',
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
  /** --allow-nonfinite: keep NaN and Infinity cells of a CSV file. */
  readonly allowNonFinite?: boolean;
  /** A CSV run's label mapping (class index → label), taken from the checkpoint when resuming. */
  readonly labels?: readonly string[];
  readonly model: ModelName;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly optimizer: OptimizerName;
  readonly scheduler: RunSchedule;
  /** --augment: random flips (and shifted crops) of the training images. */
  readonly augment?: AugmentName;
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
  /** --dashboard: serve a live dashboard on 127.0.0.1, on --port, kept open with --keep-open. */
  readonly dashboard?: boolean;
  readonly port?: number;
  readonly keepOpen?: boolean;
}

export function parseTrainArgs(argv: readonly string[]): TrainConfig | 'help' {
  let f = parseFlags(TRAIN_SPEC, argv);
  if (f.help) return 'help';
  // --resume: what is not given again comes from the checkpoint's saved config.
  const given = givenFlags(TRAIN_SPEC, argv);
  const resume = f.resume as string | undefined;
  const saved = resume === undefined ? undefined : readSavedConfig(resume);
  if (saved !== undefined) f = inheritFlags(TRAIN_SPEC, f, given, saved, resume!);
  const data = String(f.data);
  const small = data === 'digits';
  const optimizer = choiceFlag(TRAIN_SPEC, 'optimizer', f.optimizer, OPTIMIZER_NAMES);
  const model = choiceFlag(TRAIN_SPEC, 'model', f.model, MODEL_NAMES);
  const recipe: Recipe = RECIPES[`${data} ${model}`] ?? {};
  const optionalInt = (name: string) =>
    f[name] === undefined ? undefined : intFlag(TRAIN_SPEC, name, f[name]);
  const labels = saved?.labels;
  const cfg: TrainConfig = {
    data,
    dataDir: f['data-dir'] as string | undefined,
    target: f.target as string | undefined,
    allowNonFinite: Boolean(f['allow-nonfinite']),
    ...(Array.isArray(labels) ? { labels: labels.map(String) } : {}),
    model,
    epochs: optionalInt('epochs') ?? recipe.epochs ?? (small ? 30 : 10),
    batchSize: optionalInt('batch-size') ?? (small ? 32 : 128),
    lr:
      f.lr !== undefined
        ? numberFlag(TRAIN_SPEC, 'lr', f.lr)
        : optimizer === 'sgd'
          ? 0.05
          : optimizer === 'adam'
            ? (recipe.lr ?? 1e-3)
            : 1e-3,
    optimizer,
    scheduler: choiceFlag(
      TRAIN_SPEC,
      'scheduler',
      f.scheduler ?? recipe.scheduler ?? 'cosine',
      RUN_SCHEDULES,
    ),
    augment: choiceFlag(
      TRAIN_SPEC,
      'augment',
      f.augment ?? recipe.augment ?? 'none',
      AUGMENT_NAMES,
    ),
    seed: intFlag(TRAIN_SPEC, 'seed', f.seed, 0),
    limit: optionalInt('limit'),
    steps: optionalInt('steps'),
    stopAfter: optionalInt('stop-after'),
    resume,
    backend: String(f.backend),
    out: (f.out as string | undefined) ?? defaultOutDir(data, model),
    quiet: Boolean(f.quiet),
    diagnose: Boolean(f.diagnose),
    plots: f.plots as string | undefined,
    dashboard: Boolean(f.dashboard),
    port: f.port === undefined ? 0 : portFlag(TRAIN_SPEC, f.port),
    keepOpen: Boolean(f['keep-open']),
  };
  // The named datasets are the image ones (a CSV file is tabular).
  if (cfg.augment !== 'none' && !(DATA_NAMES as readonly string[]).includes(data))
    throw new UsageError(
      `--augment ${cfg.augment} needs image data (${DATA_NAMES.join(', ')})`,
      TRAIN_SPEC,
    );
  for (const flag of ['port', 'keep-open'])
    if (given.has(flag) && !cfg.dashboard)
      throw new UsageError(`--${flag} needs --dashboard`, TRAIN_SPEC);
  if (saved !== undefined) checkResume(cfg, given, saved, resume!);
  return cfg;
}

export interface TrainResult {
  readonly metrics: readonly EpochMetrics[];
  readonly testAccuracy: number | undefined;
  readonly interrupted: boolean;
  readonly out: string;
}

export interface TrainHooks {
  /** Called after each completed epoch (and its checkpoint). */
  onEpoch?(m: EpochMetrics): void | Promise<void>;
  /** Called when training is over and --keep-open keeps the dashboard up until shouldStop(). */
  onKeepOpen?(): void;
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
  // First of all, so that a second run on the same --out, or an --out that cannot be written,
  // stops before any work.
  const outDir = claimOutDir(cfg.out);
  try {
    if (outDir.staleLockOf !== undefined)
      log(`note: took over the lock of ${cfg.out} from pid ${outDir.staleLockOf}, which has ended`);
    if (outDir.removed.length > 0)
      log(
        `note: removed ${outDir.removed.length} leftover .tmp file(s) of an interrupted save in ${cfg.out}`,
      );
    return await trainIn(cfg, out, shouldStop, hooks, log);
  } finally {
    outDir.release();
  }
}

async function trainIn(
  cfg: TrainConfig,
  out: Writer,
  shouldStop: () => boolean,
  hooks: TrainHooks,
  log: (s: string) => void,
): Promise<TrainResult> {
  const { backend, data, model, optimizer } = await setUpRun(cfg, cfg.lr);
  // The saved config holds a CSV run's label mapping, so that resume and export reuse it.
  const savedConfig: TrainConfig = data.labels ? { ...cfg, labels: data.labels } : cfg;
  const augment = cfg.augment ?? 'none';
  const trainer = new Trainer({
    model,
    optimizer,
    train: data.train,
    ...(augment === 'none' ? {} : { trainTransform: augmentImages(augment, data.blank ?? 0) }),
    val: data.val,
    epochs: cfg.epochs,
    maxSteps: cfg.steps,
    batchSize: cfg.batchSize,
    generator: new Generator(cfg.seed),
    scheduler: (plan) => scheduleForRun(cfg.scheduler, optimizer, { ...plan, lr: cfg.lr }),
    onCheckpoint: checkpointTo(join(cfg.out, 'checkpoint.safetensors'), savedConfig),
  });
  const diag =
    cfg.diagnose || cfg.plots !== undefined || cfg.dashboard
      ? new TrainDiagnostics(model, optimizer, {
          diagnose: cfg.diagnose ?? false,
          plots: cfg.plots,
          totalSteps: trainer.maxSteps,
          quiet: cfg.quiet,
        })
      : undefined;
  if (cfg.resume !== undefined) {
    const missing = trainer.loadStateDict(loadCheckpoint(cfg.resume));
    const { epoch, step, batchInEpoch } = trainer.position;
    log(
      `resuming from ${cfg.resume}: epoch ${epoch + 1}, batch ${batchInEpoch}, step ${step}` +
        (missing.length > 0
          ? ` (the checkpoint lacks: ${missing.join(', ')}; starting those fresh)`
          : ''),
    );
    if (step >= trainer.maxSteps || epoch >= trainer.epochs)
      log(
        `note: the checkpoint's run is already complete (${step} of ${trainer.maxSteps} steps); give more --epochs (or --steps) to train further`,
      );
  }
  log(
    `nabla train: ${data.name} (${data.train.length} train / ${data.val.length} val / ${data.test.length} test), ` +
      `model ${cfg.model} (${model.countParameters().toLocaleString('en-US')} parameters), ${cfg.optimizer} lr ${cfg.lr}, ` +
      `batch ${cfg.batchSize}, ${cfg.steps !== undefined ? `${cfg.steps} steps` : `${cfg.epochs} epochs`}, backend ${backend}`,
  );
  showProgress(trainer, out, cfg.quiet);
  diag?.attach(trainer, out);
  const metricsFile = new MetricsWriter(cfg.out, savedConfig, data);
  metricsFile.attach(trainer);
  if (hooks.onEpoch) trainer.on('epochEnd', (e) => hooks.onEpoch!(e.metrics));
  // events.jsonl always (every step's scalars; layer norms and findings with a monitor), and
  // the live server with --dashboard.
  const recording = await recordRun(trainer, {
    dir: cfg.out,
    append: cfg.resume !== undefined,
    serve: cfg.dashboard ?? false,
    port: cfg.port ?? 0,
    config: savedConfig as unknown as Record<string, unknown>,
    data: {
      name: data.name,
      train: data.train.length,
      val: data.val.length,
      test: data.test.length,
    },
    ...(diag !== undefined ? { monitor: diag.monitor } : {}),
  });
  if (recording.url !== undefined) out.write(`dashboard: ${recording.url}\n`);

  let r: Awaited<ReturnType<Trainer['fit']>>;
  try {
    r = await trainer.fit({ untilStep: cfg.stopAfter, shouldStop });
  } catch (e) {
    await recording.close();
    throw e;
  }
  let testAccuracy: number | undefined;
  if (!r.interrupted) {
    testAccuracy = trainer.evaluate(data.test).accuracy;
    // The weights carry the label mapping too: output k means labels[k].
    const labels = data.labels && { metadata: { 'nabla.labels': JSON.stringify(data.labels) } };
    saveStateDict(model, join(cfg.out, 'model.safetensors'), labels);
  }
  recording.finish(
    r.interrupted ? 'interrupted' : r.steps < trainer.maxSteps ? 'stopped' : 'finished',
    testAccuracy,
  );
  metricsFile.write(r.metrics, {
    testAccuracy: testAccuracy ?? null,
    interrupted: r.interrupted,
    steps: r.steps,
    stepLosses: r.stepLosses,
  });
  printSummary(out, r.metrics, cfg.out, testAccuracy);
  await diag?.finish(r.metrics, r.stepLosses, out);
  if (recording.url !== undefined && cfg.keepOpen) {
    out.write(`\ndashboard still open at ${recording.url}; press Ctrl-C to stop\n`);
    hooks.onKeepOpen?.();
    await until(shouldStop);
  }
  await recording.close();
  return { metrics: r.metrics, testAccuracy, interrupted: r.interrupted, out: cfg.out };
}

/** Resolves once `stop()` says so (polled a few times a second). */
function until(stop: () => boolean): Promise<void> {
  return new Promise((done) => {
    const timer = setInterval(() => {
      if (!stop()) return;
      clearInterval(timer);
      done();
    }, 200);
  });
}
