/* A CPU resampler that reports an error (for tests/spec_user.lua): every call returns 3 and writes
   nothing, so robolua must raise "<backend> (f32) returned error code 3" and time nothing. */
#include "robolua/contract.h"

robolua_cpu_resample_f32 failing_resample_f32;

int failing_resample_f32(const float *src, const float *src_times, const float *tgt_times, float *out, int B, int S,
                         int T, int D, int threads) {
  (void)src; (void)src_times; (void)tgt_times; (void)out; (void)B; (void)S; (void)T; (void)D; (void)threads;
  return 3;
}
