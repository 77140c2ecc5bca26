// Node's side of nabla/worker: in a worker_threads worker, serveTrainer serves on parentPort by default.
import { parentPort } from 'node:worker_threads';
import type { EventTargetPort } from '../worker/protocol.js';
import { setDefaultPort } from '../worker/serve.js';

/** Makes parentPort serveTrainer's default port (none on the main thread). */
export function useParentPort(): void {
  // NOTE: Node's MessagePort is an EventTarget too (Node >= 15), which its typings leave out.
  setDefaultPort(parentPort === null ? undefined : (parentPort as unknown as EventTargetPort));
}
