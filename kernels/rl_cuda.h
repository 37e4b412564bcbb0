/* The C ABI of the CUDA half. core/ calls only these; no CUDA header leaks out of kernels/.
   Every function returns 0 on success or -1 with a message in rl_cuda_last_error() (thread-local-free:
   the engine is single-threaded on the Lua side). A build without CUDA links kernels/stub.c, whose
   functions all fail with "CUDA not available in this build". */
#ifndef ROBOLUA_RL_CUDA_H
#define ROBOLUA_RL_CUDA_H
#include "fuse_args.h"
#include "resample_args.h"
#include "timing_mode.h"
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

const char *rl_cuda_last_error(void);
/* 1 when this build has CUDA and a device is usable, else 0 (reason in rl_cuda_last_error). */
int rl_cuda_available(void);

typedef struct {
  char name[256];
  int device, cc_major, cc_minor, sm_count, max_threads_per_sm;
  long long l2_bytes, global_mem_bytes, shared_mem_per_sm;
  int mem_bus_width_bits;
  int sm_clock_mhz_now, mem_clock_mhz_now, sm_clock_mhz_max, mem_clock_mhz_max; /* -1 if NVML unavailable */
  int driver_version, runtime_version;
  char driver_string[64]; /* NVML's driver version string, "" if unavailable */
  char pci_bus_id[32];
  char uuid[64]; /* "GPU-xxxxxxxx-xxxx-...", as nvidia-smi prints it */
} rl_cuda_info;
/* Devices visible to this process (CUDA_VISIBLE_DEVICES applies), or -1 with the reason. */
int rl_cuda_device_count(void);
int rl_cuda_get_info(rl_cuda_info *info);
/* Current SM clock in MHz through NVML, or -1. */
int rl_cuda_sm_clock_now(void);

int rl_cuda_malloc(void **ptr, size_t bytes);
void rl_cuda_free(void *ptr);
int rl_cuda_memcpy_h2d(void *dst, const void *src, size_t bytes);
int rl_cuda_memcpy_d2h(void *dst, const void *src, size_t bytes);
int rl_cuda_memcpy_d2d(void *dst, const void *src, size_t bytes);
/* Fills bytes with a repeating 16-bit or 32-bit pattern (used to poison outputs). */
int rl_cuda_fill_u16(void *dst, uint16_t v, size_t count);
int rl_cuda_fill_u32(void *dst, uint32_t v, size_t count);
int rl_cuda_synchronize(void);
/* A device-to-device copy of `bytes` done by a kernel (16-byte vectors), between two buffers it
   allocates and frees: the same-size copy that Nsight Compute can profile next to a kernel (ncu
   measures kernels, not copy-engine transfers). Synchronous. */
int rl_cuda_copy_kernel(size_t bytes);

/* The resampler on device pointers (f32, bf16, f16). Launches asynchronously on the engine's stream;
   rl_cuda_synchronize() reports launch/run errors. */
int rl_cuda_resample(const rl_resample_args *a);
/* The row-block kernel's launch for a call (kernels/resample_rows.cuh), so the same device code compiled
   as a user module can be launched exactly as the built-in one; -1 when the call takes another kernel. */
typedef struct {
  unsigned grid, block;
  size_t shared;
  unsigned S, T, vecs, q, rem, batches_per_stage;
} rl_cuda_rows_plan;
int rl_cuda_resample_rows_plan(const rl_resample_args *a, rl_cuda_rows_plan *p);

/* Timed loops, all in C/CUDA: warmup units, then `repeats` samples, each sample's time in ms written
   to samples_ms[i]. Samples are queued back to back behind a kernel that holds the stream until the
   batch (128 samples) is queued, then read after a synchronize. mode: RL_MODE_HOT (consecutive units
   share an event: sample i is from the end of unit i-1 to the end of unit i), RL_MODE_COLD (L2 flushed
   by writing a buffer of twice the L2 size before each sample, outside its event pair), RL_MODE_GRAPH
   (`batch` units captured in one CUDA graph; each sample is one replay, reported per unit). sm_clock_mhz (optional,
   may be NULL) receives the SM clock read after the sample's batch, -1 where NVML is unavailable.
   rotate >= 1: launches cycle through `rotate` copies of the inputs and output at different addresses
   (the copies are made here and freed on return), so consecutive launches do not reuse each other's
   lines in the L2. */
