// The default collate: a list of samples becomes one batch (tensors stacked, numbers made tensors, arrays and objects recursively), as torch's default_collate.
import type { DType } from '../dtype.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { isHostArray, tensor, type HostArray } from '../functions/creation.js';
import { stack } from '../functions/shape_ops.js';
import { Tensor } from '../tensor.js';

/** The type default collate turns a batch of `T` into. */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean | HostArray
    ? Tensor
    : T extends string
      ? string[]
      : T extends ReadonlyMap<infer K, infer V>
        ? Map<K, Collated<V>>
        : T extends readonly unknown[]
          ? { -readonly [K in keyof T]: Collated<T[K]> }
          : T extends object
            ? { -readonly [K in keyof T]: Collated<T[K]> }
            : unknown;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  return (x as object).constructor?.name ?? 'object';
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Numbers as one tensor. PyTorch makes int64 from Python ints and float64 from floats; JavaScript
 * has one number type, so (NOTE) a batch whose numbers are all integers in int32 range becomes an
 * int32 tensor (class labels, ready for crossEntropy) and any other batch a float32 tensor (the
 * library's default float). Return tensors from the dataset to choose the dtype yourself.
 */
function collateNumbers(batch: readonly unknown[]): Tensor {
  let integral = true;
  for (const v of batch) {
    if (typeof v !== 'number') {
      throw new ArgumentError(
        `default_collate: expected every element of the batch to be a number, found ${describe(v)}`,
      );
    }
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) integral = false;
  }
  const dtype: DType = integral ? 'int32' : 'float32';
  return tensor(batch as number[], { dtype });
}

function checkSameKind(batch: readonly unknown[], ok: (x: unknown) => boolean, kind: string): void {
  batch.forEach((x, i) => {
    if (!ok(x)) {
      throw new ArgumentError(
        `default_collate: element 0 of the batch is ${kind} but element ${i} is ${describe(x)}`,
      );
    }
  });
}

/**
 * torch.utils.data.default_collate: tensors are stacked on a new first dimension; numbers become a
 * tensor (see below for the dtype); booleans a bool tensor; typed arrays tensors, then stacked;
 * strings stay an array of strings; arrays (tuples) are transposed and collated position by
 * position; plain objects and Maps key by key.
 */
export function defaultCollate<T>(batch: readonly T[]): Collated<T> {
  return collate(batch) as Collated<T>;
}

function collate(batch: readonly unknown[]): unknown {
  if (batch.length === 0) throw new ArgumentError('default_collate: the batch is empty');
  const elem = batch[0];
  if (elem instanceof Tensor) {
    checkSameKind(batch, (x) => x instanceof Tensor, 'a Tensor');
    return stack(batch as Tensor[], 0);
  }
  if (typeof elem === 'number') return collateNumbers(batch);
  if (typeof elem === 'boolean') {
    checkSameKind(batch, (x) => typeof x === 'boolean', 'a boolean');
    return tensor(batch as boolean[]);
  }
  if (typeof elem === 'string') {
    checkSameKind(batch, (x) => typeof x === 'string', 'a string');
    return [...batch];
  }
  if (isHostArray(elem)) {
    checkSameKind(batch, isHostArray, 'a typed array');
    return collate(batch.map((a) => tensor(a as HostArray)));
  }
  if (Array.isArray(elem)) {
    checkSameKind(batch, Array.isArray, 'an array');
    const size = elem.length;
    for (const b of batch as unknown[][]) {
      if (b.length !== size) {
        throw new ShapeError(
          `default_collate: each element in list of batch should be of equal size (got ${size} and ${b.length})`,
        );
      }
    }
    return Array.from({ length: size }, (_, k) => collate((batch as unknown[][]).map((b) => b[k])));
  }
  if (elem instanceof Map) {
    checkSameKind(batch, (x) => x instanceof Map, 'a Map');
    const out = new Map<unknown, unknown>();
    for (const key of elem.keys()) {
      out.set(key, collate((batch as Map<unknown, unknown>[]).map((m) => m.get(key))));
    }
    return out;
  }
  if (isPlainObject(elem)) {
    checkSameKind(batch, isPlainObject, 'an object');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(elem)) {
      out[key] = collate((batch as Record<string, unknown>[]).map((o) => o[key]));
    }
    return out;
  }
  if (elem !== null && typeof (elem as { then?: unknown }).then === 'function') {
    throw new ArgumentError(
      "default_collate: found a Promise; the dataset's get() is asynchronous, so iterate the DataLoader with for await",
    );
  }
  throw new ArgumentError(
    `default_collate: batch must contain tensors, numbers, booleans, strings, typed arrays, arrays, Maps or plain objects; found ${describe(elem)}`,
  );
}

/**
 * torch's default_convert, used when automatic batching is off (batchSize: null): typed arrays
 * become tensors, arrays and plain objects are converted element by element, the rest is kept.
 */
export function defaultConvert(data: unknown): unknown {
  if (data instanceof Tensor) return data;
  if (isHostArray(data)) return tensor(data);
  if (Array.isArray(data)) return data.map(defaultConvert);
  if (data instanceof Map) {
    return new Map([...data].map(([k, v]) => [k, defaultConvert(v)] as const));
  }
  if (isPlainObject(data)) {
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, defaultConvert(v)]));
  }
  return data;
}
