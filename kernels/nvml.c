#define _GNU_SOURCE
#include "nvml.h"
#include <dlfcn.h>
#include <stddef.h>

/* NVML's documented ABI: clock type 0 graphics, 1 SM, 2 memory; 0 is NVML_SUCCESS. */
typedef void *nvml_device;
static int (*p_init)(void);
static int (*p_by_bus)(const char *, nvml_device *);
static int (*p_clock)(nvml_device, int, unsigned *);
static int (*p_max_clock)(nvml_device, int, unsigned *);
static int (*p_driver)(char *, unsigned);
static int state = 0; /* 0 untried, 1 ready, -1 unavailable */

static int nvml_ready(void) {
  if (state) return state > 0;
  state = -1;
  void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h) return 0;
  p_init = (int (*)(void))dlsym(h, "nvmlInit_v2");
  p_by_bus = (int (*)(const char *, nvml_device *))dlsym(h, "nvmlDeviceGetHandleByPciBusId_v2");
  p_clock = (int (*)(nvml_device, int, unsigned *))dlsym(h, "nvmlDeviceGetClockInfo");
  p_max_clock = (int (*)(nvml_device, int, unsigned *))dlsym(h, "nvmlDeviceGetMaxClockInfo");
  p_driver = (int (*)(char *, unsigned))dlsym(h, "nvmlSystemGetDriverVersion");
  if (!p_init || !p_by_bus || !p_clock || !p_max_clock || !p_driver || p_init() != 0) return 0;
  state = 1;
  return 1;
}

static int read_clock(const char *bus, int type, int max) {
  nvml_device d;
  unsigned v = 0;
  if (!nvml_ready() || p_by_bus(bus, &d) != 0) return -1;
  if ((max ? p_max_clock(d, type, &v) : p_clock(d, type, &v)) != 0) return -1;
  return (int)v;
}

int rl_nvml_clocks(const char *bus, int *sm_now, int *mem_now, int *sm_max, int *mem_max) {
  *sm_now = read_clock(bus, 1, 0);
  *mem_now = read_clock(bus, 2, 0);
  *sm_max = read_clock(bus, 1, 1);
  *mem_max = read_clock(bus, 2, 1);
  return nvml_ready() ? 0 : -1;
}

int rl_nvml_sm_clock(const char *bus) { return read_clock(bus, 1, 0); }

int rl_nvml_driver(char *buf, int len) {
  if (!nvml_ready() || p_driver(buf, (unsigned)len) != 0) {
    if (len > 0) buf[0] = 0;
    return -1;
  }
  return 0;
}
