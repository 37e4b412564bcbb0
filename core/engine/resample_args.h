/* The arguments of one resample call, shared by the CPU engine, the reference and the CUDA kernels
   (kernels/ includes this header): one definition of the layout on both sides of the C/CUDA line. */
#ifndef ROBOLUA_RESAMPLE_ARGS_H
#define ROBOLUA_RESAMPLE_ARGS_H
#include "dtype.h"
#include <stdint.h>

typedef struct {
  rl_dtype dtype; /* of src and out (f32, bf16, f16; the reference also takes f64) */
  const void *src;
  const float *src_times;
  const float *tgt_times;
  void *out;
  int64_t batch, source_len, target_len, dim;
} rl_resample_args;
#endif
