/* nabla's kernel library: the C ABI shared by the WebAssembly build and the native Node addon.
 *
 * Every kernel takes a small int32 "meta" block that describes shapes, strides and element offsets
 * (laid out below; src/backend/fast/meta.ts writes the same layout), the data pointers, and
 * (tid, nt): a kernel call computes only share `tid` of `nt` and the host runs all nt shares,
 * concurrently or not. How the work is split never changes a result: each output element is
 * computed by the same arithmetic in the same order whatever nt is, so results are bit-identical
 * for any thread count.
 *
 * Sizes, strides and offsets are int32: a tensor handled by these kernels has fewer than 2^31
 * elements (larger ones stay on the JavaScript path). Address arithmetic is done in intptr_t.
 * Strides may be 0 (broadcast) or negative. Outputs are contiguous and never alias inputs. */
#ifndef NABLA_H
#define NABLA_H

#include <stddef.h>
#include <stdint.h>

#define NB_MAXDIM 8
#define NB_ABI_VERSION 13

/* The meta block: NB_META_INTS int32 values followed by NB_META_DOUBLES doubles (8-byte aligned). */
#define NB_META_INTS 128
#define NB_META_DOUBLES 16
#define NB_META_BYTES (NB_META_INTS * 4 + NB_META_DOUBLES * 8)
#define NB_META_D(meta) ((const double *)(const void *)((meta) + NB_META_INTS))

/* ---- Elementwise walks (unary, binary, compare, where). Operand 0 is the output. ----
 * meta[NB_W_OP] op code, [NB_W_NDIM] dims (1..NB_MAXDIM, innermost last), [NB_W_NOPS] operands
 * (2..4), shape at NB_W_SHAPE, operand k's strides at NB_W_STRIDES + k * NB_MAXDIM, operand k's
 * element offset at NB_W_OFFSETS + k. Doubles: clamp's bounds (NB_CLAMP_SCALARS below). */
#define NB_W_OP 0
#define NB_W_NDIM 1
#define NB_W_NOPS 2
#define NB_W_SHAPE 4
#define NB_W_STRIDES (NB_W_SHAPE + NB_MAXDIM)
#define NB_W_OFFSETS (NB_W_STRIDES + 4 * NB_MAXDIM)

/* The op lists are X-macros, X(ENUM_NAME, name): they make the op-code enums, the kernels' row
 * tables and the contract string below, and kbench's names. `name` is the name nabla's TypeScript
 * side (src/backend/fast/meta.ts) gives the kernel; codes follow list order. */
#define NB_UNARY_OPS(X)                                                                          \
  X(COPY, copy)         \
  X(NEG, neg)           \
  X(ABS, abs)           \
  X(SIGN, sign)         \
  X(EXP, exp)           \
  X(LOG, log)           \
  X(LOG1P, log1p)       \
  X(EXPM1, expm1)       \
  X(SQRT, sqrt)         \
  X(RSQRT, rsqrt)       \
  X(TANH, tanh)         \
  X(SIGMOID, sigmoid)   \
  X(RELU, relu)         \
  X(FLOOR, floor)       \
  X(CEIL, ceil)         \
  X(ROUND, round)       \
  X(CLAMP, clamp)       \
  X(ERF, erf)
#define NB_BINARY_OPS(X)                                                                 \
  X(ADD, add) X(SUB, sub) X(MUL, mul) X(DIV, div) X(MAXIMUM, maximum) X(MINIMUM, minimum) \
  X(RELU_BACKWARD, reluBackward)
#define NB_COMPARE_OPS(X) X(EQ, eq) X(NE, ne) X(LT, lt) X(LE, le) X(GT, gt) X(GE, ge)

#define NB_ENUM_(N, n) NB_##N,
enum nb_unary_op { NB_UNARY_OPS(NB_ENUM_) NB_UNARY_COUNT };
enum nb_binary_op { NB_BINARY_OPS(NB_ENUM_) NB_BINARY_COUNT };
enum nb_compare_op { NB_COMPARE_OPS(NB_ENUM_) NB_COMPARE_COUNT };

/* ---- Fused elementwise programs (kernels/fused.c): out[i] = the program at element i, i < n. ----
 * meta[NB_F_N] elements, [NB_F_NLEAVES] leaves (at most NB_F_MAXLEAVES), [NB_F_NINSTR]
 * instructions (1..NB_F_MAXINSTR). Leaf v: element offset at NB_F_LEAF + 2v, stride (1: a
 * contiguous run of n, 0: one element broadcast) at NB_F_LEAF + 2v + 1. Instruction k at
 * NB_F_PROG + 3k: op (a unary op code, or NB_F_BINARY + a binary op code), operands a and b
 * (b = -1 for a unary op). Value v < nleaves is leaf v, value nleaves + k the result of
 * instruction k; the last instruction's result is the output. Supported ops: neg, abs, exp, log,
 * sqrt, tanh, sigmoid, relu and every binary op, each exactly as its own kernel computes it. */
