/* Standalone check and benchmark of the native kernels (no Node): GEMM against a double-precision
 * reference on awkward shapes and strides, elementwise math in ulps against libm, reductions, and
 * sgemm GFLOP/s. Build: scripts/build-kbench.sh; run: kernels/build/kbench [isa] [threads] [mode]
 * (mode 0: checks only; 1, the default: checks and sgemm; 2: the MLP step's products; 3: the CNNs'
 * convolutions, KB_ONLY=0|1|2 for the forward, input or weight gradient alone). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../napi/pool.h"
#include "../nabla.h"

extern const nb_kernel_table nb_base_table;
#if defined(__x86_64__)
extern const nb_kernel_table nb_avx2_table, nb_avx512_table;
#endif

static const nb_kernel_table *K;
static int failures = 0;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static float frand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

typedef struct {
  const int32_t *meta;
  float *c;
  const float *a, *b;
} gemm_job;

static void gemm_task(void *p, int share, int nshares, int tid) {
  gemm_job *j = p;
  K->sgemm(j->meta, j->c, j->a, j->b, NULL, nb_pool_workspace(tid, 0), share, nshares);
}

static void run_gemm(int32_t *meta, float *c, const float *a, const float *b, int nt) {
  size_t ws = K->sgemm_ws(meta);
  nb_pool_acquire();
  for (int t = 0; t < nt; t++) nb_pool_workspace(t, ws);
  gemm_job j = {meta, c, a, b};
  static int per = 0;
  if (per == 0) per = getenv("KB_SHARES") ? atoi(getenv("KB_SHARES")) : 1; /* as the addon */
  nb_pool_run(gemm_task, &j, nt > 1 ? per * nt : 1);
  nb_pool_release();
}

/* C = A . B with A (M x K) at strides (sam, sak) and B (K x N) at (sbk, sbn); batch of nb with
 * batch strides bsa, bsb. */
static void check_gemm(int nb, int M, int N, int Kd, int transA, int transB, int bsa0, int nt) {
  int32_t meta[NB_META_INTS + 2 * NB_META_DOUBLES] = {0};
  int sam = transA ? 1 : Kd, sak = transA ? M : 1;
  int sbk = transB ? 1 : N, sbn = transB ? Kd : 1;
  size_t asz = (size_t)M * Kd, bsz = (size_t)Kd * N;
  float *A = malloc(sizeof(float) * (asz * nb + 1)), *B = malloc(sizeof(float) * (bsz * nb + 1));
  float *C = malloc(sizeof(float) * ((size_t)M * N * nb + 1));
  for (size_t i = 0; i < asz * nb; i++) A[i] = frand();
  for (size_t i = 0; i < bsz * nb; i++) B[i] = frand();
  meta[NB_G_M] = M;
  meta[NB_G_N] = N;
  meta[NB_G_K] = Kd;
  meta[NB_G_SAM] = sam;
  meta[NB_G_SAK] = sak;
  meta[NB_G_SBK] = sbk;
  meta[NB_G_SBN] = sbn;
  meta[NB_G_NBATCH] = 1;
  meta[NB_G_BSHAPE] = nb;
  meta[NB_G_BSTRA] = bsa0 ? (int32_t)asz : 0; /* 0: A broadcast over the batch */
  meta[NB_G_BSTRB] = (int32_t)bsz;
  run_gemm(meta, C, A, B, nt);
  double maxerr = 0;
  for (int bi = 0; bi < nb; bi++) {
    const float *a = A + (bsa0 ? asz * bi : 0), *b = B + bsz * bi;
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) {
        double s = 0, sabs = 0;
        for (int p = 0; p < Kd; p++) {
          double t = (double)a[i * sam + p * sak] * b[p * sbk + j * sbn];
          s += t;
          sabs += fabs(t);
        }
        double err = fabs(C[(size_t)bi * M * N + i * N + j] - s) / (sabs + 1e-30);
        if (err > maxerr) maxerr = err;
      }
  }
  /* Same result with 1 thread, bit for bit. */
  float *C1 = malloc(sizeof(float) * ((size_t)M * N * nb + 1));
  run_gemm(meta, C1, A, B, 1);
  int same = memcmp(C, C1, sizeof(float) * (size_t)M * N * nb) == 0;
  int ok = maxerr < 1e-6 * (1 + sqrt(Kd)) && same;
  if (!ok) failures++;
  printf("%s gemm b%d %dx%dx%d tA%d tB%d bcast%d nt%d: rel err %.2e %s\n", ok ? "ok  " : "FAIL",
         nb, M, N, Kd, transA, transB, !bsa0, nt, maxerr, same ? "" : "(thread-count mismatch)");
  free(A);
  free(B);
  free(C);
  free(C1);
}

static void probe_task(void *v, int share, int nshares, int tid) {
  (void)share, (void)nshares, (void)tid;
  volatile float *sink = v;
  *sink += K->fma_probe(50000000LL);
}

static void bench_gemm(int n, int nt) {
  int32_t meta[NB_META_INTS + 2 * NB_META_DOUBLES] = {0};
  float *A = malloc(sizeof(float) * n * n), *B = malloc(sizeof(float) * n * n);
  float *C = malloc(sizeof(float) * n * n);
  for (int i = 0; i < n * n; i++) A[i] = frand(), B[i] = frand();
  meta[NB_G_M] = meta[NB_G_N] = meta[NB_G_K] = n;
  meta[NB_G_SAM] = n;
  meta[NB_G_SAK] = 1;
  meta[NB_G_SBK] = n;
  meta[NB_G_SBN] = 1;
  meta[NB_G_NBATCH] = 0;
  run_gemm(meta, C, A, B, nt);
  double best = 1e30;
  int reps = n <= 256 ? 200 : n <= 1024 ? 10 : 3;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    run_gemm(meta, C, A, B, nt);
    double t = now() - t0;
    if (t < best) best = t;
  }
  printf("sgemm %d nt%d: %.1f GFLOP/s\n", n, nt, 2.0 * n * n * n / best * 1e-9);
  free(A);
  free(B);
  free(C);
}

