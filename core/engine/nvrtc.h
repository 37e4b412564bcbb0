/* NVRTC, the CUDA runtime compiler, loaded at run time (dlopen): CUDA C++ source -> PTX (for a virtual
   architecture, compute_XX: needs no GPU) or CUBIN (for a real one, sm_XX). The binary starts and runs
   everything else where NVRTC is absent; only compile requests fail then.
   Where it is looked for: $ROBOLUA_NVRTC (a file; if set, nowhere else), $CUDA_HOME/lib64,
   /usr/local/cuda/lib64, /usr/local/cuda/targets/<arch>-linux/lib, then the dynamic loader's path
   (libnvrtc.so, libnvrtc.so.13, libnvrtc.so.12).
   Compiled images are cached by content (nvrtc_cache.c): $ROBOLUA_CACHE/nvrtc, else
   ${XDG_CACHE_HOME:-~/.cache}/robolua/nvrtc. A cache that can't be written is skipped, never an error. */
#ifndef ROBOLUA_NVRTC_H
#define ROBOLUA_NVRTC_H
#include <stddef.h>

typedef struct {
  const char *source; /* the CUDA C++ text */
  size_t source_len;
  const char *name;   /* the file name NVRTC's log uses ("kernels/x.cu(12): error ..."); its folder is
                         added to the include path */
  const char *const *options; /* extra NVRTC options ("-DROWS=4"); not the architecture */
  int noptions;
  const char *arch;   /* "compute_90" -> PTX, "sm_90" (or "sm_90a") -> CUBIN */
  int no_cache;       /* 1: neither read nor write the cache */
} rl_nvrtc_request;

typedef struct {
  char *image;        /* PTX text (NUL-terminated, size counts the NUL) or CUBIN bytes; malloc'ed */
  size_t size;
  int is_cubin;
  char *log;          /* NVRTC's log of a successful compile (warnings), or NULL; malloc'ed */
  int cached;         /* 1: read from the cache, NVRTC was not called */
  char cache_path[1024]; /* the cache file read or written, "" if none */
  char *error;        /* on failure: the message (with NVRTC's log); malloc'ed */
} rl_nvrtc_result;

/* Loads NVRTC if not loaded yet. 0, or -1 with the reason in err. */
int rl_nvrtc_load(char *err, size_t errlen);
/* The loaded library's path and version ("" and 0.0 before a successful load). */
const char *rl_nvrtc_path(void);
void rl_nvrtc_version(int *major, int *minor);
/* How many times NVRTC actually compiled (cache hits don't count): tests check the cache with it. */
long rl_nvrtc_compile_count(void);
/* Forgets the loaded library (dlclose), so the next call searches again: for tests. */
void rl_nvrtc_reset(void);

/* Compiles (or finds in the cache). Returns 0, or -1 with out->error set. Always free with
   rl_nvrtc_result_free. */
int rl_nvrtc_compile(const rl_nvrtc_request *req, rl_nvrtc_result *out);
void rl_nvrtc_result_free(rl_nvrtc_result *r);

/* The cache folder ("" if none can be made) and, if none, why in err. */
const char *rl_nvrtc_cache_dir(char *err, size_t errlen);
#endif
