/* The N-API glue of the native backend: picks the ISA build at load (AVX-512, AVX2 or baseline
 * on x86-64; NEON on arm64), reads the typed arrays' memory in place (zero copy), and runs each
 * kernel's shares on the thread pool. Shapes and strides arrive in the meta block that JavaScript
 * shares with us once (init); each kernel call passes only its typed arrays. */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "../nabla.h"
#include "pool.h"

extern const nb_kernel_table nb_base_table;
#if defined(__x86_64__) && !defined(NB_NO_X86_VARIANTS)
extern const nb_kernel_table nb_avx2_table, nb_avx512_table;
#endif

static const nb_kernel_table *K = &nb_base_table;

/* Per Node environment (main thread or worker): its meta block. */
typedef struct {
  int32_t *meta;
  napi_ref ref;
} instance_t;

/* Work below which a call runs on the calling thread only (see docs/kernels.md). */
#define PAR_GEMM_FLOPS (1 << 21)
#define PAR_ELEMENTS (1 << 17)

static void pick_isa(void) {
#if defined(__x86_64__) && !defined(NB_NO_X86_VARIANTS)
  __builtin_cpu_init();
  int has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  int has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const char *force = getenv("NABLA_NATIVE_ISA");
  if (force && !strcmp(force, "base")) {
    has512 = has2 = 0;
  } else if (force && !strcmp(force, "avx2")) {
    has512 = 0;
  }
  K = has512 ? &nb_avx512_table : has2 ? &nb_avx2_table : &nb_base_table;
#endif
}

#define CHECK(call)                                          \
  do {                                                       \
    if ((call) != napi_ok) {                                 \
      napi_throw_error(env, NULL, "nabla native: " #call);   \
      return NULL;                                           \
    }                                                        \
  } while (0)

/* The data pointer of argument i, which must be a typed array (NULL if not, or if null/undefined
 * and optional). */
static void *arg_data(napi_env env, napi_value v, int optional, int *ok) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) {
    *ok = 0;
    return NULL;
  }
  if (optional && (t == napi_null || t == napi_undefined)) return NULL;
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) {
    *ok = 0;
    return NULL;
  }
  void *data = NULL;
  size_t len;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok) *ok = 0;
  return data;
}

typedef struct {
  const int32_t *meta;
  void *p[5];
} job_t;

/* Reads the environment's meta block and up to 5 typed-array arguments into the job. */
static int get_arrays(napi_env env, napi_callback_info info, size_t want, size_t optional_from,
                      job_t *job) {
  napi_value argv[5];
  size_t argc = 5;
  instance_t *inst = NULL;
  void **out = job->p;
  if (napi_get_instance_data(env, (void **)&inst) != napi_ok || !inst || !inst->meta) {
    napi_throw_error(env, NULL, "nabla native: init() was not called");
    return 0;
  }
  job->meta = inst->meta;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  int ok = 1;
  for (size_t i = 0; i < want; i++) {
    if (i >= argc) {
      if (i < optional_from) return 0;
      out[i] = NULL;
      continue;
    }
    out[i] = arg_data(env, argv[i], i >= optional_from, &ok);
  }
  if (!ok) napi_throw_type_error(env, NULL, "nabla native: expected typed arrays");
  return ok;
}

/* Shares per thread of a parallel call: more shares than threads balance the load when a thread
 * starts late (the caller takes whatever is left). */
#define SHARES_PER_THREAD 4

/* Runs a kernel on the pool (held for the call): one share, or several per thread. */
static void run(nb_task fn, job_t *job, int nt) {
  nb_pool_acquire();
  nb_pool_run(fn, job, nt > 1 ? nt * SHARES_PER_THREAD : 1);
  nb_pool_release();
}

static int threads_for(double work, double threshold) {
  int n = nb_pool_threads();
  return work >= threshold ? n : 1;
}

/* ---- kernels ---- */

/* Workspace for each of the first nt threads; 0 (and an error thrown) when out of memory. */
static int workspaces(napi_env env, int nt, size_t floats) {
  for (int t = 0; t < nt; t++) {
    if (!nb_pool_workspace(t, floats)) {
      napi_throw_error(env, NULL, "nabla native: out of memory");
      return 0;
    }
  }
  return 1;
}

