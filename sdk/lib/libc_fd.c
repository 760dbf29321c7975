// libc additions of Faasm's libc: descriptor duplication (dup, dup2,
// fcntl F_DUPFD / F_DUPFD_CLOEXEC) on the host's env.__wasi_fd_dup, which
// gives the lowest free descriptor for a copy of an open one. Kept apart from
// the other additions so that only functions that duplicate descriptors
// import it.
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <wasi/api.h>

// The host import (listed in libfaasm.imports): (fd, result pointer) -> WASI errno.
int32_t __wasi_fd_dup(int32_t fd, int32_t* result);

// wasi-libc's fcntl (fcntl.h renames this project's calls to __nearfaas_fcntl).
int __real_fcntl(int, int, ...) __asm__("fcntl");

// Descriptor numbers dup2 and F_DUPFD accept are below this.
enum { kMaxDescriptor = 1 << 16 };

static int fail(int e) {
  errno = e;
  return -1;
}

int dup(int fd) {
  int32_t result = -1;
  int32_t e = __wasi_fd_dup(fd, &result);
  return e ? fail(e) : result;
}

// A copy of fd at the lowest free descriptor >= min: duplicates until the
// host hands out one >= min (it always gives the lowest free one), then
// closes the copies below min. At most min copies are below min, so the
// search is bounded by min (< kMaxDescriptor) and the host's descriptor limit.
static int dupAtLeast(int fd, int min) {
  if (min < 0 || min >= kMaxDescriptor) return fail(EINVAL);
  int* below = min > 0 ? malloc(sizeof(int) * (size_t)min) : NULL;
  if (min > 0 && !below) return fail(ENOMEM);
  int nBelow = 0, result = -1, err = 0;
  for (;;) {
    int d = dup(fd);
    if (d < 0) {
      err = errno;
      break;
    }
    // nBelow == min: the host did not give the lowest free descriptor; stop.
    if (d >= min || nBelow == min) {
      result = d;
      break;
    }
    below[nBelow++] = d;
  }
  for (int i = 0; i < nBelow; i++)
    close(below[i]);
  free(below);
  if (result >= 0 && result < min) {
    close(result);
    return fail(EMFILE);
  }
  return result >= 0 ? result : fail(err);
}

int dup2(int oldFd, int newFd) {
  __wasi_fdstat_t st;
  if (__wasi_fd_fdstat_get(oldFd, &st)) return fail(EBADF);
  if (oldFd == newFd) return newFd;
  if (newFd < 0 || newFd >= kMaxDescriptor) return fail(EBADF);
  if (__wasi_fd_fdstat_get(newFd, &st) == 0) {
    // newFd is open: renumbering a copy over it closes what it was.
    int d = dup(oldFd);
    if (d < 0) return -1;
    __wasi_errno_t e = __wasi_fd_renumber(d, newFd);
    if (e) {
      close(d);
      return fail(e);
    }
    return newFd;
  }
  // newFd is free, so the lowest free descriptor >= newFd is newFd itself.
  return dupAtLeast(oldFd, newFd);
}

int __nearfaas_fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  int arg = va_arg(ap, int);
  va_end(ap);
  // WASI has no close-on-exec (and no exec): F_DUPFD_CLOEXEC is F_DUPFD.
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) return dupAtLeast(fd, arg);
  return __real_fcntl(fd, cmd, arg);
}
