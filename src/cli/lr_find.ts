// `nabla lr-find`: sweeps the learning rate over a preset model and dataset, prints the curve and the suggested rate, and can plot it.
import { lrFind, type LrFindResult } from '../diagnostics/lr_finder.js';
import { fmt } from '../diagnostics/health_rules.js';
import { lrFinderSpec } from '../diagnostics/plots.js';
import { writePlot } from '../node/plots.js';
import { OPTIMIZER_NAMES, type OptimizerName } from '../optim/factory.js';
import { Generator } from '../random.js';
import { Trainer } from '../train/index.js';
import {
  UsageError,
  choiceFlag,
  intFlag,
  numberFlag,
  parseFlags,
  usageText,
  type CommandSpec,
} from './args.js';
import { MODEL_NAMES, type ModelName } from './models.js';
import type { Writer } from './progress.js';
import { RUN_FLAGS as F, setUpRun } from './run_common.js';

export const LR_FIND_SPEC: CommandSpec = {
  name: 'lr-find',
  summary: 'Sweep the learning rate exponentially and suggest one (steepest descent of the loss).',
  usage: 'nabla lr-find [options]',
  flags: {
    data: F.data,
    'data-dir': F['data-dir'],
    target: F.target,
    'allow-nonfinite': F['allow-nonfinite'],
    model: F.model,
    optimizer: F.optimizer,
    'batch-size': F['batch-size'],
    'start-lr': {
      type: 'string',
      value: '<rate>',
      help: 'first rate of the sweep',
      default: '1e-7',
    },
    'end-lr': { type: 'string', value: '<rate>', help: 'last rate of the sweep', default: '10' },
    'num-iter': {
      type: 'string',
      value: '<n>',
      help: 'steps in the sweep (it stops early when the loss diverges)',
      default: '100',
    },
    plot: {
      type: 'string',
      value: '<file.svg|file.png>',
      help: 'also draw the curve with the suggestion marked',
    },
    limit: F.limit,
    seed: F.seed,
    backend: F.backend,
    help: { type: 'boolean', short: 'h', help: 'show this help' },
  },
  notes: [
    'The model and optimizer are restored after the sweep, so the suggestion is for a fresh run:\n' +
      'pass it to `nabla train --lr`. The loss is smoothed with a bias-corrected moving average\n' +
      '(beta 0.98); the sweep stops once it exceeds 4× the best.',
  ],
  examples: [
    'nabla lr-find                                  # MLP on the digits, Adam',
    'nabla lr-find --optimizer sgd --plot lr.svg',
    'nabla lr-find --data fashion-mnist --model cnn --limit 5000 --plot lr.png',
  ],
};

export interface LrFindConfig {
  readonly data: string;
  readonly dataDir: string | undefined;
  readonly target: string | undefined;
  readonly allowNonFinite: boolean;
  readonly model: ModelName;
  readonly optimizer: OptimizerName;
  readonly batchSize: number;
  readonly startLr: number;
  readonly endLr: number;
  readonly numIter: number;
  readonly plot: string | undefined;
  readonly limit: number | undefined;
  readonly seed: number;
  readonly backend: string;
}

export function parseLrFindArgs(argv: readonly string[]): LrFindConfig | 'help' {
  const f = parseFlags(LR_FIND_SPEC, argv);
  if (f.help) return 'help';
  const data = String(f.data);
  const cfg: LrFindConfig = {
    data,
    dataDir: f['data-dir'] as string | undefined,
    target: f.target as string | undefined,
    allowNonFinite: Boolean(f['allow-nonfinite']),
    model: choiceFlag(LR_FIND_SPEC, 'model', f.model, MODEL_NAMES),
    optimizer: choiceFlag(LR_FIND_SPEC, 'optimizer', f.optimizer, OPTIMIZER_NAMES),
    batchSize:
      f['batch-size'] === undefined
        ? data === 'digits'
          ? 32
          : 128
        : intFlag(LR_FIND_SPEC, 'batch-size', f['batch-size']),
    startLr: numberFlag(LR_FIND_SPEC, 'start-lr', f['start-lr']),
    endLr: numberFlag(LR_FIND_SPEC, 'end-lr', f['end-lr']),
    numIter: intFlag(LR_FIND_SPEC, 'num-iter', f['num-iter'], 2),
    plot: f.plot as string | undefined,
    limit: f.limit === undefined ? undefined : intFlag(LR_FIND_SPEC, 'limit', f.limit),
    seed: intFlag(LR_FIND_SPEC, 'seed', f.seed, 0),
    backend: String(f.backend),
  };
  if (cfg.endLr <= cfg.startLr)
    throw new UsageError(`--end-lr must be above --start-lr`, LR_FIND_SPEC);
  if (cfg.plot !== undefined && !/\.(svg|png)$/i.test(cfg.plot))
    throw new UsageError(`--plot expects a .svg or .png file, got '${cfg.plot}'`, LR_FIND_SPEC);
  return cfg;
}

/** Runs the sweep and prints a short table of the curve and the suggestion. */
export async function runLrFind(cfg: LrFindConfig, out: Writer): Promise<LrFindResult> {
  const { backend, data, model, optimizer } = await setUpRun(cfg, cfg.startLr);
  // The sweep runs Trainer's own pieces: its shuffling loader and its training loss.
  const trainer = new Trainer({
    model,
    optimizer,
    train: data.train,
    epochs: 1,
    batchSize: cfg.batchSize,
    generator: new Generator(cfg.seed),
  });
  out.write(
    `nabla lr-find: ${data.name} (${data.train.length} train), model ${cfg.model}, ${cfg.optimizer}, ` +
      `batch ${cfg.batchSize}, lr ${cfg.startLr} → ${cfg.endLr} over ${cfg.numIter} steps, backend ${backend}\n`,
  );
  model.train();
  const r = lrFind(model, optimizer, trainer.trainLoader, (batch) => trainer.loss(batch), {
    startLr: cfg.startLr,
    endLr: cfg.endLr,
    numIter: cfg.numIter,
  });
  const rows: string[] = [];
  const stride = Math.max(1, Math.round(r.lrs.length / 12));
  for (let i = 0; i < r.lrs.length; i++) {
    if (i % stride !== 0 && i !== r.lrs.length - 1 && i !== r.suggestionIndex) continue;
    const mark = i === r.suggestionIndex ? '  ← steepest descent' : '';
    rows.push(`  ${fmt(r.lrs[i]!).padStart(9)}  ${r.losses[i]!.toFixed(4).padStart(9)}${mark}`);
  }
  out.write(`\n         lr  smoothed loss\n${rows.join('\n')}\n\n`);
  if (r.diverged)
    out.write(`stopped at lr ${fmt(r.lrs.at(-1))}: the loss diverged (> 4× the best)\n`);
  out.write(
    r.suggestion === undefined
      ? 'no suggestion: the curve is too short (raise --num-iter or lower --start-lr)\n'
      : `suggested lr: ${fmt(r.suggestion)}  (lowest loss ${r.bestLoss.toFixed(4)} at lr ${fmt(r.bestLr)})\n`,
  );
  if (cfg.plot !== undefined) {
    await writePlot(cfg.plot, lrFinderSpec(r));
    out.write(`plot: ${cfg.plot}\n`);
  }
  return r;
}

/** `nabla lr-find ...` from argv: the exit code. */
export async function lrFindCommand(argv: readonly string[], out: Writer): Promise<number> {
  const cfg = parseLrFindArgs(argv);
  if (cfg === 'help') {
    out.write(`${usageText(LR_FIND_SPEC)}\n`);
    return 0;
  }
  await runLrFind(cfg, out);
  return 0;
}
