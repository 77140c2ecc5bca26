// Op definitions of sort (a stable sort's permutation along a dim) and kthIndex: int32 indices, no gradient.
import type { Inferred, KernelOpDef } from '../op.js';

export const sortDef: KernelOpDef<'sort'> = {
  kind: 'kernel',
  overwrites: true,
  // NOTE: only the permutation is a primitive: the values are a gather of the input at it, whose
  // backward sends each gradient back to the element it came from (PyTorch's sort backward).
  infer: ([x]): Inferred => ({ shape: x!.shape, dtype: 'int32' }),
};

export const kthIndexDef: KernelOpDef<'kthIndex'> = {
  kind: 'kernel',
  overwrites: true,
  // (kthvalue's values are a gather at this index, as sort's)
  infer: ([x], { dim }): Inferred => ({
    shape: x!.shape.map((s, d) => (d === dim ? 1 : s)),
    dtype: 'int32',
  }),
};
