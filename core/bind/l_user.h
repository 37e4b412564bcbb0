/* Shared by the bindings of user kernels and libraries (l_nvrtc.c, l_user.c, l_launch.c, l_userlib.c). */
#ifndef ROBOLUA_L_USER_H
#define ROBOLUA_L_USER_H
#include "bind.h"
#include "signature.h"
#include <stddef.h>

#define RL_MODULE_MT "robolua.cuda_module"
#define RL_KERNEL_MT "robolua.cuda_kernel"

/* A kernel of a loaded module with its declared signature (the module is its user value 1). */
typedef struct {
  void *kernel; /* cudaKernel_t */
  rl_signature sig;
  char name[128];  /* the entry point */
  char label[256]; /* the module's label: the file it came from */
} rl_kernel_ud;

/* Pushes the file's bytes as a string; a Lua error "what: cannot read 'path': reason". */
void rl_push_file_contents(lua_State *L, const char *what, const char *path);
/* The current device's architecture ("compute_90", or "sm_90" if cubin), compute_90 without a GPU. */
void rl_default_arch(char *buf, size_t len, int cubin);
/* Compiles per the table at idx (source|code, name, options, arch, cache): pushes image and info. */
int rl_compile_from_table(lua_State *L, int idx, const char *fname, const char *arch_default);
/* Raises "prefix: <rl_cuda_last_error()>", noting a CUDA context the failure lost. */
int rl_raise_cuda(lua_State *L, const char *prefix);

void rl_open_nvrtc(lua_State *L);   /* compile, nvrtc, signature into the cuda table on top */
void rl_open_launch(lua_State *L);  /* launch, time_launch into the user table on top */
void rl_open_userlib(lua_State *L); /* load_library, cpu_resample, cpu_bench into the user table on top */
#endif
