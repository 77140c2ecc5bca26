// Trainer's events: their payloads (plain data, so a Web Worker can post them on) and the small typed emitter behind trainer.on().

/** The running statistics of the current epoch (what a progress bar draws). */
export interface EpochProgress {
  /** Batches done in this epoch, and the batches in a whole epoch. */
  readonly done: number;
  readonly total: number;
  /** The mean training loss and accuracy over this epoch's samples so far. */
  readonly loss: number;
  readonly accuracy: number;
  readonly samplesPerSecond: number;
}

/** One completed epoch: the row of the metrics history. */
export interface EpochMetrics {
  /** 1 for the first epoch. */
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  /** NaN when the Trainer has no validation data. */
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly samplesPerSecond: number;
  readonly seconds: number;
  /** The learning rate of the first parameter group during this epoch. */
  readonly lr: number;
}

/** The metrics of every completed epoch and the loss of every step, oldest first. */
export interface TrainerHistory {
  readonly metrics: readonly EpochMetrics[];
  readonly stepLosses: readonly number[];
}

/** Where the run stands. */
export interface TrainerPosition {
  /** Completed epochs. */
  readonly epoch: number;
  /** Optimizer steps taken in all. */
  readonly step: number;
  /** Batches consumed in the current epoch. */
  readonly batchInEpoch: number;
}

export interface FitStartEvent extends TrainerPosition {
  readonly epochs: number;
  readonly maxSteps: number;
  readonly batchesPerEpoch: number;
}

export interface EpochStartEvent {
  /** The epoch about to run, from 1. */
  readonly epoch: number;
  readonly epochs: number;
  readonly batchesPerEpoch: number;
  /** Batches of this epoch already done before (non-zero when resuming inside an epoch). */
  readonly skip: number;
}

/**
 * A diagnostics hook point: gradients are in `.grad`, the optimizer has not stepped yet. Listeners
 * run inside the step's tidy() scope: tensors they make are freed with the step's unless kept.
 */
export type AfterBackwardEvent = TrainerPosition;

export interface StepEvent extends TrainerPosition {
  /** This step's training loss. */
  readonly loss: number;
  readonly progress: EpochProgress;
}

export interface EpochEndEvent {
  readonly metrics: EpochMetrics;
  /** The epoch's final running statistics. */
  readonly progress: EpochProgress;
  readonly epochs: number;
}

/** The run stopped inside an epoch: at its step limit, or because shouldStop() said so. */
export interface StopEvent extends TrainerPosition {
  readonly reason: 'steps' | 'interrupted';
  readonly progress: EpochProgress;
}

/** What fit() returns and its fitEnd event carries. */
export interface FitResult {
  /** Every completed epoch so far (resumed runs include the epochs before the resume). */
  readonly metrics: readonly EpochMetrics[];
  /** The loss of every optimizer step so far. */
  readonly stepLosses: readonly number[];
  readonly steps: number;
  /** shouldStop() ended the run. */
  readonly interrupted: boolean;
}

/** Every event and its payload. */
export interface TrainerEvents {
  fitStart: FitStartEvent;
  epochStart: EpochStartEvent;
  afterBackward: AfterBackwardEvent;
  step: StepEvent;
  epochEnd: EpochEndEvent;
  stop: StopEvent;
  fitEnd: FitResult;
}

export type TrainerEventName = keyof TrainerEvents;

/** Events fired inside a training step: their listeners run synchronously and are not awaited. */
export type SyncEventName = 'afterBackward' | 'step';

/** A listener; those of the events outside a step may return a promise, which fit() awaits. */
export type TrainerListener<K extends TrainerEventName> = (
  event: TrainerEvents[K],
) => K extends SyncEventName ? void : void | Promise<void>;

/** Listeners by event, as Trainer's `callbacks` option takes them. */
export type TrainerCallbacks = { readonly [K in TrainerEventName]?: TrainerListener<K> };

/** @internal Listeners by event, called in the order they were added. */
export class TrainerEmitter {
  readonly #listeners: { [K in TrainerEventName]?: TrainerListener<K>[] } = {};

  on<K extends TrainerEventName>(name: K, listener: TrainerListener<K>): () => void {
    const list = (this.#listeners[name] ??= []) as TrainerListener<K>[];
    list.push(listener);
    return () => this.off(name, listener);
  }

  off<K extends TrainerEventName>(name: K, listener: TrainerListener<K>): void {
    const list = this.#listeners[name] as TrainerListener<K>[] | undefined;
    const i = list?.indexOf(listener) ?? -1;
    if (i >= 0) list!.splice(i, 1);
  }

  has(name: TrainerEventName): boolean {
    return (this.#listeners[name]?.length ?? 0) > 0;
  }

  /** Calls each listener in turn (a snapshot of the list, so listeners may unsubscribe). */
  emitSync<K extends SyncEventName>(name: K, event: TrainerEvents[K]): void {
    const list = this.#listeners[name] as TrainerListener<K>[] | undefined;
    if (list === undefined) return;
    for (const l of [...list]) l(event);
  }

  /** Calls each listener in turn, awaiting the promise one returns before calling the next. */
  async emit<K extends Exclude<TrainerEventName, SyncEventName>>(
    name: K,
    event: TrainerEvents[K],
  ): Promise<void> {
    const list = this.#listeners[name] as TrainerListener<K>[] | undefined;
    if (list === undefined) return;
    for (const l of [...list]) await l(event);
  }
}
