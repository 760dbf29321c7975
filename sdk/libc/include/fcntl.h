/* NearFaaS libc overlay (SDK sysroot): wasi-libc's <fcntl.h> plus F_DUPFD and
 * F_DUPFD_CLOEXEC (Linux's values). fcntl calls of code that includes this header go to
 * libfaasm's __nearfaas_fcntl (the asm label below), which does F_DUPFD and
 * F_DUPFD_CLOEXEC on the host's env.__wasi_fd_dup and passes every other
 * command to wasi-libc's fcntl. (wasi-libc's own calls keep its fcntl, so a
 * function that never duplicates a descriptor never imports __wasi_fd_dup.) */
#include_next <fcntl.h>
#ifndef F_DUPFD
#define F_DUPFD 0
#endif
#ifndef F_DUPFD_CLOEXEC
#define F_DUPFD_CLOEXEC 1030
#endif

#ifndef __NEARFAAS_FCNTL_H
#define __NEARFAAS_FCNTL_H
#ifdef __cplusplus
extern "C" {
#endif
/* Calls of fcntl from function code go to libfaasm's __nearfaas_fcntl. */
int fcntl(int, int, ...) __asm__("__nearfaas_fcntl");
#ifdef __cplusplus
}
#endif
#endif
