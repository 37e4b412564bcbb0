/* NVRTC through dlopen (nvrtc.h). No CUDA header: the handful of entry points robolua calls are
   declared here with NVRTC's C ABI (nvrtcResult is an int-sized enum, nvrtcProgram an opaque pointer). */
#define _GNU_SOURCE
#include "nvrtc.h"
#include "nvrtc_cache.h"
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int nvrtc_result; /* NVRTC_SUCCESS == 0 */
typedef struct nvrtc_program_ *nvrtc_program;

static struct {
  void *lib;
  char path[1024];
  int major, minor;
  long compiles;
  const char *(*error_string)(nvrtc_result);
  nvrtc_result (*version)(int *, int *);
  nvrtc_result (*create)(nvrtc_program *, const char *, const char *, int, const char *const *, const char *const *);
  nvrtc_result (*destroy)(nvrtc_program *);
  nvrtc_result (*compile)(nvrtc_program, int, const char *const *);
  nvrtc_result (*ptx_size)(nvrtc_program, size_t *);
  nvrtc_result (*ptx)(nvrtc_program, char *);
  nvrtc_result (*cubin_size)(nvrtc_program, size_t *);
  nvrtc_result (*cubin)(nvrtc_program, char *);
  nvrtc_result (*log_size)(nvrtc_program, size_t *);
  nvrtc_result (*log)(nvrtc_program, char *);
} nv;

const char *rl_nvrtc_path(void) { return nv.lib ? nv.path : ""; }
void rl_nvrtc_version(int *major, int *minor) { *major = nv.lib ? nv.major : 0, *minor = nv.lib ? nv.minor : 0; }
long rl_nvrtc_compile_count(void) { return nv.compiles; }

void rl_nvrtc_reset(void) {
  if (nv.lib) dlclose(nv.lib);
  long compiles = nv.compiles;
  memset(&nv, 0, sizeof nv);
  nv.compiles = compiles;
}

/* Binds every entry point from lib; NULL, or the name of the first one missing. */
static const char *bind_symbols(void *lib) {
  struct { void **slot; const char *name; } syms[] = {
      {(void **)&nv.error_string, "nvrtcGetErrorString"}, {(void **)&nv.version, "nvrtcVersion"},
      {(void **)&nv.create, "nvrtcCreateProgram"},        {(void **)&nv.destroy, "nvrtcDestroyProgram"},
      {(void **)&nv.compile, "nvrtcCompileProgram"},      {(void **)&nv.ptx_size, "nvrtcGetPTXSize"},
      {(void **)&nv.ptx, "nvrtcGetPTX"},                  {(void **)&nv.cubin_size, "nvrtcGetCUBINSize"},
      {(void **)&nv.cubin, "nvrtcGetCUBIN"},              {(void **)&nv.log_size, "nvrtcGetProgramLogSize"},
      {(void **)&nv.log, "nvrtcGetProgramLog"},
  };
  for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
    *syms[i].slot = dlsym(lib, syms[i].name); /* POSIX: a data pointer holds a function address */
    if (!*syms[i].slot) return syms[i].name;
  }
  return NULL;
}

/* Appends to a bounded message buffer. */
static void addf(char *buf, size_t len, const char *fmt, ...) {
  size_t used = strlen(buf);
  if (used + 1 >= len) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + used, len - used, fmt, ap);
  va_end(ap);
}

/* Tries one candidate; 0 if NVRTC is now loaded. A file that exists but fails to load, or lacks an
   entry point, is noted in tried. */
static int try_open(const char *candidate, int is_file, char *tried, size_t triedlen) {
  if (is_file && access(candidate, F_OK) != 0) return -1;
  void *lib = dlopen(candidate, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    if (is_file) addf(tried, triedlen, " [%s: %s]", candidate, dlerror());
    return -1;
  }
  const char *missing = bind_symbols(lib);
  if (missing) {
    addf(tried, triedlen, " [%s lacks %s]", candidate, missing);
    dlclose(lib); /* the slots bound so far are never called: nv.lib stays NULL */
    return -1;
  }
  nv.lib = lib;
  snprintf(nv.path, sizeof nv.path, "%s", candidate);
  Dl_info info; /* the file the loader picked, for a loader-path name */
  void *sym = dlsym(lib, "nvrtcVersion");
  if (!is_file && sym && dladdr(sym, &info) && info.dli_fname) snprintf(nv.path, sizeof nv.path, "%s", info.dli_fname);
  if (nv.version(&nv.major, &nv.minor) != 0) nv.major = nv.minor = 0;
  return 0;
}

