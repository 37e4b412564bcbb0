#define _DEFAULT_SOURCE
#include "hostmem.h"
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_BYTES ((size_t)2 << 20)

void *rl_host_alloc(size_t bytes) {
  if (bytes < 2 * HUGE_BYTES) {
    size_t rounded = (bytes + 63) & ~(size_t)63;
    return rounded < bytes ? NULL : aligned_alloc(64, rounded ? rounded : 64);
  }
  size_t rounded = (bytes + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1);
  if (rounded < bytes) return NULL;
  void *p = aligned_alloc(HUGE_BYTES, rounded);
#ifdef MADV_HUGEPAGE
  if (p) (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: fine if the kernel says no */
#endif
  return p;
}
