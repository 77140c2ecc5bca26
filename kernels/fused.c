/* Fused elementwise chains: a short op program over float32 leaves (contiguous runs of n elements,
 * or single elements broadcast as scalars) run in one pass over memory. Each share walks its range
 * in blocks of NB_FB floats; every instruction runs over the whole block (so the dispatch costs
 * once per block, not per vector) into a block-sized register kept in L1, and the last one writes
 * the output. Each instruction computes exactly the expression of its standalone kernel
 * (eltwise.c's EX_* and vmaximum/vminimum), so a fused chain is bit-identical to the ops run one
 * by one. Included after eltwise.c. */

#define NB_FB 256

/* One instruction as eltwise.c's binary row loop; a unary op's y (a copy of x) goes unused. */
#define FUSED_LOOP(EXPR)                                                         \
  {                                                                              \
    BINARY_LOOP(((void)y, vstore(dst + i, (EXPR))),                              \
                ((void)y, vstore_part(dst + i, (EXPR), rest)))                   \
  }                                                                              \
  break;

/* dst[0..n) = op(ap, bp) where ap and bp advance by sa and sb (0: a broadcast scalar, 1:
 * contiguous). */
static void fused_op(int op, float *dst, const float *ap, intptr_t sa, const float *bp,
                     intptr_t sb, intptr_t n) {
  switch (op) {
    case NB_NEG: FUSED_LOOP(EX_NEG(x))
    case NB_ABS: FUSED_LOOP(EX_ABS(x))
    case NB_EXP: FUSED_LOOP(EX_EXP(x))
    case NB_LOG: FUSED_LOOP(EX_LOG(x))
    case NB_SQRT: FUSED_LOOP(EX_SQRT(x))
    case NB_TANH: FUSED_LOOP(EX_TANH(x))
    case NB_SIGMOID: FUSED_LOOP(EX_SIGMOID(x))
    case NB_RELU: FUSED_LOOP(EX_RELU(x))
    case NB_F_BINARY + NB_ADD: FUSED_LOOP(EX_ADD(x, y))
    case NB_F_BINARY + NB_SUB: FUSED_LOOP(EX_SUB(x, y))
    case NB_F_BINARY + NB_MUL: FUSED_LOOP(EX_MUL(x, y))
    case NB_F_BINARY + NB_DIV: FUSED_LOOP(EX_DIV(x, y))
    case NB_F_BINARY + NB_MAXIMUM: FUSED_LOOP(vmaximum(x, y))
    case NB_F_BINARY + NB_MINIMUM: FUSED_LOOP(vminimum(x, y))
    default: break;
  }
}

void NB_FN(fused)(const int32_t *meta, float *out, const float *const *leaves, int tid, int nt) {
  intptr_t n = meta[NB_F_N];
  int nl = meta[NB_F_NLEAVES], ni = meta[NB_F_NINSTR];
  if (nl < 0 || nl > NB_F_MAXLEAVES || ni < 1 || ni > NB_F_MAXINSTR) return;
  intptr_t lo, hi;
  nb_share(n, NB_FB, tid, nt, &lo, &hi);
  float regs[NB_F_MAXINSTR][NB_FB] __attribute__((aligned(64)));
  for (intptr_t at = lo; at < hi; at += NB_FB) {
    intptr_t m = hi - at < NB_FB ? hi - at : NB_FB;
    for (int k = 0; k < ni; k++) {
      const int32_t *ins = meta + NB_F_PROG + 3 * k;
      const float *src[2] = {NULL, NULL};
      intptr_t s[2] = {0, 0};
      for (int j = 0; j < 2; j++) {
        int v = ins[1 + j];
        if (v < 0) {
          src[j] = src[0]; /* unary: b is unused (read as a) */
          s[j] = s[0];
        } else if (v < nl) {
          intptr_t stride = meta[NB_F_LEAF + 2 * v + 1];
          src[j] = leaves[v] + meta[NB_F_LEAF + 2 * v] + at * stride;
          s[j] = stride;
        } else {
          src[j] = regs[v - nl];
          s[j] = 1;
        }
      }
      float *dst = k == ni - 1 ? out + at : regs[k];
      fused_op(ins[0], dst, src[0], s[0], src[1], s[1], m);
    }
  }
}
