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

const free = new Map<string, TypedArray[]>();
let pooledBytes = 0;
let pooledCount = 0;
/** One return of a buffer to the pool. */
interface Returned {
  readonly key: string;
  readonly a: TypedArray;
}
/**
 * Returns, oldest first. An entry is live while it is its buffer's latest return and the buffer is
 * still pooled; entries for buffers taken back (or returned again) since are skipped and compacted.
 */
let order: Returned[] = [];
let orderHead = 0;
/** Each pooled buffer's latest return. */
const pooled = new Map<TypedArray, Returned>();
const live = (e: Returned) => pooled.get(e.a) === e;

const keyOf = (dtype: DType, size: number) => `${dtype}:${size}`;

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
    const list = free.get(keyOf(dtype, size));
    const a = list?.pop();
    if (a !== undefined) {
      pooled.delete(a);
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
  while (pooledBytes + bytes > MAX_BYTES && orderHead < order.length) {
    const e = order[orderHead++]!;
    if (!live(e)) continue;
    const { key, a } = e;
    pooled.delete(a);
    const list = free.get(key)!;
    list.splice(list.indexOf(a), 1);
    pooledBytes -= a.byteLength;
    pooledCount--;
  }
}

/** Drops the queue entries of buffers taken back since, once they are most of it. */
function compact(): void {
  if (order.length - orderHead < 1024 + 2 * pooledCount) return;
  order = order.slice(orderHead).filter(live);
  orderHead = 0;
}

/** Takes back a buffer no tensor uses any more. */
export function returnArray(a: TypedArray): void {
  const bytes = a.byteLength;
  if (bytes < MIN_BYTES || bytes > MAX_BYTES || pooled.has(a)) return;
  evictFor(bytes);
  const key = keyOf(dtypeOfArray(a), a.length);
  const list = free.get(key);
  if (list === undefined) free.set(key, [a]);
  else list.push(a);
  const e = { key, a };
  pooled.set(a, e);
  order.push(e);
  pooledBytes += bytes;
  pooledCount++;
  compact();
}

/** What the pool holds (for tests and memory reports). */
export function poolStats(): { buffers: number; bytes: number } {
  let buffers = 0;
  for (const l of free.values()) buffers += l.length;
  return { buffers, bytes: pooledBytes };
}

/** @internal Entries in the return queue, live or stale (for the test that it stays bounded). */
export function poolQueueLength(): number {
  return order.length - orderHead;
}

/** Empties the pool. */
export function clearPool(): void {
  free.clear();
  pooled.clear();
  pooledBytes = 0;
  pooledCount = 0;
  order = [];
  orderHead = 0;
}
