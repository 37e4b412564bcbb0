/* A dense tensor on the host or a CUDA device: dtype, shape (up to 4 dims), one owned allocation. */
#ifndef ROBOLUA_TENSOR_H
#define ROBOLUA_TENSOR_H
#include "dtype.h"
#include <stdint.h>

#define RL_MAX_DIMS 4
typedef enum { RL_HOST = 0, RL_CUDA = 1 } rl_device;

typedef struct {
  rl_dtype dtype;
  rl_device device;
  int ndim;
  int64_t shape[RL_MAX_DIMS];
  int64_t numel;
  size_t nbytes;
  void *data; /* NULL once freed */
} rl_tensor;

/* Checks shape (each dim >= 1, byte count fits in size_t) and fills numel/nbytes.
   Returns NULL on success or a static message. */
const char *rl_tensor_check_shape(int ndim, const int64_t *shape, rl_dtype dtype, int64_t *numel,
                                  size_t *nbytes);
/* Allocates (64-byte aligned on the host, cudaMalloc on the device). Returns NULL or an error message
   written into err (size errlen). Contents are uninitialised. */
const char *rl_tensor_alloc(rl_tensor *t, rl_device dev, rl_dtype dtype, int ndim, const int64_t *shape,
                            char *err, size_t errlen);
void rl_tensor_release(rl_tensor *t);
#endif
