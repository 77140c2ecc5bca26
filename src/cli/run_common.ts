// What `nabla train` and `nabla lr-find` share: their common flags, the CLI's optimizer presets, and the run setup (backend, seed, data, model, optimizer).
import { join } from 'node:path';
import { setBackend } from '../backend/registry.js';
import type { Module } from '../nn/module.js';
import {
  OPTIMIZER_NAMES,
  createOptimizer,
  type OptimizerName,
  type OptimizerOptionsFor,
} from '../optim/factory.js';
import type { Optimizer } from '../optim/optimizer.js';
import { manualSeed } from '../random.js';
import type { Tensor } from '../tensor.js';
import type { FlagSpec } from './args.js';
import { chooseBackend } from './backends.js';
import { limitData, loadData, type LoadedData } from './datasets.js';
import { buildModel, MODEL_NAMES, type ModelName } from './models.js';

/** The folder a run writes to when --out is not given: runs/<data>-<model>. */
export function defaultOutDir(data: string, model: string): string {
  return join('runs', `${data.replace(/[^\w.-]+/g, '_')}-${model}`);
}

/** The flags both commands take, with the same help. */
export const RUN_FLAGS = {
  data: {
    type: 'string',
    value: '<name|file.csv>',
    help: 'digits, fashion-mnist, mnist, or a CSV file (label in the last column)',
    default: 'digits',
  },
  'data-dir': {
    type: 'string',
    value: '<dir>',
    help: "folder with the MNIST/Fashion-MNIST files (default: ./data, then Debian's dataset-fashion-mnist)",
  },
  target: {
    type: 'string',
    value: '<column>',
    help: 'CSV label column, by name or index (default: the last)',
  },
  'allow-nonfinite': {
    type: 'boolean',
    help: 'keep NaN and Infinity cells of a CSV file (by default they are an error naming the line)',
  },
  model: {
    type: 'string',
    value: '<preset>',
    help: `one of ${MODEL_NAMES.join(', ')} (below)`,
    default: 'mlp',
  },
  'batch-size': {
    type: 'string',
    value: '<n>',
    help: 'samples per step (default: 32 for digits, 128 otherwise)',
  },
  optimizer: {
    type: 'string',
    value: '<name>',
    help: `one of ${OPTIMIZER_NAMES.join(', ')}`,
    default: 'adam',
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
} as const satisfies Record<string, FlagSpec>;

/** The CLI's optimizer settings: the given lr, and momentum 0.9 for SGD. */
export function cliOptimizer(
  name: OptimizerName,
  params: Iterable<Tensor>,
  lr: number,
): Optimizer<object> {
  const options: OptimizerOptionsFor<OptimizerName> =
    name === 'sgd' ? { lr, momentum: 0.9 } : { lr };
  return createOptimizer(name, params, options);
}

/** What both commands read from their flags to set up a run. */
export interface RunSetupConfig {
  readonly data: string;
  readonly dataDir: string | undefined;
  readonly target: string | undefined;
  /** --allow-nonfinite: keep NaN and Infinity cells of a CSV file. */
  readonly allowNonFinite?: boolean | undefined;
  /** A CSV run's saved label mapping (class index → label), when resuming it. */
  readonly labels?: readonly string[] | undefined;
  readonly model: ModelName;
  readonly optimizer: OptimizerName;
  readonly limit: number | undefined;
  readonly seed: number;
  readonly backend: string;
}

export interface RunSetup {
  readonly backend: string;
  readonly data: LoadedData;
  readonly model: Module;
  readonly optimizer: Optimizer<object>;
}

/** Selects the backend, seeds, loads (and limits) the data, builds the model and its optimizer. */
export async function setUpRun(cfg: RunSetupConfig, lr: number): Promise<RunSetup> {
  const backend = await chooseBackend(cfg.backend);
  setBackend(backend);
  manualSeed(cfg.seed);
  const loaded = loadData(cfg.data, {
    ...(cfg.dataDir ? { dataDir: cfg.dataDir } : {}),
    ...(cfg.target ? { target: cfg.target } : {}),
    allowNonFinite: cfg.allowNonFinite,
    labels: cfg.labels,
  });
  const data = limitData(loaded, cfg.limit);
  const model = buildModel(cfg.model, data.inputShape, data.numClasses);
  const optimizer = cliOptimizer(cfg.optimizer, model.parameters(), lr);
  return { backend, data, model, optimizer };
}