#define NB_F_N 0
#define NB_F_NLEAVES 1
#define NB_F_NINSTR 2
#define NB_F_LEAF 4
#define NB_F_MAXLEAVES 8
#define NB_F_PROG 20 /* NB_F_LEAF + 2 * NB_F_MAXLEAVES */
#define NB_F_MAXINSTR 16
#define NB_F_BINARY 32

/* ---- Reductions over float32: output contiguous over the kept dims (in order). ----
 * meta[NB_R_OP] op, [NB_R_NKEPT] kept dims, [NB_R_NRED] reduced dims, [NB_R_OFFSET] input offset,
 * kept shape and strides, reduced shape and strides (row-major order of the reduced block). */
#define NB_R_OP 0
#define NB_R_NKEPT 1
#define NB_R_NRED 2
#define NB_R_OFFSET 3
#define NB_R_KSHAPE 4
#define NB_R_KSTRIDES (NB_R_KSHAPE + NB_MAXDIM)
#define NB_R_RSHAPE (NB_R_KSTRIDES + NB_MAXDIM)
#define NB_R_RSTRIDES (NB_R_RSHAPE + NB_MAXDIM)

/* sum, prod, amax, amin write float32; argmax, argmin write int32 (index in the reduced block). */
#define NB_REDUCE_OPS(X) \
  X(SUM, sum) X(PROD, prod) X(AMAX, amax) X(AMIN, amin) X(ARGMAX, argmax) X(ARGMIN, argmin)
enum nb_reduce_op { NB_REDUCE_OPS(NB_ENUM_) NB_REDUCE_COUNT };

/* ---- Batched GEMM: C[b] (M x N, contiguous, batch-major) = A[b] (M x K) . B[b] (K x N). ----
 * A(i, p) = A[offA + i*sam + p*sak]; B(p, j) = B[offB + p*sbk + j*sbn]; batch dims (row-major,
 * strides per operand, 0 = broadcast) add their offsets. Any layout works: transposes are strides. */
#define NB_G_M 0
#define NB_G_N 1
#define NB_G_K 2
#define NB_G_SAM 3
#define NB_G_SAK 4
#define NB_G_SBK 5
#define NB_G_SBN 6
#define NB_G_OFFA 7
#define NB_G_OFFB 8
#define NB_G_NBATCH 9
#define NB_G_BSHAPE 10
#define NB_G_BSTRA (NB_G_BSHAPE + NB_MAXDIM)
#define NB_G_BSTRB (NB_G_BSTRA + NB_MAXDIM)
/* NB_G_BIAS 1: C starts from bias[NB_G_OFFBIAS + j] (contiguous, one per column: linear's x . W^T
 * + b) instead of 0; the bias pointer is ignored otherwise. */
#define NB_G_BIAS (NB_G_BSTRB + NB_MAXDIM)
#define NB_G_OFFBIAS (NB_G_BIAS + 1)
/* NB_G_ACT: the activation applied to C as it is stored (NB_ACT_*). */
#define NB_G_ACT (NB_G_OFFBIAS + 1)
/* Activations fused into a product's store: none, relu, or GELU as F.gelu composes it,
 * (x * 0.5) * (erf(x * sqrt(1/2)) + 1), each operation rounded to float32. */
#define NB_ACT_NONE 0
#define NB_ACT_RELU 1
#define NB_ACT_GELU 2

/* ---- log_softmax of a contiguous float32 [outer, len, inner] along len, read from element
 * NB_LS_OFFSET of the input. ----
 * Per row: m = the max (NaN if any element is NaN; 0 where it is +-inf), then
 * out = (x - m) - log(sum exp(x - m)). A share is a range of rows (inner = 1) or of
 * (outer, block of NB_VL inner positions); each row is summed in one fixed order. */
#define NB_LS_OUTER 0
#define NB_LS_LEN 1
#define NB_LS_INNER 2
#define NB_LS_OFFSET 3

