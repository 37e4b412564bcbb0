// The fused resampler on the GPU, v2 (the default until v3, fuse_v3.cu, which keeps its search;
// kernels/NOTES.md "fusion kernel" says why it replaced v1 and what each step buys; doc/robot.md has the
// semantics). The same bytes as the CPU pass (fuse_cpu.c): intervals, weights and values all come from
// fuse_math.h.
//
// A block owns (batch row b, TC consecutive targets) and writes their output span. Three dependent trips
// to global memory before its first output (v1 made ~16):
//   1. facts: each stream's valid length and row pointers, the TC target times, the table of output
//      channels (stream, mode, channel: rl_fm_channel_code), the list of slerp groups; and in the same
//      trip, warp k loads 128 evenly spaced times of stream k's padded row (positions known from its size
//      alone), which bracket the counts of times <= the chunk's first and last target to ~S/128 (a
//      32-lane round per 32x narrowing follows only for rows too long to stage that bracket);
//   2. the bracketed window of each stream's times, which holds every interval the chunk needs, is
//      copied into shared memory (cp.async, all in flight together); then one thread per (target, stream)
//      binary-searches its window there. The answer is the CPU's: for sorted times the rule (the largest
//      i with st[i] <= x) fixes it, whatever the search;
//   3. one thread per (target, quaternion group) computes the slerp once (v1 computed it four times, in
//      warps with 4 of 32 lanes busy), and every thread streams its share of the other elements: lanes on
//      consecutive elements of the span (coalesced loads and stores), kUnroll elements with their loads in
//      flight together, one shared-memory lookup of the interval per element and no search.
// A chunk whose valid targets are not sorted (or hold a NaN), and a window over the shared-memory budget,
// take a binary search over global memory instead: the same answer, slower. Padded times may be loaded
// (the probes of step 1, the targets of a chunk) but never decide anything.
#include "fuse_kernels.h"
#include "fuse_math.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_pipeline.h>
#include "fuse_store.cuh"
#include "fuse_v2_device.cuh"
#include <algorithm>
#include <cstdint>

