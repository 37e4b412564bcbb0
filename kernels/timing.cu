// GPU timing loops: CUDA events around each sample, the loop in C++ so no interpreter is in the
// measured region. Modes: hot, cold (L2 flushed before each sample), graph (a batch of launches in
// one CUDA graph, reported per launch). The same loop times the resampler and the device-to-device
// copy that every report divides by, so both carry the same per-launch costs.
#include "cuda_check.h"
#include "interrupt.h"
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
  ~HostFlag() { // release a hold still spinning (an error left its batch unreleased) before freeing
    if (!host) return;
    __atomic_store_n(host, 1, __ATOMIC_SEQ_CST);
    cudaFreeHost(host);
  }
};

struct Graph {
  cudaGraph_t g = nullptr;
  cudaGraphExec_t x = nullptr;
  ~Graph() {
    if (x) cudaGraphExecDestroy(x);
    if (g) cudaGraphDestroy(g);
  }
};

// The timed loop shared by every GPU measurement. run_once queues one unit of work (a launch, a graph
// replay, a copy) on s; each sample is divided by per_sample (launches per graph replay).
// Hot and graph samples share events: sample i runs from the event after unit i-1 to the event after
// unit i, so back-to-back units carry one event record between them, not two. Cold samples need a
// pair each, since the L2 flush between units must stay outside the measured interval.
template <typename Run>
int time_loop(cudaStream_t s, Run run_once, rl_timing_mode mode, int warmup, int repeats, int per_sample,
              double *samples_ms, int *sm_clock_mhz) {
  if (repeats < 1 || warmup < 0 || per_sample < 1) { rl_cuda_set_message("timed loop: bad loop counts"); return -1; }
  DeviceBuffer flush;
  size_t flush_bytes = 0;
  if (mode == RL_MODE_COLD) {
    int dev = 0, l2 = 0;
    RL_CU(cudaGetDevice(&dev));
    RL_CU(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
    flush_bytes = 2 * (size_t)(l2 > 0 ? l2 : (64 << 20));
    RL_CU(cudaMalloc(&flush.p, flush_bytes));
  }
  rl_nvtx_push("warmup");
  for (int i = 0; i < warmup; i++)
    if (run_once() != 0) { rl_nvtx_pop(); return -1; }
  rl_nvtx_pop();
  RL_CU(cudaStreamSynchronize(s));

  // Samples are queued back to back behind hold_stream, released, and read after a synchronize, in
  // batches of kBatch: each sample is the GPU time of its unit with the next one already queued, so
  // host launch latency stays out of the numbers. The SM clock (NVML) is read after each batch.
  constexpr int kBatch = 128; // samples queued behind one hold: well inside the launch queue
  HostFlag flag;
  RL_CU(cudaHostAlloc((void **)&flag.host, sizeof(int), cudaHostAllocMapped));
  RL_CU(cudaHostGetDevicePointer((void **)&flag.dev, flag.host, 0));
  const bool paired = mode == RL_MODE_COLD;
  const int nmax = repeats < kBatch ? repeats : kBatch;
  Events ev;
  if (ev.make(paired ? 2 * (size_t)nmax : (size_t)nmax + 1) != 0) return -1;
  auto start_of = [&](int i) { return paired ? ev.ev[2 * i] : ev.ev[i]; };
  auto end_of = [&](int i) { return paired ? ev.ev[2 * i + 1] : ev.ev[i + 1]; };
  rl_nvtx_push("timed");
  for (int first = 0; first < repeats; first += kBatch) {
    if (rl_interrupt_requested()) { rl_nvtx_pop(); rl_cuda_set_message("interrupted"); return -1; }
    const int n = repeats - first < kBatch ? repeats - first : kBatch;
    *(volatile int *)flag.host = 0;
    hold_stream<<<1, 1, 0, s>>>(flag.dev, 200000000ull);
    RL_CU(cudaGetLastError());
    if (!paired) RL_CU(cudaEventRecord(start_of(0), s));
    for (int i = 0; i < n; i++) {
      if (paired) {
        RL_CU(cudaMemsetAsync(flush.p, (first + i) & 0xff, flush_bytes, s));
        RL_CU(cudaEventRecord(start_of(i), s));
      }
      if (run_once() != 0) { rl_nvtx_pop(); return -1; }
      RL_CU(cudaEventRecord(end_of(i), s));
    }
    __atomic_store_n(flag.host, 1, __ATOMIC_SEQ_CST); // release the batch
    cudaError_t e = cudaEventSynchronize(end_of(n - 1));
    if (e != cudaSuccess) { rl_nvtx_pop(); rl_cuda_set_error("cudaEventSynchronize", e, __FILE__, __LINE__); return -1; }
    const int clock = sm_clock_mhz ? rl_cuda_sm_clock_now() : -1;
    for (int i = 0; i < n; i++) {
      float ms = 0.0f;
      RL_CU(cudaEventElapsedTime(&ms, start_of(i), end_of(i)));
      samples_ms[first + i] = (double)ms / per_sample;
      if (sm_clock_mhz) sm_clock_mhz[first + i] = clock;
    }
  }
  rl_nvtx_pop();
  RL_CU(cudaGetLastError());
  return 0;
}

// Captures `batch` units into one CUDA graph (graph mode).
template <typename Unit>
int make_graph(cudaStream_t s, Unit unit, int batch, Graph &graph) {
  RL_CU(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int i = 0; i < batch; i++) {
    if (unit() != 0) {
      cudaGraph_t dummy = nullptr;
      cudaStreamEndCapture(s, &dummy);
      if (dummy) cudaGraphDestroy(dummy);
      return -1;
    }
  }
  RL_CU(cudaStreamEndCapture(s, &graph.g));
  RL_CU(cudaGraphInstantiate(&graph.x, graph.g, 0));
  return 0;
}

// Times one unit per sample (hot, cold) or one graph of `batch` units per sample, reported per unit.
template <typename Unit>
int time_unit(cudaStream_t s, Unit unit, rl_timing_mode mode, int warmup, int repeats, int batch,
              double *samples_ms, int *sm_clock_mhz) {
  if ((unsigned)mode >= RL_MODE_COUNT || batch < 1) { rl_cuda_set_message("timed loop: bad mode or batch"); return -1; }
  if (mode != RL_MODE_GRAPH) return time_loop(s, unit, mode, warmup, repeats, 1, samples_ms, sm_clock_mhz);
  Graph graph;
  if (make_graph(s, unit, batch, graph) != 0) return -1;
  auto replay = [&]() -> int { RL_CU(cudaGraphLaunch(graph.x, s)); return 0; };
  return time_loop(s, replay, mode, warmup, repeats, batch, samples_ms, sm_clock_mhz);
}

} // namespace

