// User modules and kernels through the runtime API (static cudart): PTX / CUBIN / FATBIN images loaded
// with cudaLibraryLoadData, entry points found with cudaLibraryGetKernel, launched with cudaLaunchKernel
// (a cudaKernel_t passes as the function pointer) from a marshalled parameter array. Launch
// configurations are checked against the device's and the kernel's limits first, so a bad one is a
// message naming the field, not a launch error. A fault inside a user kernel is sticky: the context is
// lost, rl_cuda_context_status says so, and the engine reports later CUDA work as not run.
#include "cuda_check.h"
#include "rl_cuda.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

struct rl_cuda_module {
  cudaLibrary_t lib;
  char *image; // kept while the library lives: with lazy loading the driver may read it at a later launch
  char label[256];
};

static char lost_message[512]; // set once the context is known to be lost

// Errors that corrupt the context: every later call in this process fails with them.
static bool is_sticky(cudaError_t e) {
  switch (e) {
  case cudaErrorIllegalAddress: case cudaErrorLaunchFailure: case cudaErrorHardwareStackError:
  case cudaErrorIllegalInstruction: case cudaErrorMisalignedAddress: case cudaErrorInvalidAddressSpace:
  case cudaErrorInvalidPc: case cudaErrorLaunchTimeout: case cudaErrorAssert: case cudaErrorECCUncorrectable:
  case cudaErrorContextIsDestroyed:
    return true;
  default:
    return false;
  }
}

static void note_lost(cudaError_t e) {
  if (!lost_message[0])
    snprintf(lost_message, sizeof lost_message, "the CUDA context was lost: %s: %s", cudaGetErrorName(e),
             cudaGetErrorString(e));
}

// "what: cudaErrorX: text", noting a lost context.
static int fail(const char *what, cudaError_t e) {
  char msg[640];
  if (is_sticky(e)) note_lost(e);
  snprintf(msg, sizeof msg, "%s: %s: %s%s", what, cudaGetErrorName(e), cudaGetErrorString(e),
           is_sticky(e) ? " (the CUDA context is lost: every later CUDA call in this process fails)" : "");
  (void)cudaGetLastError(); // a non-sticky error must not surface again at the next call
  rl_cuda_set_message(msg);
  return -1;
}

extern "C" int rl_cuda_context_status(void) {
  if (lost_message[0]) {
    rl_cuda_set_message(lost_message);
    return -1;
  }
  if (!rl_cuda_context_made()) return 0; // no context, nothing to lose
  (void)cudaGetLastError();               // clears a non-sticky error; a sticky one stays
  cudaError_t e = cudaStreamQuery(rl_cuda_stream());
  if (e == cudaSuccess || e == cudaErrorNotReady) return 0;
  if (!is_sticky(e)) { // unexpected: ask once more, after clearing
    (void)cudaGetLastError();
    e = cudaStreamQuery(rl_cuda_stream());
    if (e == cudaSuccess || e == cudaErrorNotReady) return 0;
  }
  note_lost(e);
  rl_cuda_set_message(lost_message);
  return -1;
}

extern "C" int rl_cuda_device_numbers(int *cc_major, int *cc_minor, int *sm_count) {
  int dev = 0;
  RL_CU(cudaGetDevice(&dev));
  RL_CU(cudaDeviceGetAttribute(cc_major, cudaDevAttrComputeCapabilityMajor, dev));
  RL_CU(cudaDeviceGetAttribute(cc_minor, cudaDevAttrComputeCapabilityMinor, dev));
  RL_CU(cudaDeviceGetAttribute(sm_count, cudaDevAttrMultiProcessorCount, dev));
  return 0;
}

