/* nvrtc_cache.h: content keys, local-include discovery, the cache folder and its entry files.
   An entry file: the 8-byte magic, the 32-hex-digit key, the payload size as 16 hex digits, '\n',
   the payload. A file whose magic, key or size disagrees is treated as absent. */
#define _POSIX_C_SOURCE 200809L
#include "nvrtc_cache.h"
#include "fileio.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char magic[8] = {'R', 'L', 'N', 'V', 'R', 'T', 'C', '1'};
#define HEADER_BYTES (8 + 32 + 16 + 1)

void rl_hash_init(rl_hasher *h) {
  h->h1 = 0xcbf29ce484222325ull; /* FNV-1a offset basis */
  h->h2 = 0x243f6a8885a308d3ull;
}

void rl_hash_bytes(rl_hasher *h, const void *data, size_t len) {
  const unsigned char *p = data;
  uint64_t a = h->h1, b = h->h2;
  for (size_t i = 0; i < len; i++) {
    a = (a ^ p[i]) * 0x100000001b3ull; /* FNV-1a */
    b = (b + p[i] + 1) * 0xff51afd7ed558ccdull; /* multiply-xorshift, a different mixing */
    b ^= b >> 29;
  }
  h->h1 = a;
  h->h2 = b;
}

void rl_hash_string(rl_hasher *h, const char *s) { rl_hash_bytes(h, s, strlen(s) + 1); }

void rl_hash_hex(const rl_hasher *h, char out[33]) {
  uint64_t b = h->h2; /* finish the second hash with an avalanche so every input bit reaches every digit */
  b ^= b >> 33;
  b *= 0xc4ceb9fe1a85ec53ull;
  b ^= b >> 33;
  snprintf(out, 33, "%016llx%016llx", (unsigned long long)h->h1, (unsigned long long)b);
}

/* ---- local includes ---------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 65536;
      char *nb = realloc(buf, ncap);
      if (!nb) { free(buf); fclose(f); return NULL; }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) { free(buf); return NULL; }
  *len = n;
  return buf;
}

/* folder of a file path ("a/b/c.cu" -> "a/b", "c.cu" -> ".") */
static void folder_of(const char *path, char *out, size_t len) {
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(out, len, ".");
  else if (slash == path) snprintf(out, len, "/");
  else snprintf(out, len, "%.*s", (int)(slash - path), path);
}

/* -I folders named in options: "-Idir", "-I", "dir", "--include-path=dir" */
static const char *include_dir(const char *const *options, int n, int i, int *skip) {
  const char *o = options[i];
  *skip = 0;
  if (strncmp(o, "--include-path=", 15) == 0) return o + 15;
  if (strncmp(o, "-I", 2) == 0) {
    if (o[2]) return o + 2;
    if (i + 1 < n) { *skip = 1; return options[i + 1]; }
  }
  return NULL;
}

typedef struct {
  rl_hasher *h;
  const char *const *options;
  int noptions;
  int files; /* files hashed so far: bounds the walk (and include cycles) */
} walk;

enum { MAX_INCLUDE_FILES = 512, MAX_INCLUDE_DEPTH = 32 };

static void hash_includes(walk *w, const char *text, size_t len, const char *name, int depth);

static void hash_one_include(walk *w, const char *inc, const char *from, int depth) {
  char dir[1024], path[2048];
  folder_of(from, dir, sizeof dir);
  size_t size = 0;
  char *data = NULL;
  snprintf(path, sizeof path, "%s/%s", dir, inc);
  if (inc[0] == '/') snprintf(path, sizeof path, "%s", inc);
  data = read_file(path, &size);
  for (int i = 0; !data && inc[0] != '/' && i < w->noptions; i++) {
    int skip;
    const char *d = include_dir(w->options, w->noptions, i, &skip);
    if (d) {
      snprintf(path, sizeof path, "%s/%s", d, inc);
      data = read_file(path, &size);
    }
    i += skip;
  }
  if (!data) {
    rl_hash_string(w->h, "missing include");
    rl_hash_string(w->h, inc);
    return;
  }
  rl_hash_string(w->h, "include");
  rl_hash_string(w->h, path);
  rl_hash_bytes(w->h, data, size);
  hash_includes(w, data, size, path, depth + 1);
  free(data);
}