/* One product of the bench's MLP step (784-256-128-10, batch 128), with the operand layouts nabla
 * passes: best of many runs, in microseconds and GFLOP/s. */
static void bench_shape(const char *what, int M, int N, int Kd, int transA, int transB, int nt) {
  int32_t meta[NB_META_INTS + 2 * NB_META_DOUBLES] = {0};
  float *A = malloc(sizeof(float) * M * Kd), *B = malloc(sizeof(float) * Kd * N);
  float *C = malloc(sizeof(float) * M * N);
  for (int i = 0; i < M * Kd; i++) A[i] = frand();
  for (int i = 0; i < Kd * N; i++) B[i] = frand();
  meta[NB_G_M] = M;
  meta[NB_G_N] = N;
  meta[NB_G_K] = Kd;
  meta[NB_G_SAM] = transA ? 1 : Kd;
  meta[NB_G_SAK] = transA ? M : 1;
  meta[NB_G_SBK] = transB ? 1 : N;
  meta[NB_G_SBN] = transB ? Kd : 1;
  meta[NB_G_NBATCH] = 0;
  double best = 1e30;
  static char *flush = NULL;
  size_t flush_bytes = 64u << 20;
  int cold = getenv("KB_COLD") != NULL;
  if (cold && flush == NULL) flush = calloc(flush_bytes, 1);
  for (int r = 0; r < 400; r++) {
    if (cold) /* evict the operands: touch more than the caches hold */
      for (size_t i = 0; i < flush_bytes; i += 64) flush[i]++;
    double t0 = now();
    run_gemm(meta, C, A, B, nt);
    double t = now() - t0;
    if (t < best) best = t;
  }
  printf("%-28s %4dx%4dx%4d tA%d tB%d nt%d: %7.1f us %6.1f GFLOP/s\n", what, M, N, Kd, transA,
         transB, nt, best * 1e6, 2.0 * M * N * Kd / best * 1e-9);
  free(A);
  free(B);
  free(C);
}

static void bench_mlp(int nt) {
  bench_shape("fwd1 x.W1t", 128, 256, 784, 0, 1, nt);
  bench_shape("fwd2 h1.W2t", 128, 128, 256, 0, 1, nt);
  bench_shape("dW1 g1t.x", 256, 784, 128, 1, 0, nt);
  bench_shape("dW2 g2t.h1", 128, 256, 128, 1, 0, nt);
  bench_shape("dX2 g2.W2", 128, 256, 128, 0, 0, nt);
}

static int32_t ulps(float a, float b) {
  if (isnan(a) && isnan(b)) return 0;
  if (a == b) return 0;
  if (isnan(a) || isnan(b) || isinf(a) || isinf(b)) return 1 << 30;
  int32_t ia, ib;
  memcpy(&ia, &a, 4);
  memcpy(&ib, &b, 4);
  if (ia < 0) ia = (int32_t)0x80000000 - ia;
  if (ib < 0) ib = (int32_t)0x80000000 - ib;
  int64_t d = (int64_t)ia - ib;
  return (int32_t)(d < 0 ? -d : d);
}

static double ref_unary(int op, double x) {
  switch (op) {
    case NB_EXP: return exp(x);
    case NB_LOG: return log(x);
    case NB_LOG1P: return log1p(x);
    case NB_EXPM1: return expm1(x);
    case NB_TANH: return tanh(x);
    case NB_SIGMOID: return 1 / (1 + exp(-x));
    case NB_SQRT: return sqrt(x);
    case NB_RSQRT: return 1 / sqrt(x);
    case NB_ERF: return erf(x);
    default: return x;
  }
}

static void check_unary(int op, const char *name, float lo, float hi) {
  enum { n = 1 << 20 };
  static float x[n + 16], y[n + 16];
  int32_t meta[NB_META_INTS + 2 * NB_META_DOUBLES] = {0};
  for (int i = 0; i < n; i++) {
    float t = (float)i / n;
    x[i] = lo + (hi - lo) * t;
  }
  const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-30f, -1e-30f, 1e-40f, -1e-40f,
                            88.7f, 88.8f, -87.5f, -103.9f, -104.5f, 1.0f, -1.0f};
  memcpy(x, specials, sizeof specials);
  meta[NB_W_OP] = op;
  meta[NB_W_NDIM] = 1;
  meta[NB_W_NOPS] = 2;
  meta[NB_W_SHAPE] = n;
  meta[NB_W_STRIDES] = 1;
  meta[NB_W_STRIDES + NB_MAXDIM] = 1;
  K->unary(meta, y, x, 0, 1);
  int32_t worst = 0;
  float at = 0;
  for (int i = 0; i < n; i++) {
    float want = (float)ref_unary(op, x[i]);
    int32_t u = ulps(y[i], want);
    if (fabsf(want) < 1.2e-38f && fabsf(y[i] - want) < 1e-44f) u = 0; /* subnormal results */
    if (u > worst) worst = u, at = x[i];
  }
  int ok = worst <= 4;
  if (!ok) failures++;
  printf("%s %s: max %d ulp (at %g)\n", ok ? "ok  " : "FAIL", name, worst, at);
}

