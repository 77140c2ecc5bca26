// A pool of large typed arrays returned by dispose()/tidy(), so a training loop reuses its buffers
// instead of paying fresh allocations, page faults and garbage collection every step.
import {
  allocArray,
  arrayOver,
  dtypeOfArray,
  itemSize,
  type DType,
  type TypedArray,
} from '../../dtype.js';

/** Buffers smaller than this many bytes are cheap to allocate and are not pooled. */
const MIN_BYTES = 16 * 1024;
/**
 * The most bytes the pool keeps; past it, the buffers returned longest ago go to the garbage
 * collector first. NOTE: 1 GiB holds the working set of a CNN step at batch 1024 (a 256 MiB cap
 * refused new buffers once full, so large batches allocated and page-faulted every step).
 */
const MAX_BYTES = 1024 * 1024 * 1024;

/**
 * The free buffers of one dtype and size, oldest return first, each with the count of returns
 * made before it (its age, for eviction).
 */
interface FreeList {
  readonly buffers: TypedArray[];
  readonly stamps: number[];
}

/**
 * Free lists by dtype, then by element count. NOTE: a take or a return allocates nothing (no key
 * strings, entry objects or hash-table entries): the pool is hit dozens of times a training step,
 * and a long-lived collection that churns (a Map whose entries come and go) reallocates its table
 * every few steps; each table outlives a young-generation collection, is promoted, and grows the
 * old generation (RSS) until a full collection.
 */
const free = new Map<DType, Map<number, FreeList>>();
let pooledBytes = 0;
let pooledCount = 0;
let returns = 0;

function freeList(dtype: DType, size: number): FreeList | undefined {
  return free.get(dtype)?.get(size);
}

/**
 * With NABLA_POISON_BUFFERS=1 in the environment, a buffer taken for overwriting comes filled with
 * garbage (NaN, or 0x5a bytes), so a test run shows any kernel that leaves an element unwritten.
 */
const POISON =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.NABLA_POISON_BUFFERS === '1';

function poison(a: TypedArray): TypedArray {
  if (a instanceof Float32Array || a instanceof Float64Array) a.fill(NaN);
  else new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(0x5a);
  return a;
}

/**
 * A zero-filled array of `size` elements (not zeroed when the caller will `overwrite` it): a pooled
 * one when a buffer of that exact size is free.
 */
export function takeArray(dtype: DType, size: number, overwrite = false): TypedArray {
  const bytes = size * itemSize(dtype);
  if (bytes >= MIN_BYTES) {
    const list = freeList(dtype, size);
    const a = list?.buffers.pop();
    if (a !== undefined) {
      list!.stamps.pop();
      pooledBytes -= bytes;
      pooledCount--;
      return overwrite ? (POISON ? poison(a) : a) : a.fill(0);
    }
  }
  if (overwrite && bytes >= MIN_BYTES) {
    const a = allocUninitialized(dtype, size);
    if (a !== undefined) return POISON ? poison(a) : a;
  }
  const a = allocArray(dtype, size);
  return overwrite && POISON ? poison(a) : a;
}

/** Node's `Buffer`, where there is one: it allocates without zero-filling. */
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(bytes: number): Uint8Array } })
  .Buffer;

/**
 * A fresh array whose contents are whatever memory held (the caller overwrites every element):
 * skips the zero-fill, which for a large buffer costs as much as the kernel that fills it. Only in
 * Node; undefined elsewhere.
 */
function allocUninitialized(dtype: DType, size: number): TypedArray | undefined {
  if (NodeBuffer === undefined) return undefined;
  const bytes = NodeBuffer.allocUnsafeSlow(size * itemSize(dtype));
  return arrayOver(dtype, bytes.buffer as ArrayBuffer, size);
}

/** Lets the oldest pooled buffers go until `bytes` more fit under the cap. */
function evictFor(bytes: number): void {
  while (pooledBytes + bytes > MAX_BYTES) {
    let oldest: FreeList | undefined;
    for (const sizes of free.values()) {
      for (const l of sizes.values()) {
        if (l.stamps.length > 0 && (oldest === undefined || l.stamps[0]! < oldest.stamps[0]!)) {
          oldest = l;
        }
      }
    }
    if (oldest === undefined) return;
    oldest.stamps.shift();
    pooledBytes -= oldest.buffers.shift()!.byteLength;
    pooledCount--;
  }
}

/** Takes back a buffer no tensor uses any more. */
export function returnArray(a: TypedArray): void {
  const bytes = a.byteLength;
  if (bytes < MIN_BYTES || bytes > MAX_BYTES) return;
  const dtype = dtypeOfArray(a);
  let sizes = free.get(dtype);
  if (sizes === undefined) free.set(dtype, (sizes = new Map()));
  let list = sizes.get(a.length);
  if (list === undefined) sizes.set(a.length, (list = { buffers: [], stamps: [] }));
  if (list.buffers.includes(a)) return; // returned twice
  evictFor(bytes);
  list.buffers.push(a);
  list.stamps.push(returns++);
  pooledBytes += bytes;
  pooledCount++;
}

/** What the pool holds (for tests and memory reports). */
export function poolStats(): { buffers: number; bytes: number } {
  return { buffers: pooledCount, bytes: pooledBytes };
}

/** Empties the pool. */
export function clearPool(): void {
  free.clear();
  pooledBytes = 0;
  pooledCount = 0;
}
