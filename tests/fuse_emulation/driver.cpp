// Runs the kernels of kernels/fuse_v1.cu, fuse_v2.cu and fuse_v3.cu on the host, block after block, each of a block's
// threads a ucontext, and compares their output bytes with the CPU pass (fuse_cpu.c) on generated episodes
// of every time type, ragged and dense, several value and output dtypes, per-stream windows, a channel
// table wider than 48 KB, unsorted and NaN targets, and (v2) several block sizes and a staging budget too
// small for some windows (v2 and v3 share the search). What it checks is the kernels' indexing, tables, searches, windows, fills and
// synchronisation (a thread reading what another has not yet written reads stale data here too); the device
// arithmetic itself is covered by tests/spec_robot_cuda.lua.
#include "shim.h"
#include "fuse_store.cuh"
#include "fuse_v2_device.cuh"
#include "fuse_v3_device.cuh"
namespace fuse_v1 {
#include "kernel_v1.inc" // the marked parts of the kernels, extracted by fuse_emulation.sh
}
namespace fuse_v2 {
#include "kernel_v2.inc"
}
namespace fuse_v3 {
#include "kernel_v3.inc"
}
extern "C" {
#include "fuse.h"
#include "robot_episodes.h"
}
#include <cstdio>
#include <cstdlib>
#include <vector>

constexpr int kMaxThreads = 256, kStack = 128 * 1024;
static_assert(fuse_v1::kThreads <= kMaxThreads && fuse_v2::kThreads <= kMaxThreads && fuse_v3::kThreads <= kMaxThreads, "more threads than contexts");
static ucontext_t scheduler, threads[kMaxThreads];
static std::vector<char> stacks((size_t)kMaxThreads * kStack);
static int current;
static bool finished[kMaxThreads];
static void (*entry)();
static void yield() { swapcontext(&threads[current], &scheduler); }

// A barrier: the last thread to arrive opens it; the others switch away until it is open.
static int bar_arrived, bar_gen;
void __syncthreads() {
  const int gen = bar_gen;
  if (++bar_arrived == (int)blockDim.x) {
    bar_arrived = 0;
    bar_gen++;
    return;
  }
  while (bar_gen == gen) yield();
}

// A ballot: a rendezvous of the warp's 32 lanes. Two buffers by generation, so a lane that runs on to the
// next ballot cannot overwrite what a slower lane is still to read.
static unsigned ballot_bits[2][kMaxThreads / 32];
static int warp_arrived[kMaxThreads / 32], warp_gen[kMaxThreads / 32];
unsigned __ballot_sync(unsigned mask, int pred) {
  const int w = current >> 5, gen = warp_gen[w];
  if (pred) ballot_bits[gen & 1][w] |= 1u << (current & 31);
  if (++warp_arrived[w] == 32) {
    warp_arrived[w] = 0;
    ballot_bits[(gen + 1) & 1][w] = 0;
    warp_gen[w]++;
  } else {
    while (warp_gen[w] == gen) yield();
  }
  return ballot_bits[gen & 1][w] & mask;
}

static void thread_main() {
  entry();
  finished[current] = true;
}

// Runs `blocks` blocks of `threads_per_block` threads of the kernel that `run` calls.
static void run_blocks(long long blocks, int threads_per_block, void (*run)()) {
  entry = run;
  blockDim.x = (unsigned)threads_per_block;
  for (long long block = 0; block < blocks; block++) {
    blockIdx.x = (unsigned)block;
    memset(emu_smem, (int)(block & 1) * 0x41, sizeof emu_smem); // stale shared memory: zeros or garbage
    bar_arrived = bar_gen = 0;
    memset(ballot_bits, 0, sizeof ballot_bits);
    memset(warp_arrived, 0, sizeof warp_arrived);
    memset(warp_gen, 0, sizeof warp_gen);
    for (int i = 0; i < threads_per_block; i++) {
      getcontext(&threads[i]);
      threads[i].uc_stack.ss_sp = &stacks[(size_t)i * kStack];
      threads[i].uc_stack.ss_size = kStack;
      threads[i].uc_link = &scheduler;
      makecontext(&threads[i], thread_main, 0);
      finished[i] = false;
    }
    for (long long pass = 0;; pass++) {
      bool running = false;
      for (int i = 0; i < threads_per_block; i++)
        if (!finished[i]) {
          running = true;
          current = i;
          threadIdx.x = (unsigned)i;
          swapcontext(&scheduler, &threads[i]);
        }
      if (!running) break;
      if (pass > 1000000) { printf("FAIL  block %lld: threads wait for each other forever\n", block); exit(1); }
    }
  }
}

