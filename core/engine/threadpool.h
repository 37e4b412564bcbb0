/* A persistent pool of worker threads: spawning threads per call would cost more than a small
   resample itself. rl_pool_run(n, fn, ctx) runs fn(ctx, i, n) for i in [0, n) with the calling thread
   taking i = 0, and returns when all are done. */
#ifndef ROBOLUA_THREADPOOL_H
#define ROBOLUA_THREADPOOL_H

typedef void (*rl_pool_fn)(void *ctx, int index, int count);
/* Online CPUs (sysconf), at least 1. */
int rl_cpu_count(void);
/* Runs fn on n threads (n >= 1; grows the pool if needed). Returns 0, or -1 if threads can't be made
   (then fn has still run for every index, serially on the caller). */
int rl_pool_run(int n, rl_pool_fn fn, void *ctx);
#endif
