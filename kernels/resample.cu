// The CUDA trajectory resampler.
//
// Three kernels, picked per call: the row-block kernel (rows of whole 16-byte vectors, S <= 8192,
// 32-bit offsets: the fast path, described at its definition), and for the rest one warp per output
// row (b, t): the warp first finds the source interval with a 32-ary search: each round, 31 lanes probe evenly spaced source times and a ballot counts how many
// are <= x, shrinking the range 32-fold (S = 1000 takes 2 rounds, S = 2000 takes 3, all loads of one
// round in flight together instead of ~11 dependent loads of a binary search). The bracketing times
// travel along via shuffles, so no extra load is needed for the weight. Then the lanes stream the
// two source rows and the output row with 16-byte loads and stores (8 bf16/f16 or 4 f32 per lane),
// coalesced across the warp, several vectors per lane in flight.
//
// Arithmetic is the CPU path's, operation for operation with explicit round-to-nearest intrinsics
// (and --fmad=false), so outputs are bit-identical to core/resample_cpu.c:
//   w = (x - t0) / (t1 - t0);  out = a + w * (b - a);  one round-to-nearest-even to the stored type.
#include "cuda_check.h"
#include "resample_rows.cuh"
#include "rl_cuda.h"
#include <algorithm>
#include <cstdint>

namespace {

using namespace rl_rows;
static_assert(kF32 == RL_F32 && kBF16 == RL_BF16 && kF16 == RL_F16, "dtype codes of resample_rows.cuh vs dtype.h");
// Interval of x in s[0..S) for the whole warp (all lanes get the same i0, i1, w).
__device__ __forceinline__ void warp_find(const float *__restrict__ s, int S, float x, int lane, int &i0,
                                          int &i1, float &w) {
  const float first = __ldg(s), last = __ldg(s + S - 1);
  if (S == 1 || !(x >= first)) { i0 = i1 = 0; w = 0.0f; return; }
  if (x >= last) { i0 = i1 = S - 1; w = 0.0f; return; }
  int lo = 0, hi = S - 1; // s[lo] <= x < s[hi]
  float t_lo = first, t_hi = last;
  while (hi - lo > 1) {
    const int step = (hi - lo + 31) >> 5;
    const int p = lo + lane * step;
    const bool probe = lane > 0 && p < hi;
    const float v = probe ? __ldg(s + p) : 0.0f;
    const unsigned m = __ballot_sync(0xffffffffu, probe && v <= x);
    const int k = __popc(m); // lanes 1..k hold times <= x (times are non-decreasing)
    const float vk = __shfl_sync(0xffffffffu, v, k);
    const float vk1 = __shfl_sync(0xffffffffu, v, k < 31 ? k + 1 : 31);
    const int new_lo = lo + k * step;
    if (k > 0) t_lo = vk;
    if (new_lo + step < hi) { hi = new_lo + step; t_hi = vk1; } // lane k+1 probed exactly there
    lo = new_lo;
  }
  i0 = lo;
  i1 = hi;
  w = __fdiv_rn(__fsub_rn(x, t_lo), __fsub_rn(t_hi, t_lo));
}

// One warp per output row, grid-striding over rows: finds each row's interval with warp_find and
// hands (row, batch, i0, i1, w, lane) to body.
template <typename Body>
__device__ __forceinline__ void for_each_row_of_warp(const float *__restrict__ st, const float *__restrict__ tt,
                                                     int S, int T, long long rows, Body body) {
  const int lane = threadIdx.x & 31;
  const long long first_row = (blockIdx.x * (long long)blockDim.x + threadIdx.x) >> 5;
  const long long nwarps = ((long long)gridDim.x * blockDim.x) >> 5;
  for (long long r = first_row; r < rows; r += nwarps) {
    const long long b = r / T;
    int i0, i1;
    float w;
    warp_find(st + b * S, S, __ldg(tt + r), lane, i0, i1, w);
    body(r, b, i0, i1, w, lane);
  }
}

// Vector path: rows are whole 16-byte vectors (dim * sizeof(T) % 16 == 0, 16-byte aligned bases).
template <int DT>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    resample_vec_kernel(const uint4 *__restrict__ src, const float *__restrict__ st,
                        const float *__restrict__ tt, uint4 *__restrict__ out, int S, int T, int vecs,
                        long long rows) {
  for_each_row_of_warp(st, tt, S, T, rows, [&](long long r, long long b, int i0, int i1, float w, int lane) {
    const uint4 *ra = src + (b * S + i0) * (long long)vecs;
    const uint4 *rb = src + (b * S + i1) * (long long)vecs;
    uint4 *ro = out + r * (long long)vecs;
    for (int base = lane; base < vecs; base += 32 * kUnroll) {
      uint4 va[kUnroll], vb[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; u++) {
        const int v = base + u * 32;
        if (v < vecs) { va[u] = __ldg(ra + v); vb[u] = __ldg(rb + v); }
      }
#pragma unroll
      for (int u = 0; u < kUnroll; u++) {
        const int v = base + u * 32;
        if (v < vecs) __stcs(ro + v, lerp_vec<DT>(va[u], vb[u], w)); // streaming: output is not re-read
      }
    }
  });
}

// Any dim, any alignment: one element per lane per step.
template <int DT>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    resample_scalar_kernel(const void *__restrict__ src, const float *__restrict__ st,
                           const float *__restrict__ tt, void *__restrict__ out, int S, int T, int D,
                           long long rows) {
  for_each_row_of_warp(st, tt, S, T, rows, [&](long long r, long long b, int i0, int i1, float w, int lane) {
    const long long a0 = (b * S + i0) * (long long)D, a1 = (b * S + i1) * (long long)D, o = r * (long long)D;
    for (int d = lane; d < D; d += 32)
      store_elem<DT>(out, o + d, lerp_rn(load_elem<DT>(src, a0 + d), load_elem<DT>(src, a1 + d), w));
  });
}

// The built-in row-block kernel: the shared body (resample_rows.cuh).
template <int DT>
__global__ void __launch_bounds__(kWarpsPerBlock * 32, 3)
    resample_rows_kernel(const uint4 *__restrict__ src, const float *__restrict__ st,
                         const float *__restrict__ tt, uint4 *__restrict__ out, unsigned S, unsigned T,
                         unsigned vecs, unsigned q, unsigned rem, unsigned batches_per_stage) {
  resample_rows_body<DT>(src, st, tt, out, S, T, vecs, q, rem, batches_per_stage);
}

// Blocks of `kernel` resident at once on the current device. On any failure one block per SM (or
// one block): the kernels are correct for any grid size.
template <typename K> int resident_blocks(K kernel, int threads, size_t smem) {
  int dev = 0, sms = 0, per_sm = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || sms < 1)
    sms = 1;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, smem) != cudaSuccess || per_sm < 1)
    per_sm = 1;
  (void)cudaGetLastError(); // a failed query must not surface as the launch's error
  return sms * per_sm;
}

