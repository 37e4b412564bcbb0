#define _DEFAULT_SOURCE
#include "hostmem.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The first number in dir/name; 0 if the file is missing or holds no number (cgroup v2's "max"). */
static int read_number(const char *dir, const char *name, int64_t *v) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int ok = fscanf(f, "%" SCNd64, v) == 1;
  fclose(f);
  return ok;
}

static void take_least(int64_t *best, int64_t v) {
  if (v < 0) v = 0;
  if (*best < 0 || v < *best) *best = v;
}

/* What the limits of the cgroup at root + rel and of each level above it leave (limit - usage). */
static void cgroup_left(const char *root, const char *rel, const char *limit_name, const char *usage_name,
                        int64_t *best) {
  char dir[4096];
  size_t root_len = strlen(root);
  snprintf(dir, sizeof dir, "%s%s", root, strcmp(rel, "/") == 0 ? "" : rel);
  for (;;) {
    int64_t limit, usage;
    if (read_number(dir, limit_name, &limit) && read_number(dir, usage_name, &usage)) take_least(best, limit - usage);
    char *slash = strlen(dir) > root_len ? strrchr(dir + root_len, '/') : NULL;
    if (!slash) break;
    *slash = '\0';
  }
}

/* The cgroups listed in proc_cgroup ("0::/path" for v2, "N:a,memory,b:/path" for v1), under root. */
static void cgroups_left(const char *proc_cgroup, const char *root, int64_t *best) {
  char v1_root[4096];
  snprintf(v1_root, sizeof v1_root, "%s/memory", root);
  FILE *f = fopen(proc_cgroup, "r");
  if (!f) {
    cgroup_left(root, "/", "memory.max", "memory.current", best);
    return;
  }
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = '\0';
    const char *controllers = c1 + 1, *path = c2 + 1;
    if (*path != '/') continue;
    if (*controllers == '\0') {
      cgroup_left(root, path, "memory.max", "memory.current", best);
    } else {
      char list[4096];
      snprintf(list, sizeof list, ",%s,", controllers);
      if (strstr(list, ",memory,")) cgroup_left(v1_root, path, "memory.limit_in_bytes", "memory.usage_in_bytes", best);
    }
  }
  fclose(f);
}

int64_t rl_host_available_bytes_from(const char *meminfo, const char *proc_cgroup, const char *cgroup_root) {
  int64_t best = -1;
  FILE *f = fopen(meminfo, "r");
  if (f) {
    char line[256];
    int64_t kb;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "MemAvailable: %" SCNd64, &kb) == 1) {
        take_least(&best, kb > INT64_MAX / 1024 ? INT64_MAX : kb * 1024);
        break;
      }
    fclose(f);
  }
  cgroups_left(proc_cgroup, cgroup_root, &best);
  return best;
}

int64_t rl_host_available_bytes(void) {
  return rl_host_available_bytes_from("/proc/meminfo", "/proc/self/cgroup", "/sys/fs/cgroup");
}

int rl_host_fits(size_t bytes, int64_t *available) {
  *available = -1;
  if (bytes <= RL_HOST_CHECK_BYTES) return 1;
  *available = rl_host_available_bytes();
  return *available < 0 || (uint64_t)bytes <= (uint64_t)*available;
}