/* Runs fn in `shares` shares on nt threads, each thread with `floats` of workspace. */
static void run_with_workspaces(napi_env env, nb_task fn, job_t *j, int nt, int shares,
                                size_t floats) {
  nb_pool_acquire();
  if (workspaces(env, nt, floats)) nb_pool_run(fn, j, shares);
  nb_pool_release();
}


static void gemm_task(void *v, int share, int nshares, int tid) {
  job_t *j = v;
  K->sgemm(j->meta, j->p[0], j->p[1], j->p[2], j->p[3], nb_pool_workspace(tid, 0), share,
           nshares);
}

/* sgemm(c, a, b[, bias]) */
static napi_value sgemm(napi_env env, napi_callback_info info) {
  job_t j;
  if (!get_arrays(env, info, 4, 3, &j)) return NULL;
  const int32_t *meta = j.meta;
  double batch = 1;
  for (int d = 0; d < meta[NB_G_NBATCH]; d++) batch *= meta[NB_G_BSHAPE + d];
  double flops = batch * meta[NB_G_M] * (double)meta[NB_G_N] * meta[NB_G_K];
  int nt = threads_for(flops, PAR_GEMM_FLOPS);
  /* one share per thread: each share packs the operand it shares with the others again, and
   * at the MLP step's shapes a second share per thread cost 10-20% (kbench 2) */
  run_with_workspaces(env, gemm_task, &j, nt, nt, K->sgemm_ws(meta));
  return NULL;
}

static double walk_numel(const int32_t *meta) {
  double n = 1;
  for (int d = 0; d < meta[NB_W_NDIM]; d++) n *= meta[NB_W_SHAPE + d];
  return n;
}