/* ---- Batch norm over a contiguous float32 [N, C, S] (S: the spatial positions), x read from
 * element NB_BN_XOFF and g from NB_BN_GOFF. ----
 * bn_stats without g: out[c] = the mean, out[C + c] = the biased variance of channel c (one pass
 * of double sums shifted by the channel's first value); with g: out[c] = sum g, out[C + c] =
 * sum g * (x - coef[c]). A share is a range of channels, each summed in one fixed order.
 * bn_apply: out = (x - coef[c]) * coef[C + c] + coef[2C + c], plus g * coef[3C + c] with g (the
 * forward's scale and shift; training's input gradient). A share is a range of rows (n, c), or of
 * samples n when S = 1 (then vectorised over the channels). */
#define NB_BN_N 0
#define NB_BN_C 1
#define NB_BN_S 2
#define NB_BN_XOFF 3
#define NB_BN_GOFF 4

/* ---- Sliding windows (unfold / fold) over float32 images. ----
 * unfold reads an image [N, C, H, W] at strides NB_U_STRIDES (4) from NB_U_OFFSET and writes
 * [N, C*kh*kw, oH*oW]; fold reads columns [N, C*kh*kw, oH*oW] at strides (n, row, l) and writes
 * the image [N, C, H, W]. oH x oW is the grid of window positions. maxpool_index reads an image
 * as unfold does and writes int32 [N, C, oH, oW]: for each window, h * W + w of its maximum (the
 * first one; a NaN counts as larger than any number, the last NaN wins), PyTorch's indices. */
#define NB_U_N 0
#define NB_U_C 1
#define NB_U_H 2
#define NB_U_W 3
#define NB_U_STRIDES 4
#define NB_U_OFFSET 8
#define NB_U_KH 9
#define NB_U_KW 10
#define NB_U_DH 11
#define NB_U_DW 12
#define NB_U_PH 13
#define NB_U_PW 14
#define NB_U_SH 15
#define NB_U_SW 16
#define NB_U_OH 17
#define NB_U_OW 18

/* ---- 2-d convolution (groups = 1) over float32. ----
 * The input image as unfold reads it (NB_U_*: [N, C, H, W] at strides, kernel, dilation, padding,
 * stride and the output grid oH x oW), plus the output channels O, the weight [O, C, kh, kw]
 * (contiguous, from NB_CV_WOFF), the bias [O] (from NB_CV_BOFF; used when NB_CV_BIAS is 1) and,
 * for the weight gradient, dY [N, O, oH, oW] (contiguous, from NB_CV_GOFF). conv2d writes
 * [N, O, oH, oW]; conv2d_wgrad writes conv_partials(meta) floats of partial sums, which
 * conv2d_wgrad_sum adds into dW [O, C, kh, kw]; conv2d_dgrad writes the input's gradient
 * [N, C, H, W] (contiguous) from dY and the weight. */
#define NB_CV_O 20
#define NB_CV_WOFF 21
#define NB_CV_BOFF 22
#define NB_CV_BIAS 23
#define NB_CV_GOFF 24
/* conv2d's activation (NB_ACT_NONE or NB_ACT_RELU), applied as the output is stored. */
#define NB_CV_ACT 25

/* ---- gather / scatter / scatter-add: float32 values, int32 indices. ----
 * A walk over the index's positions (row-major, coalesced) moving three operands: 0 the index,
 * 1 the target (gather: x; scatter: out) with stride 0 along the indexed dim, 2 the value (gather:
 * out; scatter: src). meta[NB_X_OP] op, [NB_X_NDIM] dims (1..NB_MAXDIM), [NB_X_DIM] the walk dim
 * that is the indexed dim (-1 when the index has size 1 there), [NB_X_SIZE] the target's size
 * along the indexed dim, [NB_X_SEL] its stride there, the shape at NB_X_SHAPE, operand k's
 * strides at NB_X_STRIDES + k * NB_MAXDIM and its element offset at NB_X_OFFSETS + k. scatter's
 * copy of x into out (run first, by the unary kernel) is an elementwise walk at meta + NB_X_COPY. */
#define NB_X_OP 0
#define NB_X_NDIM 1
#define NB_X_DIM 2
#define NB_X_SIZE 3
#define NB_X_SEL 4
#define NB_X_SHAPE 8
#define NB_X_STRIDES (NB_X_SHAPE + NB_MAXDIM)
#define NB_X_OFFSETS (NB_X_STRIDES + 3 * NB_MAXDIM)
#define NB_X_COPY 64

/* ---- maxpool_backward: out [planes, size] = 0, then out[p, index[p, l]] += g[p, l] for each l in
 * order (max pooling's input gradient: the gradient of a gather along the last dim). g and the
 * int32 index are [planes, L] at element strides (plane, l) from their offsets; out is
 * contiguous. A plane holding an index outside [-size, size) is left at zero (the host checked
 * them: they are the gather's). A share is a range of planes, each zeroed and filled while it is
 * in cache. ---- */
