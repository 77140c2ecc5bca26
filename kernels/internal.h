/* Shared by the kernel sources: per-ISA symbol names and how a share of the work is chosen. */
#ifndef NB_INTERNAL_H
#define NB_INTERNAL_H

#include "nabla.h"
#include "simd.h"

/* Each kernel source is compiled once per ISA (kernels/isa/); NB_ISA names the build. */
#ifndef NB_ISA
#define NB_ISA generic
#endif
#define NB_CAT3_(a, b, c) a##_##b##_##c
#define NB_CAT3(a, b, c) NB_CAT3_(a, b, c)
#define NB_FN(name) NB_CAT3(nb, NB_ISA, name)

/* The share [*lo, *hi) of `n` items that worker tid of nt takes, boundaries rounded to `align`. */
static inline void nb_share(intptr_t n, intptr_t align, int tid, int nt, intptr_t *lo,
                            intptr_t *hi) {
  intptr_t units = (n + align - 1) / align;
  intptr_t a = units * tid / nt * align;
  intptr_t b = units * (tid + 1) / nt * align;
  *lo = a < n ? a : n;
  *hi = b < n ? b : n;
}

/* Advances a multi-index over `shape` (ndim dims, skipping the innermost `skip` dims) by one,
 * updating the element offsets of `nops` operands. */
static inline void nb_step(int ndim, const int32_t *shape, int32_t *idx, int nops,
                           const int32_t *const *strides, intptr_t *offs) {
  for (int d = ndim - 1; d >= 0; d--) {
    idx[d]++;
    for (int k = 0; k < nops; k++) offs[k] += strides[k][d];
    if (idx[d] < shape[d]) return;
    for (int k = 0; k < nops; k++) offs[k] -= (intptr_t)strides[k][d] * shape[d];
    idx[d] = 0;
  }
}

#endif