#define WALK_KERNEL(name, nargs, CALL)                                   \
  static void name##_task(void *v, int tid, int nt, int thread) {        \
    job_t *j = v;                                                        \
    (void)thread;                                                        \
    CALL;                                                                \
  }                                                                      \
  static napi_value name(napi_env env, napi_callback_info info) {        \
    job_t j;                                                             \
    if (!get_arrays(env, info, nargs, nargs, &j)) return NULL;          \
    run(name##_task, &j, threads_for(walk_numel(j.meta), PAR_ELEMENTS));        \
    return NULL;                                                         \
  }

WALK_KERNEL(unary, 2, K->unary(j->meta, j->p[0], j->p[1], tid, nt))
WALK_KERNEL(binary, 3, K->binary(j->meta, j->p[0], j->p[1], j->p[2], tid, nt))
WALK_KERNEL(compare, 3, K->compare(j->meta, j->p[0], j->p[1], j->p[2], tid, nt))
WALK_KERNEL(where, 4, K->where(j->meta, j->p[0], j->p[1], j->p[2], j->p[3], tid, nt))

/* fused(out, leaf0, ..., leafK): the program in meta (NB_F_*) over up to NB_F_MAXLEAVES leaves. */
typedef struct {
  const int32_t *meta;
  float *out;
  const float *leaves[NB_F_MAXLEAVES];
} fused_job;

static void fused_task(void *v, int tid, int nt, int thread) {
  fused_job *j = v;
  (void)thread;
  K->fused(j->meta, j->out, j->leaves, tid, nt);
}

static napi_value fused(napi_env env, napi_callback_info info) {
  napi_value argv[1 + NB_F_MAXLEAVES];
  size_t argc = 1 + NB_F_MAXLEAVES;
  instance_t *inst = NULL;
  if (napi_get_instance_data(env, (void **)&inst) != napi_ok || !inst || !inst->meta) {
    napi_throw_error(env, NULL, "nabla native: init() was not called");
    return NULL;
  }
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  fused_job j;
  j.meta = inst->meta;
  int ok = argc >= 1 && (size_t)inst->meta[NB_F_NLEAVES] == argc - 1;
  j.out = ok ? arg_data(env, argv[0], 0, &ok) : NULL;
  for (size_t i = 1; ok && i < argc; i++) j.leaves[i - 1] = arg_data(env, argv[i], 0, &ok);
  if (!ok) {
    napi_throw_type_error(env, NULL, "nabla native: fused expects typed arrays, one per leaf");
    return NULL;
  }
  int nt = threads_for(inst->meta[NB_F_N], PAR_ELEMENTS);
  nb_pool_acquire();
  nb_pool_run(fused_task, &j, nt > 1 ? nt * SHARES_PER_THREAD : 1);
  nb_pool_release();
  return NULL;
}

static void reduce_task(void *v, int tid, int nt, int thread) {
  job_t *j = v;
  (void)thread;
  K->reduce(j->meta, j->p[0], j->p[1], tid, nt);
}

static napi_value reduce(napi_env env, napi_callback_info info) {
  job_t j;
  if (!get_arrays(env, info, 2, 2, &j)) return NULL;
  const int32_t *meta = j.meta;
  double nout = 1, nred = 1;
  for (int d = 0; d < meta[NB_R_NKEPT]; d++) nout *= meta[NB_R_KSHAPE + d];
  for (int d = 0; d < meta[NB_R_NRED]; d++) nred *= meta[NB_R_RSHAPE + d];
  int nt = nout >= 2 ? threads_for(nout * nred, PAR_ELEMENTS) : 1; /* shares are of outputs */
  run(reduce_task, &j, nt);
  return NULL;
}

static void sgd_task(void *v, int tid, int nt, int thread) {
  job_t *j = v;
  (void)thread;
  K->sgd(j->meta, j->p[0], j->p[1], j->p[2], tid, nt);
}

static napi_value sgd(napi_env env, napi_callback_info info) {
  job_t j;
  if (!get_arrays(env, info, 3, 2, &j)) return NULL;
  run(sgd_task, &j, threads_for(j.meta[NB_O_N], PAR_ELEMENTS));
  return NULL;
}

static void adam_task(void *v, int tid, int nt, int thread) {
  job_t *j = v;
  (void)thread;
  K->adam(j->meta, j->p[0], j->p[1], j->p[2], j->p[3], j->p[4], tid, nt);
}

static napi_value adam(napi_env env, napi_callback_info info) {
  job_t j;
  if (!get_arrays(env, info, 5, 4, &j)) return NULL;
  run(adam_task, &j, threads_for(j.meta[NB_O_N], PAR_ELEMENTS));
  return NULL;
}

static double window_work(const int32_t *m, int fold) {
  double nc = (double)m[NB_U_N] * m[NB_U_C];
  return fold ? nc * m[NB_U_H] * m[NB_U_W]
              : nc * m[NB_U_KH] * m[NB_U_KW] * m[NB_U_OH] * m[NB_U_OW];
}

/* A kernel K->name(meta, out, in, share, nshares), on as many threads as `work` earns. */
#define META_KERNEL(name, work)                                                           \
  static void name##_task(void *v, int tid, int nt, int thread) {                         \
    job_t *j = v;                                                                         \
    (void)thread;                                                                         \
    K->name(j->meta, j->p[0], j->p[1], tid, nt);                                          \
  }                                                                                       \
  static napi_value name(napi_env env, napi_callback_info info) {                         \
    job_t j;                                                                              \
    if (!get_arrays(env, info, 2, 2, &j)) return NULL;                                    \
    const int32_t *m = j.meta;                                                            \
    run(name##_task, &j, threads_for(work, PAR_ELEMENTS));                                \
    return NULL;                                                                          \
  }

META_KERNEL(unfold, window_work(m, 0))
META_KERNEL(fold, window_work(m, 1))
META_KERNEL(maxpool_index, window_work(m, 0))
/* exp and log per element: worth about 8 plain elementwise ones */
META_KERNEL(log_softmax, 8.0 * m[NB_LS_OUTER] * m[NB_LS_LEN] * m[NB_LS_INNER])

/* bn_stats(out, x[, coef, g]) and bn_apply(out, x, coef[, g]) (nabla.h NB_BN_*): threads as the
 * elements of x earn them. */
#define BN_KERNEL(name, optional_from)                                                    \
  static void name##_task(void *v, int tid, int nt, int thread) {                         \
    job_t *j = v;                                                                         \
    (void)thread;                                                                         \
    K->name(j->meta, j->p[0], j->p[1], j->p[2], j->p[3], tid, nt);                        \
  }                                                                                       \
  static napi_value name(napi_env env, napi_callback_info info) {                         \
    job_t j;                                                                              \
    if (!get_arrays(env, info, 4, optional_from, &j)) return NULL;                        \
    const int32_t *m = j.meta;                                                            \
    double n = (double)m[NB_BN_N] * m[NB_BN_C] * m[NB_BN_S];                              \
    run(name##_task, &j, threads_for(n, PAR_ELEMENTS));                                   \
    return NULL;                                                                          \
  }

BN_KERNEL(bn_stats, 2)
BN_KERNEL(bn_apply, 3)

static double conv_flops(const int32_t *m) {
  return (double)m[NB_U_N] * m[NB_CV_O] * m[NB_U_C] * m[NB_U_KH] * m[NB_U_KW] * m[NB_U_OH] *
         m[NB_U_OW];
}

static void conv2d_task(void *v, int share, int nshares, int tid) {
  job_t *j = v;
  K->conv2d(j->meta, j->p[0], j->p[1], j->p[2], j->p[3], nb_pool_workspace(tid, 0), share,
            nshares);
}

static napi_value conv2d(napi_env env, napi_callback_info info) {
  job_t j;
  if (!get_arrays(env, info, 4, 3, &j)) return NULL;
  int nt = threads_for(conv_flops(j.meta), PAR_GEMM_FLOPS);
  run_with_workspaces(env, conv2d_task, &j, nt, nt > 1 ? nt * 2 : 1, K->conv_ws(j.meta));
  return NULL;
}

/* The weight gradient's partial sums (conv2d_wgrad), kept between calls. */
static float *partials;
static size_t partials_size;

static void conv2d_wgrad_task(void *v, int share, int nshares, int tid) {
  job_t *j = v;
  K->conv2d_wgrad(j->meta, partials, j->p[1], j->p[2], nb_pool_workspace(tid, 0), share, nshares);
}

static void conv2d_wgrad_sum_task(void *v, int share, int nshares, int tid) {
  job_t *j = v;
  (void)tid;
  K->conv2d_wgrad_sum(j->meta, j->p[0], partials, share, nshares);
}

static napi_value conv2d_wgrad(napi_env env, napi_callback_info info) {
  job_t j;
  if (!get_arrays(env, info, 3, 3, &j)) return NULL;
  int nt = threads_for(conv_flops(j.meta), PAR_GEMM_FLOPS);
  size_t need = K->conv_partials(j.meta);
  nb_pool_acquire();
  if (partials_size < need) {
    free(partials);
    partials = aligned_alloc(64, (need * sizeof(float) + 63) / 64 * 64);
    partials_size = partials ? need : 0;
  }
  if (!partials && need > 0) {
    napi_throw_error(env, NULL, "nabla native: out of memory");
  } else if (workspaces(env, nt, K->conv_ws(j.meta))) {
    nb_pool_run(conv2d_wgrad_task, &j, nt);
    nb_pool_run(conv2d_wgrad_sum_task, &j, nt);
  }
  nb_pool_release();
  return NULL;
}

static void conv2d_dgrad_task(void *v, int share, int nshares, int tid) {
  job_t *j = v;
  K->conv2d_dgrad(j->meta, j->p[0], j->p[1], j->p[2], nb_pool_workspace(tid, 0), share, nshares);
}

static napi_value conv2d_dgrad(napi_env env, napi_callback_info info) {
  job_t j;
  if (!get_arrays(env, info, 3, 3, &j)) return NULL;
  int nt = threads_for(conv_flops(j.meta), PAR_GEMM_FLOPS);
  run_with_workspaces(env, conv2d_dgrad_task, &j, nt, nt, K->conv_ws(j.meta));
  return NULL;
}

static void gather_task(void *v, int tid, int nt, int thread) {
  job_t *j = v;
  (void)thread;
  K->gather(j->meta, j->p[0], j->p[1], j->p[2], j->p[4], tid, nt);
}

static void scatter_task(void *v, int tid, int nt, int thread) {
  job_t *j = v;
  (void)thread;
  K->scatter(j->meta, j->p[0], j->p[2], j->p[3], j->p[4], tid, nt);
}

static double index_numel(const int32_t *meta) {
  double n = 1;
  for (int d = 0; d < meta[NB_X_NDIM]; d++) n *= meta[NB_X_SHAPE + d];
  return n;
}

/* Returns true, or false when an index was out of range (the caller raises the error). */
static napi_value index_result(napi_env env, int32_t status) {
  napi_value out;
  CHECK(napi_get_boolean(env, status == 0, &out));
  return out;
}

/* gather(out, x, index) */
static napi_value gather(napi_env env, napi_callback_info info) {
  job_t j;
  int32_t status = 0;
  if (!get_arrays(env, info, 3, 3, &j)) return NULL;
  j.p[4] = &status;
  run(gather_task, &j, threads_for(index_numel(j.meta), PAR_ELEMENTS));
  return index_result(env, status);
}

/* scatter(out, x, index, src): out = x (the copy walk at meta + NB_X_COPY), then the writes. */
static napi_value scatter(napi_env env, napi_callback_info info) {
  job_t j;
  int32_t status = 0;
  if (!get_arrays(env, info, 4, 4, &j)) return NULL;
  job_t copy = {j.meta + NB_X_COPY, {j.p[0], j.p[1]}};
  run(unary_task, &copy, threads_for(walk_numel(copy.meta), PAR_ELEMENTS));
  j.p[4] = &status;
  run(scatter_task, &j, threads_for(index_numel(j.meta), PAR_ELEMENTS));
  return index_result(env, status);
}

static void maxpool_backward_task(void *v, int tid, int nt, int thread) {
  job_t *j = v;
  (void)thread;
  K->maxpool_backward(j->meta, j->p[0], j->p[1], j->p[2], tid, nt);
}

/* maxPoolBackward(out, g, index): zeros, then g added at index, plane by plane. */
static napi_value maxpool_backward(napi_env env, napi_callback_info info) {
  job_t j;
  if (!get_arrays(env, info, 3, 3, &j)) return NULL;
  double work = (double)j.meta[NB_MB_PLANES] * (j.meta[NB_MB_SIZE] + j.meta[NB_MB_L]);
  run(maxpool_backward_task, &j, threads_for(work, PAR_ELEMENTS));
  return NULL;
}

/* ---- FMA peak probe ---- */

#include <time.h>

#define PROBE_ITERS 20000000LL

static void probe_task(void *v, int share, int nshares, int tid) {
  (void)share, (void)nshares, (void)tid;
  volatile float *sink = v;
  *sink += K->fma_probe(PROBE_ITERS);
}

/* fmaPeak(threads): GFLOP/s of the FMA probe run once on each of `threads` threads. */
static napi_value fma_peak(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  size_t argc = 1;
  int32_t nt = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) napi_get_value_int32(env, argv[0], &nt);
  if (nt < 1) nt = 1;
  if (nt > nb_pool_threads()) nt = nb_pool_threads();
  volatile float sink = 0;
  struct timespec t0, t1;
  nb_pool_acquire();
  nb_pool_run(probe_task, (void *)&sink, nt); /* warm up (clocks, wake the workers) */
  clock_gettime(CLOCK_MONOTONIC, &t0);
  nb_pool_run(probe_task, (void *)&sink, nt);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  nb_pool_release();
  double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
  double flops = (double)PROBE_ITERS * 12 * K->vector_lanes() * 2 * nt;
  CHECK(napi_create_double(env, flops / s * 1e-9, &out));
  return out;
}

