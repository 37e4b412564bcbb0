/* Error plumbing shared by the .cu files: every CUDA call goes through RL_CU, which records the
   failing call and returns -1 from the enclosing function. */
#ifndef ROBOLUA_CUDA_CHECK_H
#define ROBOLUA_CUDA_CHECK_H
#include "rl_cuda.h"
#include <cuda_runtime.h>

void rl_cuda_set_error(const char *what, cudaError_t e, const char *file, int line);
void rl_cuda_set_message(const char *msg);
/* The stream every robolua kernel and copy runs on (created on first use). */
cudaStream_t rl_cuda_stream(void);

/* 1 once rl_cuda_available() has made the context (device.cu). */
int rl_cuda_context_made(void);
/* Queues one launch of a user kernel on stream s, unchecked (modules.cu; check with rl_cuda_launch_check). */
int rl_cuda_launch_on(const void *kernel, const rl_launch_cfg *cfg, void **params, cudaStream_t s);

/* Checks the arguments and launches the resampler on stream s (resample.cu). */
int rl_cuda_launch_resample(const rl_resample_args *a, cudaStream_t s);
/* The same for the fused resampler (fuse.cu): one launch, or one per stream. */
int rl_cuda_launch_fuse(const rl_fuse_args *a, int per_stream, cudaStream_t s);

/* The timed loop of timing.cu for any unit of work: unit(ctx, s) queues one unit on s and returns 0 or -1.
   Modes, batching, events and clocks as rl_cuda_time_resample. */
typedef int (*rl_cuda_unit_fn)(void *ctx, cudaStream_t s);
int rl_cuda_time_units(cudaStream_t s, rl_cuda_unit_fn unit, void *ctx, rl_timing_mode mode, int warmup,
                       int repeats, int batch, double *samples_ms, int *sm_clock_mhz);

#define RL_CU(call)                                                                                    \
  do {                                                                                                 \
    cudaError_t rl_e_ = (call);                                                                        \
    if (rl_e_ != cudaSuccess) {                                                                        \
      rl_cuda_set_error(#call, rl_e_, __FILE__, __LINE__);                                             \
      return -1;                                                                                       \
    }                                                                                                  \
  } while (0)
#endif
