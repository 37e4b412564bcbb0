/* Host buffers for bulk data: 64-byte aligned; large ones 2 MiB aligned with transparent huge pages
   requested, so that hardware prefetchers are not stopped at every 4 KiB page and the TLB covers the
   data. Used for tensors and for the memcpy bandwidth probe alike, so the comparison stays fair. */
#ifndef ROBOLUA_HOSTMEM_H
#define ROBOLUA_HOSTMEM_H
#include <stddef.h>
void *rl_host_alloc(size_t bytes); /* NULL on failure; free with free() */
#endif