static const char *const lib_names[] = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"};
#define NLIB_NAMES (sizeof lib_names / sizeof lib_names[0])

int rl_nvrtc_load(char *err, size_t errlen) {
  if (nv.lib) return 0;
  char looked[2048] = "", tried[2048] = "";
  const char *explicit_path = getenv("ROBOLUA_NVRTC");
  if (explicit_path && explicit_path[0]) {
    if (try_open(explicit_path, 1, tried, sizeof tried) == 0) return 0;
    if (!tried[0]) addf(tried, sizeof tried, " [%s: no such file]", explicit_path);
    snprintf(err, errlen, "NVRTC not found (set ROBOLUA_NVRTC or CUDA_HOME); looked in: ROBOLUA_NVRTC=%s;%s",
             explicit_path, tried);
    return -1;
  }
  char home_lib[1024] = "";
  const char *cuda_home = getenv("CUDA_HOME");
  if (cuda_home && cuda_home[0]) snprintf(home_lib, sizeof home_lib, "%s/lib64", cuda_home);
#if defined(__aarch64__)
  const char *target_dir = "/usr/local/cuda/targets/sbsa-linux/lib";
#else
  const char *target_dir = "/usr/local/cuda/targets/x86_64-linux/lib";
#endif
  const char *dirs[] = {home_lib, "/usr/local/cuda/lib64", target_dir};
  for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
    if (!dirs[d][0]) continue;
    addf(looked, sizeof looked, "%s%s", looked[0] ? ", " : "", dirs[d]);
    for (size_t k = 0; k < NLIB_NAMES; k++) {
      char path[1100];
      snprintf(path, sizeof path, "%s/%s", dirs[d], lib_names[k]);
      if (try_open(path, 1, tried, sizeof tried) == 0) return 0;
    }
  }
  for (size_t k = 0; k < NLIB_NAMES; k++)
    if (try_open(lib_names[k], 0, tried, sizeof tried) == 0) return 0;
  snprintf(err, errlen,
           "NVRTC not found (set ROBOLUA_NVRTC or CUDA_HOME); looked in: %s, and the loader's path "
           "(libnvrtc.so, libnvrtc.so.13, libnvrtc.so.12)%s",
           looked, tried);
  return -1;
}

static char *dup_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *s = malloc((size_t)n + 1);
  if (!s) return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

void rl_nvrtc_result_free(rl_nvrtc_result *r) {
  free(r->image);
  free(r->log);
  free(r->error);
  r->image = r->log = r->error = NULL;
}

const char *rl_nvrtc_cache_dir(char *err, size_t errlen) {
  static char dir[1024];
  return rl_cache_dir(dir, sizeof dir, err, errlen);
}

/* The options NVRTC gets: the architecture, line info for the profilers, the source's folder and the
   toolkit's include folder (next to the library: .../lib64 -> .../include) when it exists, then the
   user's. Returns the count; the strings live in store (freed by the caller). */
static int build_options(const rl_nvrtc_request *q, const char **opts, char **store, int max) {
  int n = 0;
  store[n] = dup_printf("-arch=%s", q->arch);
  opts[n] = store[n];
  n++;
  store[n] = NULL;
  opts[n++] = "-lineinfo";
  const char *slash = q->name ? strrchr(q->name, '/') : NULL;
  store[n] = slash ? dup_printf("-I%.*s", (int)(slash - q->name), q->name) : dup_printf("-I.");
  opts[n] = store[n];
  n++;
  char inc[1100];
  const char *lib_slash = strrchr(nv.path, '/');
  struct stat st;
  if (lib_slash) {
    snprintf(inc, sizeof inc, "%.*s/../include", (int)(lib_slash - nv.path), nv.path);
    char probe[1200];
    snprintf(probe, sizeof probe, "%s/cuda_runtime.h", inc);
    if (stat(probe, &st) == 0) {
      store[n] = dup_printf("-I%s", inc);
      opts[n] = store[n];
      n++;
    }
  }
  for (int i = 0; i < q->noptions && n < max; i++) {
    store[n] = NULL;
    opts[n++] = q->options[i];
  }
  return n;
}

static int fail(rl_nvrtc_result *out, char *msg) {
  out->error = msg ? msg : dup_printf("NVRTC: out of memory");
  return -1;
}

