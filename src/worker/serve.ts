// serveTrainer: the worker side of nabla/worker; builds a Trainer from the page's config, runs fit() and stop(), streams its events and health, and sends and loads weights as safetensors bytes; browser-safe.
import { getBackend } from '../backend/registry.js';
import { ready } from '../backend/select.js';
import { GradientHealthMonitor, type MonitorOptions } from '../diagnostics/health.js';
import { ArgumentError, NablaError } from '../errors.js';
import { deserialize, serializeAsync } from '../io/safetensors.js';
import { defineOptions } from '../options.js';
import type { FitResult } from '../train/events.js';
import type { Trainer } from '../train/trainer.js';
import {
  TAG,
  WORKER_EVENTS,
  isTagged,
  openChannel,
  toWireError,
  type HealthEvent,
  type Reply,
  type Request,
  type RequestHandlers,
  type TrainerInfo,
  type WorkerPort,
} from './protocol.js';

/** What a factory may return instead of a bare Trainer: the trainer, what to watch, what else to serve. */
export interface ServedTrainer<Requests extends RequestHandlers = RequestHandlers> {
  readonly trainer: Trainer;
  /**
   * Watch the gradients with a GradientHealthMonitor on the trainer's model and optimizer, and
   * stream its records and diagnoses as `health` events: true for its defaults (a record every
   * 10 steps), or its options. Default false.
   */
  readonly health?: boolean | MonitorOptions | undefined;
  /**
   * Requests the page may make besides training, by name (TrainerWorker.request(name, payload)):
   * classifying an input with the trained model, say. A request made during fit() is answered
   * between two steps. They are this trainer's: a later build() replaces them.
   */
  readonly requests?: Requests | undefined;
}

/** Builds the worker's trainer from the config the page passed to build() (undefined without one). */
export type TrainerFactory<Config = unknown> = (
  config: Config,
) => Trainer | ServedTrainer | Promise<Trainer | ServedTrainer>;

export interface ServeOptions {
  /**
   * Where requests come from: by default the worker's own scope (`self` in a Web Worker, Node's
   * parentPort with the 'node' entry of nabla/worker).
   */
  readonly port?: WorkerPort | undefined;
}

const SERVE = defineOptions<ServeOptions>('serveTrainer', { port: 'object' });

let nodeParentPort: WorkerPort | undefined;

/** @internal Node's entry of nabla/worker gives worker_threads' parentPort here (null on the main thread). */
export function setDefaultPort(port: WorkerPort | undefined): void {
  nodeParentPort = port;
}

interface WorkerScopeGlobals {
  WorkerGlobalScope?: abstract new () => unknown;
}

function defaultPort(): WorkerPort {
  if (nodeParentPort !== undefined) return nodeParentPort;
  const scope = (globalThis as WorkerScopeGlobals).WorkerGlobalScope;
  if (typeof scope === 'function' && globalThis instanceof scope)
    return globalThis as unknown as WorkerPort;
  throw new NablaError(
    'serveTrainer() runs in a worker (a Web Worker, or a worker_threads worker), or is given { port }',
  );
}

/** The trainer being served, with its monitor and its extra requests. */
interface Served {
  readonly trainer: Trainer;
  readonly monitor: GradientHealthMonitor | undefined;
  readonly requests: RequestHandlers;
}

/**
 * Serves a TrainerWorker from inside a worker: `factory(config)` builds the Trainer when the page
 * calls build(config) (or fit() first, with no config). The worker's backend is the one nabla
 * loads at import (wasm in a page); requests wait for it. Returns a function that stops serving.
 */
export function serveTrainer<Config = unknown>(
  factory: TrainerFactory<Config>,
  opts?: ServeOptions,
): () => void {
  SERVE.check(opts);
  return new TrainerServer(factory as TrainerFactory, opts?.port ?? defaultPort()).close;
}

class TrainerServer {
  readonly #factory: TrainerFactory;
  readonly #channel;
  #served: Promise<Served> | undefined;
  #fitting = false;
  /** fit() requests received so far, and how many of them a stop() request has ended. */
  #fitsAsked = 0;
  #fitsStopped = 0;
  /** The health records already posted, per monitor. */
  readonly #sentRecords = new WeakMap<GradientHealthMonitor, number>();

  constructor(factory: TrainerFactory, port: WorkerPort) {
    this.#factory = factory;
    this.#channel = openChannel(port, { message: (m) => this.#receive(m) });
    void ready().then(() => this.#post({ [TAG]: 1, kind: 'ready', backend: getBackend().name }));
  }

  readonly close = (): void => this.#channel.close();

  #post(reply: Reply, transfer?: ArrayBuffer[]): void {
    this.#channel.send(reply, transfer);
  }

