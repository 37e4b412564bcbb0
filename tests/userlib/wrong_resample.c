/* A wrong implementation of the CPU resampler contract (for tests/spec_user.lua): it holds the earlier
   sample instead of interpolating (w = 0), so verification against the float64 reference must fail. */
#include "robolua/contract.h"

robolua_cpu_resample_f32 wrong_resample_f32;

int wrong_resample_f32(const float *src, const float *src_times, const float *tgt_times, float *out, int B, int S,
                       int T, int D, int threads) {
  (void)threads;
  for (long long b = 0; b < B; b++)
    for (long long t = 0; t < T; t++) {
      const float *st = src_times + b * S;
      float x = tgt_times[b * T + t];
      long long i = 0;
      while (i + 1 < S && st[i + 1] <= x) i++;
      for (long long d = 0; d < D; d++) out[(b * T + t) * D + d] = src[(b * S + i) * D + d];
    }
  return 0;
}