static void check_reduce(int nt) {
  /* sum over dim 0 and dim 1 of a 301 x 1037 matrix, and over all; compare to double. */
  int R = 301, Cn = 1037;
  float *x = malloc(sizeof(float) * R * Cn), *o = malloc(sizeof(float) * (R + Cn)),
        *o1 = malloc(sizeof(float) * (R + Cn));
  for (int i = 0; i < R * Cn; i++) x[i] = frand();
  for (int dim = 0; dim < 2; dim++) {
    int32_t meta[NB_META_INTS + 2 * NB_META_DOUBLES] = {0};
    meta[NB_R_OP] = NB_SUM;
    meta[NB_R_NKEPT] = 1;
    meta[NB_R_NRED] = 1;
    meta[NB_R_KSHAPE] = dim == 0 ? Cn : R;
    meta[NB_R_KSTRIDES] = dim == 0 ? 1 : Cn;
    meta[NB_R_RSHAPE] = dim == 0 ? R : Cn;
    meta[NB_R_RSTRIDES] = dim == 0 ? Cn : 1;
    int nout = meta[NB_R_KSHAPE];
    for (int t = 0; t < nt; t++) K->reduce(meta, o, x, t, nt);
    K->reduce(meta, o1, x, 0, 1);
    int32_t worst = 0;
    for (int i = 0; i < nout; i++) {
      double s = 0;
      for (int j = 0; j < meta[NB_R_RSHAPE]; j++)
        s += x[(size_t)i * meta[NB_R_KSTRIDES] + (size_t)j * meta[NB_R_RSTRIDES]];
      int32_t u = ulps(o[i], (float)s);
      if (u > worst) worst = u;
    }
    int same = memcmp(o, o1, sizeof(float) * nout) == 0;
    int ok = worst <= 1 && same;
    if (!ok) failures++;
    printf("%s sum dim %d: max %d ulp%s\n", ok ? "ok  " : "FAIL", dim, worst,
           same ? "" : " (thread-count mismatch)");
  }
  free(x);
  free(o);
  free(o1);
}

/* ---- cross-check of this ISA's elementwise, reduction, window and optimizer kernels against the
 * baseline build (same inputs; exact, or within a few ulps for transcendentals) ---- */

static int32_t meta_buf[NB_META_INTS + 2 * NB_META_DOUBLES];
/* The op names of nabla.h's lists (the names nabla's TypeScript tables use). */
#define NB_QUOTE_(N, n) #n,

static void walk1(int op, int n, int sx) {
  memset(meta_buf, 0, sizeof meta_buf);
  meta_buf[NB_W_OP] = op;
  meta_buf[NB_W_NDIM] = 1;
  meta_buf[NB_W_NOPS] = 2;
  meta_buf[NB_W_SHAPE] = n;
  meta_buf[NB_W_STRIDES] = 1;
  meta_buf[NB_W_STRIDES + NB_MAXDIM] = sx;
}

static void walk2(int op, int rows, int cols, int sa0, int sa1, int sb0, int sb1) {
  memset(meta_buf, 0, sizeof meta_buf);
  meta_buf[NB_W_OP] = op;
  meta_buf[NB_W_NDIM] = 2;
  meta_buf[NB_W_NOPS] = 3;
  meta_buf[NB_W_SHAPE] = rows;
  meta_buf[NB_W_SHAPE + 1] = cols;
  meta_buf[NB_W_STRIDES] = cols;
  meta_buf[NB_W_STRIDES + 1] = 1;
  meta_buf[NB_W_STRIDES + NB_MAXDIM] = sa0;
  meta_buf[NB_W_STRIDES + NB_MAXDIM + 1] = sa1;
  meta_buf[NB_W_STRIDES + 2 * NB_MAXDIM] = sb0;
  meta_buf[NB_W_STRIDES + 2 * NB_MAXDIM + 1] = sb1;
}

static int cmp_f(const char *what, const float *a, const float *b, int n, int maxu) {
  int32_t worst = 0;
  for (int i = 0; i < n; i++) {
    int32_t u = ulps(a[i], b[i]);
    if (u > worst) worst = u;
  }
  int ok = worst <= maxu;
  if (!ok) failures++;
  printf("%s cross %s: max %d ulp vs base\n", ok ? "ok  " : "FAIL", what, worst);
  return ok;
}

