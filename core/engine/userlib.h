/* CPU functions from users' shared libraries (dlopen/dlsym): the resampler contract of
   include/robolua/contract.h, called and timed like robolua's own CPU backend. A library stays loaded
   until the process exits (RTLD_NODELETE): threads it started may outlive the call that made them. */
#ifndef ROBOLUA_USERLIB_H
#define ROBOLUA_USERLIB_H
#include "resample_args.h"
#include <stddef.h>

/* The CPU contract, with the element pointers untyped: every T of the contract is passed the same way in
   the C calling convention, so one pointer type calls the f32, bf16 and f16 entries alike. */
typedef int (*rl_cpu_resample_fn)(const void *src, const float *src_times, const float *tgt_times, void *out,
                                  int B, int S, int T, int D, int threads);

/* Opens path (a name without '/' goes through the loader's search path). NULL, or dlerror's text in err. */
const char *rl_userlib_open(const char *path, void **handle, char *err, size_t errlen);
/* The symbol `name` of an opened library; a missing one: "libmine.so: no symbol 'mine_resample_f32'". */
const char *rl_userlib_symbol(void *handle, const char *label, const char *name, void **sym, char *err,
                              size_t errlen);

/* NULL if a's sizes fit the contract's int arguments, else why. */
const char *rl_userlib_check_sizes(const rl_resample_args *a);
/* One call: the function's return code (0 = success). */
int rl_userlib_resample(rl_cpu_resample_fn fn, const rl_resample_args *a, int threads);
/* The CPU timing loop of cpu_bench.h around fn: 0, -1 (no memory for the cold-cache flush),
   RL_BENCH_INTERRUPTED, or RL_BENCH_CALL_FAILED with the function's code in *code. */
int rl_userlib_time_resample(rl_cpu_resample_fn fn, const rl_resample_args *a, int threads, int warmup, int repeats,
                             int cold, double *samples_ms, int *code);
#endif