#define NB_MB_PLANES 0
#define NB_MB_L 1
#define NB_MB_SIZE 2
#define NB_MB_GS0 3
#define NB_MB_GS1 4
#define NB_MB_IS0 5
#define NB_MB_IS1 6
#define NB_MB_GOFF 7
#define NB_MB_IOFF 8

#define NB_INDEX_OPS(X) X(GATHER, gather) X(SCATTER, scatter) X(SCATTER_ADD, scatterAdd)
enum nb_index_op { NB_INDEX_OPS(NB_ENUM_) NB_INDEX_COUNT };

/* ---- Fused optimizer updates over contiguous float32 arrays of meta[NB_O_N] elements. ----
 * The doubles are the scalars of NB_SGD_SCALARS / NB_ADAM_SCALARS below, in list order; stepSize
 * is lr / (1 - beta1^t) and biasCorrection2Sqrt is sqrt(1 - beta2^t). Each scalar is rounded to
 * float32 and every operation rounds to float32 in the order of PyTorch's single-tensor algorithm.
 * meta[NB_O_FLAGS] holds the bits of NB_OPT_FLAGS (bit i = the i-th flag). */
#define NB_O_N 0
#define NB_O_FLAGS 1
/* first (SGD): the momentum buffer is created from this step's d. */
#define NB_OPT_FLAGS(X)                                                             \
  X(MAXIMIZE, maximize) X(NESTEROV, nesterov) X(FIRST, first) X(DECOUPLED, decoupled) \
  X(AMSGRAD, amsgrad)
#define NB_BIT_(N, n) NB_OPT_BIT_##N,
enum nb_opt_bit { NB_OPT_FLAGS(NB_BIT_) NB_OPT_FLAG_COUNT };
#define NB_OPT_MAXIMIZE (1 << NB_OPT_BIT_MAXIMIZE)
#define NB_OPT_NESTEROV (1 << NB_OPT_BIT_NESTEROV)
#define NB_OPT_FIRST (1 << NB_OPT_BIT_FIRST)
#define NB_OPT_DECOUPLED (1 << NB_OPT_BIT_DECOUPLED)
#define NB_OPT_AMSGRAD (1 << NB_OPT_BIT_AMSGRAD)

/* ---- Scalar arguments: the meta block's doubles, X(ENUM_NAME, name) at position = list order.
 * The names are the fields of the TypeScript objects they come from (src/backend/fast/meta.ts
 * SCALARS). Kernels read them as d[NB_SGD_LR] and so on. */
#define NB_CLAMP_SCALARS(X) X(MIN, min) X(MAX, max)
#define NB_SGD_SCALARS(X) \
  X(LR, lr) X(WEIGHT_DECAY, weightDecay) X(MOMENTUM, momentum) X(DAMPENING, dampening)
#define NB_ADAM_SCALARS(X)                                                             \
  X(LR, lr) X(WEIGHT_DECAY, weightDecay) X(BETA1, beta1) X(BETA2, beta2) X(EPS, eps) \
  X(STEP_SIZE, stepSize) X(BC2_SQRT, biasCorrection2Sqrt)
#define NB_CLAMP_(N, n) NB_CLAMP_##N,
#define NB_SGD_(N, n) NB_SGD_##N,
#define NB_ADAM_(N, n) NB_ADAM_##N,
enum nb_clamp_scalar { NB_CLAMP_SCALARS(NB_CLAMP_) NB_CLAMP_SCALAR_COUNT };
enum nb_sgd_scalar { NB_SGD_SCALARS(NB_SGD_) NB_SGD_SCALAR_COUNT };
enum nb_adam_scalar { NB_ADAM_SCALARS(NB_ADAM_) NB_ADAM_SCALAR_COUNT };

/* ---- The contract: everything above that the host must agree on, as one string that the addon
 * (`contract`) and the wasm modules (nb_wasm_contract) export and nabla compares with its own
 * tables at load: "abi=5;meta=ints:128,...;unary=copy,neg,...;...". Sections are `key=value`
 * separated by ';', list items end with ','. */