static rl_fuse_args grid_args;
static int v1_chunk, v1_chunks_per_row, v1_c_lo, v1_width;
static fuse_v2::Params v2_params;
static fuse_v3::Params v3_params;
template <int TDT, int ODT> static void v1_thread() { fuse_v1::fuse_kernel<TDT, ODT>(grid_args, v1_chunk, v1_chunks_per_row, v1_c_lo, v1_width); }
template <int TDT, int ODT> static void v2_thread() { fuse_v2::fuse_kernel<TDT, ODT>(grid_args, v2_params); }
template <int TDT, int ODT> static void v3_thread() { fuse_v3::fuse_kernel<TDT, ODT>(grid_args, v3_params); }

// What one run uses: v1, or v2 (v3) with `targets` per block (0: the launcher's choice for a 132-SM device with
// 4 resident blocks per SM) and `slots` staged times (-1: the plan's).
struct Kernel {
  int version, targets, slots;
};

// The grids the launchers make (v1's: launch_window() in fuse_v1.cu on a 132-SM H100).
template <int TDT, int ODT> static void run_grid(const Kernel &k, const rl_fuse_args *a, int c_lo, int width) {
  grid_args = *a;
  const long long B = a->batch, T = a->target_len;
  if (k.version == 1) {
    int chunk = (int)std::max<long long>(1, std::min<long long>(fuse_v1::kMaxChunk, fuse_v1::kElementsPerBlock / width));
    chunk = (int)std::min<long long>(chunk, T);
    while (chunk > 8 && B * ((T + chunk - 1) / chunk) < 4ll * 132) chunk /= 2;
    v1_chunk = chunk;
    v1_chunks_per_row = (int)((T + chunk - 1) / chunk);
    v1_c_lo = c_lo;
    v1_width = width;
    run_blocks(B * v1_chunks_per_row, fuse_v1::kThreads, v1_thread<TDT, ODT>);
    return;
  }
  const size_t ts = TDT == RL_F32 ? 4 : 8;
  if (k.version == 3) {
    fuse_v3::Params p;
    if (!fuse_v3::build_segments(a, c_lo, width, p)) { printf("FAIL  v3 refuses the window\n"); exit(1); }
    const int targets = k.targets > 0 ? k.targets : fuse_v3::choose_targets(a, c_lo, width, 132 * 4);
    v3_params = fuse_v3::plan(a, c_lo, width, targets);
    if (k.slots >= 0) v3_params.slots = k.slots;
    if (fuse_v3::layout(v3_params, a->nstreams, (int)ts).bytes > sizeof emu_smem) { printf("FAIL  shared memory\n"); exit(1); }
    run_blocks(B * v3_params.chunks_per_row, fuse_v3::kThreads, v3_thread<TDT, ODT>);
    return;
  }
  const int targets = k.targets > 0 ? k.targets : fuse_v2::choose_targets(a, c_lo, width, 132 * 4);
  v2_params = fuse_v2::plan(a, c_lo, width, targets);
  if (k.slots >= 0) v2_params.slots = k.slots;
  if (fuse_v2::layout(v2_params, a->nstreams, (int)ts).bytes > sizeof emu_smem) { printf("FAIL  shared memory\n"); exit(1); }
  run_blocks(B * v2_params.chunks_per_row, fuse_v2::kThreads, v2_thread<TDT, ODT>);
}

template <int TDT> static void run_time(const Kernel &k, const rl_fuse_args *a, int c_lo, int width) {
  if (a->out_dtype == RL_F32) run_grid<TDT, RL_F32>(k, a, c_lo, width);
  else if (a->out_dtype == RL_BF16) run_grid<TDT, RL_BF16>(k, a, c_lo, width);
  else run_grid<TDT, RL_F16>(k, a, c_lo, width);
}

static void run_window(const Kernel &k, const rl_fuse_args *a, int c_lo, int width) {
  if (a->time_dtype == RL_F32) run_time<RL_F32>(k, a, c_lo, width);
  else if (a->time_dtype == RL_F64) run_time<RL_F64>(k, a, c_lo, width);
  else run_time<RL_I64>(k, a, c_lo, width);
}

struct Case {
  rl_episode_clock clock;
  int ragged;
  rl_dtype values, out;
  int per_stream, wide, batch; // wide: 1 = two wide streams; 2 = even widths and offsets (v3's pairs)
  double duration_s;
  int unsorted; // move row 0's first target behind its fourth and (float clocks) make row 1's last NaN
  int long_row; // one 1 kHz stream of 40 s: rows too long to stage step 1's bracket (refine rounds)
};