namespace fuse_v2 {

// ---- from here to the end marker, tests/fuse_emulation.sh compiles the kernel on the host (a thread per
// ---- context; barriers, ballots and copies are stand-ins) and checks its bytes against the CPU pass
static_assert(RL_FUSE_MAX_STREAMS <= kWarps, "step 1 gives each stream a warp of its own");
constexpr int kMaxTargets = 128;          // targets per block at most (rl_fuse_v2_max_targets)
constexpr int kElementsPerBlock = 6144; // output elements a block aims for (24 KB of f32)
constexpr int kMinTargets = 16;

struct Row {                // one stream in batch row b
  const unsigned char *src; // its first value
  const void *times;        // its first time
  int L, D, dtype;
  int cnt[2];               // bounds: cnt[0] <= #(times <= the first valid target), cnt[1] >= #(<= the last)
};

struct Params {
  int targets, chunks_per_row; // TC, and blocks per batch row
  int c_lo, width;             // the output channels written: [c_lo, c_lo + width)
  int slots;                   // staged times per block
};

// Byte offsets in the dynamic shared memory (the launcher sizes it with the same function).
struct Layout { size_t stage, x, table, groups, bytes; };
__host__ __device__ inline Layout layout(const Params &p, int nstreams, int time_size) {
  Layout l;
  l.stage = (size_t)p.targets * nstreams * sizeof(Iv); // the intervals first (16-byte aligned)
  l.x = l.stage + (size_t)p.slots * time_size;
  l.table = l.x + (size_t)p.targets * time_size;
  l.groups = l.table + (size_t)p.width * sizeof(uint32_t);
  l.bytes = l.groups + (size_t)(p.width / 4 + 1) * sizeof(int);
  return l;
}

inline Params plan(const rl_fuse_args *a, int c_lo, int width, int targets) {
  Params p;
  p.targets = (int)std::max<long long>(1, std::min<long long>(std::min(targets, kMaxTargets), a->target_len));
  p.chunks_per_row = (int)((a->target_len + p.targets - 1) / p.targets);
  p.c_lo = c_lo;
  p.width = width;
  // the windows, and on both sides of each the bracket's slack (up to the probes' spacing or kCoarse)
  p.slots = search_slots(a, p.targets);
  return p;
}

// Targets per block: ~kElementsPerBlock output elements (a power of two in [kMinTargets, kMaxTargets]),
// halved while the grid would fill the `resident` blocks of the device less than twice (short batches: a
// second wave lets one block's searches overlap another's streaming).
inline int choose_targets(const rl_fuse_args *a, int c_lo, int width, long long resident) {
  int tc = kMinTargets;
  while (tc < kMaxTargets && 2 * tc * width <= kElementsPerBlock) tc *= 2;
  while (tc > kMinTargets && a->batch * plan(a, c_lo, width, tc).chunks_per_row < 2 * resident) tc /= 2;
  return tc;
}

// Quaternion groups of the slerp ranges that start in output channels [lo, hi).
__host__ __device__ inline int slerp_groups_in(const rl_fuse_args &a, long long lo, long long hi) {
  int n = 0;
  for (int k = 0; k < a.nstreams; k++)
    for (int r = 0; r < a.streams[k].nranges; r++) {
      const rl_fuse_range &g = a.streams[k].ranges[r];
      if (g.mode != RL_INTERP_SLERP) continue;
      const long long first = a.streams[k].out_offset + g.from, end = a.streams[k].out_offset + g.to;
      const long long from = first > lo ? first : lo, to = end < hi ? end : hi;
      if (to > from) n += (int)((to - first + 3) / 4 - (from - first + 3) / 4);
    }
  return n;
}


template <int TDT, int ODT>
__global__ void __launch_bounds__(kThreads) fuse_kernel(const __grid_constant__ rl_fuse_args a, const Params p) {
  typedef typename TimeOf<TDT>::T TT;
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ Row s_row[RL_FUSE_MAX_STREAMS];
  __shared__ const unsigned char *s_src[RL_FUSE_MAX_STREAMS]; // = s_row[k].src, .dtype: the streaming loop's
  __shared__ int s_dtype[RL_FUSE_MAX_STREAMS];                 // lookups, in arrays of their own
  __shared__ int s_wlo[RL_FUSE_MAX_STREAMS], s_whi[RL_FUSE_MAX_STREAMS], s_soff[RL_FUSE_MAX_STREAMS];
  __shared__ int s_tlen, s_unsorted, s_groups;
  const int ns = a.nstreams, W = p.width, tid = threadIdx.x, lane = tid & 31;
  const Layout lay = layout(p, ns, (int)sizeof(TT));
  Iv *iv = reinterpret_cast<Iv *>(smem);                      // [TC][ns]
  TT *stage = reinterpret_cast<TT *>(smem + lay.stage);       // [slots]
  TT *xs = reinterpret_cast<TT *>(smem + lay.x);              // [TC]
  uint32_t *table = reinterpret_cast<uint32_t *>(smem + lay.table); // [W]
  int *groups = reinterpret_cast<int *>(smem + lay.groups);   // [W / 4]: first channel of each slerp group
  const int b = (int)(blockIdx.x / (unsigned)p.chunks_per_row);
  const int t0 = (int)(blockIdx.x - (unsigned)b * p.chunks_per_row) * p.targets;
  const int T = (int)a.target_len, nt = min(p.targets, T - t0);

  // 1. facts; warp k also loads its 128 probes of stream k (positions from the padded size S alone)
  if (tid < ns) {
    const rl_fuse_stream &s = a.streams[tid];
    const long long S = s.source_len;
    const long long L = s.len ? rl_fm_len(s.len, s.len_dtype, b) : S;
    Row &r = s_row[tid];
    r.src = (const unsigned char *)s.src + (size_t)((long long)b * S * s.dim) * (s.dtype == RL_F32 ? 4 : 2); // f32, bf16, f16 (checked)
    r.times = (const TT *)s.times + (long long)b * S;
    r.L = (int)(L < 0 ? 0 : L > S ? S : L);
    r.D = (int)s.dim;
    r.dtype = s.dtype;
    s_src[tid] = r.src;
    s_dtype[tid] = r.dtype;
  }
  if (tid == kThreads - 1) {
    const long long tlen = a.tgt_len ? rl_fm_len(a.tgt_len, a.tgt_len_dtype, b) : T;
    s_tlen = (int)(tlen < 0 ? 0 : tlen > T ? T : tlen);
    s_unsorted = 0;
    s_groups = slerp_groups_in(a, p.c_lo, (long long)p.c_lo + W);
  }
  if (tid < nt) xs[tid] = ld_time((const TT *)a.tgt_times + ((long long)b * T + t0 + tid));
  TT probe[kProbesPerLane];
  const int step = load_probes(a, b, tid >> 5, lane, probe);
  for (int c = tid; c < W; c += kThreads) {
    const uint32_t code = rl_fm_channel_code(&a, p.c_lo + c);
    table[c] = code;
    if (code != RL_FM_NO_CHANNEL && (code & 3u) == RL_INTERP_SLERP && ((code >> 6) & 3u) == 0)
      groups[slerp_groups_in(a, p.c_lo, (long long)p.c_lo + c)] = c;
  }
  __syncthreads();
  const int nvalid = max(0, min(nt, s_tlen - t0));

  find_brackets(s_row, xs, nvalid, ns, tid, step, probe, &s_unsorted);
  __syncthreads();

  // 2. the windows staged, then one interval per (target, stream)
  stage_windows(s_row, ns, nvalid, !s_unsorted, p.slots, stage, tid, s_wlo, s_whi, s_soff);
  __syncthreads();
  locate_all(s_row, xs, stage, s_wlo, s_whi, s_soff, nvalid, ns, tid, iv);
  __syncthreads();

  // 3. the output span: slerp groups first (one per thread), then every other element
  void *out = (unsigned char *)a.out + (size_t)(((long long)b * T + t0) * a.out_dim + p.c_lo) * (ODT == RL_F32 ? 4 : 2);
  const int out_dim = (int)a.out_dim, G = s_groups;
  for (int task = tid; task < nvalid * G; task += kThreads) {
    const int tl = task / G, c = groups[task - tl * G], o = tl * out_dim + c;
    const uint32_t code = table[c];
    const int k = (int)((code >> 2) & 15u), d = (int)(code >> 8);
    const Iv v = iv[tl * ns + k];
    if (v.r0 < 0) {
      for (int j = 0; j < 4; j++) rl_fuse_store_fill<ODT>(out, o + j, a.fill_bits);
      continue;
    }
    const unsigned char *src = s_src[k];
    const int dt = s_dtype[k];
    unsigned r0[4], r1[4];
#pragma unroll
    for (int j = 0; j < 4; j++) {
      r0[j] = load_raw(src, dt, v.r0 + d + j);
      r1[j] = load_raw(src, dt, v.r1 + d + j);
    }
    float q0[4], q1[4], r[4];
#pragma unroll
    for (int j = 0; j < 4; j++) {
      q0[j] = raw_value(r0[j], dt);
      q1[j] = raw_value(r1[j], dt);
    }
    rl_fm_slerp(q0, q1, v.w, r);
    for (int j = 0; j < 4; j++) rl_fuse_store<ODT>(out, o + j, r[j]);
  }
  // every other element: warps walk the rows, each lane keeping its channels' descriptors in registers
  const Span span = {iv, table, s_src, s_dtype, out, ns, nt, nvalid, W, out_dim, a.fill_bits};
  if (W <= 32) stream_rows<1, ODT>(span, tid >> 5, lane);
  else if (W <= 64) stream_rows<2, ODT>(span, tid >> 5, lane);
  else if (W <= 96) stream_rows<3, ODT>(span, tid >> 5, lane);
  else stream_rows<4, ODT>(span, tid >> 5, lane);
}

// ---- end of the host-emulated part

// Blocks of the kernel that fit on one SM with `smem` bytes of dynamic shared memory (cached per size).
template <int TDT, int ODT> int resident_per_sm(size_t smem) {
  static size_t cached_smem = 0;
  static int cached = 0;
  if (cached && cached_smem == smem) return cached;
  int n = 0;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, fuse_kernel<TDT, ODT>, kThreads, smem) != cudaSuccess || n < 1) n = 1;
  (void)cudaGetLastError();
  cached_smem = smem;
  cached = n;
  return n;
}

