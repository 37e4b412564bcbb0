/* Host buffers for bulk data: 64-byte aligned; large ones 2 MiB aligned with transparent huge pages
   requested, so that hardware prefetchers are not stopped at every 4 KiB page and the TLB covers the
   data. Used for tensors and for the memcpy bandwidth probe alike, so the comparison stays fair.
   And how much host memory is left: Linux overcommits, so a too-large allocation succeeds and the
   process is killed later, when the pages are first written; asking first turns that into an error. */
#ifndef ROBOLUA_HOSTMEM_H
#define ROBOLUA_HOSTMEM_H
#include <stddef.h>
#include <stdint.h>
void *rl_host_alloc(size_t bytes); /* NULL on failure; free with free() */

/* Bytes this process can still get: the least of /proc/meminfo's MemAvailable and, for its cgroup
   and every cgroup above it, limit - usage (v2 memory.max - memory.current, v1 memory.limit_in_bytes -
   memory.usage_in_bytes). -1 if none of these could be read. */
int64_t rl_host_available_bytes(void);
/* The same from other files (tests): a meminfo, a /proc/self/cgroup and the cgroup mount (v1's
   memory hierarchy at cgroup_root/memory). */
int64_t rl_host_available_bytes_from(const char *meminfo, const char *proc_cgroup, const char *cgroup_root);

/* Allocations up to this size are not checked (reading the files would cost more than it saves). */
#define RL_HOST_CHECK_BYTES ((size_t)64 << 20)
/* 0 when bytes (over RL_HOST_CHECK_BYTES) is more than is available, which goes to *available
   (-1 when not looked up or unknown); 1 otherwise. */
int rl_host_fits(size_t bytes, int64_t *available);
#endif
