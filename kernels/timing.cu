// GPU timing loops: CUDA events around each sample, the loop in C++ so no interpreter is in the
// measured region. Modes: hot, cold (L2 flushed before each sample), graph (a batch of launches in
// one CUDA graph, reported per launch). Plus the device-to-device copy bandwidth probe that every
// report divides by.
#include "cuda_check.h"
#include "rl_cuda.h"
#include <algorithm>
#include <vector>

namespace {

struct Events { // RAII so that every early error return frees what was made
  std::vector<cudaEvent_t> ev;
  ~Events() { for (cudaEvent_t e : ev) cudaEventDestroy(e); }
  int make(size_t n) {
    ev.reserve(n);
    for (size_t i = 0; i < n; i++) {
      cudaEvent_t e;
      RL_CU(cudaEventCreate(&e));
      ev.push_back(e);
    }
    return 0;
  }
};

struct DeviceBuffer {
  void *p = nullptr;
  ~DeviceBuffer() { if (p) cudaFree(p); }
};

// Holds the stream until the host has queued a whole batch of samples (or timeout_ns passes, so a full
// launch queue can never deadlock it): the GPU then runs the batch back to back, never waiting on the
// host between launches, and host launch jitter stays out of the samples (nvbench does the same).
__global__ void hold_stream(const volatile int *release, unsigned long long timeout_ns) {
  unsigned long long start, now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    __nanosleep(500);
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (*release == 0 && now - start < timeout_ns);
}

struct HostFlag {
  int *host = nullptr;
  int *dev = nullptr;
  ~HostFlag() { if (host) cudaFreeHost(host); }
};

struct Graph {
  cudaGraph_t g = nullptr;
  cudaGraphExec_t x = nullptr;
  ~Graph() {
    if (x) cudaGraphExecDestroy(x);
    if (g) cudaGraphDestroy(g);
  }
};

} // namespace

