/* The native addon's thread pool: persistent pthreads that run shares of one kernel call.
 *
 * nb_pool_run(fn, ctx, nshares) runs fn(ctx, share, nshares, tid) once for every share in
 * [0, nshares). The caller and the workers claim shares from one atomic counter, so a worker that
 * the OS has not scheduled yet never holds the caller up: the caller takes the shares nobody has
 * claimed and waits only for shares that are running. (Kernels compute each output the same way
 * whichever share or thread it falls to, so results do not depend on who ran what.)
 *
 * The claim word holds (generation << 32 | next share). Publishing a job first closes the word
 * under the new generation, then writes the job, then opens it; a worker claims with a
 * compare-and-swap that also checks the generation, so it can never run a share of a job whose
 * fields it did not read. Idle workers spin for a while (a training step calls kernels back to
 * back) and then sleep on a condition variable, so an idle pool costs no CPU. */
#define _GNU_SOURCE
#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NB_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define NB_PAUSE() __asm__ __volatile__("yield")
#else
#define NB_PAUSE() ((void)0)
#endif

/* How long an idle worker spins before it sleeps: long enough to bridge the gaps between the
 * kernels of a training step (waking a sleeping thread can take milliseconds on a VM). */
#define SPIN_NS 2000000L
#define CLOSED 0xffffffffu

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
/* Serialises callers (several Node threads may share the addon): held around each kernel call. */
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;

static int nthreads = 1; /* threads a call may use, the caller included */
static int nworkers = 0; /* worker threads started */
static atomic_uint generation;
static _Atomic uint64_t claim;
static atomic_int done;
static atomic_int sleepers;
static nb_task job_fn;
static void *job_ctx;
static int job_n;

static float *ws[NB_POOL_MAX];
static size_t ws_size[NB_POOL_MAX];

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Claims and runs shares of generation g until none are left; returns how many it ran. */
static void work(uint32_t g, nb_task fn, void *ctx, int n, int tid) {
  for (;;) {
    uint64_t c = atomic_load_explicit(&claim, memory_order_acquire);
    if ((uint32_t)(c >> 32) != g) return;
    uint32_t s = (uint32_t)c;
    if (s == CLOSED || s >= (uint32_t)n) return;
    if (!atomic_compare_exchange_weak_explicit(&claim, &c, c + 1, memory_order_acq_rel,
                                               memory_order_relaxed))
      continue;
    fn(ctx, (int)s, n, tid);
    atomic_fetch_add_explicit(&done, 1, memory_order_release);
  }
}

static void *worker_main(void *arg) {
  int tid = (int)(intptr_t)arg;
  uint32_t seen = 0;
  for (;;) {
    long start = now_ns();
    unsigned spins = 0;
    uint64_t c;
    /* Wait for a generation we have not served whose claim word is open. */
    for (;;) {
      c = atomic_load_explicit(&claim, memory_order_acquire);
      if ((uint32_t)(c >> 32) != seen && (uint32_t)c != CLOSED) break;
      if ((++spins & 255) != 0 || now_ns() - start < SPIN_NS) {
        NB_PAUSE();
        continue;
      }
      pthread_mutex_lock(&lock);
      atomic_fetch_add(&sleepers, 1);
      while ((uint32_t)(atomic_load(&claim) >> 32) == seen) pthread_cond_wait(&wake, &lock);
      atomic_fetch_sub(&sleepers, 1);
      pthread_mutex_unlock(&lock);
      start = now_ns();
    }
    seen = (uint32_t)(c >> 32);
    /* The job fields were written before the word was opened (release/acquire); if a newer job
     * has replaced them since, the generation check in work() refuses every claim. */
    nb_task fn = job_fn;
    void *ctx = job_ctx;
    int n = job_n;
    if (tid < nthreads) work(seen, fn, ctx, n, tid);
  }
  return NULL;
}

/* The CPUs this process may run on: the online count, or fewer where an affinity mask (taskset,
 * a container's cpuset) restricts it, as PyTorch counts them. */
int nb_pool_default_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
#ifdef __linux__
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) >= 1 &&
      CPU_COUNT(&allowed) < n)
    n = CPU_COUNT(&allowed);
#endif
  if (n < 1) n = 1;
  if (n > NB_POOL_MAX) n = NB_POOL_MAX;
  return (int)n;
}

int nb_pool_threads(void) { return nthreads; }

int nb_pool_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > NB_POOL_MAX) n = NB_POOL_MAX;
  pthread_mutex_lock(&busy);
  while (nworkers < n - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int ok = pthread_create(&t, &attr, worker_main, (void *)(intptr_t)(nworkers + 1)) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) break;
    nworkers++;
  }
  nthreads = nworkers + 1 < n ? nworkers + 1 : n;
  pthread_mutex_unlock(&busy);
  return nthreads;
}

void nb_pool_acquire(void) { pthread_mutex_lock(&busy); }
void nb_pool_release(void) { pthread_mutex_unlock(&busy); }

void nb_pool_run(nb_task fn, void *ctx, int nshares) {
  if (nshares <= 0) return;
  if (nthreads <= 1 || nshares == 1) {
    for (int s = 0; s < nshares; s++) fn(ctx, s, nshares, 0);
    return;
  }
  uint32_t g = atomic_load_explicit(&generation, memory_order_relaxed) + 1;
  if (g == 0) g = 1; /* 0 is the workers' initial "seen" */
  atomic_store_explicit(&generation, g, memory_order_relaxed);
  atomic_store_explicit(&claim, (uint64_t)g << 32 | CLOSED, memory_order_seq_cst);
  job_fn = fn;
  job_ctx = ctx;
  job_n = nshares;
  atomic_store_explicit(&done, 0, memory_order_relaxed);
  atomic_store_explicit(&claim, (uint64_t)g << 32, memory_order_release);
  if (atomic_load(&sleepers) > 0) {
    pthread_mutex_lock(&lock);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
  }
  work(g, fn, ctx, nshares, 0);
  while (atomic_load_explicit(&done, memory_order_acquire) < nshares) NB_PAUSE();
}

float *nb_pool_workspace(int tid, size_t floats) {
  if (tid < 0 || tid >= NB_POOL_MAX) return NULL;
  if (ws_size[tid] < floats) {
    free(ws[tid]);
    size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    ws[tid] = aligned_alloc(64, bytes);
    ws_size[tid] = ws[tid] ? floats : 0;
  }
  return ws[tid];
}