  #receive(m: unknown): void {
    if (!isTagged(m)) return;
    const r = m as Request;
    // NOTE: counted as they arrive, before any await: a stop() ends every fit() asked for before
    // it, also one that has not started yet (its handler still waiting for the backend or build).
    let fit = 0;
    if (r.op === 'fit') fit = ++this.#fitsAsked;
    else if (r.op === 'stop') this.#fitsStopped = this.#fitsAsked;
    void this.#handle(r, fit).then(
      ({ value, transfer }) => this.#post({ [TAG]: 1, kind: 'done', id: r.id, value }, transfer),
      (e: unknown) => this.#post({ [TAG]: 1, kind: 'failed', id: r.id, error: toWireError(e) }),
    );
  }

  async #handle(r: Request, fit: number): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
    await ready();
    switch (r.op) {
      case 'build': {
        if (this.#fitting) throw new NablaError('TrainerWorker.build() during fit(): stop() first');
        const previous = this.#served;
        this.#served = this.#build(r.config, previous);
        return { value: info(await this.#served) };
      }
      case 'fit':
        return { value: await this.#fit(r.untilStep, fit) };
      case 'stop':
        return { value: undefined };
      case 'request': {
        const { requests } = await this.#trainer();
        const handler = Object.hasOwn(requests, r.name) ? requests[r.name] : undefined;
        if (typeof handler !== 'function') {
          const served = Object.keys(requests);
          throw new ArgumentError(
            `TrainerWorker.request(): the worker serves no request '${r.name}' (${served.length === 0 ? 'it serves none' : `it serves ${served.join(', ')}`})`,
          );
        }
        return { value: await (handler as (payload: unknown) => unknown)(r.payload) };
      }
      case 'getWeights': {
        const { trainer } = await this.#trainer();
        const bytes = await serializeAsync(trainer.model.stateDict(), {
          metadata: { format: 'pt' },
        });
        const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
        const out = whole ? bytes : bytes.slice();
        return { value: out, transfer: [out.buffer as ArrayBuffer] };
      }
      case 'setWeights': {
        const { trainer } = await this.#trainer();
        if (this.#fitting)
          throw new NablaError('TrainerWorker.setWeights() during fit(): stop() first');
        const { tensors } = deserialize(r.bytes);
        try {
          trainer.model.loadStateDict(new Map(Object.entries(tensors)));
        } finally {
          for (const t of Object.values(tensors)) t.dispose();
        }
        return { value: undefined };
      }
    }
  }

  /** The trainer built, or one built now with no config (a factory that needs none). */
  #trainer(): Promise<Served> {
    return (this.#served ??= this.#build(undefined, undefined));
  }

  async #build(config: unknown, previous: Promise<Served> | undefined): Promise<Served> {
    // A build that failed leaves nothing to take down.
    const old = await previous?.catch(() => undefined);
    old?.monitor?.remove();
    const made = await this.#factory(config);
    const { trainer, health, requests } =
      'trainer' in made ? made : { trainer: made, health: false, requests: undefined };
    const monitor =
      health === undefined || health === false
        ? undefined
        : new GradientHealthMonitor(
            trainer.model,
            trainer.optimizer,
            health === true ? undefined : health,
          );
    this.#follow(trainer, monitor);
    return { trainer, monitor, requests: requests ?? {} };
  }

  /** Posts the trainer's events (and the monitor's new records) as they happen. */
  #follow(trainer: Trainer, monitor: GradientHealthMonitor | undefined): void {
    for (const name of WORKER_EVENTS) {
      if (name === 'health') continue;
      trainer.on(name, (data) => {
        if (name === 'step' && monitor !== undefined) {
          monitor.recordLoss((data as { loss: number }).loss);
          this.#health(monitor, (data as { step: number }).step);
        }
        this.#post({ [TAG]: 1, kind: 'event', name, data });
      });
    }
  }

  #health(monitor: GradientHealthMonitor, step: number): void {
    const sent = this.#sentRecords.get(monitor) ?? 0;
    if (monitor.records.length === sent) return;
    this.#sentRecords.set(monitor, monitor.records.length);
    const infos = monitor.layers;
    const diagnoses = monitor.diagnose();
    for (const record of monitor.records.slice(sent)) {
      const data: HealthEvent = {
        step,
        layers: infos.map((l) => ({ ...l, ...record.layers.get(l.name) })),
        diagnoses,
      };
      this.#post({ [TAG]: 1, kind: 'event', name: 'health', data });
    }
  }

  async #fit(untilStep: number | undefined, fit: number): Promise<FitResult> {
    const { trainer } = await this.#trainer();
    if (this.#fitting) throw new NablaError('TrainerWorker.fit() is already running');
    const stopped = () => fit <= this.#fitsStopped;
    if (stopped()) {
      // Stopped before it began: no step, and no events.
      const { stepLosses, metrics } = trainer.history;
      return {
        metrics: [...metrics],
        stepLosses: [...stepLosses],
        steps: trainer.position.step,
        interrupted: true,
      };
    }
    this.#fitting = true;
    try {
      return await trainer.fit({
        ...(untilStep !== undefined && { untilStep }),
        shouldStop: stopped,
      });
    } finally {
      this.#fitting = false;
    }
  }
}

function info({ trainer, monitor }: Served): TrainerInfo {
  return {
    backend: getBackend().name,
    summary: trainer.model.toString(),
    parameters: trainer.model.countParameters(),
    epochs: trainer.epochs,
    maxSteps: trainer.maxSteps,
    batchesPerEpoch: trainer.batchesPerEpoch,
    healthEvery: monitor?.every ?? 0,
  };
}
