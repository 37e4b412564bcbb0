/* CPU timing loops that run entirely in C: Lua is never inside a timed region. */
#ifndef ROBOLUA_CPU_BENCH_H
#define ROBOLUA_CPU_BENCH_H
#include "resample.h"
#include <stddef.h>

/* Returned by the loops below when an interrupt (SIGINT/SIGTERM) stopped them between samples. */
#define RL_BENCH_INTERRUPTED (-2)
/* Returned when the timed call itself reported an error (its code in *status). */
#define RL_BENCH_CALL_FAILED (-3)

/* The CPU timing loop: call(ctx) warmup + repeats times, samples_ms[i] the monotonic-clock time of
   timed call i; cold != 0 writes a buffer of twice the last-level cache before each timed call (outside
   the timing); an interrupt is honoured between calls. A call returning nonzero stops the loop.
   Returns 0, -1 if the flush buffer can't be allocated, RL_BENCH_INTERRUPTED or RL_BENCH_CALL_FAILED. */
int rl_cpu_time_calls(int (*call)(void *ctx), void *ctx, int warmup, int repeats, int cold, double *samples_ms,
                      int *status);

/* The loop above over the CPU resampler. Returns the thread count used, -1 if the flush buffer can't be
   allocated, or RL_BENCH_INTERRUPTED. */
int rl_cpu_time_resample(const rl_resample_args *a, int threads, int warmup, int repeats, int cold,
                         double *samples_ms);
/* memcpy bandwidth on `threads` threads over buffers of `bytes`: median of repeats, counted as bytes
   read + bytes written. Returns 0, -1 if the buffers can't be allocated, or RL_BENCH_INTERRUPTED. */
int rl_cpu_copy_bandwidth(size_t bytes, int threads, int repeats, double *bytes_per_s, double *median_ms);
/* Size of the last-level cache in bytes (a 32 MiB guess if the system does not say). */
size_t rl_cpu_llc_bytes(void);
#endif
