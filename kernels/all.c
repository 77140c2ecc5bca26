/* One build of every kernel for the ISA named by NB_ISA, and its kernel table NB_FN(table). */
#include "eltwise.c"
#include "fused.c"
#include "gemm.c"
#include "index.c"
#include "optim.c"
#include "reduce.c"
#include "window.c"
#include "conv.c"
#include "norm.c"

/* Runs iters steps of 12 independent FMA chains (iters * 12 * NB_VL * 2 flops): the machine's FMA
 * peak when timed. The result only keeps the work from being optimised away. */
float NB_FN(fma_probe)(int64_t iters) {
  vf a[12];
  vf b = vset1(0.99999f), c = vset1(1e-6f);
  for (int i = 0; i < 12; i++) a[i] = vset1((float)i);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = vfma(a[i], b, c);
  }
  float s = 0;
  for (int i = 0; i < 12; i++) s += a[i][0];
  return s;
}

int32_t NB_FN(vector_lanes)(void) { return NB_VL; }

const nb_kernel_table NB_FN(table) = {
    NB_STR(NB_ISA),     NB_ABI_VERSION, NB_CONTRACT,     NB_FN(sgemm_ws), NB_FN(sgemm), NB_FN(unary),
    NB_FN(binary),      NB_FN(compare), NB_FN(where),    NB_FN(reduce), NB_FN(sgd),
    NB_FN(adam),        NB_FN(unfold),  NB_FN(fold),     NB_FN(maxpool_index), NB_FN(log_softmax), NB_FN(bn_stats), NB_FN(bn_apply), NB_FN(conv_ws), NB_FN(conv2d), NB_FN(conv_partials), NB_FN(conv2d_wgrad), NB_FN(conv2d_wgrad_sum), NB_FN(conv2d_dgrad), NB_FN(gather), NB_FN(scatter), NB_FN(maxpool_backward), NB_FN(fused),
    NB_FN(fma_probe),   NB_FN(vector_lanes),
};
