// The fused resampler on the GPU, v3 (kernels/NOTES.md "fusion kernel" has the measurements behind it).
// The same bytes as the CPU pass and as v2: v3 keeps v2's search (steps 1 and 2 below are v2's) and
// replaces how the output is streamed, which ncu showed to be where v2's time went (H100, B=256:
// 41 M instructions, ~60 per output element, IPC 2, 24 warps per SM by v2's 72 registers):
//   - the host lists the launch window's channels as segments (a run of one stream's channels with one
//     mode) and passes them with the launch, so no block builds a channel table or a slerp-group list;
//   - each warp takes a balanced share of 32-element strips over the segments and walks each segment with
//     code specialised on its mode and dtype (uniform over the warp: no per-element dispatch); a lane's
//     (target, channel) advances by constants, with kUnroll strips' loads in flight before its stores;
//   - padded target rows are filled by a loop of their own, and the kernel is capped at 64 registers
//     (4 blocks, 32 warps per SM).
// A block owns (batch row b, TC consecutive targets), as in v2.
#include "fuse_kernels.h"
#include "fuse_math.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_pipeline.h>
#include "fuse_store.cuh"
#include "fuse_v2_device.cuh"
#include "fuse_v3_device.cuh"
#include <algorithm>
#include <cstdint>