int rl_cuda_time_resample(const rl_resample_args *a, rl_timing_mode mode, int warmup, int repeats, int batch,
                          int rotate, double *samples_ms, int *sm_clock_mhz);
/* The same loop over cudaMemcpyAsync device-to-device of `bytes` between two fresh buffers (rotate
   such pairs, cycled): the copy roofline (bytes read + written = 2 * bytes per sample). */
int rl_cuda_time_copy(size_t bytes, rl_timing_mode mode, int warmup, int repeats, int batch, int rotate, double *samples_ms);

/* ---- user modules and kernels (modules.cu) ------------------------------------------------------- */
/* A loaded PTX / CUBIN / FATBIN image (cudaLibrary_t). label names it in messages ("saxpy.cu"). */
typedef struct rl_cuda_module rl_cuda_module;
int rl_cuda_module_load(const void *image, size_t size, const char *label, rl_cuda_module **out);
void rl_cuda_module_unload(rl_cuda_module *m);
/* The extern "C" entry point `name` as an opaque kernel handle (a cudaKernel_t). A missing one:
   "module X: no kernel named 'k' (entry points must be extern "C")", with the names the module has. */
int rl_cuda_module_kernel(rl_cuda_module *m, const char *name, void **kernel);
/* The kernel's parameter sizes in bytes (at most max): the count, or -1 where the driver can't say. */
int rl_cuda_kernel_params(const void *kernel, size_t *sizes, int max);
/* Compute capability and SM count of the current device. */
int rl_cuda_device_numbers(int *cc_major, int *cc_minor, int *sm_count);

typedef struct {
  unsigned grid[3], block[3];
  size_t shared; /* dynamic shared memory per block, bytes */
} rl_launch_cfg;
/* Checks cfg against the device's and the kernel's limits ("launch.block: 2048 threads exceed the device
   limit of 1024") and opts the kernel into more than 48 KiB of dynamic shared memory when asked. */
int rl_cuda_launch_check(const void *kernel, const rl_launch_cfg *cfg);
/* Checks, launches on the engine's stream with params (one pointer per kernel parameter, as
   cudaLaunchKernel takes them) and waits: a fault is reported here, with cudaGetErrorString's text. */
int rl_cuda_launch(const void *kernel, const rl_launch_cfg *cfg, void **params);
/* The timed loop of rl_cuda_time_resample (same modes, batching, SM clocks) over launches of a user
   kernel; launch i uses param_sets[i % nsets] (rotation over copies of its buffers). Graph mode launches
   once before the capture (a lazily loaded kernel is made resident first). */
int rl_cuda_time_launch(const void *kernel, const rl_launch_cfg *cfg, void **const *param_sets, int nsets,
                        rl_timing_mode mode, int warmup, int repeats, int batch, double *samples_ms,
                        int *sm_clock_mhz);
/* 0 while the CUDA context is usable (or none was made); -1 once a fault (an illegal address, ...) has
   lost it, with the sticky error in rl_cuda_last_error(): every later CUDA call fails. */
int rl_cuda_context_status(void);
/* The fused resampler (fuse_args.h) on device pointers: every stream in one launch, or (per_stream = 1)
   one launch per stream, the baseline the fused launch is measured against. Asynchronous, like
   rl_cuda_resample. */
int rl_cuda_fuse(const rl_fuse_args *a, int per_stream);
/* Which kernel the fused calls above launch (kernels/NOTES.md, "fusion kernel"): "v3" (the default), or
   "v2" or "v1" (the earlier kernels, kept for A/B runs); targets = v2's or v3's targets per block,
   0 = automatic, else in [1, 128] (v1: 0). The environment sets the starting choice:
   ROBOLUA_FUSE_KERNEL=v1|v2|v3, ROBOLUA_FUSE_TARGETS=N. set: 0, or -1 with the reason in rl_cuda_last_error(). get: the name and
   *targets, or NULL with the reason (an unknown value in the environment). */
int rl_cuda_fuse_set_kernel(const char *name, int targets);
const char *rl_cuda_fuse_get_kernel(int *targets);
/* Its timed loop (the loop of rl_cuda_time_resample; rotate copies every input and the output). */
int rl_cuda_time_fuse(const rl_fuse_args *a, int per_stream, rl_timing_mode mode, int warmup, int repeats,
                      int batch, int rotate, double *samples_ms, int *sm_clock_mhz);

void rl_nvtx_push(const char *name);
void rl_nvtx_pop(void);
int rl_nvtx_available(void);

#ifdef __cplusplus
}
#endif
#endif