/* The MLP step's elementwise calls at 128 x 256 (single thread): us per call, best of many. */
static void bench_eltwise(void) {
  enum { N = 128 * 256 };
  static float a[N], b[N], o[N];
  static uint8_t c[N];
  for (int i = 0; i < N; i++) a[i] = frand(), b[i] = frand(), c[i] = a[i] > 0;
  double best[3] = {1e30, 1e30, 1e30};
  for (int r = 0; r < 2000; r++) {
    double t0 = now();
    walk2(NB_MUL, 1, N, 0, 1, 0, 1);
    K->binary(meta_buf, o, a, b, 0, 1);
    double t1 = now();
    memset(meta_buf, 0, sizeof meta_buf);
    meta_buf[NB_W_NDIM] = 1;
    meta_buf[NB_W_NOPS] = 4;
    meta_buf[NB_W_SHAPE] = N;
    meta_buf[NB_W_STRIDES] = 1;
    meta_buf[NB_W_STRIDES + NB_MAXDIM] = 1;
    meta_buf[NB_W_STRIDES + 2 * NB_MAXDIM] = 0;
    meta_buf[NB_W_STRIDES + 3 * NB_MAXDIM] = 1;
    K->where(meta_buf, o, c, a, b, 0, 1);
    double t2 = now();
    walk2(NB_LE, 1, N, 0, 1, 0, 0);
    K->compare(meta_buf, c, a, b, 0, 1);
    double t3 = now();
    if (t1 - t0 < best[0]) best[0] = t1 - t0;
    if (t2 - t1 < best[1]) best[1] = t2 - t1;
    if (t3 - t2 < best[2]) best[2] = t3 - t2;
  }
  printf("128x256: mul %.1f us, where(c, scalar, b) %.1f us, le(a, scalar) %.1f us\n",
         best[0] * 1e6, best[1] * 1e6, best[2] * 1e6);
  /* the bias gradient: sum over the batch (dim 0) */
  double bs = 1e30;
  for (int r = 0; r < 2000; r++) {
    memset(meta_buf, 0, sizeof meta_buf);
    meta_buf[NB_R_OP] = NB_SUM;
    meta_buf[NB_R_NKEPT] = 1;
    meta_buf[NB_R_NRED] = 1;
    meta_buf[NB_R_KSHAPE] = 256;
    meta_buf[NB_R_KSTRIDES] = 1;
    meta_buf[NB_R_RSHAPE] = 128;
    meta_buf[NB_R_RSTRIDES] = 256;
    double t0 = now();
    K->reduce(meta_buf, o, a, 0, 1);
    double t1 = now();
    if (t1 - t0 < bs) bs = t1 - t0;
  }
  printf("128x256: sum over dim 0 %.1f us\n", bs * 1e6);
}

/* conv2d (n outputs) on nt shares into y against one share (the same bits) and against the base
 * build into y2 (within maxu ulps); y and y2 keep the nt-share and the base results. */
static void check_conv2d(const char *what, const int32_t *cm, float *y, float *y2, const float *x,
                         const float *w, const float *b, float *ws, int n, int maxu, int nt) {
  float *y1 = malloc(n * 4);
  for (int t = 0; t < nt; t++) K->conv2d(cm, y, x, w, b, ws, t, nt);
  K->conv2d(cm, y1, x, w, b, ws, 0, 1);
  nb_base_table.conv2d(cm, y2, x, w, b, ws, 0, 1);
  char label[64];
  snprintf(label, sizeof label, "%s shares", what);
  cmp_f(label, y, y1, n, 0);
  cmp_f(what, y, y2, n, maxu);
  free(y1);
}

/* conv2d_wgrad (then conv2d_wgrad_sum into the n weights' gradients) on nt shares against one
 * share (the same bits) and against the base build (within maxu ulps). */
static void check_wgrad(const char *what, const int32_t *cm, const float *gy, const float *x,
                        float *ws, int n, int maxu, int nt) {
  const nb_kernel_table *B = &nb_base_table;
  size_t pn = K->conv_partials(cm) > B->conv_partials(cm) ? K->conv_partials(cm)
                                                           : B->conv_partials(cm);
  float *part = malloc(pn * 4), *d1 = malloc(n * 4), *d2 = malloc(n * 4), *d3 = malloc(n * 4);
  for (int t = 0; t < nt; t++) K->conv2d_wgrad(cm, part, gy, x, ws, t, nt);
  for (int t = 0; t < nt; t++) K->conv2d_wgrad_sum(cm, d1, part, t, nt);
  K->conv2d_wgrad(cm, part, gy, x, ws, 0, 1);
  K->conv2d_wgrad_sum(cm, d3, part, 0, 1);
  B->conv2d_wgrad(cm, part, gy, x, ws, 0, 1);
  B->conv2d_wgrad_sum(cm, d2, part, 0, 1);
  char label[64];
  snprintf(label, sizeof label, "%s shares", what);
  cmp_f(label, d1, d3, n, 0);
  cmp_f(what, d1, d2, n, maxu);
  free(part), free(d1), free(d2), free(d3);
}

