// Backend memory ownership: reference-counted storages, live-tensor accounting, dispose and tidy scopes.
import type { Backend, CacheStats } from './backend/backend.js';
import { registeredBackends } from './backend/registry.js';
import { itemSize, outOfMemory, type DType } from './dtype.js';
import { ArgumentError } from './errors.js';
import type { Tensor } from './tensor.js';
import { isTensor } from './tensor_class.js';

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
 * Whether tensor lifetimes are being tracked on every backend. Tracking registers every tensor
 * with a FinalizationRegistry, which costs more than the rest of a small op together. Tensors of a
 * backend whose buffers need free() (native, wasm) are registered anyway, so theirs are always
 * counted; on garbage-collected backends (cpu) counting starts when memory() is first called (or
 * setMemoryTracking(true)) and covers what is created from then on.
 */
let tracking = false;

/** Whether a storage or tensor made now on `backend` is counted by memory(). */
const counts = (backend: Backend): boolean => tracking || !backend.gcManaged;

/**
 * What memory() counts for one storage made while tracking. Tensors' finalizers settle it
 * through this object rather than through the storage: a held value that referenced the storage
 * would keep its buffer alive until the callback ran, and in a loop that never yields to the event
 * loop callbacks never run.
 */
class Account {
  /** Registered tensors on the storage not yet disposed or collected. */
  live = 0;
  #settled = false;

  constructor(
    readonly backend: string,
    readonly bytes: number,
  ) {
    const u = usageOf(backend);
    u.storages++;
    u.bytes += bytes;
  }

  /** The storage is freed, or unreachable: it leaves the counts (once). */
  settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    const u = usageOf(this.backend);
    u.storages--;
    u.bytes -= this.bytes;
  }
}

/**
 * What a pending tensor (src/ops/fusion.ts) reads of one storage: the storage itself until its data
 * is overwritten or freed; then, when a superseded pending tensor may still read it (`shared`), a
 * copy of the old data, or the buffer the freed storage gave up.
 */
export interface StorageSource {
  storage: Storage;
  shared: boolean;
}

/**
 * Called before a storage's data is overwritten in place or freed: set by src/ops/fusion.ts, which
 * computes the newest pending tensor if it reads the storage and moves the storage's source to a
 * copy (write) or to the buffer itself (free). Returns true when the buffer was handed over and
 * must not be freed.
 */
let beforeChangeHook: ((s: Storage, freeing: boolean) => boolean) | null = null;
/** Computes the newest pending tensor (src/ops/fusion.ts), so that memory() counts it. */
let flushPendingHook: (() => void) | null = null;

/** @internal Called once, by src/ops/fusion.ts. */
export function setFusionHooks(
  beforeChange: (s: Storage, freeing: boolean) => boolean,
  flushPending: () => void,
): void {
  beforeChangeHook = beforeChange;
  flushPendingHook = flushPending;
}

/**
 * @internal Called before anything writes into `s` in place: pending tensors that read it keep
 * reading the data as it was (src/ops/fusion.ts).
 */
export function beforeWrite(s: Storage): void {
  if (s.source !== null) beforeChangeHook?.(s, false);
}

/** A backend buffer shared by a tensor and its views; freed when the last of them goes. */
export class Storage {
  /** Bumped by every in-place write; saved tensors compare it to detect modification. */
  version = 0;
  /** @internal What pending tensors read of this storage (src/ops/fusion.ts); null when none do. */
  source: StorageSource | null = null;
  #refs = 0;
  #freed = false;
  /** Counted in memory(): made while tracking was on (null otherwise). */
  readonly account: Account | null;

  constructor(
    readonly backend: Backend,
    readonly buffer: unknown,
    readonly dtype: DType,
    readonly size: number,
  ) {
    this.account = counts(backend) ? new Account(backend.name, size * itemSize(dtype)) : null;
  }

  /** A new storage; `overwrite` promises that the caller writes every element (no zero-fill). */
  static alloc(backend: Backend, dtype: DType, size: number, overwrite = false): Storage {
    let buffer: unknown;
    try {
      buffer = backend.alloc(dtype, size, overwrite);
    } catch (e) {
      // (typed arrays throw a RangeError past their length limit or when memory runs out)
      if (!(e instanceof RangeError)) throw e;
      throw outOfMemory(dtype, size, e);
    }
    return new Storage(backend, buffer, dtype, size);
  }

  get freed(): boolean {
    return this.#freed;
  }

  retain(): void {
    this.#refs++;
  }

