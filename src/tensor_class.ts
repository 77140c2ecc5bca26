// The Tensor class as the layers below the API see it: src/tensor.ts registers itself here.
import type { DType } from './dtype.js';
import type { Storage, StorageSource } from './memory.js';
import type { View } from './shape.js';
import type { Backend, Fusion } from './backend/backend.js';
import type { Tensor } from './tensor.js';

/**
 * A fused elementwise expression not yet computed (src/ops/fusion.ts): `program` (Fusion's
 * instruction format) over `leaves`, computed tensors each read as a contiguous run of `n` float32
 * elements from `offsets[k]` of `sources[k]`'s storage, or as one element broadcast (`scalars[k]`).
 */
export interface Pending {
  readonly backend: Backend;
  readonly fusion: Fusion<unknown>;
  readonly n: number;
  /** Held so that their storages stay alive (and are not finalised) while the expression is. */
  readonly leaves: readonly Tensor[];
  readonly sources: readonly StorageSource[];
  readonly offsets: readonly number[];
  readonly scalars: readonly boolean[];
  readonly program: readonly number[];
}

// NOTE: memory, autograd and ops make and recognise tensors without importing src/tensor.ts (the
// API layer, whose methods call back down into them): tensor.ts hands its class over when it
// loads. No tensor can exist before then, so isTensor() is exact and createTensor() always finds it.
let TensorClass: typeof Tensor | undefined;

/** @internal Called once, by src/tensor.ts. */
export function registerTensorClass(cls: typeof Tensor): void {
  TensorClass = cls;
}

/** @internal A new tensor (an instance of the public Tensor class) over `storage`. */
export function createTensor(
  storage: Storage,
  view: View,
  dtype: DType,
  base: Tensor | null,
): Tensor {
  if (TensorClass === undefined) throw new Error('internal error: src/tensor.ts is not loaded');
  return TensorClass._create(storage, view, dtype, base);
}

/** @internal A pending tensor (src/ops/fusion.ts): contiguous, its data computed on first touch. */
export function createPendingTensor(view: View, dtype: DType, pending: Pending): Tensor {
  if (TensorClass === undefined) throw new Error('internal error: src/tensor.ts is not loaded');
  return TensorClass._createPending(view, dtype, pending);
}

/** `value instanceof Tensor`, for modules below the API layer. */
export function isTensor(value: unknown): value is Tensor {
  return TensorClass !== undefined && value instanceof TensorClass;
}
