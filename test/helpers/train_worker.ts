// A worker_threads worker's script for the nabla/worker tests: serves the trainers of worker_trainer.ts, from the source entries ('nabla' and 'nabla/worker' in Node).
import * as nabla from '../../src/entry/index.js';
import { serveTrainer } from '../../src/entry/worker_node.js';
import { workerFactory, type WorkerTrainerConfig } from './worker_trainer.js';

serveTrainer((config: WorkerTrainerConfig | undefined) => workerFactory(nabla, config));
