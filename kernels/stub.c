/* The CUDA ABI in a build without nvcc: nothing is available, every call fails with a clear reason. */
#include "rl_cuda.h"

static const char *const reason = "CUDA not available in this build (nvcc was not found at configure time)";
const char *rl_cuda_last_error(void) { return reason; }
int rl_cuda_available(void) { return 0; }
int rl_cuda_get_info(rl_cuda_info *info) { (void)info; return -1; }
int rl_cuda_sm_clock_now(void) { return -1; }
int rl_cuda_malloc(void **ptr, size_t bytes) { (void)bytes; *ptr = NULL; return -1; }
void rl_cuda_free(void *ptr) { (void)ptr; }
int rl_cuda_memcpy_h2d(void *d, const void *s, size_t n) { (void)d; (void)s; (void)n; return -1; }
int rl_cuda_memcpy_d2h(void *d, const void *s, size_t n) { (void)d; (void)s; (void)n; return -1; }
int rl_cuda_memcpy_d2d(void *d, const void *s, size_t n) { (void)d; (void)s; (void)n; return -1; }
int rl_cuda_fill_u16(void *d, uint16_t v, size_t n) { (void)d; (void)v; (void)n; return -1; }
int rl_cuda_fill_u32(void *d, uint32_t v, size_t n) { (void)d; (void)v; (void)n; return -1; }
int rl_cuda_synchronize(void) { return -1; }
int rl_cuda_device_count(void) { return -1; }
int rl_cuda_copy_kernel(size_t bytes) { (void)bytes; return -1; }
int rl_cuda_resample(const rl_resample_args *a) { (void)a; return -1; }
int rl_cuda_resample_rows_plan(const rl_resample_args *a, rl_cuda_rows_plan *p) { (void)a; (void)p; return -1; }
int rl_cuda_time_resample(const rl_resample_args *a, rl_timing_mode mode, int warmup, int repeats, int batch,
                          int rotate, double *samples_ms, int *sm_clock_mhz) {
  (void)a; (void)mode; (void)warmup; (void)repeats; (void)batch; (void)rotate; (void)samples_ms; (void)sm_clock_mhz;
  return -1;
}
int rl_cuda_time_copy(size_t bytes, rl_timing_mode mode, int warmup, int repeats, int batch, int rotate, double *samples_ms) {
  (void)bytes; (void)mode; (void)warmup; (void)repeats; (void)batch; (void)rotate; (void)samples_ms;
  return -1;
}
int rl_cuda_module_load(const void *image, size_t size, const char *label, rl_cuda_module **out) {
  (void)image; (void)size; (void)label;
  *out = NULL;
  return -1;
}
void rl_cuda_module_unload(rl_cuda_module *m) { (void)m; }
int rl_cuda_module_kernel(rl_cuda_module *m, const char *name, void **kernel) { (void)m; (void)name; *kernel = NULL; return -1; }
int rl_cuda_kernel_params(const void *kernel, size_t *sizes, int max) { (void)kernel; (void)sizes; (void)max; return -1; }
int rl_cuda_device_numbers(int *cc_major, int *cc_minor, int *sm_count) { *cc_major = *cc_minor = *sm_count = 0; return -1; }
int rl_cuda_launch_check(const void *kernel, const rl_launch_cfg *cfg) { (void)kernel; (void)cfg; return -1; }
int rl_cuda_launch(const void *kernel, const rl_launch_cfg *cfg, void **params) { (void)kernel; (void)cfg; (void)params; return -1; }
int rl_cuda_time_launch(const void *kernel, const rl_launch_cfg *cfg, void **const *param_sets, int nsets,
                        rl_timing_mode mode, int warmup, int repeats, int batch, double *samples_ms, int *sm_clock_mhz) {
  (void)kernel; (void)cfg; (void)param_sets; (void)nsets; (void)mode; (void)warmup; (void)repeats; (void)batch;
  (void)samples_ms; (void)sm_clock_mhz;
  return -1;
}
int rl_cuda_context_status(void) { return 0; } /* no context, nothing to lose */
int rl_cuda_fuse(const rl_fuse_args *a, int per_stream) { (void)a; (void)per_stream; return -1; }
int rl_cuda_fuse_set_kernel(const char *name, int targets) { (void)name; (void)targets; return -1; }
const char *rl_cuda_fuse_get_kernel(int *targets) { (void)targets; return NULL; }
int rl_cuda_time_fuse(const rl_fuse_args *a, int per_stream, rl_timing_mode mode, int warmup, int repeats,
                      int batch, int rotate, double *samples_ms, int *sm_clock_mhz) {
  (void)a; (void)per_stream; (void)mode; (void)warmup; (void)repeats; (void)batch; (void)rotate;
  (void)samples_ms; (void)sm_clock_mhz;
  return -1;
}
void rl_nvtx_push(const char *name) { (void)name; }
void rl_nvtx_pop(void) {}
int rl_nvtx_available(void) { return 0; }