extern "C" int rl_cuda_module_load(const void *image, size_t size, const char *label, rl_cuda_module **out) {
  *out = nullptr;
  if (!image || size == 0) { rl_cuda_set_message("module: the image is empty"); return -1; }
  // With lazy loading the driver accepts any bytes here and fails only at the first kernel lookup, so
  // the image is recognised first: an ELF (CUBIN), a fat binary, or PTX text (.version and .target).
  const unsigned char *b = (const unsigned char *)image;
  const bool elf = size >= 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
  const bool fatbin = size >= 4 && b[0] == 0x50 && b[1] == 0xed && b[2] == 0x55 && b[3] == 0xba;
  bool ptx = false;
  if (!elf && !fatbin) {
    std::string text((const char *)image, size < 65536 ? size : 65536);
    ptx = text.find(".version") != std::string::npos && text.find(".target") != std::string::npos;
  }
  if (!elf && !fatbin && !ptx) {
    char msg[400];
    snprintf(msg, sizeof msg, "module %s: cannot load: not PTX (no .version/.target), not a CUBIN (ELF) and not a FATBIN",
             label ? label : "module");
    rl_cuda_set_message(msg);
    return -1;
  }
  rl_cuda_module *m = new (std::nothrow) rl_cuda_module();
  if (!m) { rl_cuda_set_message("module: out of memory"); return -1; }
  snprintf(m->label, sizeof m->label, "%s", label ? label : "module");
  // PTX must be NUL-terminated; CUBIN and FATBIN carry their own sizes. A copy with a NUL covers both.
  char *copy = (char *)malloc(size + 1);
  if (!copy) { delete m; rl_cuda_set_message("module: out of memory"); return -1; }
  memcpy(copy, image, size);
  copy[size] = 0;
  m->image = copy;
  cudaError_t e = cudaLibraryLoadData(&m->lib, copy, nullptr, nullptr, 0, nullptr, nullptr, 0);
  if (e != cudaSuccess) {
    char what[320];
    snprintf(what, sizeof what, "module %s: cannot load", m->label);
    free(copy);
    delete m;
    return fail(what, e);
  }
  *out = m;
  return 0;
}

extern "C" void rl_cuda_module_unload(rl_cuda_module *m) {
  if (!m) return;
  if (!lost_message[0]) (void)cudaLibraryUnload(m->lib); // after a fault there is nothing left to free
  (void)cudaGetLastError();
  free(m->image);
  delete m;
}

// The kernels a module has, for a message: names containing `want` (mangled C++ names) first.
static std::string list_kernels(cudaLibrary_t lib, const char *want, bool *mangled) {
  *mangled = false;
  unsigned n = 0;
  if (cudaLibraryGetKernelCount(&n, lib) != cudaSuccess || n == 0) { (void)cudaGetLastError(); return ""; }
  if (n > 64) n = 64;
  cudaKernel_t ks[64];
  if (cudaLibraryEnumerateKernels(ks, n, lib) != cudaSuccess) { (void)cudaGetLastError(); return ""; }
  std::string out;
  for (unsigned i = 0; i < n; i++) {
    const char *name = nullptr;
    if (cudaFuncGetName(&name, (const void *)ks[i]) != cudaSuccess || !name) { (void)cudaGetLastError(); continue; }
    if (strstr(name, want)) *mangled = true;
    if (i < 12) out += (out.empty() ? "" : ", ") + std::string(name);
  }
  return out;
}

extern "C" int rl_cuda_module_kernel(rl_cuda_module *m, const char *name, void **kernel) {
  *kernel = nullptr;
  cudaKernel_t k = nullptr;
  cudaError_t e = cudaLibraryGetKernel(&k, m->lib, name);
  if (e == cudaSuccess && k) {
    *kernel = (void *)k;
    return 0;
  }
  (void)cudaGetLastError();
  if (is_sticky(e)) return fail("cudaLibraryGetKernel", e);
  bool mangled = false;
  std::string have = list_kernels(m->lib, name, &mangled);
  char msg[1024];
  snprintf(msg, sizeof msg, "module %s: no kernel named '%s' (entry points must be extern \"C\")%s%s%s", m->label,
           name, have.empty() ? "" : mangled ? "; it has a C++-mangled one: " : "; it has: ", have.c_str(),
           mangled ? " (declare the kernel extern \"C\")" : "");
  rl_cuda_set_message(msg);
  return -1;
}

extern "C" int rl_cuda_kernel_params(const void *kernel, size_t *sizes, int max) {
  int n = 0;
  for (; n < max; n++) {
    size_t offset = 0, size = 0;
    cudaError_t e = cudaFuncGetParamInfo(kernel, (size_t)n, &offset, &size);
    if (e == cudaErrorInvalidValue) break; // past the last parameter
    if (e != cudaSuccess) {                // not supported here: the layout is unknown
      (void)cudaGetLastError();
      return -1;
    }
    sizes[n] = size;
  }
  (void)cudaGetLastError();
  return n;
}

