#include "tensor.h"
#include "hostmem.h"
#include "rl_cuda.h"
#include <stdio.h>
#include <stdlib.h>

const char *rl_tensor_check_shape(int ndim, const int64_t *shape, rl_dtype dtype, int64_t *numel,
                                  size_t *nbytes) {
  if (ndim < 1 || ndim > RL_MAX_DIMS) return "a tensor has 1 to 4 dimensions";
  uint64_t n = 1;
  const uint64_t limit = (uint64_t)INT64_MAX / 8; /* also keeps n * element size inside size_t */
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 1) return "every dimension must be a positive integer";
    if ((uint64_t)shape[i] > limit / n) return "the element count overflows";
    n *= (uint64_t)shape[i];
  }
  *numel = (int64_t)n;
  *nbytes = (size_t)n * rl_dtype_size(dtype);
  return NULL;
}

const char *rl_tensor_alloc(rl_tensor *t, rl_device dev, rl_dtype dtype, int ndim, const int64_t *shape,
                            char *err, size_t errlen) {
  t->data = NULL;
  const char *msg = rl_tensor_check_shape(ndim, shape, dtype, &t->numel, &t->nbytes);
  if (msg) return msg;
  t->dtype = dtype;
  t->device = dev;
  t->ndim = ndim;
  for (int i = 0; i < RL_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
  if (dev == RL_HOST) {
    int64_t available;
    if (!rl_host_fits(t->nbytes, &available)) { /* before touching it: zero-filling would be OOM-killed */
      snprintf(err, errlen, "cannot allocate %zu bytes of host memory (available: %lld)", t->nbytes,
               (long long)available);
      return err;
    }
    t->data = rl_host_alloc(t->nbytes);
    if (!t->data) {
      snprintf(err, errlen, "cannot allocate %zu bytes of host memory", t->nbytes);
      return err;
    }
  } else {
    if (rl_cuda_malloc(&t->data, t->nbytes) != 0) {
      snprintf(err, errlen, "cannot allocate %zu bytes of device memory: %s", t->nbytes, rl_cuda_last_error());
      t->data = NULL;
      return err;
    }
  }
  return NULL;
}

void rl_tensor_release(rl_tensor *t) {
  if (!t->data) return;
  if (t->device == RL_HOST)
    free(t->data);
  else
    rl_cuda_free(t->data);
  t->data = NULL;
}
