/* Calling and timing the CPU fused resampler (per stream or fused); the loop mirrors cpu_bench.c's. */
#include "clock.h"
#include "cpu_bench.h"
#include "fuse.h"
#include "hostmem.h"
#include "interrupt.h"
#include "rl_cuda.h"
#include "threadpool.h"
#include <stdlib.h>
#include <string.h>

int rl_fuse_cpu_call(const rl_fuse_args *a, int per_stream, int threads) {
  if (!per_stream) return rl_fuse_cpu(a, threads);
  int used = 1;
  for (int k = 0; k < a->nstreams; k++) {
    const rl_fuse_args one = rl_fuse_one_stream(a, k);
    used = rl_fuse_cpu(&one, threads);
  }
  return used;
}

typedef struct {
  unsigned char *p;
  size_t bytes;
} flush_job;

static void flush_slice(void *ctx, int index, int count) {
  const flush_job *j = ctx;
  const size_t begin = j->bytes * (size_t)index / (size_t)count, end = j->bytes * (size_t)(index + 1) / (size_t)count;
  memset(j->p + begin, index + 1, end - begin);
}

int rl_cpu_time_fuse(const rl_fuse_args *a, int per_stream, int threads, int warmup, int repeats, int cold,
                     double *samples_ms) {
  flush_job fj = {NULL, 2 * rl_cpu_llc_bytes()};
  if (cold && !(fj.p = rl_host_alloc(fj.bytes))) return -1;
  int used = threads;
  rl_nvtx_push("warmup");
  for (int i = 0; i < warmup; i++) used = rl_fuse_cpu_call(a, per_stream, threads);
  rl_nvtx_pop();
  rl_nvtx_push("timed");
  for (int i = 0; i < repeats; i++) {
    if (rl_interrupt_requested()) {
      used = RL_BENCH_INTERRUPTED;
      break;
    }
    if (cold) rl_pool_run(rl_cpu_count(), flush_slice, &fj);
    const uint64_t t0 = rl_clock_ns();
    used = rl_fuse_cpu_call(a, per_stream, threads);
    samples_ms[i] = (double)(rl_clock_ns() - t0) * 1e-6;
  }
  rl_nvtx_pop();
  free(fj.p);
  return used;
}
