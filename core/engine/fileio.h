/* Files that must not be lost or half-written: atomic replacement (temp file, write, fsync, rename),
   appends that report every failure, and run folders created exclusively. Every function returns NULL
   on success or a message (with the OS reason) written to err. */
#ifndef ROBOLUA_FILEIO_H
#define ROBOLUA_FILEIO_H
#include <stddef.h>

/* Replaces path with data: written to a unique temp file in the same folder, fsync'ed, renamed over
   path. On any failure the temp file is removed and path keeps its previous content. */
const char *rl_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);
/* Appends data to path (created if missing) and, if sync, fsyncs it. */
const char *rl_append(const char *path, const void *data, size_t len, int sync, char *err, size_t errlen);
/* Creates the folder base (mkdir, exclusive); if it exists, base-2, base-3, ... Writes the created
   path to out. */
const char *rl_mkdir_unique(const char *base, char *out, size_t outlen, char *err, size_t errlen);
#endif
