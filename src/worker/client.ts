// TrainerWorker: the page side of nabla/worker; drives the Trainer a worker serves (build, fit, stop, weights both ways as safetensors bytes) and hands its streamed events to listeners; browser-safe.
import { ArgumentError, NablaError } from '../errors.js';
import { defineOptions } from '../options.js';
import type { FitResult } from '../train/events.js';
import {
  TAG,
  WORKER_EVENTS,
  fromWireError,
  isTagged,
  openChannel,
  type Channel,
  type AnyRequestHandlers,
  type Reply,
  type Request,
  type RequestHandlers,
  type TrainerInfo,
  type WorkerEventName,
  type WorkerEvents,
  type WorkerPort,
} from './protocol.js';

export interface WorkerFitOptions {
  /** End this fit() after this optimizer step (a later fit() goes on from there). */
  readonly untilStep?: number | undefined;
}

export type WorkerListener<K extends WorkerEventName> = (event: WorkerEvents[K]) => void;

const FIT = defineOptions<WorkerFitOptions>('TrainerWorker.fit', { untilStep: 'integer' });

/** Omit over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Call = DistributiveOmit<Request, typeof TAG | 'id'>;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The page's handle on a Trainer running in a worker whose script calls serveTrainer(): build
 * it from a config, fit() and stop() it, move its weights both ways as safetensors bytes, and
 * listen to its events (step, epochEnd, health, ...) as they stream in. The worker does the
 * training, so the page stays responsive. Errors thrown in the worker reject the call that
 * caused them with the worker's name and message. Works on a Web Worker and on Node's
 * worker_threads Worker alike. `Config` is what build() takes, `Requests` the handlers the
 * factory serves besides training (`typeof requests`, imported as a type from the worker's script).
 */
export class TrainerWorker<
  Config = unknown,
  Requests extends RequestHandlers = AnyRequestHandlers,
> {
  /** The worker (or port) this talks to. */
  readonly worker: WorkerPort;
  readonly #channel: Channel;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<WorkerEventName, Set<(event: never) => void>>();
  readonly #ready: Promise<string>;
  #nextId = 1;
  #failure: Error | undefined;
  #fitting: Promise<unknown> | undefined;
  #markReady!: (backend: string) => void;
  #failReady!: (e: Error) => void;

  constructor(worker: WorkerPort) {
    this.worker = worker;
    this.#ready = new Promise<string>((resolve, reject) => {
      this.#markReady = resolve;
      this.#failReady = reject;
    });
    // A failure before anyone awaits ready() is reported by the call that meets it.
    this.#ready.catch(() => undefined);
    this.#channel = openChannel(worker, {
      message: (m) => this.#receive(m),
      failure: (e) => this.#fail(e),
    });
  }

  /** Resolves with the worker's backend ('wasm' in a page) once its script serves. */
  ready(): Promise<string> {
    return this.#ready;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends WorkerEventName>(name: K, listener: WorkerListener<K>): () => void {
    if (!WORKER_EVENTS.includes(name))
      throw new ArgumentError(
        `TrainerWorker.on(): unknown event '${String(name)}' (expected one of ${WORKER_EVENTS.join(', ')})`,
      );
    let set = this.#listeners.get(name);
    if (set === undefined) this.#listeners.set(name, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => this.off(name, listener);
  }

  off<K extends WorkerEventName>(name: K, listener: WorkerListener<K>): void {
    this.#listeners.get(name)?.delete(listener as (event: never) => void);
  }

  /**
   * Builds (or rebuilds) the worker's trainer: its script's factory is called with `config`,
   * which travels by structured clone (plain data).
   */
  build(config: Config): Promise<TrainerInfo> {
    return this.#call({ op: 'build', config }) as Promise<TrainerInfo>;
  }

  /**
   * Trains until the trainer's epochs (or maxSteps) are done, `untilStep` is reached or stop()
   * is called; resolves with fit()'s result. Without a build() first, the factory is called with
   * no config. A later fit() goes on where this one ended.
   */
  fit(opts: WorkerFitOptions = {}): Promise<FitResult> {
    FIT.checkGiven(opts);
    const call: Call =
      opts.untilStep === undefined ? { op: 'fit' } : { op: 'fit', untilStep: opts.untilStep };
    const run = this.#call(call) as Promise<FitResult>;
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#fitting = settled;
    void settled.then(() => {
      if (this.#fitting === settled) this.#fitting = undefined;
    });
    return run;
  }

  /** Stops a running fit() after its current step; resolves once it has ended. */
  async stop(): Promise<void> {
    const fitting = this.#fitting;
    await this.#call({ op: 'stop' });
    await fitting;
  }

  /**
   * The model's state dict as the bytes of a safetensors file (PyTorch's key names), read between
   * two steps when a fit() is running. The bytes are transferred, not copied.
   */
  getWeights(): Promise<Uint8Array> {
    return this.#call({ op: 'getWeights' }) as Promise<Uint8Array>;
  }

  /** Loads safetensors bytes (getWeights', or a file's) into the worker's model, strictly. */
  async setWeights(bytes: Uint8Array | ArrayBuffer): Promise<void> {
    if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer))
      throw new ArgumentError('TrainerWorker.setWeights(): expected a Uint8Array or ArrayBuffer');
    const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
    await this.#call({ op: 'setWeights', bytes: view });
  }

  /**
   * Calls one of the requests the factory served with the trainer (ServedTrainer.requests) with
   * `payload` (structured clone) and resolves with its answer; during fit() it is answered between
   * two steps. An unknown name rejects, naming those served.
   */
  request<K extends keyof Requests & string>(
    name: K,
    ...payload: Parameters<Requests[K]>
  ): Promise<Awaited<ReturnType<Requests[K]>>> {
    if (typeof name !== 'string')
      throw new ArgumentError('TrainerWorker.request(): the name must be a string');
    return this.#call({ op: 'request', name, payload: payload[0] }) as Promise<
      Awaited<ReturnType<Requests[K]>>
    >;
  }

  /** Ends the worker (calls still pending reject) and stops listening to it. */
  async terminate(): Promise<void> {
    this.#fail(new NablaError('the worker was terminated'));
    const w = this.worker as { terminate?: () => unknown };
    await w.terminate?.();
  }

  async #call(call: Call): Promise<unknown> {
    await this.#ready;
    if (this.#failure !== undefined) throw this.#failure;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#channel.send({ ...call, [TAG]: 1, id } as Request);
    });
  }

  #receive(m: unknown): void {
    if (!isTagged(m)) return;
    const r = m as Reply;
    switch (r.kind) {
      case 'ready':
        this.#markReady(r.backend);
        return;
      case 'event':
        this.#emit(r.name, r.data);
        return;
      case 'done':
      case 'failed': {
        const p = this.#pending.get(r.id);
        if (p === undefined) return;
        this.#pending.delete(r.id);
        if (r.kind === 'done') p.resolve(r.value);
        else p.reject(fromWireError(r.error));
      }
    }
  }

  #emit(name: WorkerEventName, data: unknown): void {
    for (const l of [...(this.#listeners.get(name) ?? [])]) {
      try {
        l(data as never);
      } catch (e) {
        // A listener's error must not stop the others, nor the stream: report it as uncaught.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  #fail(e: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = e;
    this.#failReady(e);
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
    this.#channel.close();
  }
}
