/* robolua's resampler contract: what a user's CUDA kernel or CPU function implements to become a
   robolua backend (rl.cuda.kernel{...}, rl.cpu.library{...}), verified against robolua's float64
   reference and timed by the same loops as robolua's own backends. This header has no includes, so
   NVRTC, nvcc and a plain C compiler all accept it.

   THE OPERATION. src[B,S,D] is sampled at src_times[B,S]; out[B,T,D] is src linearly interpolated at
   tgt_times[B,T], independently for every batch row b. All arrays are dense, row-major, on the device
   for a CUDA kernel and on the host for a CPU function. Times are f32; src and out have the element type
   T (f32, bf16 or f16: one entry point per type, e.g. resample_f32, resample_bf16, resample_f16).

   SEMANTICS (identical in every robolua backend; README "Resampling semantics"). For x = tgt_times[b,t]
   and st = src_times[b, :]:
     - x < st[0] (or x is NaN) -> row 0;  x >= st[S-1] -> row S-1 (clamping, as numpy.interp);  S == 1 -> row 0.
     - otherwise i is the LARGEST index with st[i] <= x, so st[i] <= x < st[i+1], and
         w   = (x - st[i]) / (st[i+1] - st[i])
         out = a + w * (b - a)        with a = src[b,i,:], b = src[b,i+1,:]
       computed in f32 (bf16/f16 widened exactly), rounded once to T with round-to-nearest-even.
       At a clamped row the same formula runs with w = 0 and a = b.
     - Equal neighbouring times are allowed: a target exactly at a repeated time takes the last row with
       that time, and the division above never sees a zero.
     - src_times rows are non-decreasing and every time is finite (robolua checks this before the call
       unless the caller turned validation off).
   Bit-identical results need the same operations in the same order with no fused multiply-add: in CUDA
   use __fsub_rn, __fdiv_rn, __fmul_rn, __fadd_rn (robolua_weight and robolua_lerp below), in C compile
   with -ffp-contract=off.

   VERIFICATION. Before any timing robolua fills `out` with NaN, calls the kernel once and compares every
   element with the float64 reference (f32: |out - ref| <= 1e-6 + 1e-6 |ref|; bf16/f16: 1 ulp of T). An
   element the kernel does not write stays NaN and fails: the kernel must write every output element.
   A wrong kernel is reported as failed and never timed.

   CUDA KERNEL (launch geometry is yours: rl.cuda.kernel{launch = function(a) ... end}; by default one
   thread per output element, 256 threads per block, grid = ceil(B*T*D / 256)):

     extern "C" __global__ void resample_f32(const float *src, const float *src_times,
                                             const float *tgt_times, float *out,
                                             int B, int S, int T, int D);

   with `const __nv_bfloat16 *` / `__nv_bfloat16 *` for bf16 and `const __half *` / `__half *` for f16.
   The entry points must be extern "C" (robolua finds them by name) and take exactly these 8 parameters
   (robolua checks their count and sizes where the driver reports them).

   CPU FUNCTION (in a shared library; robolua times each call with a monotonic clock):

     int mine_resample_f32(const float *src, const float *src_times, const float *tgt_times, float *out,
                           int B, int S, int T, int D, int threads);

   `threads` is the number of threads the caller asks for (opts.threads, default: every core); the
   function may use fewer. Return 0 on success or a nonzero error code of your choice: robolua raises
   "<backend> (f32) returned error code <n>" and does not time it. */
#ifndef ROBOLUA_CONTRACT_H
#define ROBOLUA_CONTRACT_H

/* The storage of one bf16 or f16 element, as C sees it (the bits of __nv_bfloat16 / __half). */
typedef unsigned short robolua_bf16;
typedef unsigned short robolua_f16;

#define ROBOLUA_CONTRACT_VERSION 1

#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
/* Function types of the CPU entries: `robolua_cpu_resample_f32 mine_resample_f32;` before the definition
   makes the compiler check it against the contract. */
#ifdef __cplusplus
extern "C" {
#endif
typedef int robolua_cpu_resample_f32(const float *src, const float *src_times, const float *tgt_times, float *out,
                                     int B, int S, int T, int D, int threads);
typedef int robolua_cpu_resample_bf16(const robolua_bf16 *src, const float *src_times, const float *tgt_times,
                                      robolua_bf16 *out, int B, int S, int T, int D, int threads);
typedef int robolua_cpu_resample_f16(const robolua_f16 *src, const float *src_times, const float *tgt_times,
                                     robolua_f16 *out, int B, int S, int T, int D, int threads);
#ifdef __cplusplus
}
#endif
#else
/* The contract's arithmetic in CUDA, one rounding per operation (bit-identical to robolua's CPU path). */
__device__ __forceinline__ float robolua_weight(float x, float t0, float t1) {
  return __fdiv_rn(__fsub_rn(x, t0), __fsub_rn(t1, t0));
}
__device__ __forceinline__ float robolua_lerp(float a, float b, float w) {
  return __fadd_rn(a, __fmul_rn(w, __fsub_rn(b, a)));
}
#endif

#endif