static int check_dim(const char *field, int i, unsigned v, int limit) {
  if (v >= 1 && (long long)v <= limit) return 0;
  char msg[160];
  if (v < 1) snprintf(msg, sizeof msg, "launch.%s[%d]: must be at least 1", field, i + 1);
  else snprintf(msg, sizeof msg, "launch.%s[%d]: %u exceeds the device limit of %d", field, i + 1, v, limit);
  rl_cuda_set_message(msg);
  return -1;
}

extern "C" int rl_cuda_launch_check(const void *kernel, const rl_launch_cfg *c) {
  int dev = 0, block_max = 0, smem_optin = 0, bd[3], gd[3];
  RL_CU(cudaGetDevice(&dev));
  const cudaDeviceAttr battr[3] = {cudaDevAttrMaxBlockDimX, cudaDevAttrMaxBlockDimY, cudaDevAttrMaxBlockDimZ};
  const cudaDeviceAttr gattr[3] = {cudaDevAttrMaxGridDimX, cudaDevAttrMaxGridDimY, cudaDevAttrMaxGridDimZ};
  for (int i = 0; i < 3; i++) {
    RL_CU(cudaDeviceGetAttribute(&bd[i], battr[i], dev));
    RL_CU(cudaDeviceGetAttribute(&gd[i], gattr[i], dev));
  }
  RL_CU(cudaDeviceGetAttribute(&block_max, cudaDevAttrMaxThreadsPerBlock, dev));
  RL_CU(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  char msg[256];
  const unsigned long long threads = (unsigned long long)c->block[0] * c->block[1] * c->block[2];
  if (threads > (unsigned long long)block_max) {
    snprintf(msg, sizeof msg, "launch.block: %llu threads exceed the device limit of %d", threads, block_max);
    rl_cuda_set_message(msg);
    return -1;
  }
  for (int i = 0; i < 3; i++) {
    if (check_dim("grid", i, c->grid[i], gd[i]) != 0) return -1;
    if (check_dim("block", i, c->block[i], bd[i]) != 0) return -1;
  }
  cudaFuncAttributes fa;
  cudaError_t e = cudaFuncGetAttributes(&fa, kernel);
  if (e != cudaSuccess) return fail("launch: cannot read the kernel's attributes", e);
  if (threads > (unsigned long long)fa.maxThreadsPerBlock) {
    snprintf(msg, sizeof msg, "launch.block: %llu threads exceed this kernel's limit of %d (it uses %d registers per thread)",
             threads, fa.maxThreadsPerBlock, fa.numRegs);
    rl_cuda_set_message(msg);
    return -1;
  }
  const size_t dyn_max = smem_optin > (int)fa.sharedSizeBytes ? (size_t)smem_optin - fa.sharedSizeBytes : 0;
  if (c->shared > dyn_max) {
    snprintf(msg, sizeof msg, "launch.shared: %zu bytes exceed the device limit of %zu bytes of dynamic shared memory "
             "per block (%d in all, %zu taken by the kernel's static shared memory)", c->shared, dyn_max, smem_optin,
             fa.sharedSizeBytes);
    rl_cuda_set_message(msg);
    return -1;
  }
  if (c->shared > (size_t)fa.maxDynamicSharedSizeBytes) { // above the default 48 KiB: opt in, as nvcc users must
    e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)c->shared);
    if (e != cudaSuccess) return fail("launch.shared: cannot raise the kernel's dynamic shared memory limit", e);
  }
  return 0;
}

int rl_cuda_launch_on(const void *kernel, const rl_launch_cfg *c, void **params, cudaStream_t s) {
  cudaError_t e = cudaLaunchKernel(kernel, dim3(c->grid[0], c->grid[1], c->grid[2]),
                                   dim3(c->block[0], c->block[1], c->block[2]), params, c->shared, s);
  if (e != cudaSuccess) return fail("launch failed", e);
  return 0;
}

extern "C" int rl_cuda_launch(const void *kernel, const rl_launch_cfg *c, void **params) {
  if (rl_cuda_launch_check(kernel, c) != 0) return -1;
  cudaStream_t s = rl_cuda_stream();
  if (rl_cuda_launch_on(kernel, c, params, s) != 0) return -1;
  cudaError_t e = cudaStreamSynchronize(s);
  if (e != cudaSuccess) return fail("kernel failed", e);
  return 0;
}
