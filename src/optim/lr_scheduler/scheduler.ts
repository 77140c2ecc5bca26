// The LRScheduler base (PyTorch's _LRScheduler): initial lrs, the step protocol, getLastLr and PyTorch-keyed state dicts.
import { ArgumentError, NablaError } from '../../errors.js';
import type { Spec } from '../../options.js';
import { Optimizer } from '../optimizer.js';

/** Any optimizer a scheduler can drive. */
export type SchedulableOptimizer = Optimizer<object>;

/** A scheduler's state dict: PyTorch's attribute names (snake_case) to plain values. */
export type SchedulerStateDict = Record<string, unknown>;

/** A parameter group as the schedulers see it: options by name (lr, initialLr, momentum, ...). */
export type Group = Record<string, unknown>;

/** Options every LRScheduler takes. */
export interface SchedulerBaseOptions {
  /** The index of the last epoch (or batch) when resuming; -1 starts the schedule. Default -1. */
  readonly lastEpoch?: number;
  /** Prints a line for every lr update. Default false. */
  readonly verbose?: boolean;
}

/** The keys every scheduler's options share. */
export const SCHEDULER_BASE_SPEC: Spec<SchedulerBaseOptions> = {
  lastEpoch: 'integer',
  verbose: 'boolean',
};

/** @internal The parameter groups of an optimizer, as plain records. */
export function groupsOf(optimizer: SchedulableOptimizer): Group[] {
  return optimizer.paramGroups as unknown as Group[];
}

/** @internal A numeric group option (lr, momentum, ...); throws when it is missing. */
export function groupNumber(group: Group, key: string): number {
  const v = group[key];
  if (typeof v !== 'number') throw new NablaError(`param group has no numeric '${key}'`);
  return v;
}

/** @internal Throws PyTorch's TypeError text when `optimizer` is not an Optimizer. */
export function checkOptimizer(optimizer: unknown): void {
  if (!(optimizer instanceof Optimizer)) {
    const name = (optimizer as { constructor?: { name?: string } } | null)?.constructor?.name;
    throw new ArgumentError(`${name ?? String(optimizer)} is not an Optimizer`);
  }
}

/** @internal One value per group: a list (checked against the group count) or a scalar repeated. */
export function formatParam<T>(
  name: string,
  optimizer: SchedulableOptimizer,
  param: T | readonly T[],
): T[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(param)) {
    if (param.length !== n) {
      throw new ArgumentError(`expected ${n} values for ${name}, got ${param.length}`);
    }
    return [...(param as readonly T[])];
  }
  return new Array<T>(n).fill(param as T);
}

/** @internal A deep copy of plain state (arrays and plain objects; other values as they are). */
export function cloneState<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneState) as T;
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cloneState(x)])) as T;
  }
  return v;
}

/** @internal Python's `'{:.4e}'.format(x)`: 1.0000e-02. */
export function formatExp(x: number): string {
  return x.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** @internal Python's `'%.2f'` for fractional epochs, `'%.5d'` for whole ones. */
export function formatEpoch(epoch: number): string {
  return Number.isInteger(epoch) ? String(Math.trunc(epoch)).padStart(5, '0') : epoch.toFixed(2);
}

/** @internal PyTorch's verbose line for one lr update. */
export function printLr(group: number, lr: number, epoch?: number): void {
  if (epoch === undefined) {
    console.log(`Adjusting learning rate of group ${group} to ${formatExp(lr)}.`);
  } else {
    console.log(
      `Epoch ${formatEpoch(epoch)}: adjusting learning rate of group ${group} to ${formatExp(lr)}.`,
    );
  }
}

/**
 * The base of the epoch-driven schedulers. A subclass sets its own fields after `super()` and then
 * calls `this.initialStep()` at the end of its constructor (PyTorch's `__init__` order: its
 * attributes, then the base, whose first `step()` needs them).
 */
export abstract class LRScheduler {
  readonly optimizer: SchedulableOptimizer;
  /** The lr each group started from (its `initialLr`). */
  baseLrs: number[];
  /** The index of the last step taken; the first step (made by the constructor) makes it 0. */
  lastEpoch: number;
  verbose: boolean;
  protected stepCount = 0;
  protected getLrCalledWithinStep = false;
  protected lastLr: number[] = [];

  constructor(optimizer: SchedulableOptimizer, lastEpoch = -1, verbose = false) {
    checkOptimizer(optimizer);
    const groups = groupsOf(optimizer);
    if (lastEpoch === -1) {
      for (const g of groups) if (!('initialLr' in g)) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (!('initialLr' in g)) {
          throw new ArgumentError(
            `param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`,
          );
        }
      });
    }
    this.optimizer = optimizer;
    this.baseLrs = groups.map((g) => groupNumber(g, 'initialLr'));
    this.lastEpoch = lastEpoch;
    this.verbose = verbose;
  }

  /** The lrs of the next step, from the current ones where the schedule is chainable. */
  abstract getLr(): number[];

  /** The closed form used when step() is given an explicit epoch (where PyTorch has one). */
  protected getClosedFormLr?(): number[];

  /** @internal Resets the step count and takes the first step (PyTorch's `_initial_step`). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advances the schedule one step; an explicit epoch uses the closed form where there is one. */
  step(epoch?: number): void {
    this.stepCount += 1;
    let values: number[];
    this.getLrCalledWithinStep = true;
    try {
      if (epoch === undefined) {
        this.lastEpoch += 1;
        values = this.getLr();
      } else {
        this.lastEpoch = epoch;
        values = this.getClosedFormLr !== undefined ? this.getClosedFormLr() : this.getLr();
      }
    } finally {
      this.getLrCalledWithinStep = false;
    }
    this.applyLrs(values, epoch);
  }

  /** @internal Writes the lrs into the groups and records them as the last lrs. */
  protected applyLrs(values: readonly number[], epoch?: number): void {
    const groups = groupsOf(this.optimizer);
    groups.forEach((g, i) => {
      const lr = values[i];
      if (lr === undefined) return;
      g.lr = lr;
      if (this.verbose) printLr(i, lr, epoch);
    });
    this.lastLr = groups.map((g) => groupNumber(g, 'lr'));
  }

  /** The lrs the last step set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** PyTorch attribute names of this scheduler's own fields, mapped to the property holding each. */
  protected stateKeys(): Record<string, string> {
    return {
      base_lrs: 'baseLrs',
      last_epoch: 'lastEpoch',
      verbose: 'verbose',
      _step_count: 'stepCount',
      _get_lr_called_within_step: 'getLrCalledWithinStep',
      _last_lr: 'lastLr',
    };
  }

  /** The scheduler's state under PyTorch's key names (every attribute but the optimizer). */
  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, unknown>;
    const out: SchedulerStateDict = {};
    for (const [key, prop] of Object.entries(this.stateKeys())) out[key] = cloneState(self[prop]);
    return out;
  }

  /** Restores what stateDict() returned; keys it does not hold keep their current values. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const self = this as unknown as Record<string, unknown>;
    for (const [key, prop] of Object.entries(this.stateKeys())) {
      if (key in stateDict) self[prop] = cloneState(stateDict[key]);
    }
  }
}
