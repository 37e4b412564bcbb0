// A kernel that faults (for tests/spec_user_cuda.lua): it writes to an address no allocation holds (16,
// in the null page), so the launch ends with cudaErrorIllegalAddress and the CUDA context is lost.
extern "C" __global__ void fault(unsigned long long address) {
  if (threadIdx.x == 0 && blockIdx.x == 0) *(volatile float *)address = 1.0f;
}
