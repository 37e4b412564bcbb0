/* A persistent pool of worker threads: spawning threads per call would cost more than a small
   resample itself. rl_pool_run(n, fn, ctx) runs fn(ctx, i, n) for i in [0, n) with the calling thread
   taking i = 0, and returns when all are done.
   A job of n wakes only the n - 1 workers it uses; the others sleep on their own condition variable
   and cost nothing, so one large request (threads = 1000) does not slow the small jobs after it. */
#ifndef ROBOLUA_THREADPOOL_H
#define ROBOLUA_THREADPOOL_H

typedef void (*rl_pool_fn)(void *ctx, int index, int count);
/* Online CPUs (sysconf), at least 1. */
int rl_cpu_count(void);
/* Runs fn on n threads (n >= 1; grows the pool if needed). Returns 0, or -1 if threads can't be made
   (then fn has still run for every index, serially on the caller). Jobs from several threads run one
   after another; a job started from inside a job runs serially on the thread that started it. */
int rl_pool_run(int n, rl_pool_fn fn, void *ctx);
/* on != 0: from the next job, index i (worker i - 1, the caller as index 0) runs pinned to the
   (i mod k)-th of the k CPUs the process was allowed when the pool started (Linux; a no-op elsewhere).
   on == 0: workers go back to that full set at their next job, and the calling thread at once. */
void rl_pool_set_pinning(int on);
/* Stops and joins every worker (the pool grows again at the next rl_pool_run). Registered with
   atexit() when the pool first grows, so a clean exit leaves no thread behind (valgrind: no leaks).
   Must not be called from inside a job. */
void rl_pool_shutdown(void);
#endif