/* The compile itself (no cache). */
static int run_nvrtc(const rl_nvrtc_request *q, const char **opts, int nopts, rl_nvrtc_result *out) {
  char *src = malloc(q->source_len + 1); /* NVRTC wants a NUL-terminated string */
  if (!src) return fail(out, NULL);
  memcpy(src, q->source, q->source_len);
  src[q->source_len] = 0;
  const char *name = q->name ? q->name : "program.cu";
  nvrtc_program prog = NULL;
  nvrtc_result rc = nv.create(&prog, src, name, 0, NULL, NULL);
  free(src);
  if (rc != 0) return fail(out, dup_printf("%s: NVRTC could not create the program: %s", name, nv.error_string(rc)));
  nv.compiles++;
  rc = nv.compile(prog, nopts, opts);
  size_t log_size = 0;
  char *log = NULL;
  if (nv.log_size(prog, &log_size) == 0 && log_size > 1 && (log = malloc(log_size)) && nv.log(prog, log) != 0) {
    free(log);
    log = NULL;
  }
  if (rc != 0) {
    char *msg = dup_printf("%s: compile failed (%s, %s):\n%s", name, nv.error_string(rc), q->arch, log ? log : "(no log)");
    free(log);
    nv.destroy(&prog);
    return fail(out, msg);
  }
  size_t size = 0;
  rc = out->is_cubin ? nv.cubin_size(prog, &size) : nv.ptx_size(prog, &size);
  char *image = rc == 0 && size > 0 ? malloc(size) : NULL;
  if (image && (out->is_cubin ? nv.cubin(prog, image) : nv.ptx(prog, image)) != 0) {
    free(image);
    image = NULL;
  }
  nv.destroy(&prog);
  if (!image) {
    free(log);
    return fail(out, dup_printf("%s: NVRTC produced no %s for %s", name, out->is_cubin ? "CUBIN" : "PTX", q->arch));
  }
  out->image = image;
  out->size = size;
  out->log = log;
  return 0;
}

int rl_nvrtc_compile(const rl_nvrtc_request *q, rl_nvrtc_result *out) {
  memset(out, 0, sizeof *out);
  const char *name = q->name ? q->name : "program.cu";
  if (!q->arch || (strncmp(q->arch, "compute_", 8) != 0 && strncmp(q->arch, "sm_", 3) != 0))
    return fail(out, dup_printf("%s: arch must be compute_XX (PTX) or sm_XX (CUBIN), got '%s'", name, q->arch ? q->arch : "(none)"));
  for (int i = 0; i < q->noptions; i++)
    if (!q->options[i] || strncmp(q->options[i], "-arch", 5) == 0 || strncmp(q->options[i], "--gpu-architecture", 18) == 0)
      return fail(out, dup_printf("%s: options[%d]: give the architecture as arch=, not as an option", name, i + 1));
  char err[4096];
  if (rl_nvrtc_load(err, sizeof err) != 0) return fail(out, dup_printf("%s", err));
  out->is_cubin = q->arch[0] == 's';

  enum { MAX_OPTS = 256 };
  if (q->noptions > MAX_OPTS - 8) return fail(out, dup_printf("%s: more than %d options", name, MAX_OPTS - 8));
  const char *opts[MAX_OPTS];
  char *store[MAX_OPTS];
  int nopts = build_options(q, opts, store, MAX_OPTS);

  char key[33] = "", path[1024] = "";
  if (!q->no_cache) {
    rl_hasher h;
    rl_hash_init(&h);
    char ver[64];
    snprintf(ver, sizeof ver, "robolua-nvrtc-1 %d.%d %s", nv.major, nv.minor, out->is_cubin ? "cubin" : "ptx");
    rl_hash_string(&h, ver);
    rl_hash_string(&h, nv.path);
    rl_hash_string(&h, name);
    for (int i = 0; i < nopts; i++) rl_hash_string(&h, opts[i]);
    rl_hash_bytes(&h, q->source, q->source_len);
    rl_hash_local_includes(&h, q->source, q->source_len, name, q->options, q->noptions);
    rl_hash_hex(&h, key);
    char why[512];
    const char *dir = rl_nvrtc_cache_dir(why, sizeof why);
    if (dir[0]) snprintf(path, sizeof path, "%s/%s.%s", dir, key, out->is_cubin ? "cubin" : "ptx");
    if (path[0] && rl_cache_read(path, key, &out->image, &out->size) == 0) {
      out->cached = 1;
      snprintf(out->cache_path, sizeof out->cache_path, "%s", path);
    }
  }
  int rc = out->cached ? 0 : run_nvrtc(q, opts, nopts, out);
  for (int i = 0; i < nopts; i++) free(store[i]);
  if (rc != 0) return rc;
  if (!out->cached && path[0] && rl_cache_write(path, key, out->image, out->size) == 0)
    snprintf(out->cache_path, sizeof out->cache_path, "%s", path);
  return 0;
}