static void crosscheck(int nt) {
  enum { N = 4099 };
  static float x[3 * N], y[3 * N], o1[3 * N], o2[3 * N];
  static uint8_t c[3 * N], u1[3 * N], u2[3 * N];
  const nb_kernel_table *B = &nb_base_table;
  for (int i = 0; i < 3 * N; i++) {
    x[i] = frand() * 8;
    y[i] = (i % 7 == 0) ? x[i] : frand() * 8;
    c[i] = (uint8_t)(frand() > 0);
  }
  x[0] = NAN, x[1] = INFINITY, x[2] = -INFINITY, x[3] = -0.0f, x[4] = 1e-40f;
  const char *un[] = {NB_UNARY_OPS(NB_QUOTE_)};
  for (int op = 0; op < NB_UNARY_COUNT; op++) {
    for (int s = 1; s <= 3; s += 2) {
      char what[64];
      walk1(op, N, s);
      ((double *)(meta_buf + NB_META_INTS))[NB_CLAMP_MIN] = -1.5;
      ((double *)(meta_buf + NB_META_INTS))[NB_CLAMP_MAX] = 2.25;
      for (int t = 0; t < nt; t++) K->unary(meta_buf, o1, x, t, nt);
      B->unary(meta_buf, o2, x, 0, 1);
      snprintf(what, sizeof what, "%s stride %d", un[op], s);
      cmp_f(what, o1, o2, N, 4);
    }
  }
  const char *bn[] = {NB_BINARY_OPS(NB_QUOTE_)};
  int lay[][4] = {{37, 1, 37, 1}, {0, 1, 37, 1}, {1, 0, 0, 1}, {2, 74, 37, 0}};
  for (int op = 0; op < NB_BINARY_COUNT; op++)
    for (int l = 0; l < 4; l++) {
      char what[64];
      walk2(op, 37, 37, lay[l][0], lay[l][1], lay[l][2], lay[l][3]);
      for (int t = 0; t < nt; t++) K->binary(meta_buf, o1, x, y, t, nt);
      B->binary(meta_buf, o2, x, y, 0, 1);
      snprintf(what, sizeof what, "%s layout %d", bn[op], l);
      cmp_f(what, o1, o2, 37 * 37, 0);
      if (op < NB_COMPARE_COUNT) {
        meta_buf[NB_W_OP] = op;
        for (int t = 0; t < nt; t++) K->compare(meta_buf, u1, x, y, t, nt);
        B->compare(meta_buf, u2, x, y, 0, 1);
        int same = memcmp(u1, u2, 37 * 37) == 0;
        if (!same) failures++;
        printf("%s cross compare %d layout %d\n", same ? "ok  " : "FAIL", op, l);
      }
    }
  /* where(c, a, b) with c strided */
  memset(meta_buf, 0, sizeof meta_buf);
  meta_buf[NB_W_NDIM] = 1;
  meta_buf[NB_W_NOPS] = 4;
  meta_buf[NB_W_SHAPE] = N;
  meta_buf[NB_W_STRIDES] = 1;
  meta_buf[NB_W_STRIDES + NB_MAXDIM] = 2;
  meta_buf[NB_W_STRIDES + 2 * NB_MAXDIM] = 1;
  meta_buf[NB_W_STRIDES + 3 * NB_MAXDIM] = 0;
  for (int t = 0; t < nt; t++) K->where(meta_buf, o1, c, x, y, t, nt);
  B->where(meta_buf, o2, c, x, y, 0, 1);
  cmp_f("where", o1, o2, N, 0);
  /* log_softmax: rows (inner 1, len not a multiple of the lanes) and columns (inner 37) against
   * the base build (sums in another order: a few ulps), with the non-finite values of x[0..4] */
  int ls[][3] = {{3, 37, 1}, {3, 37, 37}, {130, 10, 1}, {5, 70, 1}};
  for (int c = 0; c < 4; c++) {
    char what[64];
    int outer = ls[c][0], len = ls[c][1], inner = ls[c][2];
    memset(meta_buf, 0, sizeof meta_buf);
    meta_buf[NB_LS_OUTER] = outer;
    meta_buf[NB_LS_LEN] = len;
    meta_buf[NB_LS_INNER] = inner;
    meta_buf[NB_LS_OFFSET] = c == 0 ? 5 : 0;
    int n = outer * len * inner;
    for (int t = 0; t < nt; t++) K->log_softmax(meta_buf, o1, x, t, nt);
    B->log_softmax(meta_buf, o2, x, 0, 1);
    snprintf(what, sizeof what, "log_softmax %dx%dx%d", outer, len, inner);
    cmp_f(what, o1, o2, n, 8);
  }
  /* batch norm: statistics (double sums in lanes of another width) and the affine maps against
   * the base build, on [N, C, S] with S = 1 (vectorised over C) and S > 1 */
  int bns[][3] = {{3, 5, 37}, {7, 11, 1}, {2, 3, 300}};
  for (int c = 0; c < 3; c++) {
    char what[64];
    int bN = bns[c][0], bC = bns[c][1], bS = bns[c][2], n = bN * bC * bS;
    memset(meta_buf, 0, sizeof meta_buf);
    meta_buf[NB_BN_N] = bN;
    meta_buf[NB_BN_C] = bC;
    meta_buf[NB_BN_S] = bS;
    meta_buf[NB_BN_XOFF] = 5; /* past x's non-finite values */
    for (int t = 0; t < nt; t++) K->bn_stats(meta_buf, o1, x, NULL, NULL, t, nt);
    B->bn_stats(meta_buf, o2, x, NULL, NULL, 0, 1);
    snprintf(what, sizeof what, "bn_stats %dx%dx%d", bN, bC, bS);
    cmp_f(what, o1, o2, 2 * bC, 4);
    for (int t = 0; t < nt; t++) K->bn_stats(meta_buf, o1, x, y, y + 7, t, nt);
    B->bn_stats(meta_buf, o2, x, y, y + 7, 0, 1);
    snprintf(what, sizeof what, "bn_stats grad %dx%dx%d", bN, bC, bS);
    cmp_f(what, o1, o2, 2 * bC, 4);
    for (int t = 0; t < nt; t++) K->bn_apply(meta_buf, o1, x, y, y + 7, t, nt);
    B->bn_apply(meta_buf, o2, x, y, y + 7, 0, 1);
    snprintf(what, sizeof what, "bn_apply %dx%dx%d", bN, bC, bS);
    cmp_f(what, o1, o2, n, 0); /* no FMA: the same roundings on every build */
  }
  /* reductions: rows (contiguous reduced dim) and columns (strided) */
  const char *rn[] = {NB_REDUCE_OPS(NB_QUOTE_)};
  for (int op = 0; op < NB_REDUCE_COUNT; op++)
    for (int dim = 0; dim < 2; dim++) {
      char what[64];
      memset(meta_buf, 0, sizeof meta_buf);
      meta_buf[NB_R_OP] = op;
      meta_buf[NB_R_NKEPT] = 1;
      meta_buf[NB_R_NRED] = 1;
      meta_buf[NB_R_KSHAPE] = dim ? 61 : 67;
      meta_buf[NB_R_KSTRIDES] = dim ? 67 : 1;
      meta_buf[NB_R_RSHAPE] = dim ? 67 : 61;
      meta_buf[NB_R_RSTRIDES] = dim ? 1 : 67;
      const float *src = op == NB_PROD ? y : x + 8; /* skip the specials, keep prod finite */
      static float p1[3 * N];
      for (int i = 0; i < 61 * 67; i++) p1[i] = op == NB_PROD ? 1.0f + src[i] / 64 : src[i];
      for (int t = 0; t < nt; t++) K->reduce(meta_buf, o1, p1, t, nt);
      B->reduce(meta_buf, o2, p1, 0, 1);
      snprintf(what, sizeof what, "%s dim %d", rn[op], dim);
      cmp_f(what, o1, o2, meta_buf[NB_R_KSHAPE], op == NB_SUM || op == NB_PROD ? 1 : 0);
    }
  /* unfold / fold */
  memset(meta_buf, 0, sizeof meta_buf);
  int32_t wm[] = {2, 3, 11, 10, 330, 110, 10, 1, 0, 3, 2, 1, 2, 1, 0, 2, 1, 6, 8};
  memcpy(meta_buf, wm, sizeof wm);
  for (int t = 0; t < nt; t++) K->unfold(meta_buf, o1, x + 8, t, nt);
  B->unfold(meta_buf, o2, x + 8, 0, 1);
  cmp_f("unfold", o1, o2, 2 * 3 * 6 * 48, 0);
  int32_t fm[] = {2, 3, 11, 10, 18 * 48, 48, 1, 0, 0, 3, 2, 1, 2, 1, 0, 2, 1, 6, 8};
  memcpy(meta_buf, fm, sizeof fm);
  for (int t = 0; t < nt; t++) K->fold(meta_buf, o1, x + 8, t, nt);
  B->fold(meta_buf, o2, x + 8, 0, 1);
  cmp_f("fold", o1, o2, 2 * 3 * 110, 1);
  /* maxpool_index over the unfold geometry (a 3x2 window, dilated, padded, strided) */
  memcpy(meta_buf, wm, sizeof wm);
  {
    static int32_t i1[2 * 3 * 48], i2[2 * 3 * 48];
    for (int t = 0; t < nt; t++) K->maxpool_index(meta_buf, i1, x + 8, t, nt);
    B->maxpool_index(meta_buf, i2, x + 8, 0, 1);
    int same = memcmp(i1, i2, sizeof i1) == 0;
    if (!same) failures++;
    printf("%s cross maxpool_index: %s\n", same ? "ok  " : "FAIL", same ? "equal" : "differs");
    /* maxpool_backward at those indices (overlapping windows: repeats add up, in index order) */
    static int32_t bm[NB_META_INTS];
    int32_t bgeo[] = {2 * 3, 48, 110, 48, 1, 48, 1, 0, 0};
    memcpy(bm, bgeo, sizeof bgeo);
    for (int t = 0; t < nt; t++) K->maxpool_backward(bm, o1, x + 8, i1, t, nt);
    B->maxpool_backward(bm, o2, x + 8, i1, 0, 1);
    cmp_f("maxpool_backward", o1, o2, 2 * 3 * 110, 0);
  }
  /* conv2d and its weight gradient: any number of shares gives the same bits; the base build
   * (other vector width, no FMA) agrees to rounding */
  {
    enum { CN = 5, CC = 3, CH = 11, CW = 10, CO = 4, OH = 6, OW = 8 };
    static int32_t cm[NB_META_INTS];
    int32_t geo[] = {CN, CC, CH, CW, CC * CH * CW, CH * CW, CW, 1, 0, 3, 2, 1, 2, 1, 0, 2, 1, OH, OW};
    memcpy(cm, geo, sizeof geo);
    cm[NB_CV_O] = CO;
    cm[NB_CV_BIAS] = 1;
    static float cx[CN * CC * CH * CW], cw[CO * CC * 6], cb[CO], co1[CN * CO * OH * OW],
        co2[CN * CO * OH * OW];
    /* positive values: no cancellation, so ulps measure rounding alone */
    for (int i = 0; i < CN * CC * CH * CW; i++) cx[i] = 2 + frand();
    for (int i = 0; i < CO * CC * 6; i++) cw[i] = 2 + frand();
    for (int i = 0; i < CO; i++) cb[i] = 2 + frand();
    size_t wsn = K->conv_ws(cm) > B->conv_ws(cm) ? K->conv_ws(cm) : B->conv_ws(cm);
    float *cws = aligned_alloc(64, (wsn * 4 + 63) / 64 * 64);
    check_conv2d("conv2d", cm, co1, co2, cx, cw, cb, cws, CN * CO * OH * OW, 16, nt);
    check_wgrad("conv2d_wgrad", cm, co2, cx, cws, CO * CC * 6, 16, nt);
    free(cws);
  }
  /* the Winograd paths (3x3, stride 1, 'same', 16+ channels each way; the weight gradient's where
   * its accumulators would pass L2): odd sizes (partial edge tiles), more tiles than a block */
  {
    enum { CN = 4, CC = 64, CH = 19, CW = 21, CO = 64 };
    static int32_t cm[NB_META_INTS];
    int32_t geo[] = {CN, CC, CH, CW, CC * CH * CW, CH * CW, CW, 1, 0, 3, 3,
                     1,  1,  1,  1,  1,            1,       CH, CW};
    memcpy(cm, geo, sizeof geo);
    cm[NB_CV_O] = CO;
    cm[NB_CV_BIAS] = 1;
    enum { NX = CN * CC * CH * CW, NY = CN * CO * CH * CW };
    static float cx[NX], cw[CO * CC * 9], cb[CO], y1[NY], y2[NY], gy[NY], x1[NX], x2[NX], x3[NX];
    for (int i = 0; i < NX; i++) cx[i] = 2 + frand();
    for (int i = 0; i < NY; i++) gy[i] = 2 + frand();
    for (int i = 0; i < CO * CC * 9; i++) cw[i] = 2 + frand();
    for (int i = 0; i < CO; i++) cb[i] = 2 + frand();
    size_t wsn = K->conv_ws(cm) > B->conv_ws(cm) ? K->conv_ws(cm) : B->conv_ws(cm);
    float *cws = aligned_alloc(64, (wsn * 4 + 63) / 64 * 64);
    check_conv2d("conv2d Winograd", cm, y1, y2, cx, cw, cb, cws, NY, 64, nt);
    for (int t = 0; t < nt; t++) K->conv2d_dgrad(cm, x1, gy, cw, cws, t, nt);
    K->conv2d_dgrad(cm, x3, gy, cw, cws, 0, 1);
    B->conv2d_dgrad(cm, x2, gy, cw, cws, 0, 1);
    cmp_f("conv2d_dgrad Winograd shares", x1, x3, NX, 0);
    cmp_f("conv2d_dgrad Winograd", x1, x2, NX, 64);
    check_wgrad("conv2d_wgrad Winograd", cm, gy, cx, cws, CO * CC * 9, 64, nt);
    free(cws);
  }
  /* optimizers: same rounding in every build */
  static float p[N], g[N], m1[N], v1[N], m2[N], v2[N], pa[N], pb[N], vm1[N], vm2[N];
  for (int i = 0; i < N; i++) {
    p[i] = frand();
    g[i] = frand();
    m1[i] = m2[i] = frand() * 0.1f;
    v1[i] = v2[i] = fabsf(frand()) * 0.01f;
    vm1[i] = vm2[i] = v1[i] * (i % 2);
  }
  memset(meta_buf, 0, sizeof meta_buf);
  meta_buf[NB_O_N] = N;
  meta_buf[NB_O_FLAGS] = NB_OPT_AMSGRAD;
  double *d = (double *)(meta_buf + NB_META_INTS);
  double ad[NB_ADAM_SCALAR_COUNT] = {[NB_ADAM_LR] = 1e-3,       [NB_ADAM_WEIGHT_DECAY] = 1e-2,
                                     [NB_ADAM_BETA1] = 0.9,      [NB_ADAM_BETA2] = 0.999,
                                     [NB_ADAM_EPS] = 1e-8,       [NB_ADAM_STEP_SIZE] = 1e-2,
                                     [NB_ADAM_BC2_SQRT] = 0.1};
  memcpy(d, ad, sizeof ad);
  memcpy(pa, p, sizeof p);
  memcpy(pb, p, sizeof p);
  for (int t = 0; t < nt; t++) K->adam(meta_buf, pa, g, m1, v1, vm1, t, nt);
  B->adam(meta_buf, pb, g, m2, v2, vm2, 0, 1);
  cmp_f("adam", pa, pb, N, 0);
  meta_buf[NB_O_FLAGS] = NB_OPT_NESTEROV;
  double sd[NB_SGD_SCALAR_COUNT] = {[NB_SGD_LR] = 0.1, [NB_SGD_WEIGHT_DECAY] = 1e-3,
                                    [NB_SGD_MOMENTUM] = 0.9, [NB_SGD_DAMPENING] = 0.0};
  memcpy(d, sd, sizeof sd);
  for (int t = 0; t < nt; t++) K->sgd(meta_buf, pa, g, m1, t, nt);
  B->sgd(meta_buf, pb, g, m2, 0, 1);
  cmp_f("sgd", pa, pb, N, 0);
}

