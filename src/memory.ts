// Backend memory ownership: reference-counted storages, live-tensor accounting, dispose and tidy scopes.
import type { Backend } from './backend/backend.js';
import { clearPool, poolStats } from './backend/cpu/pool.js';
import { itemSize, type DType } from './dtype.js';
import { ArgumentError } from './errors.js';
import { Tensor } from './tensor.js';

interface Usage {
  tensors: number;
  storages: number;
  bytes: number;
}

const usage = new Map<string, Usage>();

function usageOf(backend: string): Usage {
  let u = usage.get(backend);
  if (u === undefined) {
    u = { tensors: 0, storages: 0, bytes: 0 };
    usage.set(backend, u);
  }
  return u;
}

/**
 * Whether tensor lifetimes are being tracked. Tracking registers every tensor with a
 * FinalizationRegistry, which costs more than the rest of a small op together, so it starts only
 * when memory() is first called (or setMemoryTracking(true)); it counts what is created from then on.
 */
let tracking = false;

/** A backend buffer shared by a tensor and its views; freed when the last of them goes. */
export class Storage {
  /** Bumped by every in-place write; saved tensors compare it to detect modification. */
  version = 0;
  #refs = 0;
  #freed = false;
  /** Counted in memory(): created while tracking was on. */
  readonly tracked: boolean;

  constructor(
    readonly backend: Backend,
    readonly buffer: unknown,
    readonly dtype: DType,
    readonly size: number,
  ) {
    this.tracked = tracking;
    if (tracking) {
      const u = usageOf(backend.name);
      u.storages++;
      u.bytes += size * itemSize(dtype);
    }
  }

  /** A new storage; `overwrite` promises that the caller writes every element (no zero-fill). */
  static alloc(backend: Backend, dtype: DType, size: number, overwrite = false): Storage {
    return new Storage(backend, backend.alloc(dtype, size, overwrite), dtype, size);
  }

  get freed(): boolean {
    return this.#freed;
  }

  retain(): void {
    this.#refs++;
  }

  release(): void {
    if (--this.#refs > 0 || this.#freed) return;
    this.#freed = true;
    this.backend.free(this.buffer);
    if (this.tracked) {
      const u = usageOf(this.backend.name);
      u.storages--;
      u.bytes -= this.size * itemSize(this.dtype);
    }
  }
}

// ---- Tensor lifetimes ----

interface Held {
  readonly storage: Storage;
  /** Counted in memory() (false for tensors of explicit-free backends made while not tracking). */
  readonly counted: boolean;
}

const finalizer = new FinalizationRegistry<Held>((held) => {
  if (held.counted) usageOf(held.storage.backend.name).tensors--;
  held.storage.release();
});

/** Tensors registered with the finalizer, so that dispose() can unregister them. */
const registered = new WeakSet<Tensor>();

/**
 * Called once per new Tensor: holds its storage and enters it in the current tidy scope. The
 * finalizer sees it only while tracking, or when its backend's memory is not garbage collected.
 */
export function trackTensor(t: Tensor, storage: Storage): void {
  storage.retain();
  scopes[scopes.length - 1]?.add(t);
  if (tracking || !storage.backend.gcManaged) {
    if (tracking) usageOf(storage.backend.name).tensors++;
    finalizer.register(t, { storage, counted: tracking }, t);
    registered.add(t);
  }
}

/** Called by dispose(): releases the storage now instead of at garbage collection. */
export function untrackTensor(t: Tensor, storage: Storage): void {
  if (registered.has(t)) {
    registered.delete(t);
    if (finalizer.unregister(t) && storage.tracked) usageOf(storage.backend.name).tensors--;
  }
  storage.release();
}

/** Turns lifetime tracking on or off (memory() turns it on by itself). */
export function setMemoryTracking(on: boolean): void {
  tracking = on;
}

export interface BackendMemory {
  /** Live Tensor objects (views included). */
  readonly tensors: number;
  /** Live backend buffers. */
  readonly storages: number;
  /** Bytes held by live buffers. */
  readonly bytes: number;
}

export interface MemoryInfo extends BackendMemory {
  readonly backends: Readonly<Record<string, BackendMemory>>;
  /**
   * Freed buffers kept for reuse (not live, not counted above): what dispose() and tidy()
   * released, held so that the next step's outputs need no fresh allocation. emptyCache() lets
   * them go.
   */
  readonly cached: { readonly buffers: number; readonly bytes: number };
}

/**
 * Lets the garbage collector have the freed buffers kept for reuse (PyTorch's
 * `torch.cuda.empty_cache()`); live tensors are untouched.
 */
export function emptyCache(): void {
  clearPool();
}

/**
 * Live tensors, buffers and bytes, in total and per backend, among those created since tracking
 * began: the first call starts it, so call memory() once as a baseline, run, and call it again.
 * Tensors freed by dispose() or tidy() leave the count at once; others when the garbage collector
 * has finalised them.
 */
export function memory(): MemoryInfo {
  tracking = true;
  const backends: Record<string, BackendMemory> = {};
  let tensors = 0;
  let storages = 0;
  let bytes = 0;
  for (const [name, u] of usage) {
    backends[name] = { ...u };
    tensors += u.tensors;
    storages += u.storages;
    bytes += u.bytes;
  }
  return { tensors, storages, bytes, backends, cached: poolStats() };
}

// ---- tidy scopes ----

const scopes: Set<Tensor>[] = [];
const kept = new WeakSet<Tensor>();

/** Exempts a tensor from every tidy scope: it lives until disposed or collected. */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  for (const s of scopes) s.delete(t);
  return t;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into);
  else if (value instanceof Map) for (const v of value.values()) collectTensors(v, into);
  else if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const v of Object.values(value)) collectTensors(v, into);
  }
}

/**
 * Runs `fn` and then disposes every tensor created during it, except the tensors it returns
 * (found in arrays, Maps and plain objects), tensors passed to keep(), and gradients stored
 * in `.grad`. Must not be given an async function.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  if (result instanceof Promise)
    throw new ArgumentError('tidy() cannot be given an async function');
  const returned = new Set<Tensor>();
  collectTensors(result, returned);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (returned.has(t)) parent?.add(t);
    else if (!kept.has(t)) t.dispose();
  }
  return result;
}