// The row-block kernel's launch for a call, or false when the call needs another kernel (rows not whole
// 16-byte vectors, source rows longer than a shared-memory stage, offsets beyond 32 bits).
template <int DT> bool rows_plan(const rl_resample_args *a, rl_cuda_rows_plan *p) {
  const long long rows = a->batch * a->target_len;
  const size_t row_bytes = (size_t)a->dim * rl_dtype_size(a->dtype);
  const bool vec = row_bytes % 16 == 0 && (uintptr_t)a->src % 16 == 0 && (uintptr_t)a->out % 16 == 0;
  const long long vecs = (long long)(row_bytes / 16);
  // the fast paths index in 32 bits: source and output offsets in 16-byte vectors must fit (with room
  // for a row index to run a group stride past the end)
  const long long lim = (1ll << 32) - 64;
  const bool rows_fit_32bit = a->batch * a->source_len * vecs < lim && rows * vecs < lim;
  if (!(vec && a->source_len <= kMaxStagedSourceLen && rows_fit_32bit)) return false;
  static int resident = 0; // blocks resident at once, asked of the occupancy calculator once per dtype
  if (!resident) resident = resident_blocks(resample_rows_kernel<DT>, kWarpsPerBlock * 32, kStageFloats * sizeof(float));
  // Grid shape, from an A/B of 32..128 rows per block and of a grid capped at the resident blocks on an
  // H100 (kernels/NOTES.md, v5): blocks of ~64 KB of output each when that makes at least two waves
  // (fewer bytes per block and the staging and search dominate; more and the per-block chain grows);
  // otherwise one balanced wave of at most the resident blocks, at least 32 rows each where the problem
  // allows, since a partial second wave leaves SMs idle.
  const long long rpb = std::max<long long>(kGroupStride, (65536 / (long long)row_bytes) / kGroupStride * kGroupStride);
  long long blocks = (rows + rpb - 1) / rpb;
  if (blocks < 2ll * resident) blocks = std::min<long long>(resident, (rows + kGroupStride - 1) / kGroupStride);
  const int per_stage = (int)std::min<long long>(a->batch, kStageFloats / a->source_len);
  p->grid = (unsigned)blocks;
  p->block = kWarpsPerBlock * 32;
  p->shared = (size_t)per_stage * a->source_len * sizeof(float);
  p->S = (unsigned)a->source_len;
  p->T = (unsigned)a->target_len;
  p->vecs = (unsigned)vecs;
  p->q = (unsigned)(rows / blocks);
  p->rem = (unsigned)(rows % blocks);
  p->batches_per_stage = (unsigned)per_stage;
  return true;
}