/* ---- setup ---- */

static napi_value init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  size_t len = 0;
  napi_typedarray_type type;
  bool is_ta = false;
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta) {
    napi_throw_type_error(env, NULL, "nabla native: init expects the meta Int32Array");
    return NULL;
  }
  CHECK(napi_get_typedarray_info(env, argv[0], &type, &len, &data, NULL, NULL));
  if (type != napi_int32_array || len * 4 < NB_META_BYTES || ((uintptr_t)data & 7) != 0) {
    napi_throw_type_error(env, NULL, "nabla native: bad meta array");
    return NULL;
  }
  instance_t *inst = NULL;
  CHECK(napi_get_instance_data(env, (void **)&inst));
  if (!inst) {
    napi_throw_error(env, NULL, "nabla native: no instance data");
    return NULL;
  }
  if (inst->ref) napi_delete_reference(env, inst->ref);
  CHECK(napi_create_reference(env, argv[0], 1, &inst->ref));
  inst->meta = data;
  return NULL;
}

static void free_instance(napi_env env, void *data, void *hint) {
  instance_t *inst = data;
  (void)hint;
  if (inst->ref) napi_delete_reference(env, inst->ref);
  free(inst);
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  size_t argc = 1;
  int32_t n = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) napi_get_value_int32(env, argv[0], &n);
  CHECK(napi_create_int32(env, nb_pool_set_threads(n), &out));
  return out;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  CHECK(napi_create_int32(env, nb_pool_threads(), &out));
  return out;
}

