/* The content-addressed cache of NVRTC outputs (used by nvrtc.c). The key covers every input of a
   compile: the source, the locally #include "d" files it reaches (so editing a header recompiles), the
   options, the architecture and NVRTC's identity. Entries are written atomically; a damaged or foreign
   file is a miss, never an error. */
#ifndef ROBOLUA_NVRTC_CACHE_H
#define ROBOLUA_NVRTC_CACHE_H
#include <stddef.h>
#include <stdint.h>

/* Two independent 64-bit hashes over one byte stream: a 128-bit content key. */
typedef struct {
  uint64_t h1, h2;
} rl_hasher;
void rl_hash_init(rl_hasher *h);
void rl_hash_bytes(rl_hasher *h, const void *data, size_t len);
void rl_hash_string(rl_hasher *h, const char *s); /* with its terminating NUL, so "ab","c" != "a","bc" */
/* 32 lowercase hex digits + NUL */
void rl_hash_hex(const rl_hasher *h, char out[33]);

/* Hashes the files that source reaches through #include "..." (resolved against the including file's
   folder, then every -I folder in options), recursively; a missing one hashes as its name. */
void rl_hash_local_includes(rl_hasher *h, const char *source, size_t len, const char *name,
                            const char *const *options, int noptions);

/* The cache folder, created if needed: "" (and why in err) if none can be made. */
const char *rl_cache_dir(char *dir, size_t dirlen, char *err, size_t errlen);
/* 0 and a malloc'ed copy of the payload if path holds an entry for key; -1 otherwise. */
int rl_cache_read(const char *path, const char key[33], char **data, size_t *size);
/* Best effort: 0 written, -1 not (the caller goes on without the cache). */
int rl_cache_write(const char *path, const char key[33], const char *data, size_t size);
#endif