int rl_cuda_time_units(cudaStream_t s, rl_cuda_unit_fn unit, void *ctx, rl_timing_mode mode, int warmup,
                       int repeats, int batch, double *samples_ms, int *sm_clock_mhz) {
  auto run = [&]() -> int { return unit(ctx, s); };
  return time_unit(s, run, mode, warmup, repeats, batch, samples_ms, sm_clock_mhz);
}

extern "C" int rl_cuda_time_resample(const rl_resample_args *a, rl_timing_mode mode, int warmup, int repeats,
                                     int batch, int rotate, double *samples_ms, int *sm_clock_mhz) {
  cudaStream_t s = rl_cuda_stream();
  if (!s) { rl_cuda_set_message("no CUDA stream"); return -1; }
  if (rotate < 1) { rl_cuda_set_message("time_resample: rotate must be >= 1"); return -1; }
  // rotate > 1: rotate - 1 more copies of the inputs and outputs at other addresses; launch i uses set
  // i % rotate, so a launch finds nothing of its own inputs (or output lines) in the L2 from the launch
  // before unless the whole rotation fits there.
  const size_t es = rl_dtype_size(a->dtype);
  const size_t src_b = (size_t)(a->batch * a->source_len * a->dim) * es, st_b = (size_t)(a->batch * a->source_len) * 4;
  const size_t tt_b = (size_t)(a->batch * a->target_len) * 4, out_b = (size_t)(a->batch * a->target_len * a->dim) * es;
  std::vector<DeviceBuffer> copies((size_t)(rotate - 1) * 4);
  std::vector<rl_resample_args> sets((size_t)rotate, *a);
  for (int k = 1; k < rotate; k++) {
    DeviceBuffer *c = &copies[(size_t)(k - 1) * 4];
    RL_CU(cudaMalloc(&c[0].p, src_b));
    RL_CU(cudaMalloc(&c[1].p, st_b));
    RL_CU(cudaMalloc(&c[2].p, tt_b));
    RL_CU(cudaMalloc(&c[3].p, out_b));
    RL_CU(cudaMemcpyAsync(c[0].p, a->src, src_b, cudaMemcpyDeviceToDevice, s));
    RL_CU(cudaMemcpyAsync(c[1].p, a->src_times, st_b, cudaMemcpyDeviceToDevice, s));
    RL_CU(cudaMemcpyAsync(c[2].p, a->tgt_times, tt_b, cudaMemcpyDeviceToDevice, s));
    sets[k].src = c[0].p;
    sets[k].src_times = (const float *)c[1].p;
    sets[k].tgt_times = (const float *)c[2].p;
    sets[k].out = c[3].p;
  }
  int next = 0;
  auto unit = [&]() -> int {
    const int k = next;
    next = (next + 1) % rotate;
    return rl_cuda_launch_resample(&sets[(size_t)k], s);
  };
  return time_unit(s, unit, mode, warmup, repeats, batch, samples_ms, sm_clock_mhz);
}

