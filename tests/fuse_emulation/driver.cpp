// Runs the kernel of kernels/fuse.cu on the host, block after block, each of its 256 threads a ucontext
// that __syncthreads switches away from, and compares its output bytes with the CPU pass (fuse_cpu.c) on
// generated episodes of every time type, ragged and dense, several value and output dtypes, per-stream
// windows and a channel table wider than 48 KB. What it checks is the kernel's indexing, tables,
// intervals, fills and windows; the device arithmetic itself is covered by tests/spec_robot_cuda.lua.
#include "shim.h"
#include "kernel_part.inc" // the marked part of kernels/fuse.cu, extracted by fuse_emulation.sh
extern "C" {
#include "fuse.h"
#include "robot_episodes.h"
}
#include <cstdio>
#include <cstdlib>
#include <vector>

static ucontext_t scheduler, threads[kThreads];
static std::vector<char> stacks((size_t)kThreads * 128 * 1024);
static int current;
static bool finished[kThreads];
void __syncthreads() { swapcontext(&threads[current], &scheduler); }

static rl_fuse_args grid_args;
static int grid_chunk, grid_chunks_per_row, grid_c_lo, grid_width;
template <int TDT, int ODT> static void thread_main() {
  fuse_kernel<TDT, ODT>(grid_args, grid_chunk, grid_chunks_per_row, grid_c_lo, grid_width);
  finished[current] = true;
}

// The grid launch_window() makes (on a 132-SM H100), run block by block.
template <int TDT, int ODT> static void run_grid(const rl_fuse_args *a, int c_lo, int width) {
  const long long B = a->batch, T = a->target_len;
  int chunk = (int)std::max<long long>(1, std::min<long long>(kMaxChunk, kElementsPerBlock / width));
  chunk = (int)std::min<long long>(chunk, T);
  while (chunk > 8 && B * ((T + chunk - 1) / chunk) < 4ll * 132) chunk /= 2;
  const long long per_row = (T + chunk - 1) / chunk;
  grid_args = *a;
  grid_chunk = chunk;
  grid_chunks_per_row = (int)per_row;
  grid_c_lo = c_lo;
  grid_width = width;
  blockDim.x = kThreads;
  for (long long block = 0; block < B * per_row; block++) {
    blockIdx.x = (unsigned)block;
    memset(emu_smem, (int)(block & 1) * 0x41, sizeof emu_smem); // stale shared memory: zeros or garbage
    for (int i = 0; i < kThreads; i++) {
      getcontext(&threads[i]);
      threads[i].uc_stack.ss_sp = &stacks[(size_t)i * 128 * 1024];
      threads[i].uc_stack.ss_size = 128 * 1024;
      threads[i].uc_link = &scheduler;
      makecontext(&threads[i], (void (*)())thread_main<TDT, ODT>, 0);
      finished[i] = false;
    }
    for (int round = 0; round < 3; round++) // up to the barrier, past it, done
      for (int i = 0; i < kThreads; i++)
        if (!finished[i]) {
          current = i;
          threadIdx.x = (unsigned)i;
          swapcontext(&scheduler, &threads[i]);
        }
    for (int i = 0; i < kThreads; i++)
      if (!finished[i]) { printf("FAIL  block %lld: thread %d never finished\n", block, i); exit(1); }
  }
}

template <int TDT> static void run_time(const rl_fuse_args *a, int c_lo, int width) {
  if (a->out_dtype == RL_F32) run_grid<TDT, RL_F32>(a, c_lo, width);
  else if (a->out_dtype == RL_BF16) run_grid<TDT, RL_BF16>(a, c_lo, width);
  else run_grid<TDT, RL_F16>(a, c_lo, width);
}

static void run_window(const rl_fuse_args *a, int c_lo, int width) {
  if (a->time_dtype == RL_F32) run_time<RL_F32>(a, c_lo, width);
  else if (a->time_dtype == RL_F64) run_time<RL_F64>(a, c_lo, width);
  else run_time<RL_I64>(a, c_lo, width);
}

struct Case {
  rl_episode_clock clock;
  int ragged;
  rl_dtype values, out;
  int per_stream, wide, batch;
  double duration_s;
};

