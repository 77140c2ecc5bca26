// `nabla train --diagnose / --plots`: a gradient-health monitor on the training run, a line per epoch, the report and the plots at the end.
import { GradientHealthMonitor } from '../diagnostics/health.js';
import {
  gradNormSpec,
  stepLossSpec,
  trainingCurvesSpec,
  type EpochPoint,
} from '../diagnostics/plots.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { writePlotFiles } from '../node/plots.js';
import type { Trainer } from '../train/index.js';
import type { Writer } from './progress.js';

export interface TrainDiagnosticsOptions {
  /** Print a health line per epoch and the report at the end. */
  readonly diagnose: boolean;
  /** Write the plots (SVG and PNG) to this folder at the end. */
  readonly plots: string | undefined;
  /** The run's planned optimizer steps: the monitor records about 150 times over them. */
  readonly totalSteps: number;
  readonly quiet: boolean;
}

/**
 * The monitor on a run: attach() subscribes onStep to the trainer's steps and onEpoch to its epoch
 * ends (or call them from a loop of your own); finish() at the end.
 */
export class TrainDiagnostics {
  readonly monitor: GradientHealthMonitor;
  readonly #o: TrainDiagnosticsOptions;

  constructor(model: Module, optimizer: Optimizer<object>, o: TrainDiagnosticsOptions) {
    this.#o = o;
    const every = Math.max(1, Math.ceil(o.totalSteps / 150));
    this.monitor = new GradientHealthMonitor(model, optimizer, { every });
  }

  /** Follows a Trainer: each step's loss, and a health line after each epoch. */
  attach(trainer: Trainer, out: Writer): void {
    trainer.on('step', (e) => this.onStep(e.loss));
    trainer.on('epochEnd', () => this.onEpoch(out));
  }

  onStep(loss: number): void {
    this.monitor.recordLoss(loss);
  }

  onEpoch(out: Writer): void {
    if (this.#o.diagnose && !this.#o.quiet) out.write(`  ${this.monitor.summaryLine()}\n`);
  }

  /** Prints the report (--diagnose) and writes the plots (--plots); removes the monitor. */
  async finish(
    epochs: readonly EpochPoint[],
    stepLosses: readonly number[],
    out: Writer,
  ): Promise<void> {
    this.monitor.remove();
    if (this.#o.diagnose) out.write(`\n${this.monitor.report().text}\n`);
    const dir = this.#o.plots;
    if (dir === undefined) return;
    const written = [
      ...(epochs.length > 0 ? await writePlotFiles(dir, 'curves', trainingCurvesSpec(epochs)) : []),
      ...(stepLosses.length > 0
        ? await writePlotFiles(dir, 'loss-steps', stepLossSpec(stepLosses))
        : []),
      ...(this.monitor.records.length > 0
        ? await writePlotFiles(dir, 'grad-norms', gradNormSpec(this.monitor))
        : []),
    ];
    out.write(`\nplots: ${written.join(', ')}\n`);
  }
}
