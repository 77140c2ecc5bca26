// The 'nabla/worker' package entry in Node: the same API, with serveTrainer serving on worker_threads' parentPort.
import { useParentPort } from '../node/worker.js';

export * from '../worker/index.js';

useParentPort();
