// `nabla train`'s Node-side subscribers to a Trainer: the progress bar, the metrics.json/csv writer, the checkpoint file, and the closing summary.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveCheckpoint } from '../node/checkpoint.js';
import type { EpochMetrics, Trainer, TrainingCheckpoint } from '../train/index.js';
import type { LoadedData } from './datasets.js';
import { ProgressBar, table, type Writer } from './progress.js';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const SILENT: Writer = { write: () => true, isTTY: false };

/** A progress bar per epoch, finished with the validation accuracy (or why the epoch stopped). */
export function showProgress(trainer: Trainer, out: Writer, quiet: boolean): void {
  let bar: ProgressBar | undefined;
  trainer.on('epochStart', (e) => {
    const label = `epoch ${String(e.epoch).padStart(String(e.epochs).length)}/${e.epochs}`;
    bar = new ProgressBar(quiet ? SILENT : out, label);
  });
  trainer.on('step', (e) => bar?.update(e.progress));
  trainer.on('epochEnd', (e) => bar?.finish(e.progress, `  val acc ${pct(e.metrics.valAccuracy)}`));
  trainer.on('stop', (e) =>
    bar?.finish(
      e.progress,
      e.reason === 'interrupted' ? '  (interrupted)' : `  (stopped at step ${e.step})`,
    ),
  );
}

/** Saves every checkpoint the trainer hands over to `path`, with the run's config in `extra`. */
export function checkpointTo(
  path: string,
  config: object,
): (checkpoint: TrainingCheckpoint) => void {
  return (ck) => saveCheckpoint(path, { ...ck, extra: { config, ...ck.extra } });
}

const CSV_COLUMNS = [
  'epoch',
  'trainLoss',
  'trainAccuracy',
  'valLoss',
  'valAccuracy',
  'samplesPerSecond',
  'seconds',
  'lr',
] as const;

/**
 * metrics.json and metrics.csv under `dir`: rewritten after every epoch (with `"running": true`)
 * once attached, and for the last time by finish() with the run's outcome.
 */
export class MetricsWriter {
  readonly #dir: string;
  readonly #config: object;
  readonly #data: LoadedData;

  constructor(dir: string, config: object, data: LoadedData) {
    this.#dir = dir;
    this.#config = config;
    this.#data = data;
  }

  attach(trainer: Trainer): void {
    trainer.on('epochEnd', () => {
      const { metrics, stepLosses } = trainer.history;
      this.write(metrics, { running: true, steps: trainer.position.step, stepLosses });
    });
  }

  write(metrics: readonly EpochMetrics[], extra: Record<string, unknown>): void {
    const d = this.#data;
    const json = {
      config: this.#config,
      data: { name: d.name, train: d.train.length, val: d.val.length, test: d.test.length },
      epochs: metrics,
      ...extra,
    };
    writeFileSync(join(this.#dir, 'metrics.json'), `${JSON.stringify(json, null, 2)}\n`);
    const lines = [
      CSV_COLUMNS.join(','),
      ...metrics.map((m) => CSV_COLUMNS.map((c) => String(m[c])).join(',')),
    ];
    writeFileSync(join(this.#dir, 'metrics.csv'), `${lines.join('\n')}\n`);
  }
}

/** The closing table of epochs, then the test accuracy and where the files are (or the interruption). */
export function printSummary(
  out: Writer,
  metrics: readonly EpochMetrics[],
  dir: string,
  testAccuracy: number | undefined,
): void {
  const rows = metrics.map((m) => [
    String(m.epoch),
    m.trainLoss.toFixed(4),
    pct(m.trainAccuracy),
    m.valLoss.toFixed(4),
    pct(m.valAccuracy),
    String(Math.round(m.samplesPerSecond)),
    `${m.seconds.toFixed(1)}s`,
  ]);
  const head = ['epoch', 'train loss', 'train acc', 'val loss', 'val acc', 'samples/s', 'time'];
  out.write(`\n${table(head, rows)}\n`);
  if (testAccuracy === undefined) {
    out.write(
      `\ninterrupted: ${metrics.length > 0 ? `the checkpoint of epoch ${metrics.length} is kept in ${join(dir, 'checkpoint.safetensors')}` : 'no epoch completed, so there is no checkpoint'}\n`,
    );
  } else {
    out.write(
      `\ntest accuracy: ${pct(testAccuracy)}  (weights: ${join(dir, 'model.safetensors')}, metrics: ${join(dir, 'metrics.json')})\n`,
    );
  }
}
