#define _GNU_SOURCE /* RTLD_NODELETE */
#include "userlib.h"
#include "cpu_bench.h"
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>

const char *rl_userlib_open(const char *path, void **handle, char *err, size_t errlen) {
  dlerror(); /* clear a stale message */
  *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (*handle) return NULL;
  const char *why = dlerror();
  snprintf(err, errlen, "%s", why ? why : "dlopen failed");
  return err;
}

const char *rl_userlib_symbol(void *handle, const char *label, const char *name, void **sym, char *err,
                              size_t errlen) {
  dlerror();
  *sym = dlsym(handle, name);
  if (*sym) return NULL;
  snprintf(err, errlen, "%s: no symbol '%s'", label, name);
  return err;
}

const char *rl_userlib_check_sizes(const rl_resample_args *a) {
  if (a->batch > INT_MAX || a->source_len > INT_MAX || a->target_len > INT_MAX || a->dim > INT_MAX)
    return "a size exceeds the contract's int arguments (2^31 - 1)";
  return NULL;
}

int rl_userlib_resample(rl_cpu_resample_fn fn, const rl_resample_args *a, int threads) {
  return fn(a->src, a->src_times, a->tgt_times, a->out, (int)a->batch, (int)a->source_len, (int)a->target_len,
            (int)a->dim, threads);
}

typedef struct {
  rl_cpu_resample_fn fn;
  const rl_resample_args *a;
  int threads;
} call_job;

static int call_once(void *p) {
  call_job *j = p;
  return rl_userlib_resample(j->fn, j->a, j->threads);
}

int rl_userlib_time_resample(rl_cpu_resample_fn fn, const rl_resample_args *a, int threads, int warmup, int repeats,
                             int cold, double *samples_ms, int *code) {
  call_job j = {fn, a, threads};
  return rl_cpu_time_calls(call_once, &j, warmup, repeats, cold, samples_ms, code);
}