namespace fuse_v3 {

// ---- from here to the end marker, tests/fuse_emulation.sh compiles the kernel on the host (a thread per
// ---- context; barriers, ballots and copies are stand-ins) and checks its bytes against the CPU pass
using fuse_v2::Iv;
using fuse_v2::TimeOf;
constexpr int kWarps = fuse_v2::kWarps;
constexpr int kThreads = fuse_v2::kThreads;
constexpr int kMaxTargets = 128, kMinTargets = 16;
constexpr int kElementsPerBlock = 8192; // output elements a block aims for (v2: 6144; fuse_ab: 64 targets x 90 best)
constexpr int kMaxSegs = 48;             // segments per launch (more: the dispatcher runs v2)
constexpr int kUnroll = 6; // strips per round: a warp's 11 strips (robot case) take 2 rounds, not 3 (64 regs)

struct Row {
  const void *times;
  int L, D;
  int cnt[2];
};

struct Params {
  int targets, chunks_per_row, c_lo, width, slots;
  int nsegs, ngroups; // segments, and quaternion groups in the slerp ones
  Seg seg[kMaxSegs];
};

struct Layout { size_t stage, x, bytes; };
__host__ __device__ inline Layout layout(const Params &p, int nstreams, int time_size) {
  Layout l;
  l.stage = (size_t)p.targets * nstreams * sizeof(Iv);
  l.x = l.stage + (size_t)p.slots * time_size;
  l.bytes = l.x + (size_t)p.targets * time_size;
  return l;
}

// The segments of output channels [c_lo, c_lo + width): per stream, the cuts at its window's ends and at
// its ranges' ends, each piece with its range's mode (channels in no range are linear). 0 when there are
// more than kMaxSegs or a window cuts a quaternion group (v2 handles both). A segment goes by pairs
// where every pair is aligned: even width, channel, stream dim, output channel and output pitch, and
// buffers aligned to two elements.
inline int build_segments(const rl_fuse_args *a, int c_lo, int width, Params &p) {
  p.nsegs = p.ngroups = 0;
  const int os = a->out_dtype == RL_F32 ? 4 : 2;
  for (int k = 0; k < a->nstreams; k++) {
    const rl_fuse_stream &s = a->streams[k];
    const int es = s.dtype == RL_F32 ? 4 : 2;
    const long long lo = std::max<long long>(0, c_lo - s.out_offset), hi = std::min<long long>(s.dim, c_lo + width - s.out_offset);
    if (lo >= hi) continue;
    long long cut[2 + 2 * RL_FUSE_MAX_RANGES];
    int n = 0;
    cut[n++] = lo;
    cut[n++] = hi;
    for (int r = 0; r < s.nranges; r++)
      for (long long c : {(long long)s.ranges[r].from, (long long)s.ranges[r].to})
        if (c > lo && c < hi) cut[n++] = c;
    std::sort(cut, cut + n);
    n = (int)(std::unique(cut, cut + n) - cut);
    for (int i = 0; i + 1 < n; i++) {
      int mode = RL_INTERP_LINEAR, from = 0;
      for (int r = 0; r < s.nranges; r++)
        if (cut[i] >= s.ranges[r].from && cut[i] < s.ranges[r].to) mode = s.ranges[r].mode, from = s.ranges[r].from;
      const int w = (int)(cut[i + 1] - cut[i]);
      const int kind = mode == RL_INTERP_HOLD ? kHold : mode == RL_INTERP_NEAREST ? kNearest : mode == RL_INTERP_SLERP ? kSlerp : kLerp;
      if (kind == kSlerp && ((cut[i] - from) % 4 != 0 || w % 4 != 0)) return 0;
      if (p.nsegs == kMaxSegs) return 0;
      const long long c = s.out_offset + cut[i]; // the first output channel
      const int pair = kind != kSlerp && w % 2 == 0 && cut[i] % 2 == 0 && s.dim % 2 == 0 && c % 2 == 0 && a->out_dim % 2 == 0 &&
                       (uintptr_t)s.src % (2 * es) == 0 && (uintptr_t)a->out % (2 * os) == 0;
      const int n = w / (pair ? 2 : 1); // items per target
      p.seg[p.nsegs++] = Seg{(int)(c - c_lo), w, k, (int)cut[i], kind, pair, 32 / n, 32 % n};
      if (kind == kSlerp) p.ngroups += w / 4;
    }
  }
  return 1;
}

inline Params plan(const rl_fuse_args *a, int c_lo, int width, int targets) {
  Params p;
  p.targets = (int)std::max<long long>(1, std::min<long long>(std::min(targets, kMaxTargets), a->target_len));
  p.chunks_per_row = (int)((a->target_len + p.targets - 1) / p.targets);
  p.c_lo = c_lo;
  p.width = width;
  p.slots = fuse_v2::search_slots(a, p.targets);
  build_segments(a, c_lo, width, p);
  return p;
}

// Targets per block: ~kElementsPerBlock output elements, halved while the grid would fill less than half
// the device's `resident` blocks (v2 asked for two full waves; fuse_ab, H100: B=64 ran faster at 512
// blocks of 64 targets than at 1024 of 32).
inline int choose_targets(const rl_fuse_args *a, int c_lo, int width, long long resident) {
  (void)c_lo;
  int tc = kMinTargets;
  while (tc < kMaxTargets && 2 * tc * width <= kElementsPerBlock) tc *= 2;
  while (tc > kMinTargets && 2 * a->batch * ((a->target_len + tc - 1) / tc) < resident) tc /= 2;
  return tc;
}

template <int TDT, int ODT>
__global__ void __launch_bounds__(kThreads, 4) fuse_kernel(const __grid_constant__ rl_fuse_args a, const __grid_constant__ Params p) {
  typedef typename TimeOf<TDT>::T TT;
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ Row s_row[RL_FUSE_MAX_STREAMS];
  __shared__ const unsigned char *s_src[RL_FUSE_MAX_STREAMS];
  __shared__ int s_dtype[RL_FUSE_MAX_STREAMS];
  __shared__ int s_wlo[RL_FUSE_MAX_STREAMS], s_whi[RL_FUSE_MAX_STREAMS], s_soff[RL_FUSE_MAX_STREAMS];
  __shared__ int s_tlen, s_unsorted;
  const int ns = a.nstreams, W = p.width, tid = threadIdx.x, lane = tid & 31;
  const Layout lay = layout(p, ns, (int)sizeof(TT));
  Iv *iv = reinterpret_cast<Iv *>(smem);
  TT *stage = reinterpret_cast<TT *>(smem + lay.stage);
  TT *xs = reinterpret_cast<TT *>(smem + lay.x);
  const int b = (int)(blockIdx.x / (unsigned)p.chunks_per_row);
  const int t0 = (int)(blockIdx.x - (unsigned)b * p.chunks_per_row) * p.targets;
  const int T = (int)a.target_len, nt = min(p.targets, T - t0);

  // 1. facts, the chunk's targets, and warp k's 128 probes of stream k (v2's step 1)
  if (tid < ns) {
    const rl_fuse_stream &s = a.streams[tid];
    const long long S = s.source_len;
    const long long L = s.len ? rl_fm_len(s.len, s.len_dtype, b) : S;
    Row &r = s_row[tid];
    r.times = (const TT *)s.times + (long long)b * S;
    r.L = (int)(L < 0 ? 0 : L > S ? S : L);
    r.D = (int)s.dim;
    s_src[tid] = (const unsigned char *)s.src + (size_t)((long long)b * S * s.dim) * (s.dtype == RL_F32 ? 4 : 2);
    s_dtype[tid] = s.dtype;
  }
  if (tid == kThreads - 1) {
    const long long tlen = a.tgt_len ? rl_fm_len(a.tgt_len, a.tgt_len_dtype, b) : T;
    s_tlen = (int)(tlen < 0 ? 0 : tlen > T ? T : tlen);
    s_unsorted = 0;
  }
  if (tid < nt) xs[tid] = fuse_v2::ld_time((const TT *)a.tgt_times + ((long long)b * T + t0 + tid));
  const int wk = tid >> 5;
  TT probe[fuse_v2::kProbesPerLane];
  const int step = fuse_v2::load_probes(a, b, wk, lane, probe);
  __syncthreads();
  const int nvalid = max(0, min(nt, s_tlen - t0));

  fuse_v2::find_brackets(s_row, xs, nvalid, ns, tid, step, probe, &s_unsorted);
  __syncthreads();

  // 2. the windows staged, then one interval per (target, stream) (v2's step 2)
  fuse_v2::stage_windows(s_row, ns, nvalid, !s_unsorted, p.slots, stage, tid, s_wlo, s_whi, s_soff);
  __syncthreads();
  fuse_v2::locate_all(s_row, xs, stage, s_wlo, s_whi, s_soff, nvalid, ns, tid, iv);
  __syncthreads();

  // 3. the output span: padded target rows, slerp groups (one thread each), then the other segments
  void *out = (unsigned char *)a.out + (size_t)(((long long)b * T + t0) * a.out_dim + p.c_lo) * (ODT == RL_F32 ? 4 : 2);
  const int out_dim = (int)a.out_dim;
  for (int i = tid; i < (nt - nvalid) * W; i += kThreads) {
    const int r = i / W;
    rl_fuse_store_fill<ODT>(out, (nvalid + r) * out_dim + (i - r * W), a.fill_bits);
  }
  for (int task = tid; task < nvalid * p.ngroups; task += kThreads) {
    const int tl = task / p.ngroups;
    int g = task - tl * p.ngroups, s = 0;
    for (;; s++) { // the group's segment (the walk is uniform in practice: few slerp segments)
      if (p.seg[s].kind != kSlerp) continue;
      if (g < p.seg[s].width / 4) break;
      g -= p.seg[s].width / 4;
    }
    const int k = p.seg[s].k, d = p.seg[s].d0 + 4 * g, o = tl * out_dim + p.seg[s].c0 + 4 * g;
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
      r0[j] = fuse_v2::load_raw(src, dt, v.r0 + d + j);
      r1[j] = fuse_v2::load_raw(src, dt, v.r1 + d + j);
    }
    float q0[4], q1[4], r[4];
#pragma unroll
    for (int j = 0; j < 4; j++) {
      q0[j] = fuse_v2::raw_value(r0[j], dt);
      q1[j] = fuse_v2::raw_value(r1[j], dt);
    }
    rl_fm_slerp(q0, q1, v.w, r);
    for (int j = 0; j < 4; j++) rl_fuse_store<ODT>(out, o + j, r[j]);
  }
  // the other segments: ceil(nvalid x items per target / 32) strips each; warp w takes the w-th eighth
  int N = 0;
  for (int s = 0; s < p.nsegs; s++)
    if (p.seg[s].kind != kSlerp) N += (nvalid * (p.seg[s].width >> p.seg[s].pair) + 31) >> 5;
  const int j0 = N * wk / kWarps, j1 = N * (wk + 1) / kWarps;
  const Ctx ctx = {iv, s_src, out, ns, nvalid, out_dim, a.fill_bits};
  for (int s = 0, P = 0; s < p.nsegs && P < j1; s++) {
    if (p.seg[s].kind == kSlerp) continue;
    const int n = (nvalid * (p.seg[s].width >> p.seg[s].pair) + 31) >> 5, from = max(j0, P), to = min(j1, P + n);
    if (from < to) walk_segment<ODT, kUnroll>(ctx, p.seg[s], s_dtype[p.seg[s].k], from - P, to - P, lane);
    P += n;
  }
}

