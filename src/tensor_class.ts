// The Tensor class as the layers below the API see it: src/tensor.ts registers itself here.
import type { DType } from './dtype.js';
import type { Storage } from './memory.js';
import type { View } from './shape.js';
import type { Tensor } from './tensor.js';

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

/** `value instanceof Tensor`, for modules below the API layer. */
export function isTensor(value: unknown): value is Tensor {
  return TensorClass !== undefined && value instanceof TensorClass;
}
