/* The WebAssembly build: every kernel (NB_ISA wasm) plus the few libc functions the compiler may
 * call. No libc, no allocator: the host lays out the meta block, operands and workspaces in linear
 * memory above __heap_base and passes their addresses. Exports are named in scripts/build-wasm.sh. */
#define NB_ISA wasm
#include "../eltwise.c"
#include "../fused.c"
#include "../gemm.c"
#include "../index.c"
#include "../optim.c"
#include "../reduce.c"
#include "../window.c"
#include "../conv.c"
#include "../norm.c"

int32_t nb_wasm_abi(void) { return NB_ABI_VERSION; }

/* The address of NB_CONTRACT (NUL-terminated) in linear memory: the host checks it at load. */
const char *nb_wasm_contract(void) { return NB_CONTRACT; }

int32_t nb_wasm_sgemm_ws_floats(const int32_t *meta) { return (int32_t)nb_wasm_sgemm_ws(meta); }

/* GEMM with one workspace per share: share tid uses ws + tid * ws_stride floats. */
void nb_wasm_gemm(const int32_t *meta, float *c, const float *a, const float *b, const float *bias,
                  float *ws, int32_t ws_stride, int tid, int nt) {
  nb_wasm_sgemm(meta, c, a, b, bias, ws + (intptr_t)tid * ws_stride, tid, nt);
}

int32_t nb_wasm_conv_ws_floats(const int32_t *meta) { return (int32_t)nb_wasm_conv_ws(meta); }
int32_t nb_wasm_conv_partials_floats(const int32_t *meta) {
  return (int32_t)nb_wasm_conv_partials(meta);
}

/* Convolution with one workspace per share, as nb_wasm_gemm. */
void nb_wasm_conv(const int32_t *meta, float *out, const float *x, const float *w,
                  const float *bias, float *ws, int32_t ws_stride, int tid, int nt) {
  nb_wasm_conv2d(meta, out, x, w, bias, ws + (intptr_t)tid * ws_stride, tid, nt);
}
void nb_wasm_conv_wgrad(const int32_t *meta, float *partial, const float *gy, const float *x,
                        float *ws, int32_t ws_stride, int tid, int nt) {
  nb_wasm_conv2d_wgrad(meta, partial, gy, x, ws + (intptr_t)tid * ws_stride, tid, nt);
}

void nb_wasm_conv_dgrad(const int32_t *meta, float *dx, const float *gy, const float *w, float *ws,
                        int32_t ws_stride, int tid, int nt) {
  nb_wasm_conv2d_dgrad(meta, dx, gy, w, ws + (intptr_t)tid * ws_stride, tid, nt);
}

/* Freestanding libc: what clang lowers struct copies and zeroing loops to. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  __builtin_memcpy(dst, src, n); /* memory.copy (bulk memory) */
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n); /* memory.fill */
  return dst;
}
