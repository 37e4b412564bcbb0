#define _GNU_SOURCE
#include "env.h"
#include "cpu_bench.h"
#include "threadpool.h"
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static void cpu_model(char *out, size_t n) {
  snprintf(out, n, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) == 0) {
      char *colon = strchr(line, ':');
      if (colon) {
        colon++;
        while (*colon == ' ' || *colon == '\t') colon++;
        colon[strcspn(colon, "\n")] = 0;
        snprintf(out, n, "%s", colon);
      }
      break;
    }
  }
  fclose(f);
}

void rl_env_capture(rl_env *e) {
  memset(e, 0, sizeof *e);
  cpu_model(e->cpu_model, sizeof e->cpu_model);
  e->logical_cpus = rl_cpu_count();
  long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
  e->mem_total_bytes = pages > 0 && psize > 0 ? (long long)pages * psize : -1;
  e->llc_bytes = (long long)rl_cpu_llc_bytes();
  struct utsname u;
  if (uname(&u) == 0)
    snprintf(e->os, sizeof e->os, "%s %s %s", u.sysname, u.release, u.machine);
  if (gethostname(e->hostname, sizeof e->hostname - 1) != 0) snprintf(e->hostname, sizeof e->hostname, "unknown");
}