template <int DT> void launch(const rl_resample_args *a, cudaStream_t s) {
  const long long rows = a->batch * a->target_len;
  const size_t row_bytes = (size_t)a->dim * rl_dtype_size(a->dtype);
  const bool vec = row_bytes % 16 == 0 && (uintptr_t)a->src % 16 == 0 && (uintptr_t)a->out % 16 == 0;
  const int threads = kWarpsPerBlock * 32;
  rl_cuda_rows_plan p;
  if (rows_plan<DT>(a, &p)) {
    resample_rows_kernel<DT><<<p.grid, p.block, p.shared, s>>>((const uint4 *)a->src, a->src_times, a->tgt_times,
                                                              (uint4 *)a->out, p.S, p.T, p.vecs, p.q, p.rem, p.batches_per_stage);
    return;
  }
  long long blocks = (rows + kWarpsPerBlock - 1) / kWarpsPerBlock;
  if (blocks > (1ll << 20)) blocks = 1ll << 20; // the kernels stride over further rows
  if (vec)
    resample_vec_kernel<DT><<<(unsigned)blocks, threads, 0, s>>>(
        (const uint4 *)a->src, a->src_times, a->tgt_times, (uint4 *)a->out, (int)a->source_len,
        (int)a->target_len, (int)(row_bytes / 16), rows);
  else
    resample_scalar_kernel<DT><<<(unsigned)blocks, threads, 0, s>>>(
        a->src, a->src_times, a->tgt_times, a->out, (int)a->source_len, (int)a->target_len, (int)a->dim, rows);
}

} // namespace

// Checks the arguments once (outside any timed loop) and launches on stream s.
int rl_cuda_launch_resample(const rl_resample_args *a, cudaStream_t s) {
  if (!a->src || !a->src_times || !a->tgt_times || !a->out) {
    rl_cuda_set_message("resample: a device pointer is NULL");
    return -1;
  }
  if (a->batch < 1 || a->source_len < 1 || a->target_len < 1 || a->dim < 1 || a->source_len > INT32_MAX ||
      a->target_len > INT32_MAX || a->dim > INT32_MAX) {
    rl_cuda_set_message("resample: sizes must be in [1, 2^31)");
    return -1;
  }
  switch (a->dtype) {
  case kF32: launch<kF32>(a, s); break;
  case kBF16: launch<kBF16>(a, s); break;
  case kF16: launch<kF16>(a, s); break;
  default: rl_cuda_set_message("resample: the cuda backend takes f32, bf16 or f16"); return -1;
  }
  RL_CU(cudaGetLastError());
  return 0;
}

extern "C" int rl_cuda_resample_rows_plan(const rl_resample_args *a, rl_cuda_rows_plan *p) {
  bool ok = false;
  switch (a->dtype) {
  case kF32: ok = rows_plan<kF32>(a, p); break;
  case kBF16: ok = rows_plan<kBF16>(a, p); break;
  case kF16: ok = rows_plan<kF16>(a, p); break;
  default: break;
  }
  if (!ok) { rl_cuda_set_message("resample: this call does not take the row-block kernel"); return -1; }
  return 0;
}

extern "C" int rl_cuda_resample(const rl_resample_args *a) {
  return rl_cuda_launch_resample(a, rl_cuda_stream());
}
