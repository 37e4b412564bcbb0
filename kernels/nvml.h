/* The few NVML calls robolua makes (clocks), loaded at run time from the driver's libnvidia-ml.so.1 so
   that the binary needs no NVML at link time and runs where there is none. */
#ifndef ROBOLUA_NVML_H
#define ROBOLUA_NVML_H
#ifdef __cplusplus
extern "C" {
#endif
/* 0 on success; clocks in MHz, -1 where unknown. */
int rl_nvml_clocks(const char *pci_bus_id, int *sm_now, int *mem_now, int *sm_max, int *mem_max);
int rl_nvml_sm_clock(const char *pci_bus_id);
int rl_nvml_driver(char *buf, int len);
#ifdef __cplusplus
}
#endif
#endif
