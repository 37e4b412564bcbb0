// Device management for robolua: error state, the engine's stream, device info, memory and fills.
#include "cuda_check.h"
#include "nvml.h"
#include "rl_cuda.h"
#include <cstdio>
#include <cstring>
#include <algorithm>

static char last_error[512] = "no error";
static int available_state = 0; // 0 untested, 1 yes, -1 no
static cudaStream_t stream = nullptr;

void rl_cuda_set_error(const char *what, cudaError_t e, const char *file, int line) {
  snprintf(last_error, sizeof last_error, "%s: %s (%s at %s:%d)", cudaGetErrorName(e), cudaGetErrorString(e),
           what, file, line);
  // Clear a sticky-free error so the engine can go on (an out-of-memory, say); sticky ones stay.
  (void)cudaGetLastError();
}

void rl_cuda_set_message(const char *msg) { snprintf(last_error, sizeof last_error, "%s", msg); }

extern "C" const char *rl_cuda_last_error(void) { return last_error; }

cudaStream_t rl_cuda_stream(void) {
  if (!stream && cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) != cudaSuccess) stream = nullptr;
  return stream;
}

int rl_cuda_context_made(void) { return available_state > 0; }

extern "C" int rl_cuda_available(void) {
  if (available_state) return available_state > 0;
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    snprintf(last_error, sizeof last_error, "%s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
    available_state = -1;
    return 0;
  }
  if (n == 0) {
    rl_cuda_set_message("no CUDA device found");
    available_state = -1;
    return 0;
  }
  e = cudaFree(nullptr); // create the context now, so later timings don't include it
  if (e != cudaSuccess || !rl_cuda_stream()) {
    rl_cuda_set_error("context creation", e, __FILE__, __LINE__);
    available_state = -1;
    return 0;
  }
  available_state = 1;
  return 1;
}

static char bus_id[32];
static const char *pci_bus(void) {
  if (!bus_id[0]) {
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, dev) != cudaSuccess)
      bus_id[0] = 0;
  }
  return bus_id;
}

extern "C" int rl_cuda_get_info(rl_cuda_info *info) {
  memset(info, 0, sizeof *info);
  int dev = 0;
  RL_CU(cudaGetDevice(&dev));
  cudaDeviceProp p;
  RL_CU(cudaGetDeviceProperties(&p, dev));
  info->device = dev;
  snprintf(info->name, sizeof info->name, "%s", p.name);
  info->cc_major = p.major;
  info->cc_minor = p.minor;
  info->sm_count = p.multiProcessorCount;
  info->max_threads_per_sm = p.maxThreadsPerMultiProcessor;
  info->l2_bytes = p.l2CacheSize;
  info->global_mem_bytes = (long long)p.totalGlobalMem;
  info->shared_mem_per_sm = (long long)p.sharedMemPerMultiprocessor;
  info->mem_bus_width_bits = p.memoryBusWidth;
  RL_CU(cudaDriverGetVersion(&info->driver_version));
  RL_CU(cudaRuntimeGetVersion(&info->runtime_version));
  snprintf(info->pci_bus_id, sizeof info->pci_bus_id, "%s", pci_bus());
  const unsigned char *u = (const unsigned char *)p.uuid.bytes;
  snprintf(info->uuid, sizeof info->uuid, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
           u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
  rl_nvml_clocks(pci_bus(), &info->sm_clock_mhz_now, &info->mem_clock_mhz_now, &info->sm_clock_mhz_max,
                 &info->mem_clock_mhz_max);
  rl_nvml_driver(info->driver_string, sizeof info->driver_string);
  return 0;
}

extern "C" int rl_cuda_sm_clock_now(void) { return rl_nvml_sm_clock(pci_bus()); }

extern "C" int rl_cuda_malloc(void **ptr, size_t bytes) {
  *ptr = nullptr;
  RL_CU(cudaMalloc(ptr, bytes));
  return 0;
}

extern "C" void rl_cuda_free(void *ptr) {
  if (ptr) cudaFree(ptr); // a failure here can't be reported to anyone; the pointer is gone either way
}

static int copy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
  RL_CU(cudaMemcpyAsync(dst, src, bytes, kind, rl_cuda_stream()));
  RL_CU(cudaStreamSynchronize(rl_cuda_stream()));
  return 0;
}
extern "C" int rl_cuda_memcpy_h2d(void *d, const void *s, size_t n) { return copy(d, s, n, cudaMemcpyHostToDevice); }
extern "C" int rl_cuda_memcpy_d2h(void *d, const void *s, size_t n) { return copy(d, s, n, cudaMemcpyDeviceToHost); }
extern "C" int rl_cuda_memcpy_d2d(void *d, const void *s, size_t n) { return copy(d, s, n, cudaMemcpyDeviceToDevice); }

template <typename T> __global__ void fill_kernel(T *dst, T v, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    dst[i] = v;
}

template <typename T> static int fill(void *dst, T v, size_t n) {
  if (n == 0) return 0;
  size_t blocks = (n + 255) / 256;
  if (blocks > 65536) blocks = 65536;
  fill_kernel<T><<<(unsigned)blocks, 256, 0, rl_cuda_stream()>>>((T *)dst, v, n);
  RL_CU(cudaGetLastError());
  RL_CU(cudaStreamSynchronize(rl_cuda_stream()));
  return 0;
}
extern "C" int rl_cuda_fill_u16(void *d, uint16_t v, size_t n) { return fill<uint16_t>(d, v, n); }
extern "C" int rl_cuda_fill_u32(void *d, uint32_t v, size_t n) { return fill<uint32_t>(d, v, n); }

extern "C" int rl_cuda_device_count(void) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    snprintf(last_error, sizeof last_error, "%s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
    (void)cudaGetLastError();
    return -1;
  }
  return n;
}

__global__ void copy_vectors(uint4 *__restrict__ dst, const uint4 *__restrict__ src, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) dst[i] = src[i];
}

extern "C" int rl_cuda_copy_kernel(size_t bytes) {
  const size_t n = (bytes + 15) / 16;
  if (n == 0) return 0;
  void *a = nullptr, *b = nullptr;
  RL_CU(cudaMalloc(&a, n * 16));
  if (cudaMalloc(&b, n * 16) != cudaSuccess) { cudaFree(a); rl_cuda_set_message("copy_kernel: cannot allocate"); return -1; }
  int dev = 0, sms = 1;
  cudaGetDevice(&dev);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  size_t blocks = std::min<size_t>((n + 255) / 256, (size_t)sms * 8);
  copy_vectors<<<(unsigned)blocks, 256, 0, rl_cuda_stream()>>>((uint4 *)b, (const uint4 *)a, n);
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) e = cudaStreamSynchronize(rl_cuda_stream());
  cudaFree(a);
  cudaFree(b);
  if (e != cudaSuccess) { rl_cuda_set_error("copy_kernel", e, __FILE__, __LINE__); return -1; }
  return 0;
}

extern "C" int rl_cuda_synchronize(void) {
  RL_CU(cudaGetLastError());
  RL_CU(cudaStreamSynchronize(rl_cuda_stream()));
  return 0;
}
