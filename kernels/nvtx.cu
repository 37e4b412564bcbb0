// NVTX ranges (header-only NVTX3 from the CUDA toolkit: no library to link; a no-op unless a tool
// such as Nsight Systems injects itself).
#include "rl_cuda.h"
#if __has_include(<nvtx3/nvToolsExt.h>)
#include <nvtx3/nvToolsExt.h>
extern "C" void rl_nvtx_push(const char *name) { nvtxRangePushA(name); }
extern "C" void rl_nvtx_pop(void) { nvtxRangePop(); }
extern "C" int rl_nvtx_available(void) { return 1; }
#else
extern "C" void rl_nvtx_push(const char *) {}
extern "C" void rl_nvtx_pop(void) {}
extern "C" int rl_nvtx_available(void) { return 0; }
#endif
