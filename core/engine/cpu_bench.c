#define _GNU_SOURCE
#include "cpu_bench.h"
#include "clock.h"
#include "hostmem.h"
#include "interrupt.h"
#include "median.h"
#include "rl_cuda.h"
#include "threadpool.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t rl_cpu_llc_bytes(void) {
  /* sysconf asks cpuid, a trap to the hypervisor in a VM: once is enough (the resampler asks per call) */
  static _Atomic size_t cached = 0;
  size_t c = atomic_load_explicit(&cached, memory_order_relaxed);
  if (c) return c;
  long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  c = l3 > 0 ? (size_t)l3 : l2 > 0 ? (size_t)l2 : 32u << 20;
  atomic_store_explicit(&cached, c, memory_order_relaxed);
  return c;
}

typedef struct {
  unsigned char *dst;
  const unsigned char *src;
  size_t bytes;
  int fill;
  int part, parts; /* with parts > 1, each thread does part `part` of `parts` of its own slice */
} copy_job;

static void copy_slice(void *p, int index, int count) {
  copy_job *j = p;
  size_t begin = j->bytes * (size_t)index / (size_t)count, end = j->bytes * (size_t)(index + 1) / (size_t)count;
  if (j->parts > 1) {
    size_t len = end - begin;
    end = begin + len * (size_t)(j->part + 1) / (size_t)j->parts;
    begin += len * (size_t)j->part / (size_t)j->parts;
  }
  if (j->fill)
    memset(j->dst + begin, index + 1, end - begin);
  else
    memcpy(j->dst + begin, j->src + begin, end - begin);
}

int rl_cpu_copy_bandwidth(size_t bytes, int threads, int repeats, double *bytes_per_s, double *median_ms) {
  if (rl_interrupt_requested()) return RL_BENCH_INTERRUPTED; /* before touching hundreds of MB */
  if (threads <= 0) threads = rl_cpu_count();
  if (repeats < 1) repeats = 1;
  unsigned char *a = rl_host_alloc(bytes), *b = rl_host_alloc(bytes);
  double *t = malloc(sizeof(double) * (size_t)repeats);
  if (!a || !b || !t) {
    free(a); free(b); free(t);
    return -1;
  }
  /* first touch of both buffers on the threads that will copy them, then a warm-up copy: each thread keeps
     its slice, in parts of about 64 MB so that an interrupt is seen within one part (a whole pass over
     gigabytes takes seconds) */
  copy_job j = {a, NULL, bytes, 1, 0, (int)(bytes / ((size_t)64 << 20)) + 1};
  for (int phase = 0; phase < 3; phase++) {
    j.dst = phase == 0 ? a : b;
    j.fill = phase < 2;
    j.src = a;
    for (j.part = 0; j.part < j.parts; j.part++) {
      if (rl_interrupt_requested()) {
        free(a); free(b); free(t);
        return RL_BENCH_INTERRUPTED;
      }
      rl_pool_run(threads, copy_slice, &j);
    }
  }
  j.parts = 1;
  j.part = 0;
  for (int r = 0; r < repeats; r++) {
    if (rl_interrupt_requested()) {
      free(a); free(b); free(t);
      return RL_BENCH_INTERRUPTED;
    }
    uint64_t t0 = rl_clock_ns();
    rl_pool_run(threads, copy_slice, &j);
    t[r] = (double)(rl_clock_ns() - t0) * 1e-6;
  }
  double med = rl_median_inplace(t, (size_t)repeats);
  *median_ms = med;
  *bytes_per_s = 2.0 * (double)bytes / (med * 1e-3);
  free(a); free(b); free(t);
  return 0;
}

int rl_cpu_time_calls(int (*call)(void *ctx), void *ctx, int warmup, int repeats, int cold, double *samples_ms,
                      int *status) {
  unsigned char *flush = NULL;
  size_t flush_bytes = 2 * rl_cpu_llc_bytes();
  if (cold && !(flush = rl_host_alloc(flush_bytes))) return -1;
  copy_job fj = {flush, NULL, flush_bytes, 1, 0, 1};
  int rc = 0;
  *status = 0;
  rl_nvtx_push("warmup");
  for (int i = 0; i < warmup && rc == 0; i++)
    if ((*status = call(ctx)) != 0) rc = RL_BENCH_CALL_FAILED;
  rl_nvtx_pop();
  rl_nvtx_push("timed");
  for (int i = 0; i < repeats && rc == 0; i++) {
    if (rl_interrupt_requested()) {
      rc = RL_BENCH_INTERRUPTED;
      break;
    }
    if (cold) rl_pool_run(rl_cpu_count(), copy_slice, &fj);
    uint64_t t0 = rl_clock_ns();
    *status = call(ctx);
    samples_ms[i] = (double)(rl_clock_ns() - t0) * 1e-6;
    if (*status != 0) rc = RL_BENCH_CALL_FAILED;
  }
  rl_nvtx_pop();
  free(flush);
  return rc;
}

typedef struct {
  const rl_resample_args *a;
  int threads, used;
} resample_job;

static int resample_once(void *p) {
  resample_job *j = p;
  j->used = rl_resample_cpu(j->a, j->threads);
  return 0;
}

int rl_cpu_time_resample(const rl_resample_args *a, int threads, int warmup, int repeats, int cold,
                         double *samples_ms) {
  resample_job j = {a, threads, threads};
  int status;
  int rc = rl_cpu_time_calls(resample_once, &j, warmup, repeats, cold, samples_ms, &status);
  return rc != 0 ? rc : j.used;
}