static napi_value default_threads(napi_env env, napi_callback_info info) {
  napi_value out;
  (void)info;
  CHECK(napi_create_int32(env, nb_pool_default_threads(), &out));
  return out;
}

/* Keeps glibc from returning a training step's large buffers to the kernel (and page-faulting them
 * back in on the next step). By default glibc mmaps blocks over a threshold it raises only as far
 * as 32 MiB, after frees, and trims the heap top above 128 KiB; a loop that drops its tensors to
 * the garbage collector then pays ~10 µs per 4 KiB page every step. Blocks up to 32 MiB come from
 * the heap and freed memory stays mapped up to 128 MiB. NABLA_MALLOPT=0 leaves glibc's defaults. */
static void tune_malloc(void) {
#ifdef __GLIBC__
  const char *opt = getenv("NABLA_MALLOPT");
  if (opt != NULL && strcmp(opt, "0") == 0) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}

NAPI_MODULE_INIT() {
  static int once = 0;
  if (!once) {
    once = 1;
    tune_malloc();
    pick_isa();
    nb_pool_set_threads(nb_pool_default_threads());
  }
  napi_property_descriptor props[] = {
      {"init", NULL, init, NULL, NULL, NULL, napi_default, NULL},
      {"setNumThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"getNumThreads", NULL, get_threads, NULL, NULL, NULL, napi_default, NULL},
      {"defaultThreads", NULL, default_threads, NULL, NULL, NULL, napi_default, NULL},
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"unary", NULL, unary, NULL, NULL, NULL, napi_default, NULL},
      {"binary", NULL, binary, NULL, NULL, NULL, napi_default, NULL},
      {"fused", NULL, fused, NULL, NULL, NULL, napi_default, NULL},
      {"compare", NULL, compare, NULL, NULL, NULL, napi_default, NULL},
      {"where", NULL, where, NULL, NULL, NULL, napi_default, NULL},
      {"reduce", NULL, reduce, NULL, NULL, NULL, napi_default, NULL},
      {"sgd", NULL, sgd, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, adam, NULL, NULL, NULL, napi_default, NULL},
      {"unfold", NULL, unfold, NULL, NULL, NULL, napi_default, NULL},
      {"fold", NULL, fold, NULL, NULL, NULL, napi_default, NULL},
      {"maxpoolIndex", NULL, maxpool_index, NULL, NULL, NULL, napi_default, NULL},
      {"logSoftmax", NULL, log_softmax, NULL, NULL, NULL, napi_default, NULL},
      {"bnStats", NULL, bn_stats, NULL, NULL, NULL, napi_default, NULL},
      {"bnApply", NULL, bn_apply, NULL, NULL, NULL, napi_default, NULL},
      {"conv2d", NULL, conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dWgrad", NULL, conv2d_wgrad, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dDgrad", NULL, conv2d_dgrad, NULL, NULL, NULL, napi_default, NULL},
      {"gather", NULL, gather, NULL, NULL, NULL, napi_default, NULL},
      {"scatter", NULL, scatter, NULL, NULL, NULL, napi_default, NULL},
      {"maxPoolBackward", NULL, maxpool_backward, NULL, NULL, NULL, napi_default, NULL},
      {"fmaPeak", NULL, fma_peak, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value isa, abi, contract;
  instance_t *inst = calloc(1, sizeof *inst);
  if (!inst || napi_set_instance_data(env, inst, free_instance, NULL) != napi_ok) return NULL;
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  if (napi_create_string_utf8(env, K->isa, NAPI_AUTO_LENGTH, &isa) != napi_ok) return NULL;
  if (napi_create_int32(env, NB_ABI_VERSION, &abi) != napi_ok) return NULL;
  /* The chosen build's contract (nabla.h's NB_CONTRACT): nabla checks it against its tables. */
  if (napi_create_string_utf8(env, K->contract, NAPI_AUTO_LENGTH, &contract) != napi_ok)
    return NULL;
  napi_set_named_property(env, exports, "isa", isa);
  napi_set_named_property(env, exports, "abi", abi);
  napi_set_named_property(env, exports, "contract", contract);
  return exports;
}
