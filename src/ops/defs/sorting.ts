// Op definition of sort: a stable sort's permutation along a dim (int32 indices, no gradient).
import type { Inferred, KernelOpDef } from '../op.js';

export const sortDef: KernelOpDef<'sort'> = {
  kind: 'kernel',
  overwrites: true,
  // NOTE: only the permutation is a primitive: the values are a gather of the input at it, whose
  // backward sends each gradient back to the element it came from (PyTorch's sort backward).
  infer: ([x]): Inferred => ({ shape: x!.shape, dtype: 'int32' }),
};