template <int TDT, int ODT> int launch_window(const rl_fuse_args *a, int c_lo, int width, int targets, cudaStream_t s) {
  if (targets <= 0) { // the device's resident blocks at the largest block this call could get
    const size_t smem = layout(plan(a, c_lo, width, kMaxTargets), a->nstreams, TDT == RL_F32 ? 4 : 8).bytes;
    targets = choose_targets(a, c_lo, width, (long long)rl_fuse_sm_count() * resident_per_sm<TDT, ODT>(smem));
  }
  const Params p = plan(a, c_lo, width, targets);
  const long long blocks = a->batch * p.chunks_per_row;
  if (blocks > INT32_MAX) { rl_cuda_set_message("fuse: too many blocks (batch x target chunks >= 2^31)"); return -1; }
  const size_t smem = layout(p, a->nstreams, TDT == RL_F32 ? 4 : 8).bytes;
  auto kernel = fuse_kernel<TDT, ODT>;
  if (smem > 48 * 1024) RL_CU(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
  kernel<<<(unsigned)blocks, kThreads, smem, s>>>(*a, p);
  RL_CU(cudaGetLastError());
  return 0;
}

template <int TDT> int launch_time(const rl_fuse_args *a, int c_lo, int width, int targets, cudaStream_t s) {
  switch (a->out_dtype) {
  case RL_F32: return launch_window<TDT, RL_F32>(a, c_lo, width, targets, s);
  case RL_BF16: return launch_window<TDT, RL_BF16>(a, c_lo, width, targets, s);
  case RL_F16: return launch_window<TDT, RL_F16>(a, c_lo, width, targets, s);
  default: rl_cuda_set_message("fuse: the cuda backend writes f32, bf16 or f16"); return -1;
  }
}

} // namespace fuse_v2

int rl_fuse_v2_max_targets(void) { return fuse_v2::kMaxTargets; }

int rl_fuse_v2_fits(const rl_fuse_args *a) {
  for (int k = 0; k < a->nstreams; k++)
    if (a->streams[k].source_len > INT32_MAX / a->streams[k].dim) return 0;
  return 1;
}

int rl_fuse_v2_launch(const rl_fuse_args *a, int c_lo, int width, int targets, cudaStream_t s) {
  switch (a->time_dtype) {
  case RL_F32: return fuse_v2::launch_time<RL_F32>(a, c_lo, width, targets, s);
  case RL_F64: return fuse_v2::launch_time<RL_F64>(a, c_lo, width, targets, s);
  case RL_I64: return fuse_v2::launch_time<RL_I64>(a, c_lo, width, targets, s);
  default: rl_cuda_set_message("fuse: times are f32, f64 or i64"); return -1;
  }
}
