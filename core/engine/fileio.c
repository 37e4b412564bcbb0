#define _POSIX_C_SOURCE 200809L
#include "fileio.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fail(char *err, size_t errlen, const char *what, const char *path, int e) {
  snprintf(err, errlen, "cannot %s %.3000s: %s", what, path, strerror(e));
  return err;
}

static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) { errno = EIO; return -1; }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

const char *rl_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 32);
  if (!tmp) return fail(err, errlen, "write", path, ENOMEM);
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; attempt++) { /* unique: two writers never share it */
    snprintf(tmp, plen + 32, "%s.tmp.%ld.%d", path, (long)getpid(), attempt);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return fail(err, errlen, "write", path, e);
  }
  const char *what = NULL;
  int e = 0;
  if (write_all(fd, data, len) != 0) what = "write", e = errno;
  else if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) what = "sync", e = errno;
  if (close(fd) != 0 && !what) what = "close", e = errno;
  if (!what && rename(tmp, path) != 0) what = "replace", e = errno;
  if (what) {
    unlink(tmp);
    free(tmp);
    return fail(err, errlen, what, path, e);
  }
  free(tmp);
  return NULL;
}

const char *rl_append(const char *path, const void *data, size_t len, int sync, char *err, size_t errlen) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return fail(err, errlen, "open", path, errno);
  const char *what = NULL;
  int e = 0;
  if (write_all(fd, data, len) != 0) what = "append to", e = errno;
  else if (sync && fsync(fd) != 0 && errno != EINVAL && errno != EROFS) what = "sync", e = errno;
  if (close(fd) != 0 && !what) what = "close", e = errno;
  return what ? fail(err, errlen, what, path, e) : NULL;
}

const char *rl_mkdir_unique(const char *base, char *out, size_t outlen, char *err, size_t errlen) {
  if (!out || outlen == 0) return fail(err, errlen, "create", base, EINVAL);
  for (int k = 1; k < 10000; k++) {
    int n = k == 1 ? snprintf(out, outlen, "%s", base) : snprintf(out, outlen, "%s-%d", base, k);
    if (n < 0 || (size_t)n >= outlen) return fail(err, errlen, "create", base, ENAMETOOLONG);
    if (mkdir(out, 0755) == 0) return NULL;
    if (errno != EEXIST) return fail(err, errlen, "create", out, errno);
  }
  return fail(err, errlen, "create", base, EEXIST);
}
