// The fused path of the optimizers: a backend's FusedOps, used when every tensor of an update is a
// contiguous float32 tensor of that backend (otherwise the composed ops run).
import type { FusedOps, FusedTensor } from '../backend/backend.js';
import { beforeWrite } from '../memory.js';
import { isContiguous } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** The fused ops that can update `tensors` (nulls skipped) together, or null. */
export function fusedOpsFor(tensors: readonly (Tensor | null)[]): FusedOps<unknown> | null {
  const first = tensors[0];
  if (first === null || first === undefined) return null;
  const backend = first._backend;
  const fused = backend.fused;
  if (fused === undefined) return null;
  const n = first.numel();
  for (const t of tensors) {
    if (t === null) continue;
    if (
      t._backend !== backend ||
      t.dtype !== 'float32' ||
      t.numel() !== n ||
      t.isDisposed ||
      !isContiguous(t._layout)
    ) {
      return null;
    }
  }
  return fused;
}

/** The contiguous run a tensor occupies in its buffer. */
export function fusedTensor(t: Tensor): FusedTensor<unknown> {
  // NOTE: the fused kernels write before markWritten: pending tensors reading t are computed now.
  beforeWrite(t._storage);
  return { buffer: t._storage.buffer, offset: t._layout.offset, size: t.numel() };
}

/** Records an in-place write, as the composed in-place ops do. */
export function markWritten(...tensors: (Tensor | null)[]): void {
  for (const t of tensors) if (t !== null) t._storage.version++;
}
