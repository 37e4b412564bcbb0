// The naive resampler: the design the original harness shipped, written here from its description, as
// a user kernel for robolua (include/robolua/contract.h). One thread per output element (b, t, d); each
// thread runs its own binary search over src_times[b, :] for tgt_times[b, t] (so the D threads of one
// output row repeat the same search), then interpolates one element in fp32.
// The arithmetic is robolua's, operation for operation with one rounding each (__fsub_rn, __fdiv_rn,
// __fmul_rn, __fadd_rn: no fused multiply-add), so the output is bit-identical to robolua's CPU path.
//
//   local k = rl.cuda.kernel { source = "examples/kernels/naive_resample.cu",
//     name = { f32 = "resample_f32", bf16 = "resample_bf16", f16 = "resample_f16" } }
//
// robolua's default launch is what this kernel expects: 256 threads per block, one thread per element.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

__device__ __forceinline__ float widen(float v) { return v; }
__device__ __forceinline__ float widen(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float widen(__half v) { return __half2float(v); }

__device__ __forceinline__ void narrow(float *p, float v) { *p = v; }
__device__ __forceinline__ void narrow(__nv_bfloat16 *p, float v) { *p = __float2bfloat16_rn(v); }
__device__ __forceinline__ void narrow(__half *p, float v) { *p = __float2half_rn(v); }

template <typename E>
__device__ void resample(const E *src, const float *src_times, const float *tgt_times, E *out, int B, int S,
                         int T, int D) {
  const long long n = (long long)B * T * D;
  const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= n) return;
  const int d = (int)(idx % D);
  const long long row = idx / D; // b * T + t
  const int b = (int)(row / T);
  const float *st = src_times + (long long)b * S;
  const float x = tgt_times[row];

  // Clamp at the ends (a NaN target takes row 0, as x >= st[0] is false); otherwise the largest i with
  // st[i] <= x: the search keeps st[lo] <= x < st[hi] until they are neighbours, so with repeated times
  // it lands on the last of them and the divisor below is never zero.
  int i0 = 0, i1 = 0;
  float w = 0.0f;
  if (S > 1 && x >= st[0]) {
    if (x >= st[S - 1]) {
      i0 = i1 = S - 1;
    } else {
      int lo = 0, hi = S - 1;
      while (hi - lo > 1) {
        const int mid = lo + (hi - lo) / 2;
        if (st[mid] <= x) lo = mid;
        else hi = mid;
      }
      i0 = lo;
      i1 = lo + 1;
      w = __fdiv_rn(__fsub_rn(x, st[i0]), __fsub_rn(st[i1], st[i0]));
    }
  }
  const E *rows = src + (long long)b * S * D;
  const float a = widen(rows[(long long)i0 * D + d]), c = widen(rows[(long long)i1 * D + d]);
  narrow(&out[idx], __fadd_rn(a, __fmul_rn(w, __fsub_rn(c, a))));
}

extern "C" __global__ void resample_f32(const float *src, const float *src_times, const float *tgt_times,
                                        float *out, int B, int S, int T, int D) {
  resample(src, src_times, tgt_times, out, B, S, T, D);
}

extern "C" __global__ void resample_bf16(const __nv_bfloat16 *src, const float *src_times, const float *tgt_times,
                                         __nv_bfloat16 *out, int B, int S, int T, int D) {
  resample(src, src_times, tgt_times, out, B, S, T, D);
}

extern "C" __global__ void resample_f16(const __half *src, const float *src_times, const float *tgt_times,
                                        __half *out, int B, int S, int T, int D) {
  resample(src, src_times, tgt_times, out, B, S, T, D);
}
