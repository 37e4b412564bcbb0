// A wrong resampler kernel (for tests/spec_user_cuda.lua): it holds the earlier sample instead of
// interpolating, and with -DSKIP_LAST it also leaves the last channel unwritten (NaN-poisoned outputs
// must fail verification). Both must fail rl.compare against the float64 reference.
extern "C" __global__ void resample_f32(const float *src, const float *src_times, const float *tgt_times,
                                        float *out, int B, int S, int T, int D) {
  const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (long long)B * T * D) return;
  const int d = (int)(idx % D);
  const long long row = idx / D;
  const int b = (int)(row / T);
#ifdef SKIP_LAST
  if (d == D - 1) return;
#endif
  const float *st = src_times + (long long)b * S;
  const float x = tgt_times[row];
  int i = 0;
  while (i + 1 < S && st[i + 1] <= x) i++;
  out[idx] = src[((long long)b * S + i) * D + d];
}