#define NB_STR_(x) #x
#define NB_STR(x) NB_STR_(x)
#define NB_NAME_(N, n) #n ","
#define NB_CONTRACT                                                                                \
  "abi=" NB_STR(NB_ABI_VERSION)                                                                    \
  ";meta=ints:" NB_STR(NB_META_INTS) ",doubles:" NB_STR(NB_META_DOUBLES)                           \
  ",maxdim:" NB_STR(NB_MAXDIM) ",xcopy:" NB_STR(NB_X_COPY) ","                                     \
  ";unary=" NB_UNARY_OPS(NB_NAME_)                                                                 \
  ";binary=" NB_BINARY_OPS(NB_NAME_)                                                               \
  ";compare=" NB_COMPARE_OPS(NB_NAME_)                                                             \
  ";reduce=" NB_REDUCE_OPS(NB_NAME_)                                                               \
  ";index=" NB_INDEX_OPS(NB_NAME_)                                                                 \
  ";optflags=" NB_OPT_FLAGS(NB_NAME_)                                                              \
  ";clamp=" NB_CLAMP_SCALARS(NB_NAME_)                                                             \
  ";sgd=" NB_SGD_SCALARS(NB_NAME_)                                                                 \
  ";adam=" NB_ADAM_SCALARS(NB_NAME_)                                                              \
  ";fused=leaves:" NB_STR(NB_F_MAXLEAVES) ",instrs:" NB_STR(NB_F_MAXINSTR) ",binary:"             \
  NB_STR(NB_F_BINARY) ",prog:" NB_STR(NB_F_PROG) ","

typedef struct nb_kernel_table {
  const char *isa;
  int32_t abi_version;
  /* NB_CONTRACT as this build saw it. */
  const char *contract;
  /* Floats of workspace each share needs (64-byte aligned by the host). */
  size_t (*sgemm_ws)(const int32_t *meta);
  void (*sgemm)(const int32_t *meta, float *c, const float *a, const float *b, const float *bias,
                float *ws, int tid, int nt);
  void (*unary)(const int32_t *meta, float *out, const float *x, int tid, int nt);
  void (*binary)(const int32_t *meta, float *out, const float *a, const float *b, int tid, int nt);
  void (*compare)(const int32_t *meta, uint8_t *out, const float *a, const float *b, int tid,
                  int nt);
  void (*where)(const int32_t *meta, float *out, const uint8_t *c, const float *a, const float *b,
                int tid, int nt);
  void (*reduce)(const int32_t *meta, void *out, const float *x, int tid, int nt);
  void (*sgd)(const int32_t *meta, float *p, const float *g, float *buf, int tid, int nt);
  void (*adam)(const int32_t *meta, float *p, const float *g, float *m, float *v, float *vmax,
               int tid, int nt);
  void (*unfold)(const int32_t *meta, float *out, const float *x, int tid, int nt);
  void (*fold)(const int32_t *meta, float *out, const float *cols, int tid, int nt);
  void (*maxpool_index)(const int32_t *meta, int32_t *out, const float *x, int tid, int nt);
  void (*log_softmax)(const int32_t *meta, float *out, const float *x, int tid, int nt);
  void (*bn_stats)(const int32_t *meta, float *out, const float *x, const float *coef,
                   const float *g, int tid, int nt);
  void (*bn_apply)(const int32_t *meta, float *out, const float *x, const float *coef,
                   const float *g, int tid, int nt);
  /* Floats of workspace each conv2d / conv2d_wgrad share needs (64-byte aligned by the host). */
  size_t (*conv_ws)(const int32_t *meta);
  void (*conv2d)(const int32_t *meta, float *out, const float *x, const float *w, const float *bias,
                 float *ws, int tid, int nt);
  /* Floats of the partial sums conv2d_wgrad writes. */
  size_t (*conv_partials)(const int32_t *meta);
  void (*conv2d_wgrad)(const int32_t *meta, float *partial, const float *gy, const float *x,
                       float *ws, int tid, int nt);
  void (*conv2d_wgrad_sum)(const int32_t *meta, float *dw, const float *partial, int tid, int nt);
  void (*conv2d_dgrad)(const int32_t *meta, float *dx, const float *gy, const float *w, float *ws,
                       int tid, int nt);
  /* An index out of range leaves its row untouched and sets *status to 1. */
  void (*gather)(const int32_t *meta, float *out, const float *x, const int32_t *index,
                 int32_t *status, int tid, int nt);
  void (*scatter)(const int32_t *meta, float *out, const int32_t *index, const float *src,
                  int32_t *status, int tid, int nt);
  void (*maxpool_backward)(const int32_t *meta, float *out, const float *g, const int32_t *index,
                           int tid, int nt);
  /* leaves: NB_F_NLEAVES pointers (see NB_F_*). */
  void (*fused)(const int32_t *meta, float *out, const float *const *leaves, int tid, int nt);
  /* iters steps of 12 independent FMA chains: iters * 12 * vector_lanes() * 2 flops. */
  float (*fma_probe)(int64_t iters);
  int32_t (*vector_lanes)(void);
} nb_kernel_table;

#endif
