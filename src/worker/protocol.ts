// nabla/worker's wire: the messages between a page (TrainerWorker) and its worker (serveTrainer), the events streamed, and the two ports they travel on (EventTarget style: Web Workers, self, MessagePort; emitter style: Node's Worker); browser-safe.
import type { Diagnosis } from '../diagnostics/health_rules.js';
import type { LayerInfo, LayerStats } from '../diagnostics/health.js';
import type { TrainerEvents } from '../train/events.js';

/** What the trainer in the worker is, as build() reports it. */
export interface TrainerInfo {
  /** The worker's default backend ('wasm' in a page, the fastest that loaded in Node). */
  readonly backend: string;
  /** The model as it prints (Module.toString()) and its parameter count. */
  readonly summary: string;
  readonly parameters: number;
  readonly epochs: number;
  readonly maxSteps: number;
  readonly batchesPerEpoch: number;
  /** The gradient-health monitor records every this many steps; 0 when none watches the run. */
  readonly healthEvery: number;
}

/** One layer at a health record: what it is and its statistics there (those it has). */
export type HealthLayer = LayerInfo & LayerStats;

/** A gradient-health monitor's record, and its diagnoses so far. */
export interface HealthEvent {
  /** Optimizer steps done when the record was taken (as in the step event). */
  readonly step: number;
  /** The monitored layers in forward order, with this record's statistics. */
  readonly layers: readonly HealthLayer[];
  /** Every diagnosis the monitor makes from its records and losses so far (none: healthy). */
  readonly diagnoses: readonly Diagnosis[];
}

/**
 * Extra requests a worker serves beside training (classify a drawing, evaluate, export): each
 * handler takes one structured-clone payload and returns (or resolves with) its answer, which
 * travels back the same way. TrainerWorker.request(name, payload) calls one.
 */
export type RequestHandlers = {
  readonly [name: string]: (payload: never) => unknown;
};

/** The request handlers a TrainerWorker assumes when it is given no type for them. */
export type AnyRequestHandlers = {
  readonly [name: string]: (payload?: unknown) => unknown;
};

/** The events a TrainerWorker streams: the Trainer's (all but afterBackward) and `health`. */
export interface WorkerEvents extends Omit<TrainerEvents, 'afterBackward'> {
  health: HealthEvent;
}

export type WorkerEventName = keyof WorkerEvents;

/** @internal The events posted, in the order a run fires them (for checks of incoming names). */
export const WORKER_EVENTS: readonly WorkerEventName[] = [
  'fitStart',
  'epochStart',
  'step',
  'health',
  'epochEnd',
  'stop',
  'fitEnd',
];

/** @internal An Error as plain data. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** @internal Every message carries this key, so that a port may carry other messages too. */
export const TAG = 'nabla.worker';

/** @internal Page → worker. */
export type Request = { readonly [TAG]: 1; readonly id: number } & (
  | { readonly op: 'build'; readonly config: unknown }
  | { readonly op: 'fit'; readonly untilStep?: number }
  | { readonly op: 'stop' }
  | { readonly op: 'getWeights' }
  | { readonly op: 'setWeights'; readonly bytes: Uint8Array }
  | { readonly op: 'request'; readonly name: string; readonly payload: unknown }
);

/** @internal Worker → page. */
export type Reply = { readonly [TAG]: 1 } & (
  | { readonly kind: 'ready'; readonly backend: string }
  | { readonly kind: 'done'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'failed'; readonly id: number; readonly error: WireError }
  | { readonly kind: 'event'; readonly name: WorkerEventName; readonly data: unknown }
);

/** @internal */
export function isTagged(m: unknown): boolean {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>)[TAG] === 1;
}

/** @internal */
export function toWireError(e: unknown): WireError {
  if (e instanceof Error)
    return { name: e.name, message: e.message, ...(e.stack !== undefined && { stack: e.stack }) };
  return { name: 'Error', message: String(e) };
}

/** @internal The worker's error as an Error of the page: its name and message, and its stack there. */
export function fromWireError(w: WireError): Error {
  const e = new Error(w.message);
  e.name = w.name;
  if (w.stack !== undefined) e.stack = w.stack;
  return e;
}

/**
 * A Web Worker, a worker's global scope (`self`), a MessagePort, or Node's parentPort: posts
 * messages and dispatches `message` (and `error`, `messageerror`) events with addEventListener.
 */
export interface EventTargetPort {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  // NOTE: `any`, as the DOM's typings make it for a Worker's listeners (a MessageEvent, an
  // ErrorEvent, ...): with any narrower type a DOM Worker would not be assignable here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  addEventListener(type: string, listener: (event: any) => void): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  removeEventListener(type: string, listener: (event: any) => void): void;
}

/** Node's worker_threads Worker: an event emitter (`message`, `error`, `exit`). */
export interface EmitterPort {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  // NOTE: `any`, as Node's typings declare it: a listener for every event takes its own values.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** What a TrainerWorker talks to, and what serveTrainer listens on. */
export type WorkerPort = EventTargetPort | EmitterPort;

/** @internal A port's messages and failures as callbacks; close() removes them. */
export interface Channel {
  send(message: Request | Reply, transfer?: ArrayBuffer[]): void;
  close(): void;
}

/** @internal */
export interface ChannelHandlers {
  message(data: unknown): void;
  /** The worker failed outside any request: an uncaught error, or it exited (the page side). */
  failure?(error: Error): void;
}

const describe = (e: unknown): string =>
  e instanceof Error ? e.message : String((e as { message?: unknown } | null)?.message ?? e);

/** @internal Listens on `port`, EventTarget style where it has addEventListener, else emitter style. */
export function openChannel(port: WorkerPort, on: ChannelHandlers): Channel {
  const eventTarget = 'addEventListener' in port && typeof port.addEventListener === 'function';
  // EventTarget style passes events (MessageEvent, ErrorEvent), emitter style the values.
  const listeners: [string, (x: unknown) => void][] = [
    ['message', (x) => on.message(eventTarget ? (x as { data: unknown }).data : x)],
  ];
  const failure = on.failure;
  if (failure !== undefined) {
    const failed = (what: string) => failure(new Error(what));
    listeners.push(
      [
        'error',
        (x) => {
          (x as { preventDefault?: () => void } | null)?.preventDefault?.();
          failed(`the worker failed: ${describe(x)}`);
        },
      ],
      ['messageerror', () => failed('a message from the worker could not be read')],
    );
    if (!eventTarget)
      listeners.push(['exit', (code) => failed(`the worker exited (code ${code})`)]);
  }
  if (eventTarget) {
    const p = port as EventTargetPort;
    for (const [type, fn] of listeners) p.addEventListener(type, fn);
  } else {
    const p = port as EmitterPort;
    for (const [type, fn] of listeners) p.on(type, fn);
  }
  return {
    send: (m, transfer = []) => port.postMessage(m, transfer),
    close: () => {
      for (const [type, fn] of listeners)
        if (eventTarget) (port as EventTargetPort).removeEventListener(type, fn);
        else (port as EmitterPort).off(type, fn);
    },
  };
}
