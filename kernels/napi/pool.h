/* The native addon's thread pool (see pool.c). */
#ifndef NB_POOL_H
#define NB_POOL_H

#include <stddef.h>

#define NB_POOL_MAX 64

/* Runs share `share` of `nshares` on thread `tid` (0 = the caller; use it to pick a workspace). */
typedef void (*nb_task)(void *ctx, int share, int nshares, int tid);

/* The number of online CPUs (at most NB_POOL_MAX). */
int nb_pool_default_threads(void);
/* Sets how many shares (threads, the caller included) a call may use; returns the number set. */
int nb_pool_set_threads(int n);
int nb_pool_threads(void);
/* The pool serves one caller at a time: hold it (acquire ... release) around nb_pool_workspace and
 * nb_pool_run. */
void nb_pool_acquire(void);
void nb_pool_release(void);
/* Runs fn(ctx, share, nshares, tid) for every share in [0, nshares), on the caller and the workers
 * (whoever claims it first), and returns when all are done. */
void nb_pool_run(nb_task fn, void *ctx, int nshares);
/* Share tid's scratch buffer of at least `floats` floats (64-byte aligned); NULL if out of memory. */
float *nb_pool_workspace(int tid, size_t floats);

#endif