typedef struct {
  const int32_t *meta;
  float *out;
  const float *x, *w, *b;
  int which; /* 0 conv2d, 1 conv2d_dgrad, 2 conv2d_wgrad (into partials) */
} conv_job;
static float *conv_ws[64];
static void conv_task(void *p, int share, int nshares, int tid) {
  conv_job *j = p;
  if (j->which == 0) K->conv2d(j->meta, j->out, j->x, j->w, j->b, conv_ws[tid], share, nshares);
  else if (j->which == 1) K->conv2d_dgrad(j->meta, j->out, j->x, j->w, conv_ws[tid], share, nshares);
  else K->conv2d_wgrad(j->meta, j->out, j->x, j->w, conv_ws[tid], share, nshares);
}

/* conv2d and conv2d_dgrad at N x C x H x W -> O, 3x3 'same': the best of 15 runs. */
static void bench_conv(int N, int C, int H, int W, int O, int nt) {
  static int32_t cm[NB_META_INTS];
  int32_t geo[] = {N, C, H, W, C * H * W, H * W, W, 1, 0, 3, 3, 1, 1, 1, 1, 1, 1, H, W};
  memcpy(cm, geo, sizeof geo);
  cm[NB_CV_O] = O;
  cm[NB_CV_BIAS] = 1;
  size_t nx = (size_t)N * C * H * W, ny = (size_t)N * O * H * W;
  float *x = malloc(nx * 4), *y = malloc(ny * 4), *b = malloc(O * 4);
  float *w = malloc((size_t)O * C * 9 * 4);
  for (size_t i = 0; i < nx; i++) x[i] = frand();
  for (size_t i = 0; i < (size_t)O * C * 9; i++) w[i] = frand() * 0.1f;
  for (int i = 0; i < O; i++) b[i] = frand();
  for (int t = 0; t < nt; t++) conv_ws[t] = aligned_alloc(64, (K->conv_ws(cm) * 4 + 63) / 64 * 64);
  double flops = 2.0 * N * O * C * 9 * H * W;
  float *part = malloc(K->conv_partials(cm) * 4);
  for (int which = 0; which < 3; which++) {
    if (getenv("KB_ONLY") && atoi(getenv("KB_ONLY")) != which) continue;
    /* conv2d: x -> y; dgrad: dY = y -> x; wgrad: dY = y, x -> partials */
    conv_job j = {cm, which == 0 ? y : which == 1 ? x : part, which == 0 ? x : y,
                  which == 2 ? x : w, b, which};
    double best = 1e30;
    for (int r = 0; r < 15; r++) {
      double t0 = now();
      nb_pool_acquire();
      nb_pool_run(conv_task, &j, nt);
      nb_pool_release();
      double s = now() - t0;
      if (s < best) best = s;
    }
    printf("%s %dx%dx%dx%d -> %d nt%d: %.2f ms (%.1f GFLOP/s direct-equivalent)\n",
           which == 0 ? "conv2d" : which == 1 ? "conv2d_dgrad" : "conv2d_wgrad", N, C, H, W, O, nt,
           best * 1e3, flops / best * 1e-9);
  }
  for (int t = 0; t < nt; t++) free(conv_ws[t]);
  free(x), free(y), free(w), free(b), free(part);
}