// Time i of a row, set to `sign` x a huge value of its type (what padding may hold).
static void poison_time(void *t, rl_dtype dt, int64_t i, int sign) {
  if (dt == RL_F32) ((float *)t)[i] = sign * 1e30f;
  else if (dt == RL_F64) ((double *)t)[i] = sign * 1e300;
  else ((int64_t *)t)[i] = sign * (INT64_MAX / 2);
}

// Ragged rows: the padding of every stream (times -huge, values NaN) and of the targets (+huge) poisoned,
// as tests/spec_robot_cuda.lua does on the device. The CPU pass never reads it; a kernel that lets a
// padded time decide anything differs.
static void poison(const rl_fuse_args &a, const rl_episode_buffers &o) {
  for (int k = 0; k < a.nstreams; k++) {
    const rl_fuse_stream &s = a.streams[k];
    for (int64_t b = 0; b < a.batch; b++)
      for (int64_t i = o.len[k][b]; i < s.source_len; i++) {
        poison_time(o.times[k], a.time_dtype, b * s.source_len + i, -1);
        for (int64_t d = 0; d < s.dim; d++) rl_store_f64(o.src[k], s.dtype, (b * s.source_len + i) * s.dim + d, NAN);
      }
  }
  for (int64_t b = 0; b < a.batch; b++)
    for (int64_t t = o.tgt_len[b]; t < a.target_len; t++) poison_time(o.tgt_times, a.time_dtype, b * a.target_len + t, 1);
}

// Breaks the order of row 0's targets (its first one moves to position 4, below the chunk's new first
// target) and, on float clocks, makes row 1's last valid target NaN (a chunk's last target that no window
// can be built from): the CPU pass locates any target; v2 must notice and search such chunks without
// windows.
static void unsort(const rl_fuse_args &a, void *tgt, const int64_t *tgt_len) {
  const int64_t T = a.target_len;
  if (T < 5) return;
  const size_t ts = rl_dtype_size(a.time_dtype);
  unsigned char *row0 = (unsigned char *)tgt, tmp[8];
  memcpy(tmp, row0, ts);
  memcpy(row0, row0 + 4 * ts, ts);
  memcpy(row0 + 4 * ts, tmp, ts);
  const int64_t last = T + (a.tgt_len ? tgt_len[1] : T) - 1;
  if (a.batch > 1 && a.time_dtype == RL_F32) ((float *)tgt)[last] = NAN;
  if (a.batch > 1 && a.time_dtype == RL_F64) ((double *)tgt)[last] = NAN;
}

