// The 'nabla/worker' API: serveTrainer (in the worker's script) and TrainerWorker (in the page), with their events; browser-safe.
export { TrainerWorker, type WorkerFitOptions, type WorkerListener } from './client.js';
export {
  serveTrainer,
  type ServeOptions,
  type ServedTrainer,
  type TrainerFactory,
} from './serve.js';
export type {
  AnyRequestHandlers,
  EmitterPort,
  EventTargetPort,
  HealthEvent,
  HealthLayer,
  RequestHandlers,
  TrainerInfo,
  WorkerEventName,
  WorkerEvents,
  WorkerPort,
} from './protocol.js';
