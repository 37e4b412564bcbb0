// Timing the fused resampler with the loop every GPU measurement uses (timing.cu's, through
// rl_cuda_time_units). rotate > 1: rotate - 1 more copies of every input (each stream's values, times and
// lengths, the target times and lengths) and of the output at other addresses; launch i uses set
// i % rotate, so consecutive launches cannot reuse each other's lines in the L2.
#include "cuda_check.h"
#include "rl_cuda.h"
#include <vector>

namespace {

struct DeviceBuffer { // sized once (never copied: the vector below is built at its final size)
  void *p = nullptr;
  ~DeviceBuffer() { if (p) cudaFree(p); }
};

struct FuseUnit {
  std::vector<rl_fuse_args> sets;
  int per_stream = 0;
  int next = 0;
};

int run_unit(void *ctx, cudaStream_t s) {
  FuseUnit *u = static_cast<FuseUnit *>(ctx);
  const int k = u->next;
  u->next = (u->next + 1) % (int)u->sets.size();
  return rl_cuda_launch_fuse(&u->sets[(size_t)k], u->per_stream, s);
}

// A fresh buffer of `bytes` (a copy of src unless src is NULL) in *buf; its address in *dst.
int clone(DeviceBuffer *buf, const void *src, size_t bytes, cudaStream_t s, void **dst) {
  RL_CU(cudaMalloc(&buf->p, bytes));
  if (src) RL_CU(cudaMemcpyAsync(buf->p, src, bytes, cudaMemcpyDeviceToDevice, s));
  *dst = buf->p;
  return 0;
}

} // namespace

extern "C" int rl_cuda_time_fuse(const rl_fuse_args *a, int per_stream, rl_timing_mode mode, int warmup, int repeats,
                                 int batch, int rotate, double *samples_ms, int *sm_clock_mhz) {
  cudaStream_t s = rl_cuda_stream();
  if (!s) { rl_cuda_set_message("no CUDA stream"); return -1; }
  if (rotate < 1 || a->nstreams < 1 || a->nstreams > RL_FUSE_MAX_STREAMS) {
    rl_cuda_set_message("time_fuse: rotate must be >= 1 and the stream count in [1, 8]");
    return -1;
  }
  FuseUnit u;
  u.sets.assign((size_t)rotate, *a);
  u.per_stream = per_stream;
  const size_t per_set = 3 * (size_t)a->nstreams + 3;
  std::vector<DeviceBuffer> bufs((size_t)(rotate - 1) * per_set);
  const size_t ts = rl_dtype_size(a->time_dtype), B = (size_t)a->batch, T = (size_t)a->target_len;
  for (int k = 1; k < rotate; k++) {
    rl_fuse_args &set = u.sets[(size_t)k];
    DeviceBuffer *buf = &bufs[(size_t)(k - 1) * per_set];
    void *p = nullptr;
    for (int i = 0; i < a->nstreams; i++) {
      const rl_fuse_stream &st = a->streams[i];
      const size_t S = (size_t)st.source_len;
      if (clone(buf++, st.src, B * S * (size_t)st.dim * rl_dtype_size(st.dtype), s, &p) != 0) return -1;
      set.streams[i].src = p;
      if (clone(buf++, st.times, B * S * ts, s, &p) != 0) return -1;
      set.streams[i].times = p;
      if (st.len) {
        if (clone(buf++, st.len, B * rl_dtype_size(st.len_dtype), s, &p) != 0) return -1;
        set.streams[i].len = p;
      }
    }
    if (clone(buf++, a->tgt_times, B * T * ts, s, &p) != 0) return -1;
    set.tgt_times = p;
    if (a->tgt_len) {
      if (clone(buf++, a->tgt_len, B * rl_dtype_size(a->tgt_len_dtype), s, &p) != 0) return -1;
      set.tgt_len = p;
    }
    if (clone(buf++, nullptr, B * T * (size_t)a->out_dim * rl_dtype_size(a->out_dtype), s, &p) != 0) return -1;
    set.out = p;
  }
  // One launch outside the loop: reports bad arguments before any timing, and sets any kernel attribute
  // (large shared memory) before a graph capture could see the call.
  if (rl_cuda_launch_fuse(&u.sets[0], per_stream, s) != 0) return -1;
  RL_CU(cudaStreamSynchronize(s));
  return rl_cuda_time_units(s, run_unit, &u, mode, warmup, repeats, batch, samples_ms, sm_clock_mhz);
}