extern "C" int rl_cuda_time_resample(const rl_cuda_resample_args *a, int mode, int warmup, int repeats,
                                     int batch, double *samples_ms, int *sm_clock_mhz) {
  cudaStream_t s = rl_cuda_stream();
  if (!s) { rl_cuda_set_message("no CUDA stream"); return -1; }
  if (repeats < 1 || warmup < 0 || batch < 1) { rl_cuda_set_message("time_resample: bad loop counts"); return -1; }
  DeviceBuffer flush;
  size_t flush_bytes = 0;
  if (mode == 1) {
    int dev = 0, l2 = 0;
    RL_CU(cudaGetDevice(&dev));
    RL_CU(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
    flush_bytes = 2 * (size_t)(l2 > 0 ? l2 : (64 << 20));
    RL_CU(cudaMalloc(&flush.p, flush_bytes));
  }
  Graph graph;
  if (mode == 2) {
    RL_CU(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < batch; i++) {
      if (rl_cuda_launch_resample(a, s) != 0) {
        cudaGraph_t dummy;
        cudaStreamEndCapture(s, &dummy);
        if (dummy) cudaGraphDestroy(dummy);
        return -1;
      }
    }
    RL_CU(cudaStreamEndCapture(s, &graph.g));
    RL_CU(cudaGraphInstantiate(&graph.x, graph.g, 0));
  }
  auto run_once = [&]() -> int {
    if (mode == 2) { RL_CU(cudaGraphLaunch(graph.x, s)); return 0; }
    return rl_cuda_launch_resample(a, s);
  };

  rl_nvtx_push("warmup");
  for (int i = 0; i < warmup; i++)
    if (run_once() != 0) { rl_nvtx_pop(); return -1; }
  rl_nvtx_pop();
  RL_CU(cudaStreamSynchronize(s));

  // Samples are queued back to back (an event pair around each) behind hold_stream, released, and
  // read after a synchronize, in batches of kBatch: each sample is the GPU time of its launch with the
  // next one already queued, so host launch latency stays out of the numbers (graph mode also
  // removes the per-launch gap). The SM clock (NVML) is read after each batch for its samples.
  constexpr int kBatch = 128; // samples queued behind one hold: well inside the launch queue
  HostFlag flag;
  RL_CU(cudaHostAlloc((void **)&flag.host, sizeof(int), cudaHostAllocMapped));
  RL_CU(cudaHostGetDevicePointer((void **)&flag.dev, flag.host, 0));
  Events ev;
  const int nev = repeats < kBatch ? repeats : kBatch;
  if (ev.make(2 * (size_t)nev) != 0) return -1;
  rl_nvtx_push("timed");
  for (int first = 0; first < repeats; first += kBatch) {
    const int n = repeats - first < kBatch ? repeats - first : kBatch;
    *(volatile int *)flag.host = 0;
    hold_stream<<<1, 1, 0, s>>>(flag.dev, 200000000ull);
    RL_CU(cudaGetLastError());
    for (int i = 0; i < n; i++) {
      if (mode == 1) RL_CU(cudaMemsetAsync(flush.p, (first + i) & 0xff, flush_bytes, s));
      RL_CU(cudaEventRecord(ev.ev[2 * i], s));
      if (run_once() != 0) { rl_nvtx_pop(); return -1; }
      RL_CU(cudaEventRecord(ev.ev[2 * i + 1], s));
    }
    __atomic_store_n(flag.host, 1, __ATOMIC_SEQ_CST); // release the batch
    cudaError_t e = cudaEventSynchronize(ev.ev[2 * n - 1]);
    if (e != cudaSuccess) { rl_nvtx_pop(); rl_cuda_set_error("cudaEventSynchronize", e, __FILE__, __LINE__); return -1; }
    const int clock = sm_clock_mhz ? rl_cuda_sm_clock_now() : -1;
    for (int i = 0; i < n; i++) {
      float ms = 0.0f;
      RL_CU(cudaEventElapsedTime(&ms, ev.ev[2 * i], ev.ev[2 * i + 1]));
      samples_ms[first + i] = mode == 2 ? (double)ms / batch : (double)ms;
      if (sm_clock_mhz) sm_clock_mhz[first + i] = clock;
    }
  }
  rl_nvtx_pop();
  RL_CU(cudaGetLastError());
  return 0;
}

extern "C" int rl_cuda_copy_bandwidth(size_t bytes, int repeats, double *bytes_per_s, double *median_ms) {
  cudaStream_t s = rl_cuda_stream();
  if (!s) { rl_cuda_set_message("no CUDA stream"); return -1; }
  if (repeats < 1) repeats = 1;
  DeviceBuffer a, b;
  RL_CU(cudaMalloc(&a.p, bytes));
  RL_CU(cudaMalloc(&b.p, bytes));
  RL_CU(cudaMemsetAsync(a.p, 1, bytes, s));
  RL_CU(cudaMemsetAsync(b.p, 2, bytes, s));
  Events ev;
  if (ev.make(2) != 0) return -1;
  std::vector<double> t;
  rl_nvtx_push("copy_bandwidth");
  for (int i = -2; i < repeats; i++) { // two warm-up copies
    RL_CU(cudaEventRecord(ev.ev[0], s));
    RL_CU(cudaMemcpyAsync(b.p, a.p, bytes, cudaMemcpyDeviceToDevice, s));
    RL_CU(cudaEventRecord(ev.ev[1], s));
    RL_CU(cudaEventSynchronize(ev.ev[1]));
    float ms = 0.0f;
    RL_CU(cudaEventElapsedTime(&ms, ev.ev[0], ev.ev[1]));
    if (i >= 0) t.push_back(ms);
  }
  rl_nvtx_pop();
  std::sort(t.begin(), t.end());
  const size_t n = t.size();
  const double med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  *median_ms = med;
  *bytes_per_s = 2.0 * (double)bytes / (med * 1e-3);
  return 0;
}