// ---- end of the host-emulated part

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
  const int ts = TDT == RL_F32 ? 4 : 8;
  if (targets <= 0) {
    const size_t smem = layout(plan(a, c_lo, width, kMaxTargets), a->nstreams, ts).bytes;
    targets = choose_targets(a, c_lo, width, (long long)rl_fuse_sm_count() * resident_per_sm<TDT, ODT>(smem));
  }
  const Params p = plan(a, c_lo, width, targets);
  const long long blocks = a->batch * p.chunks_per_row;
  if (blocks > INT32_MAX) { rl_cuda_set_message("fuse: too many blocks (batch x target chunks >= 2^31)"); return -1; }
  const size_t smem = layout(p, a->nstreams, ts).bytes;
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

} // namespace fuse_v3

int rl_fuse_v3_fits(const rl_fuse_args *a, int c_lo, int width) {
  fuse_v3::Params p;
  return rl_fuse_v2_fits(a) && fuse_v3::build_segments(a, c_lo, width, p);
}

int rl_fuse_v3_launch(const rl_fuse_args *a, int c_lo, int width, int targets, cudaStream_t s) {
  switch (a->time_dtype) {
  case RL_F32: return fuse_v3::launch_time<RL_F32>(a, c_lo, width, targets, s);
  case RL_F64: return fuse_v3::launch_time<RL_F64>(a, c_lo, width, targets, s);
  case RL_I64: return fuse_v3::launch_time<RL_I64>(a, c_lo, width, targets, s);
  default: rl_cuda_set_message("fuse: times are f32, f64 or i64"); return -1;
  }
}
