// A pool of large typed arrays returned by dispose()/tidy(), so a training loop reuses its buffers
// instead of paying fresh allocations, page faults and garbage collection every step.
import { allocArray, dtypeOfArray, itemSize, type DType, type TypedArray } from '../../dtype.js';

/** Buffers smaller than this many bytes are cheap to allocate and are not pooled. */
const MIN_BYTES = 16 * 1024;
/** The most bytes the pool keeps (beyond that, released buffers go to the garbage collector). */
const MAX_BYTES = 256 * 1024 * 1024;

const free = new Map<string, TypedArray[]>();
let pooledBytes = 0;

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
      pooledBytes -= bytes;
      return overwrite ? (POISON ? poison(a) : a) : a.fill(0);
    }
  }
  const a = allocArray(dtype, size);
  return overwrite && POISON ? poison(a) : a;
}

/** Takes back a buffer no tensor uses any more. */
export function returnArray(a: TypedArray): void {
  const bytes = a.byteLength;
  if (bytes < MIN_BYTES || pooledBytes + bytes > MAX_BYTES) return;
  const key = keyOf(dtypeOfArray(a), a.length);
  const list = free.get(key);
  if (list === undefined) free.set(key, [a]);
  else list.push(a);
  pooledBytes += bytes;
}

/** What the pool holds (for tests and memory reports). */
export function poolStats(): { buffers: number; bytes: number } {
  let buffers = 0;
  for (const l of free.values()) buffers += l.length;
  return { buffers, bytes: pooledBytes };
}

/** Empties the pool. */
export function clearPool(): void {
  free.clear();
  pooledBytes = 0;
}
