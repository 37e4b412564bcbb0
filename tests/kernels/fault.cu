// A kernel that faults (for tests/spec_user_cuda.lua): it writes through a pointer no allocation holds,
// so the launch ends with cudaErrorIllegalAddress and the CUDA context is lost.
extern "C" __global__ void fault(float *p, long long offset) {
  if (threadIdx.x == 0 && blockIdx.x == 0) p[offset] = 1.0f;
}
