/* C unit test of rl_host_available_bytes_from on made-up /proc and cgroup trees (the least of
   MemAvailable and every cgroup level's limit - usage, v1 and v2), and of rl_host_fits on this machine. */
#define _DEFAULT_SOURCE
#include "hostmem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char root[256];

static void put(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  for (char *p = path + strlen(root) + 1; *p; p++) /* mkdir -p of the parents */
    if (*p == '/') { *p = '\0'; mkdir(path, 0700); *p = '/'; }
  FILE *f = fopen(path, "w");
  if (!f) { printf("cannot write %s\n", path); exit(1); }
  fputs(text, f);
  fclose(f);
}

static int64_t avail(void) {
  char m[300], c[300], g[300];
  snprintf(m, sizeof m, "%s/meminfo", root);
  snprintf(c, sizeof c, "%s/cgroup", root);
  snprintf(g, sizeof g, "%s/sys", root);
  return rl_host_available_bytes_from(m, c, g);
}

int main(void) {
  snprintf(root, sizeof root, "%s/rl_hostmem_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }

  CHECK(avail() == -1, "nothing readable: -1, got %lld", (long long)avail());
  put("meminfo", "MemTotal:       24684084 kB\nMemFree:         1000 kB\nMemAvailable:    2000 kB\n");
  CHECK(avail() == 2000 * 1024, "MemAvailable alone, got %lld", (long long)avail());

  /* v2: /a/b in a cgroup whose parent /a is limited; b itself has no limit ("max") */
  put("cgroup", "0::/a/b\n");
  put("sys/a/memory.max", "1500000\n");
  put("sys/a/memory.current", "500000\n");
  put("sys/a/b/memory.max", "max\n");
  put("sys/a/b/memory.current", "400000\n");
  CHECK(avail() == 1000000, "v2 parent limit - usage, got %lld", (long long)avail());
  put("sys/a/b/memory.max", "600000\n");
  CHECK(avail() == 200000, "v2 own limit when tighter, got %lld", (long long)avail());
  put("sys/a/b/memory.current", "700000\n");
  CHECK(avail() == 0, "usage above the limit: 0, got %lld", (long long)avail());
  put("sys/memory.max", "100\n");
  put("sys/memory.current", "0\n");
  CHECK(avail() == 0, "still 0 with a root limit, got %lld", (long long)avail());

  /* v1: the memory controller's hierarchy; other controllers' lines are ignored; unlimited is huge */
  put("cgroup", "4:memory:/x\n3:cpu,cpuacct:/y\n0::/\n");
  put("sys/memory.max", "max\n");
  put("sys/memory/x/memory.limit_in_bytes", "9223372036854771712\n");
  put("sys/memory/x/memory.usage_in_bytes", "1000\n");
  CHECK(avail() == 2000 * 1024, "v1 unlimited: MemAvailable, got %lld", (long long)avail());
  put("sys/memory/x/memory.limit_in_bytes", "301000\n");
  CHECK(avail() == 300000, "v1 limit - usage, got %lld", (long long)avail());
  put("cgroup", "4:cpuset,memory:/x\n");
  CHECK(avail() == 300000, "memory among several v1 controllers, got %lld", (long long)avail());

  /* this machine: a number, and small requests are never looked up */
  int64_t here = rl_host_available_bytes(), a;
  CHECK(here > 0, "this machine's available memory, got %lld", (long long)here);
  CHECK(rl_host_fits(1 << 20, &a) == 1 && a == -1, "1 MiB is not checked");
  CHECK(rl_host_fits((size_t)1 << 62, &a) == 0 && a > 0, "4 EiB does not fit (available %lld)", (long long)a);

  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd) != 0) printf("note: could not remove %s\n", root);
  return check_summary();
}
