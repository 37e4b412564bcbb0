// robolua's own row-block resampler (kernels/resample_rows.cuh), compiled at run time as a user module:
// the same device code as the built-in kernel, launched through the user path (NVRTC, cudaLibrary,
// cudaLaunchKernel) with the built-in's launch plan (rl.cuda.rows_plan), for the overhead check in
// tests/spec_user_overhead.lua. Compile with -I<robolua>/kernels -fmad=false.
#include "resample_rows.cuh"

#define ROWS_ENTRY(name, DT)                                                                           \
  extern "C" __global__ void __launch_bounds__(rl_rows::kWarpsPerBlock * 32, 3)                         \
      name(const uint4 *__restrict__ src, const float *__restrict__ st, const float *__restrict__ tt,   \
           uint4 *__restrict__ out, unsigned S, unsigned T, unsigned vecs, unsigned q, unsigned rem,    \
           unsigned batches_per_stage) {                                                                \
    rl_rows::resample_rows_body<DT>(src, st, tt, out, S, T, vecs, q, rem, batches_per_stage);           \
  }
ROWS_ENTRY(rows_f32, rl_rows::kF32)
ROWS_ENTRY(rows_bf16, rl_rows::kBF16)
ROWS_ENTRY(rows_f16, rl_rows::kF16)
