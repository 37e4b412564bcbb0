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
#include "rl_cuda.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <algorithm>
#include <cstdint>

namespace {

constexpr int kF32 = RL_F32, kBF16 = RL_BF16, kF16 = RL_F16; // template codes from core/engine/dtype.h
constexpr int kWarpsPerBlock = 8;
constexpr int kUnroll = 4; // 16-byte vectors per lane in flight per row

__device__ __forceinline__ float lerp_rn(float a, float b, float w) {
  return __fadd_rn(a, __fmul_rn(w, __fsub_rn(b, a)));
}

template <int DT> __device__ __forceinline__ float load_elem(const void *p, long long i);
template <> __device__ __forceinline__ float load_elem<kF32>(const void *p, long long i) {
  return __ldg((const float *)p + i);
}
template <> __device__ __forceinline__ float load_elem<kBF16>(const void *p, long long i) {
  return __uint_as_float((unsigned)__ldg((const unsigned short *)p + i) << 16);
}
template <> __device__ __forceinline__ float load_elem<kF16>(const void *p, long long i) {
  return __half2float(__ushort_as_half(__ldg((const unsigned short *)p + i)));
}

template <int DT> __device__ __forceinline__ void store_elem(void *p, long long i, float v);
template <> __device__ __forceinline__ void store_elem<kF32>(void *p, long long i, float v) { ((float *)p)[i] = v; }
template <> __device__ __forceinline__ void store_elem<kBF16>(void *p, long long i, float v) {
  ((unsigned short *)p)[i] = __bfloat16_as_ushort(__float2bfloat16_rn(v));
}
template <> __device__ __forceinline__ void store_elem<kF16>(void *p, long long i, float v) {
  ((unsigned short *)p)[i] = __half_as_ushort(__float2half_rn(v));
}

// 16-bit lanes of a 32-bit word <-> floats
template <int DT> __device__ __forceinline__ float lo16(unsigned u) {
  if (DT == kBF16) return __uint_as_float(u << 16);
  return __half2float(__ushort_as_half((unsigned short)(u & 0xffffu)));
}
template <int DT> __device__ __forceinline__ float hi16(unsigned u) {
  if (DT == kBF16) return __uint_as_float(u & 0xffff0000u);
  return __half2float(__ushort_as_half((unsigned short)(u >> 16)));
}
template <int DT> __device__ __forceinline__ unsigned pack16(float lo, float hi) {
  unsigned a, b;
  if (DT == kBF16) {
    a = __bfloat16_as_ushort(__float2bfloat16_rn(lo));
    b = __bfloat16_as_ushort(__float2bfloat16_rn(hi));
  } else {
    a = __half_as_ushort(__float2half_rn(lo));
    b = __half_as_ushort(__float2half_rn(hi));
  }
  return a | (b << 16);
}

template <int DT> __device__ __forceinline__ unsigned lerp_word(unsigned a, unsigned b, float w) {
  if (DT == kF32) return __float_as_uint(lerp_rn(__uint_as_float(a), __uint_as_float(b), w));
  return pack16<DT>(lerp_rn(lo16<DT>(a), lo16<DT>(b), w), lerp_rn(hi16<DT>(a), hi16<DT>(b), w));
}

template <int DT> __device__ __forceinline__ uint4 lerp_vec(uint4 a, uint4 b, float w) {
  return make_uint4(lerp_word<DT>(a.x, b.x, w), lerp_word<DT>(a.y, b.y, w), lerp_word<DT>(a.z, b.z, w),
                    lerp_word<DT>(a.w, b.w, w));
}

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

// Interval of x in one batch row's times s[0..S) held in shared memory: s[i0] <= x < s[i1] (i1 = i0 + 1)
// with weight w, or i0 = i1 (w = 0) where x clamps to the first or last time. Same rules as the CPU.
__device__ __forceinline__ void find_in_shared(const float *s, int S, float x, int &i0, int &i1, float &w) {
  i0 = i1 = 0;
  w = 0.0f;
  if (S == 1 || !(x >= s[0])) return;
  if (x >= s[S - 1]) { i0 = i1 = S - 1; return; }
  int lo = 0, hi = S - 1; // s[lo] <= x < s[hi]
  while (hi - lo > 1) {
    const int mid = (lo + hi) >> 1;
    if (s[mid] <= x) lo = mid; else hi = mid;
  }
  i0 = lo;
  i1 = hi;
  w = __fdiv_rn(__fsub_rn(x, s[lo]), __fsub_rn(s[hi], s[lo]));
}

// Streams rows 0..nlive-1 (nlive <= R) for one warp: row k lerps the source rows starting at
// vectors ia[k], ib[k] into the output row starting at vector io[k] (32-bit offsets, in 16-byte
// vectors: the launcher checks they fit; fewer registers than 64-bit pointers). All of a step's loads
// (both source rows of every live row) are issued before the first use.
template <int DT, int R>
__device__ __forceinline__ void stream_rows(const uint4 *__restrict__ src, uint4 *__restrict__ out, int vecs,
                                            int lane, const unsigned (&ia)[R], const unsigned (&ib)[R],
                                            const unsigned (&io)[R], const float (&w)[R], int nlive) {
  for (unsigned v = lane; v < (unsigned)vecs; v += 32) {
    uint4 va[R], vb[R];
#pragma unroll
    for (int k = 0; k < R; k++)
      if (k < nlive) { va[k] = __ldg(src + (ia[k] + v)); vb[k] = __ldg(src + (ib[k] + v)); }
#pragma unroll
    for (int k = 0; k < R; k++) // streaming stores: the output is not re-read
      if (k < nlive) __stcs(out + (io[k] + v), lerp_vec<DT>(va[k], vb[k], w[k]));
  }
}

constexpr int kRowsPerWarp = 4;          // rows a warp streams at once (8 loads of 16 bytes per lane in flight)
constexpr int kMaxStagedSourceLen = 8192; // 32 KB of times in shared memory; longer rows use the warp kernel

// Row-block vector path (v5, the fast one). Block k of G takes an equal share of the R = B*T output
// rows: [k*q + min(k, rem), ...) with q = R / G, rem = R % G (computed on the host, so no 64-bit
// division runs on the device). It stages the source times of the batch rows its share touches in
// shared memory (whole batch rows, up to kStageFloats floats per stage; one stage unless the share
// spans more batch rows than fit), then the warps walk the stage in groups of kRowsPerWarp consecutive
// rows, warp w taking groups w, w + 8, ... (so the block streams a window of neighbouring rows at any
// time) with no further barriers: lanes 0..3 binary-search one row each in shared memory (their
// target times loaded one group ahead), shuffle the results to the warp, and the warp streams the
// rows. Warps never wait for each other inside a stage: one warp's search overlaps the others' loads.
// All index arithmetic is 32-bit: the launcher checks that rows, source rows and vector offsets fit.
constexpr int kStageFloats = kMaxStagedSourceLen;
constexpr int kGroupStride = kRowsPerWarp * kWarpsPerBlock;
constexpr int kStageUnroll = 4; // times staged per thread per pass (16 measured slower: 80 registers)

template <int DT>
__global__ void __launch_bounds__(kWarpsPerBlock * 32, 3)
    resample_rows_kernel(const uint4 *__restrict__ src, const float *__restrict__ st,
                         const float *__restrict__ tt, uint4 *__restrict__ out, unsigned S, unsigned T,
                         unsigned vecs, unsigned q, unsigned rem, unsigned batches_per_stage) {
  extern __shared__ float s_times[];
  const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5, k = blockIdx.x;
  unsigned pos = k * q + min(k, rem);
  const unsigned end = pos + q + (k < rem ? 1u : 0u);
  while (pos < end) {
    const unsigned b0 = pos / T;
    const unsigned stage_end = (unsigned)min((unsigned long long)end, (unsigned long long)(b0 + batches_per_stage) * T);
    unsigned r = pos + kRowsPerWarp * warp; // this warp's first group: [r, min(r + 4, stage_end))
    float x = lane < kRowsPerWarp && r + lane < stage_end ? __ldg(tt + r + lane) : 0.0f; // in flight across the staging
    const unsigned nt = ((stage_end - 1) / T - b0 + 1) * S;
    const float *times = st + (size_t)b0 * S;
    if (nt <= blockDim.x) { // at most one time per thread (short rows): the plain path
      if (threadIdx.x < nt) s_times[threadIdx.x] = __ldg(times + threadIdx.x);
    } else { // all of a thread's loads in flight before its first store: one round trip per pass
      for (unsigned base = threadIdx.x; base < nt; base += kStageUnroll * blockDim.x) {
        float v[kStageUnroll];
#pragma unroll
        for (int u = 0; u < kStageUnroll; u++)
          if (base + u * blockDim.x < nt) v[u] = __ldg(times + base + u * blockDim.x);
#pragma unroll
        for (int u = 0; u < kStageUnroll; u++)
          if (base + u * blockDim.x < nt) s_times[base + u * blockDim.x] = v[u];
      }
    }
    __syncthreads();
    for (; r < stage_end; r += kGroupStride) {
      unsigned my_a = 0, my_b = 0;
      float my_w = 0.0f;
      if (lane < kRowsPerWarp && r + lane < stage_end) {
        const unsigned b = (r + lane) / T;
        int i0, i1;
        find_in_shared(s_times + (b - b0) * S, (int)S, x, i0, i1, my_w);
        my_a = b * S + (unsigned)i0;
        my_b = b * S + (unsigned)i1;
      }
      const unsigned next = r + kGroupStride;
      x = lane < kRowsPerWarp && next + lane < stage_end ? __ldg(tt + next + lane) : 0.0f;
      unsigned ia[kRowsPerWarp], ib[kRowsPerWarp], io[kRowsPerWarp];
      float w[kRowsPerWarp];
#pragma unroll
      for (int j = 0; j < kRowsPerWarp; j++) {
        ia[j] = __shfl_sync(0xffffffffu, my_a, j) * vecs;
        ib[j] = __shfl_sync(0xffffffffu, my_b, j) * vecs;
        io[j] = (r + j) * vecs;
        w[j] = __shfl_sync(0xffffffffu, my_w, j);
      }
      stream_rows<DT>(src, out, (int)vecs, (int)lane, ia, ib, io, w, (int)min((unsigned)kRowsPerWarp, stage_end - r));
    }
    pos = stage_end;
    if (pos < end) __syncthreads(); // every warp is done with s_times before the next stage rewrites it
  }
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

template <int DT> void launch(const rl_resample_args *a, cudaStream_t s) {
  const long long rows = a->batch * a->target_len;
  const size_t es = DT == kF32 ? 4 : 2;
  const size_t row_bytes = (size_t)a->dim * es;
  const bool vec = row_bytes % 16 == 0 && (uintptr_t)a->src % 16 == 0 && (uintptr_t)a->out % 16 == 0;
  const int threads = kWarpsPerBlock * 32;
  const long long vecs = (long long)(row_bytes / 16);
  // the fast paths index in 32 bits: source and output offsets in 16-byte vectors must fit (with room
  // for a row index to run a group stride past the end)
  const long long lim = (1ll << 32) - 64;
  const bool rows_fit_32bit = a->batch * a->source_len * vecs < lim && rows * vecs < lim;
  if (vec && a->source_len <= kMaxStagedSourceLen && rows_fit_32bit) {
    static int resident = 0; // blocks resident at once, asked of the occupancy calculator once per dtype
    if (!resident) resident = resident_blocks(resample_rows_kernel<DT>, threads, kStageFloats * sizeof(float));
    // Grid shape, from an A/B of 32..128 rows per block and of a grid capped at the resident blocks
    // on an H100 (kernels/NOTES.md, v5): blocks of ~64 KB of output each when that makes at least two
    // waves (fewer bytes per block and the staging and search dominate; more and the per-block chain
    // grows); otherwise one balanced wave of at most the resident blocks, at least 32 rows each where
    // the problem allows, since a partial second wave leaves SMs idle.
    const long long rpb = std::max<long long>(kGroupStride, (65536 / (long long)row_bytes) / kGroupStride * kGroupStride);
    long long blocks = (rows + rpb - 1) / rpb;
    if (blocks < 2ll * resident) blocks = std::min<long long>(resident, (rows + kGroupStride - 1) / kGroupStride);
    const int per_stage = (int)std::min<long long>(a->batch, kStageFloats / a->source_len);
    resample_rows_kernel<DT><<<(unsigned)blocks, threads, (size_t)per_stage * a->source_len * sizeof(float), s>>>(
        (const uint4 *)a->src, a->src_times, a->tgt_times, (uint4 *)a->out, (unsigned)a->source_len,
        (unsigned)a->target_len, (unsigned)vecs, (unsigned)(rows / blocks), (unsigned)(rows % blocks), (unsigned)per_stage);
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

extern "C" int rl_cuda_resample(const rl_resample_args *a) {
  return rl_cuda_launch_resample(a, rl_cuda_stream());
}