static int check(const Case &c, const Kernel &kern) {
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
  if (c.long_row) {
    p.nstreams = 1;
    p.streams[0] = {1000, 3, 0, 0, 0, c.values};
  } else if (c.wide == 1) {
    p.nstreams = 2;
    p.streams[0] = {30, 9000, 0, 0, 0, c.values};
    p.streams[1] = {200, 4000, 100, 140, 0, c.values};
  } else {
    p.nstreams = 4;
    const int even = c.wide == 2;
    p.streams[0] = {30, even ? 8 : 7, 0, 0, 0, c.values};
    p.streams[1] = {500, 14, 0, 0, 0, c.values};
    p.streams[2] = {1000, 10, 0, even ? 4 : 8, 0, c.values};
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
    if (k == 0 && c.wide != 1 && !c.long_row) {
      s.nranges = 2;
      s.ranges[0] = {0, c.wide ? 4 : 3, RL_INTERP_NEAREST};
      s.ranges[1] = {c.wide ? 4 : 5, c.wide ? 6 : 7, RL_INTERP_HOLD};
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
  if (c.ragged) poison(a, o);
  if (c.unsorted) unsort(a, o.tgt_times, o.tgt_len);
  const size_t bytes = (size_t)(c.batch * T * off) * rl_dtype_size(c.out);
  std::vector<unsigned char> cpu(bytes, 0x5a), emu(bytes, 0xa5);
  a.out = cpu.data();
  rl_fuse_cpu(&a, 1);
  a.out = emu.data();
  if (!c.per_stream) run_window(kern, &a, 0, (int)a.out_dim);
  for (int k = 0; c.per_stream && k < a.nstreams; k++) {
    const rl_fuse_args one = rl_fuse_one_stream(&a, k);
    run_window(kern, &one, (int)one.streams[0].out_offset, (int)one.streams[0].dim);
  }
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < bytes; i++)
    if (cpu[i] != emu[i] && !bad++) first = i;
  char kname[64];
  if (kern.version == 1) snprintf(kname, sizeof kname, "v1");
  else snprintf(kname, sizeof kname, "v%d targets %d slots %d", kern.version, kern.targets, kern.slots);
  printf("%s  %s: clock %d %s values %s out %s %s%s%s B=%d T=%lld: %zu of %zu bytes differ (first at %zu)\n", bad ? "FAIL" : "ok  ",
         kname, (int)c.clock, c.ragged ? "ragged" : "dense", rl_dtype_name(c.values), rl_dtype_name(c.out),
         c.per_stream ? "per-stream" : "fused", c.wide == 1 ? " wide" : c.wide ? " even" : "", c.unsorted ? " unsorted" : c.long_row ? " long rows" : "", c.batch,
         (long long)T, bad, bytes, first);
  return bad != 0;
}

int main() {
  const Case cases[] = {
      {RL_CLOCK_RELATIVE, 0, RL_F32, RL_F32, 0, 0, 5, 0.8, 0, 0},  {RL_CLOCK_RELATIVE, 1, RL_F32, RL_F32, 0, 0, 5, 0.8, 0, 0},
      {RL_CLOCK_EPOCH_F64, 0, RL_BF16, RL_F32, 0, 0, 5, 0.8, 0, 0}, {RL_CLOCK_EPOCH_F64, 1, RL_BF16, RL_F32, 0, 0, 5, 0.8, 0, 0},
      {RL_CLOCK_EPOCH_I64, 0, RL_F32, RL_F32, 0, 0, 5, 0.8, 0, 0},  {RL_CLOCK_EPOCH_I64, 1, RL_F32, RL_F32, 0, 0, 5, 0.8, 0, 0},
      {RL_CLOCK_RELATIVE, 1, RL_F16, RL_BF16, 0, 0, 3, 0.8, 0, 0},  {RL_CLOCK_EPOCH_I64, 1, RL_F32, RL_F16, 1, 0, 3, 0.8, 0, 0},
      {RL_CLOCK_EPOCH_F64, 1, RL_F32, RL_F32, 1, 0, 4, 0.5, 0, 0},  {RL_CLOCK_RELATIVE, 1, RL_F32, RL_F32, 0, 1, 2, 0.3, 0, 0},
      {RL_CLOCK_RELATIVE, 1, RL_F32, RL_F32, 0, 0, 40, 0.1, 0, 0},
      // 3 s rows (several chunks per row), unsorted and NaN targets, 40 s rows of 1 kHz (step 1 refined)
      {RL_CLOCK_EPOCH_I64, 1, RL_F32, RL_F32, 0, 0, 2, 3.0, 0, 0},  {RL_CLOCK_RELATIVE, 0, RL_F32, RL_F32, 0, 0, 3, 3.0, 1, 0},
      {RL_CLOCK_EPOCH_F64, 1, RL_F32, RL_F32, 0, 0, 3, 0.8, 1, 0},  {RL_CLOCK_EPOCH_I64, 0, RL_F32, RL_F32, 1, 0, 3, 0.8, 1, 0},
      {RL_CLOCK_EPOCH_F64, 1, RL_F32, RL_F32, 0, 0, 2, 40.0, 0, 1}, {RL_CLOCK_EPOCH_I64, 0, RL_BF16, RL_F32, 0, 0, 1, 40.0, 0, 1},
      // even widths and offsets: v3's pairs in every mode and dtype
      {RL_CLOCK_RELATIVE, 1, RL_F32, RL_F32, 0, 2, 3, 0.8, 0, 0},   {RL_CLOCK_EPOCH_I64, 1, RL_BF16, RL_BF16, 0, 2, 3, 0.8, 0, 0},
      {RL_CLOCK_EPOCH_F64, 0, RL_F16, RL_F32, 1, 2, 2, 0.8, 0, 0},  {RL_CLOCK_RELATIVE, 1, RL_F32, RL_F16, 0, 2, 3, 3.0, 1, 0},
  };
  // v1, v2 and v3 as launched; v2 and v3 with odd, minimal and maximal blocks and with a staging budget
  // that some windows overflow
  const Kernel always[] = {{1, 0, -1}, {2, 0, -1}, {3, 0, -1}},
               some[] = {{2, 7, -1}, {2, 16, 40}, {2, 1, 3}, {3, 7, -1}, {3, 16, 40}, {3, 1, 3}, {3, 128, -1}};
  int failed = 0, n = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (const Kernel &k : always) failed += check(cases[i], k), n++;
    if (i % 3 == 0 || cases[i].unsorted || cases[i].long_row || cases[i].duration_s > 1)
      for (const Kernel &k : some) {
        // (one target a block on 40 s rows: 4000 blocks each refining its search alone, half the run's time
        // and more under the sanitizers; the budget overflow it adds there is {16, 40}'s too)
        if (cases[i].long_row && k.targets == 1) continue;
        failed += check(cases[i], k), n++;
      }
  }
  printf("%d passed, %d failed\n", n - failed, failed);
  return failed != 0;
}
