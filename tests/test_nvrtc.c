/* C unit tests of NVRTC loading, compiling and caching (core/engine/nvrtc.c, nvrtc_cache.c): no GPU
   needed. A missing NVRTC is a clear error; compiling to PTX works; a compile error carries the file
   name, line and NVRTC's log; the second identical compile comes from the cache (NVRTC not called),
   and editing the source, an option or a locally included header recompiles; an unwritable or damaged
   cache never fails a compile. Exits 77 (skipped) where no NVRTC is installed. */
#define _POSIX_C_SOURCE 200809L
#include "nvrtc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static const char *saxpy =
    "extern \"C\" __global__ void saxpy(float *y, const float *x, float a, int n) {\n"
    "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "  if (i < n) y[i] = a * x[i] + y[i];\n"
    "}\n";

static int compile(const char *src, const char *name, const char *const *opts, int nopts, const char *arch,
                   rl_nvrtc_result *r) {
  rl_nvrtc_request q = {src, strlen(src), name, opts, nopts, arch, 0};
  return rl_nvrtc_compile(&q, r);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f) { fputs(text, f); fclose(f); }
}

int main(void) {
  char err[4096];
  rl_nvrtc_result r;

  /* 1. an explicit path that does not exist: a clear error, nothing else is tried */
  setenv("ROBOLUA_NVRTC", "/nonexistent/libnvrtc.so", 1);
  CHECK(rl_nvrtc_load(err, sizeof err) != 0, "load should fail");
  CHECK(strstr(err, "NVRTC not found (set ROBOLUA_NVRTC or CUDA_HOME); looked in: ROBOLUA_NVRTC=/nonexistent/libnvrtc.so"),
        "message: %s", err);
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "compute_90", &r) != 0 && strstr(r.error, "NVRTC not found"),
        "compile without NVRTC: %s", r.error ? r.error : "(succeeded)");
  rl_nvrtc_result_free(&r);
  unsetenv("ROBOLUA_NVRTC");
  rl_nvrtc_reset();
  if (rl_nvrtc_load(err, sizeof err) != 0) {
    printf("SKIP  no NVRTC here: %s\n", err);
    return 77;
  }
  int major, minor;
  rl_nvrtc_version(&major, &minor);
  printf("NVRTC %d.%d at %s\n", major, minor, rl_nvrtc_path());

  char tmpl[] = "/tmp/robolua-nvrtc-test-XXXXXX";
  char *dir = mkdtemp(tmpl);
  if (!dir) { printf("FAIL mkdtemp\n"); return 1; }
  char cache[512];
  snprintf(cache, sizeof cache, "%s/cache", dir);
  setenv("ROBOLUA_CACHE", cache, 1);

  /* 2. source -> PTX, written to the cache */
  long n0 = rl_nvrtc_compile_count();
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "compute_90", &r) == 0, "compile: %s", r.error ? r.error : "");
  CHECK(r.image && strstr(r.image, ".entry saxpy") && r.image[r.size - 1] == 0, "PTX with the entry");
  CHECK(!r.cached && r.cache_path[0] && access(r.cache_path, R_OK) == 0, "cache file written: '%s'", r.cache_path);
  CHECK(rl_nvrtc_compile_count() == n0 + 1, "one compile");
  char *first = r.image ? strdup(r.image) : NULL;
  rl_nvrtc_result_free(&r);

  /* 3. the same request again: from the cache, NVRTC not called, the same bytes */
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "compute_90", &r) == 0 && r.cached, "second compile is a cache hit");
  CHECK(rl_nvrtc_compile_count() == n0 + 1, "no NVRTC call on a hit");
  CHECK(first && r.image && strcmp(first, r.image) == 0, "same PTX");
  free(first);
  rl_nvrtc_result_free(&r);

  /* 4. another option or architecture: compiled again */
  const char *opt[] = {"-DSCALE=2"};
  CHECK(compile(saxpy, "saxpy.cu", opt, 1, "compute_90", &r) == 0 && !r.cached, "an option changes the key");
  rl_nvrtc_result_free(&r);
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "compute_80", &r) == 0 && !r.cached, "the arch changes the key");
  rl_nvrtc_result_free(&r);
  CHECK(rl_nvrtc_compile_count() == n0 + 3, "three compiles so far");

  /* 5. a locally included header is part of the key */
  char src_path[600], hdr_path[600];
  snprintf(src_path, sizeof src_path, "%s/k.cu", dir);
  snprintf(hdr_path, sizeof hdr_path, "%s/scale.h", dir);
  write_text(hdr_path, "#define SCALE 2.0f\n");
  const char *inc_src = "#include \"scale.h\"\nextern \"C\" __global__ void k(float *p) { p[0] = SCALE; }\n";
  CHECK(compile(inc_src, src_path, NULL, 0, "compute_90", &r) == 0 && !r.cached, "with a header: %s", r.error ? r.error : "");
  char *with2 = r.image ? strdup(r.image) : NULL;
  rl_nvrtc_result_free(&r);
  CHECK(compile(inc_src, src_path, NULL, 0, "compute_90", &r) == 0 && r.cached, "with a header, again: cached");
  rl_nvrtc_result_free(&r);
  write_text(hdr_path, "#define SCALE 3.0f\n");
  CHECK(compile(inc_src, src_path, NULL, 0, "compute_90", &r) == 0 && !r.cached, "edited header: recompiled");
  CHECK(r.image && with2 && strcmp(r.image, with2) != 0, "the new constant changed the PTX");
  free(with2);
  rl_nvrtc_result_free(&r);

  /* 6. a compile error: file name, line and NVRTC's log */
  const char *bad = "extern \"C\" __global__ void k(float *p) {\n  p[0] = undefined_thing;\n}\n";
  CHECK(compile(bad, "kernels/bad.cu", NULL, 0, "compute_90", &r) != 0, "bad source fails");
  CHECK(r.error && strstr(r.error, "kernels/bad.cu(2): error") && strstr(r.error, "undefined_thing"),
        "log with file(line): %s", r.error ? r.error : "");
  rl_nvrtc_result_free(&r);

  /* 7. user options reach NVRTC; an -arch option is refused (arch= sets it) */
  const char *bug_src = "#ifdef BUG\n#error BUG was defined\n#endif\nextern \"C\" __global__ void k() {}\n";
  const char *bug_opt[] = {"-DBUG"};
  CHECK(compile(bug_src, "bug.cu", bug_opt, 1, "compute_90", &r) != 0 && strstr(r.error, "BUG was defined"),
        "-DBUG reached NVRTC");
  rl_nvrtc_result_free(&r);
  const char *arch_opt[] = {"-arch=sm_80"};
  CHECK(compile(saxpy, "saxpy.cu", arch_opt, 1, "compute_90", &r) != 0 && strstr(r.error, "options[1]"),
        "-arch in options refused");
  rl_nvrtc_result_free(&r);
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "gfx90a", &r) != 0 && strstr(r.error, "compute_XX"), "bad arch refused");
  rl_nvrtc_result_free(&r);

  /* 8. CUBIN for a real architecture: an ELF image */
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "sm_90", &r) == 0 && r.is_cubin && r.size > 4 &&
            memcmp(r.image, "\x7f" "ELF", 4) == 0, "CUBIN: %s", r.error ? r.error : "");
  rl_nvrtc_result_free(&r);

  /* 9. a damaged cache entry is a miss, and is replaced */
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "compute_90", &r) == 0 && r.cached, "cached before damage");
  char entry[1024];
  snprintf(entry, sizeof entry, "%s", r.cache_path);
  rl_nvrtc_result_free(&r);
  FILE *f = fopen(entry, "r+");
  if (f) { fseek(f, 60, SEEK_SET); fputs("garbage", f); fclose(f); }
  truncate(entry, 100);
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "compute_90", &r) == 0 && !r.cached && strstr(r.image, ".entry saxpy"),
        "damaged entry recompiled");
  rl_nvrtc_result_free(&r);
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "compute_90", &r) == 0 && r.cached, "and rewritten");
  rl_nvrtc_result_free(&r);

  /* 10. a cache folder that can't be made: compiles anyway, uncached */
  snprintf(cache, sizeof cache, "%s/file", dir);
  write_text(cache, "not a folder");
  setenv("ROBOLUA_CACHE", cache, 1);
  long before = rl_nvrtc_compile_count();
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "compute_90", &r) == 0 && !r.cached && r.cache_path[0] == 0,
        "no cache: still compiles (%s)", r.error ? r.error : "");
  rl_nvrtc_result_free(&r);
  CHECK(compile(saxpy, "saxpy.cu", NULL, 0, "compute_90", &r) == 0 && !r.cached, "no cache: compiles again");
  rl_nvrtc_result_free(&r);
  CHECK(rl_nvrtc_compile_count() == before + 2, "both compiled");

  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
  return check_summary();
}