static void hash_includes(walk *w, const char *text, size_t len, const char *name, int depth) {
  if (depth > MAX_INCLUDE_DEPTH) return;
  size_t i = 0;
  while (i < len) {
    size_t end = i; /* one line: [i, end) */
    while (end < len && text[end] != '\n') end++;
    size_t p = i;
    while (p < end && (text[p] == ' ' || text[p] == '\t')) p++;
    if (p < end && text[p] == '#') {
      p++;
      while (p < end && (text[p] == ' ' || text[p] == '\t')) p++;
      if (end - p > 7 && memcmp(text + p, "include", 7) == 0) {
        p += 7;
        while (p < end && (text[p] == ' ' || text[p] == '\t')) p++;
        if (p < end && text[p] == '"') {
          size_t q = p + 1;
          while (q < end && text[q] != '"') q++;
          if (q < end && q - p - 1 > 0 && q - p - 1 < 512 && w->files < MAX_INCLUDE_FILES) {
            char inc[512];
            memcpy(inc, text + p + 1, q - p - 1);
            inc[q - p - 1] = 0;
            w->files++;
            hash_one_include(w, inc, name, depth);
          }
        }
      }
    }
    i = end + 1;
  }
}

void rl_hash_local_includes(rl_hasher *h, const char *source, size_t len, const char *name,
                            const char *const *options, int noptions) {
  walk w = {h, options, noptions, 0};
  hash_includes(&w, source, len, name ? name : "program.cu", 0);
}

/* ---- the folder and its files -------------------------------------------------------------------- */

static int mkdir_p(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    int rc = mkdir(path, 0755);
    *p = '/';
    if (rc != 0 && errno != EEXIST) return -1;
  }
  if (mkdir(path, 0755) != 0 && errno != EEXIST) return -1;
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

const char *rl_cache_dir(char *dir, size_t dirlen, char *err, size_t errlen) {
  const char *explicit_dir = getenv("ROBOLUA_CACHE"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  int n;
  if (explicit_dir && explicit_dir[0]) n = snprintf(dir, dirlen, "%s/nvrtc", explicit_dir);
  else if (xdg && xdg[0]) n = snprintf(dir, dirlen, "%s/robolua/nvrtc", xdg);
  else if (home && home[0]) n = snprintf(dir, dirlen, "%s/.cache/robolua/nvrtc", home);
  else {
    snprintf(err, errlen, "no cache folder: ROBOLUA_CACHE, XDG_CACHE_HOME and HOME are unset");
    dir[0] = 0;
    return dir;
  }
  if (n < 0 || (size_t)n >= dirlen) {
    snprintf(err, errlen, "the cache folder's path is too long");
    dir[0] = 0;
    return dir;
  }
  if (mkdir_p(dir) != 0) {
    snprintf(err, errlen, "cannot create the cache folder %s: %s", dir, strerror(errno));
    dir[0] = 0;
  }
  return dir;
}

int rl_cache_read(const char *path, const char key[33], char **data, size_t *size) {
  size_t len = 0;
  char *buf = read_file(path, &len);
  if (!buf) return -1;
  char want[HEADER_BYTES + 1];
  if (len < HEADER_BYTES || memcmp(buf, magic, 8) != 0 || memcmp(buf + 8, key, 32) != 0) {
    free(buf);
    return -1;
  }
  snprintf(want, sizeof want, "%016zx\n", len - HEADER_BYTES);
  if (memcmp(buf + 40, want, 17) != 0) { /* truncated or foreign */
    free(buf);
    return -1;
  }
  *size = len - HEADER_BYTES;
  memmove(buf, buf + HEADER_BYTES, *size);
  *data = buf;
  return 0;
}

int rl_cache_write(const char *path, const char key[33], const char *data, size_t size) {
  char *buf = malloc(HEADER_BYTES + size + 1);
  if (!buf) return -1;
  memcpy(buf, magic, 8);
  memcpy(buf + 8, key, 32);
  snprintf(buf + 40, 18, "%016zx\n", size);
  memcpy(buf + HEADER_BYTES, data, size);
  char err[256];
  const char *e = rl_write_atomic(path, buf, HEADER_BYTES + size, err, sizeof err);
  free(buf);
  return e ? -1 : 0;
}