extern "C" int rl_cuda_time_copy(size_t bytes, rl_timing_mode mode, int warmup, int repeats, int batch, int rotate,
                                 double *samples_ms) {
  cudaStream_t s = rl_cuda_stream();
  if (!s) { rl_cuda_set_message("no CUDA stream"); return -1; }
  if (rotate < 1) { rl_cuda_set_message("time_copy: rotate must be >= 1"); return -1; }
  std::vector<DeviceBuffer> bufs((size_t)rotate * 2); // pair k: source 2k, destination 2k + 1
  for (size_t i = 0; i < bufs.size(); i++) {
    RL_CU(cudaMalloc(&bufs[i].p, bytes));
    RL_CU(cudaMemsetAsync(bufs[i].p, (int)(i & 1) + 1, bytes, s));
  }
  int next = 0;
  auto unit = [&]() -> int {
    const size_t k = (size_t)next;
    next = (next + 1) % rotate;
    RL_CU(cudaMemcpyAsync(bufs[2 * k + 1].p, bufs[2 * k].p, bytes, cudaMemcpyDeviceToDevice, s));
    return 0;
  };
  rl_nvtx_push("copy_bandwidth");
  const int rc = time_unit(s, unit, mode, warmup, repeats, batch, samples_ms, nullptr);
  rl_nvtx_pop();
  return rc;
}

extern "C" int rl_cuda_time_launch(const void *kernel, const rl_launch_cfg *cfg, void **const *param_sets, int nsets,
                                   rl_timing_mode mode, int warmup, int repeats, int batch, double *samples_ms,
                                   int *sm_clock_mhz) {
  cudaStream_t s = rl_cuda_stream();
  if (!s) { rl_cuda_set_message("no CUDA stream"); return -1; }
  if (nsets < 1 || !param_sets) { rl_cuda_set_message("time_launch: at least one parameter set is needed"); return -1; }
  if (rl_cuda_launch_check(kernel, cfg) != 0) return -1; // once, outside the timed loop
  if (mode == RL_MODE_GRAPH) { // one launch before the capture, so a lazily loaded kernel is resident first
    if (rl_cuda_launch_on(kernel, cfg, param_sets[0], s) != 0) return -1;
    RL_CU(cudaStreamSynchronize(s));
  }
  int next = 0;
  auto unit = [&]() -> int {
    const int k = next;
    next = (next + 1) % nsets;
    return rl_cuda_launch_on(kernel, cfg, param_sets[k], s);
  };
  return time_unit(s, unit, mode, warmup, repeats, batch, samples_ms, sm_clock_mhz);
}
