// The row-block resampler's device code (v5; kernels/NOTES.md), shared by the built-in kernel
// (kernels/resample.cu, compiled by nvcc) and by anything that compiles it as a user module with NVRTC
// (tests/kernels/rows_module.cu: the same code through the user path, for the overhead check). Device
// code only, nothing that NVRTC can't compile. Arithmetic is the CPU path's, operation for operation
// (explicit round-to-nearest intrinsics; compile with --fmad=false / -fmad=false).
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace rl_rows {

// dtype codes of core/engine/dtype.h (resample.cu static_asserts that they agree)
constexpr int kF32 = 0, kBF16 = 1, kF16 = 2;
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

// The body of the row-block kernel: every __global__ that wraps it must use
// __launch_bounds__(kWarpsPerBlock * 32, 3) and kWarpsPerBlock * 32 threads per block; the launch
// parameters come from the host's plan (resample.cu's rows_plan).
template <int DT>
__device__ __forceinline__ void resample_rows_body(const uint4 *__restrict__ src, const float *__restrict__ st,
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

} // namespace rl_rows
