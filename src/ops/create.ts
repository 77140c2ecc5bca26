// Making tensors from host data: the creation helpers that ops, backward rules and functions share.
import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import {
  DEFAULT_FLOAT,
  allocArray,
  castScalar,
  checkedScalar,
  type DType,
  type TypedArray,
} from '../dtype.js';
import { ShapeError } from '../errors.js';
import { checkScalarArg, defineOptions, DTYPE, type Spec } from '../options.js';
import { keep, Storage } from '../memory.js';
import { contiguousView, numel, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { createTensor } from '../tensor_class.js';

export interface CreateOptions {
  readonly dtype?: DType;
  readonly requiresGrad?: boolean;
  /** The backend to create the tensor on (default: the current backend). */
  readonly device?: string;
}

/** The keys every creation function takes. */
export const CREATE_SPEC: Spec<CreateOptions> = {
  dtype: DTYPE,
  requiresGrad: 'boolean',
  device: 'string',
};

const FULL = defineOptions<CreateOptions>('full', CREATE_SPEC);

function backendOf(opts: CreateOptions | undefined): Backend {
  return getBackend(opts?.device);
}

/** @internal Wraps host data (already of `dtype`) in a new contiguous tensor. */
export function fromArray(
  data: TypedArray,
  shape: Shape,
  dtype: DType,
  opts?: CreateOptions,
): Tensor {
  const backend = backendOf(opts);
  const storage = Storage.alloc(backend, dtype, data.length);
  if (data.length > 0) backend.write(storage.buffer, data, 0);
  const t = createTensor(storage, contiguousView([...shape]), dtype, null);
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

const shapeText = (shape: readonly number[]): string => `[${shape.map(String).join(', ')}]`;

export function checkShape(shape: readonly number[]): number[] {
  let n = 1;
  for (const s of shape) {
    if (!Number.isInteger(s)) {
      throw new ShapeError(
        `Trying to create tensor with dimension ${String(s)}: ${shapeText(shape)}; a dimension must be a non-negative integer`,
      );
    }
    if (s < 0) {
      throw new ShapeError(
        `Trying to create tensor with negative dimension ${s}: ${shapeText(shape)}`,
      );
    }
    n *= s;
  }
  if (n > Number.MAX_SAFE_INTEGER)
    throw new ShapeError(`Storage size calculation overflowed with sizes=${shapeText(shape)}`);
  return [...shape];
}

/** Accepts both `zeros([2, 3])` and `zeros(2, 3)`. */
export type ShapeArgs = readonly [readonly number[]] | readonly number[];

/** full(shape, value): a tensor filled with `value` (float32 unless a dtype is given, bool for booleans). */
export function full(
  shape: readonly number[],
  value: number | boolean,
  opts?: CreateOptions,
): Tensor {
  FULL.check(opts);
  checkScalarArg('full', 'fillValue', value, false);
  const s = checkShape(shape);
  const dtype = opts?.dtype ?? (typeof value === 'boolean' ? 'bool' : DEFAULT_FLOAT);
  const v = checkedScalar(Number(value), dtype);
  const n = numel(s);
  // NOTE: straight into the backend's buffer (zero-filled already, or filled a chunk at a time):
  // a host array of the whole size first would double the peak memory and copy it all once more.
  const backend = backendOf(opts);
  const zero = Object.is(v, 0); // not -0: full([2], -0) is [-0, -0], as in PyTorch
  const storage = Storage.alloc(backend, dtype, n, !zero);
  if (!zero && n > 0) {
    const chunk = allocArray(dtype, Math.min(n, FILL_CHUNK)).fill(v);
    for (let at = 0; at < n; at += chunk.length) {
      backend.write(storage.buffer, n - at < chunk.length ? chunk.subarray(0, n - at) : chunk, at);
    }
  }
  const t = createTensor(storage, contiguousView(s), dtype, null);
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Elements full() writes at a time. */
const FILL_CHUNK = 1 << 16;

/** A 0-d tensor holding `value` as `dtype` on `like`'s backend: how scalar operands enter ops. */
export function scalarTensor(value: number | boolean, dtype: DType, device: string): Tensor {
  let byDType = scalarCache.get(device);
  if (byDType === undefined) scalarCache.set(device, (byDType = new Map()));
  let byValue = byDType.get(dtype);
  if (byValue === undefined) byDType.set(dtype, (byValue = new Map()));
  // (Map keys compare with SameValueZero: -0 would find +0's tensor.)
  const key = Object.is(value, -0) ? 'negative zero' : value;
  let t = byValue.get(key);
  if (t === undefined || t.isDisposed) {
    if (++scalarCount > SCALAR_CACHE_SIZE) {
      scalarCache.clear();
      scalarCount = 0;
      return scalarTensor(value, dtype, device);
    }
    const arr = allocArray(dtype, 1);
    arr[0] = castScalar(Number(value), dtype);
    t = keep(fromArray(arr, [], dtype, { device }));
    byValue.set(key, t);
  }
  return t;
}

// NOTE: scalar operands (x.mul(2)) become 0-d tensors; they are shared from this cache because
// nothing writes into them (they are never returned to the user, only read by ops and backward).
// Keyed by device, then dtype, then value, so that a lookup builds no string.
const SCALAR_CACHE_SIZE = 512;
const scalarCache = new Map<string, Map<DType, Map<number | boolean | string, Tensor>>>();
let scalarCount = 0;