static int check(const Case &c) {
  rl_episode_params p;
  memset(&p, 0, sizeof p);
  p.batch = c.batch;
  p.duration_s = c.duration_s;
  p.policy_hz = 50;
  p.jitter = 0.25;
  p.drop = 0.05;
  p.max_offset = 2;
  p.seed = 7 + (uint64_t)c.clock;
  p.clock = c.clock;
  p.ragged = c.ragged;
  if (c.wide) {
    p.nstreams = 2;
    p.streams[0] = {30, 9000, 0, 0, 0, c.values};
    p.streams[1] = {200, 4000, 100, 140, 0, c.values};
  } else {
    p.nstreams = 4;
    p.streams[0] = {30, 7, 0, 0, 0, c.values};
    p.streams[1] = {500, 14, 0, 0, 0, c.values};
    p.streams[2] = {1000, 10, 0, 8, 0, c.values};
    p.streams[3] = {100, 2, 0, 0, 1, c.values};
  }
  const rl_dtype tdt = rl_episode_time_dtype(p.clock);
  const int64_t T = rl_episode_target_len(&p);
  std::vector<std::vector<unsigned char>> mem;
  mem.reserve(64);
  auto alloc = [&](size_t n) { mem.emplace_back(n); return (void *)mem.back().data(); };
  rl_episode_buffers o;
  memset(&o, 0, sizeof o);
  rl_fuse_args a;
  memset(&a, 0, sizeof a);
  int64_t off = 0;
  for (int k = 0; k < p.nstreams; k++) {
    const int64_t S = rl_episode_source_len(&p, k), D = p.streams[k].dim;
    o.src[k] = alloc((size_t)(c.batch * S * D) * rl_dtype_size(c.values));
    o.times[k] = alloc((size_t)(c.batch * S) * rl_dtype_size(tdt));
    o.len[k] = (int64_t *)alloc((size_t)c.batch * 8);
    rl_fuse_stream &s = a.streams[k];
    s.dtype = c.values;
    s.src = o.src[k];
    s.times = o.times[k];
    s.len = c.ragged ? o.len[k] : nullptr;
    s.len_dtype = RL_I64;
    s.source_len = S;
    s.dim = D;
    s.out_offset = off;
    off += D;
    if (p.streams[k].quat_to > p.streams[k].quat_from) {
      s.nranges = 1;
      s.ranges[0] = {(int32_t)p.streams[k].quat_from, (int32_t)p.streams[k].quat_to, RL_INTERP_SLERP};
    }
    if (p.streams[k].discrete) {
      s.nranges = 1;
      s.ranges[0] = {0, (int32_t)D, RL_INTERP_HOLD};
    }
    if (k == 0 && !c.wide) {
      s.nranges = 2;
      s.ranges[0] = {0, 3, RL_INTERP_NEAREST};
      s.ranges[1] = {5, 7, RL_INTERP_HOLD};
    }
  }
  o.tgt_times = alloc((size_t)(c.batch * T) * rl_dtype_size(tdt));
  o.tgt_len = (int64_t *)alloc((size_t)c.batch * 8);
  rl_robot_episodes(&p, &o, 1);
  a.nstreams = p.nstreams;
  a.time_dtype = tdt;
  a.out_dtype = c.out;
  a.tgt_len_dtype = RL_I64;
  a.tgt_times = o.tgt_times;
  a.tgt_len = c.ragged ? o.tgt_len : nullptr;
  a.batch = c.batch;
  a.target_len = T;
  a.out_dim = off;
  a.fill = -3.0;
  rl_store_f64(&a.fill_bits, c.out, 0, a.fill);
  const size_t bytes = (size_t)(c.batch * T * off) * rl_dtype_size(c.out);
  std::vector<unsigned char> cpu(bytes, 0x5a), emu(bytes, 0xa5);
  a.out = cpu.data();
  rl_fuse_cpu(&a, 1);
  a.out = emu.data();
  if (!c.per_stream) run_window(&a, 0, (int)a.out_dim);
  for (int k = 0; c.per_stream && k < a.nstreams; k++) {
    const rl_fuse_args one = rl_fuse_one_stream(&a, k);
    run_window(&one, (int)one.streams[0].out_offset, (int)one.streams[0].dim);
  }
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < bytes; i++)
    if (cpu[i] != emu[i] && !bad++) first = i;
  printf("%s  clock %d %s values %s out %s %s%s B=%d: %zu of %zu bytes differ (first at %zu)\n", bad ? "FAIL" : "ok  ",
         (int)c.clock, c.ragged ? "ragged" : "dense", rl_dtype_name(c.values), rl_dtype_name(c.out),
         c.per_stream ? "per-stream" : "fused", c.wide ? " wide" : "", c.batch, bad, bytes, first);
  return bad != 0;
}

int main() {
  const Case cases[] = {
      {RL_CLOCK_RELATIVE, 0, RL_F32, RL_F32, 0, 0, 5, 0.8},  {RL_CLOCK_RELATIVE, 1, RL_F32, RL_F32, 0, 0, 5, 0.8},
      {RL_CLOCK_EPOCH_F64, 0, RL_BF16, RL_F32, 0, 0, 5, 0.8}, {RL_CLOCK_EPOCH_F64, 1, RL_BF16, RL_F32, 0, 0, 5, 0.8},
      {RL_CLOCK_EPOCH_I64, 0, RL_F32, RL_F32, 0, 0, 5, 0.8},  {RL_CLOCK_EPOCH_I64, 1, RL_F32, RL_F32, 0, 0, 5, 0.8},
      {RL_CLOCK_RELATIVE, 1, RL_F16, RL_BF16, 0, 0, 3, 0.8},  {RL_CLOCK_EPOCH_I64, 1, RL_F32, RL_F16, 1, 0, 3, 0.8},
      {RL_CLOCK_EPOCH_F64, 1, RL_F32, RL_F32, 1, 0, 4, 0.5},  {RL_CLOCK_RELATIVE, 1, RL_F32, RL_F32, 0, 1, 2, 0.3},
      {RL_CLOCK_RELATIVE, 1, RL_F32, RL_F32, 0, 0, 40, 0.1},
  };
  int failed = 0;
  for (const Case &c : cases) failed += check(c);
  const int n = (int)(sizeof cases / sizeof cases[0]);
  printf("%d passed, %d failed\n", n - failed, failed);
  return failed != 0;
}