int main(int argc, char **argv) {
  const char *isa = argc > 1 ? argv[1] : "auto";
  int nt = argc > 2 ? atoi(argv[2]) : 2;
  int bench = argc > 3 ? atoi(argv[3]) : 1; /* 2: only the MLP step's products; 3: convolutions */
  K = &nb_base_table;
#if defined(__x86_64__)
  __builtin_cpu_init();
  int has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  int has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!strcmp(isa, "avx512") || (!strcmp(isa, "auto") && has512)) K = &nb_avx512_table;
  else if (!strcmp(isa, "avx2") || (!strcmp(isa, "auto") && has2)) K = &nb_avx2_table;
  if ((K == &nb_avx512_table && !has512) || (K == &nb_avx2_table && !has2)) {
    printf("isa %s not supported here\n", K->isa);
    return 2;
  }
#endif
  nb_pool_set_threads(nt);
  printf("isa %s, %d threads\n", K->isa, nb_pool_threads());
  if (bench == 3) { /* the convolutions of the bench's and the Fashion-MNIST CLI's CNNs */
    bench_conv(128, 32, 14, 14, 64, 1);
    bench_conv(64, 16, 14, 14, 32, 1);
    bench_conv(64, 1, 28, 28, 16, 1);
    if (nt > 1) {
      bench_conv(128, 32, 14, 14, 64, nt);
      bench_conv(64, 16, 14, 14, 32, nt);
    }
    return 0;
  }
  if (bench == 2) {
    bench_eltwise();
    bench_mlp(1);
    if (nt > 1) bench_mlp(nt);
    return 0;
  }
  int shapes[][3] = {{1, 1, 1}, {7, 13, 11}, {129, 65, 257}, {1, 300, 7}, {300, 1, 7},
                     {33, 47, 0}, {64, 64, 512}, {17, 33, 600}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int t = 0; t < 4; t++)
      check_gemm(1, shapes[s][0], shapes[s][1], shapes[s][2], t & 1, t >> 1, 1, nt);
  check_gemm(5, 9, 21, 14, 0, 1, 0, nt);
  check_gemm(3, 70, 90, 33, 1, 0, 1, nt);
  check_gemm(1, 512, 512, 512, 0, 0, 1, nt);
  check_unary(NB_EXP, "exp", -110, 90);
  check_unary(NB_LOG, "log", 0, 1000);
  check_unary(NB_LOG1P, "log1p", -1, 10);
  check_unary(NB_EXPM1, "expm1", -20, 20);
  check_unary(NB_TANH, "tanh", -10, 10);
  check_unary(NB_SIGMOID, "sigmoid", -30, 30);
  check_unary(NB_SQRT, "sqrt", 0, 100);
  check_unary(NB_RSQRT, "rsqrt", 0, 100);
  check_unary(NB_ERF, "erf", -5, 5);
  check_unary(NB_ERF, "erf (small)", -1e-3f, 1e-3f);
  check_reduce(nt);
  if (K != &nb_base_table) crosscheck(nt);
  if (bench) {
    for (int t = 1; t <= (nt > 1 ? 2 : 1); t++) {
      double t0 = now();
      volatile float sink = 0;
      if (t == 1) sink += K->fma_probe(50000000LL);
      else {
        nb_pool_acquire();
        nb_pool_run(probe_task, (void *)&sink, t);
        nb_pool_release();
      }
      double s = now() - t0;
      double iters = t == 1 ? 50000000.0 : 50000000.0 * t;
      printf("fma peak %d thread(s): %.1f GFLOP/s\n", t, iters * 12 * K->vector_lanes() * 2 / s * 1e-9);
    }
    int sizes[] = {256, 1024, 2048};
    for (int i = 0; i < 3; i++) {
      bench_gemm(sizes[i], 1);
      if (nt > 1) bench_gemm(sizes[i], nt);
    }
  }
  printf(failures ? "%d FAILURES\n" : "all ok\n", failures);
  return failures != 0;
}