  release(): void {
    if (--this.#refs > 0 || this.#freed) return;
    const handedOver = this.source !== null && beforeChangeHook!(this, true);
    this.#freed = true;
    if (!handedOver) this.backend.free(this.buffer);
    this.account?.settle();
  }
}

// ---- Tensor lifetimes ----

interface Held {
  readonly backend: string;
  /** Counted in memory().tensors: made while tracking was on. */
  readonly counted: boolean;
  /** The storage's account, settled when its last registered tensor goes. */
  readonly account: Account | null;
  /**
   * Only for backends whose buffers need free() (not garbage collected): the finalizer releases
   * it. Never for the others: holding it would keep the buffer alive until the callback runs.
   */
  readonly storage: Storage | null;
}

/** A registered tensor leaves the counts (disposed, collected or moved to another storage). */
function drop(held: Held): void {
  if (held.counted) usageOf(held.backend).tensors--;
  if (held.account !== null && --held.account.live === 0) held.account.settle();
}

const finalizer = new FinalizationRegistry<Held>((held) => {
  drop(held);
  held.storage?.release();
});

/** Tensors registered with the finalizer, so that dispose() can unregister them. */
const registered = new WeakMap<Tensor, Held>();

/**
 * Registers a tensor with the finalizer when anything needs to see it go: it is counted
 * (made while tracking), its storage is counted (every tensor on a counted storage is registered,
 * so the storage leaves the count with its last one), or its backend needs free().
 */
function register(t: Tensor, storage: Storage, counted: boolean): void {
  const { account, backend } = storage;
  if (!counted && account === null && backend.gcManaged) return;
  if (counted) usageOf(backend.name).tensors++;
  if (account !== null) account.live++;
  const held: Held = {
    backend: backend.name,
    counted,
    account,
    storage: backend.gcManaged ? null : storage,
  };
  finalizer.register(t, held, t);
  registered.set(t, held);
}

/** Forgets a registered tensor (dispose, or a move to another storage); true when it was one. */
function unregister(t: Tensor): Held | undefined {
  const held = registered.get(t);
  if (held === undefined) return undefined;
  registered.delete(t);
  finalizer.unregister(t);
  drop(held);
  return held;
}

/**
 * Called once per new Tensor: holds its storage and enters it in the current tidy scope. The
 * finalizer sees it only while tracking (or when its storage is counted), or when its backend's
 * memory is not garbage collected.
 */
export function trackTensor(t: Tensor, storage: Storage): void {
  storage.retain();
  scopes[scopes.length - 1]?.tensors.push(t);
  register(t, storage, counts(storage.backend));
}

/**
 * Called once per new pending tensor (src/ops/fusion.ts): enters it in the current tidy scope. It
 * holds no storage, and is counted by memory() from when it is computed (attachStorage).
 */
export function trackPending(t: Tensor): void {
  scopes[scopes.length - 1]?.tensors.push(t);
}

/** Called when a pending tensor is computed: holds its new storage, as trackTensor does. */
export function attachStorage(t: Tensor, storage: Storage): void {
  storage.retain();
  register(t, storage, counts(storage.backend));
}

/** Called when a tensor's data moves to another storage (Tensor._moveTo): holds the new one. */
export function retrackTensor(t: Tensor, from: Storage, to: Storage): void {
  to.retain();
  const held = unregister(t);
  register(t, to, held?.counted ?? counts(to.backend));
  from.release();
}

/** Called by dispose(): releases the storage now instead of at garbage collection. */
export function untrackTensor(t: Tensor, storage: Storage): void {
  unregister(t);
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
  const done = new Set<() => void>();
  for (const b of registeredBackends()) {
    if (b.emptyCache === undefined || done.has(b.emptyCache)) continue;
    done.add(b.emptyCache);
    b.emptyCache();
  }
}

/** The buffers the backends keep for reuse; a cache shared by backends is counted once. */
function cacheStats(): { buffers: number; bytes: number } {
  const seen = new Set<() => CacheStats>();
  let buffers = 0;
  let bytes = 0;
  for (const b of registeredBackends()) {
    if (b.cacheStats === undefined || seen.has(b.cacheStats)) continue;
    seen.add(b.cacheStats);
    const c = b.cacheStats();
    buffers += c.buffers;
    bytes += c.bytes;
  }
  return { buffers, bytes };
}

/**
 * Live tensors, buffers and bytes, in total and per backend. Native and wasm tensors are counted
 * from the start; cpu tensors from the first call of memory() (which turns tracking on), so on cpu
 * call it once as a baseline, run, and call it again. Tensors freed by dispose() or tidy() leave
 * the count at once; others when the garbage collector has finalised them.
 */
export function memory(): MemoryInfo {
  flushPendingHook?.();
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
  return { tensors, storages, bytes, backends, cached: cacheStats() };
}

// ---- scopes: tidy (the user's), internal (the library's own), barrier (user code inside the library) ----

/**
 * A scope collects the tensors created while it is the innermost one.
 * - tidy: the user's deterministic freeing; at its end every tensor it collected is disposed,
 *   except those returned, kept, or stored in `.grad`.
 * - internal: library code (a layer's forward, a loss, a backward rule) that hands back only what
 *   it returns. At its end a tensor it made and did not return is unreachable from user code: it
 *   is disposed at once, or, when the autograd graph saved it, the graph owns it and disposes it
 *   when backward frees the graph (no tidy() needed for buffers to go back to the pool).
 * - barrier: user code called from inside library code (a user-defined module in a Sequential, a
 *   hook); what it creates may be held anywhere, so it is never orphaned, only handed on to the
 *   nearest tidy scope.
 */
type ScopeKind = 'tidy' | 'internal' | 'barrier';

export interface Scope {
  readonly kind: ScopeKind;
  readonly tensors: Tensor[];
}

const scopes: Scope[] = [];

/** Exempts a tensor from every tidy scope: it lives until disposed or collected. */
export function keep<T extends Tensor>(t: T): T {
  t._kept = true;
  return t;
}

/**
 * Marks tensors (in arrays, Maps and plain objects) as seen by user code: internal scopes leave
 * them alone; tidy() still frees them as before.
 */
export function escape(value: unknown): void {
  if (isTensor(value)) value._escaped = true;
  else if (value !== null && typeof value === 'object') {
    const found = new Set<Tensor>();
    collectTensors(value, found);
    for (const t of found) t._escaped = true;
  }
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (isTensor(value)) into.add(value);
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
 * The tensors in a returned value: a lone tensor or a flat array of tensors (the common cases)
 * as they are, anything else collected into a Set.
 */
type Returned = Tensor | readonly unknown[] | ReadonlySet<Tensor> | null;

function returnedOf(result: unknown): Returned {
  if (isTensor(result)) return result;
  if (result === null || typeof result !== 'object') return null;
  if (Array.isArray(result) && result.every((v) => v === null || isTensor(v))) return result;
  const s = new Set<Tensor>();
  collectTensors(result, s);
  return s;
}

function isReturned(returned: Returned, t: Tensor): boolean {
  if (returned === null || isTensor(returned)) return returned === t;
  return returned instanceof Set ? returned.has(t) : (returned as readonly unknown[]).includes(t);
}

function open(kind: ScopeKind): Scope {
  const scope: Scope = { kind, tensors: [] };
  scopes.push(scope);
  return scope;
}

/**
 * Runs `fn` and then disposes every tensor created during it, except the tensors it returns
 * (found in arrays, Maps and plain objects), tensors passed to keep(), and gradients stored
 * in `.grad`. Must not be given an async function.
 */
export function tidy<T>(fn: () => T): T {
  const scope = open('tidy');
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  if (result instanceof Promise)
    throw new ArgumentError('tidy() cannot be given an async function');
  const returned = returnedOf(result);
  const parent = scopes[scopes.length - 1];
  for (const t of scope.tensors) {
    if (isReturned(returned, t)) parent?.tensors.push(t);
    else if (!t._kept) t.dispose();
  }
  return result;
}

/** While positive, internal scopes orphan nothing (an op tracer or node observer may hold tensors). */
let orphaningSuspended = 0;

/**
 * @internal Stops internal scopes from freeing anything until the returned function is called:
 * tracers and node observers (ONNX export, explain, anomaly mode) keep references to tensors.
 */
export function suspendOrphaning(): () => void {
  orphaningSuspended++;
  let done = false;
  return () => {
    if (!done) orphaningSuspended--;
    done = true;
  };
}

/**
 * @internal Opens an internal scope around library code that calls no user code (or calls it
 * inside userScope()); null while orphaning is suspended. Close it with endInternal() on the
 * normal path and popInternal() on an exception (see internalScope()).
 */
export function beginInternal(): Scope | null {
  return orphaningSuspended > 0 ? null : open('internal');
}

/** @internal Leaves an internal scope that threw: what it made is left to the garbage collector. */
export function popInternal(scope: Scope | null): void {
  if (scope !== null) scopes.pop();
}

/**
 * @internal Closes an internal scope whose code returned `result`: the tensors it made and did
 * not return are disposed now, or, when the autograd graph saved them, when backward frees it.
 */
export function endInternal(scope: Scope | null, result: unknown): void {
  if (scope === null) return;
  scopes.pop();
  const list = scope.tensors;
  if (list.length === 0) return;
  const returned = returnedOf(result);
  const parent = scopes[scopes.length - 1];
  for (const t of list) {
    if (t.isDisposed) continue;
    if (t._escaped || isReturned(returned, t)) parent?.tensors.push(t);
    else if (t._kept) continue;
    else if (t._savedCount > 0) {
      t._graphOwned = true;
      parent?.tensors.push(t);
    } else t.dispose();
  }
}

/**
 * @internal Runs library code `fn` in an internal scope: the tensors it creates and does not
 * return are freed as soon as nothing in the library needs them (at once, or when backward frees
 * the graph that saved them).
 */
export function internalScope<T>(fn: () => T): T {
  const scope = beginInternal();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    popInternal(scope);
    throw e;
  }
  endInternal(scope, result);
  return result;
}

/** @internal Runs user code called from library code: nothing it creates is ever orphaned. */
export function userScope<T>(fn: () => T): T {
  if (scopes.length === 0) return fn();
  const scope = open('barrier');
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  let i = scopes.length - 1;
  while (i >= 0 && scopes[i]!.kind !== 'tidy') i--;
  const tidyScope = scopes[i];
  if (tidyScope !== undefined) for (const t of scope.tensors) tidyScope.tensors.push(t);
  return result;
}
