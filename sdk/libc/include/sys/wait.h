/* NearFaaS libc overlay (SDK sysroot): <sys/wait.h>, which wasi-libc lacks.
 * A function has no child processes: wait and waitpid fail with ECHILD
 * (libfaasm). The status macros are musl's (Linux) encoding. */
#ifndef __NEARFAAS_SYS_WAIT_H
#define __NEARFAAS_SYS_WAIT_H
#include <sys/types.h>
#ifdef __cplusplus
extern "C" {
#endif

#define WNOHANG 1
#define WUNTRACED 2

#define WEXITSTATUS(s) (((s)&0xff00) >> 8)
#define WTERMSIG(s) ((s)&0x7f)
#define WSTOPSIG(s) WEXITSTATUS(s)
#define WIFEXITED(s) (!WTERMSIG(s))
#define WIFSTOPPED(s) ((short)((((s)&0xffff) * 0x10001U) >> 8) > 0x7f00)
#define WIFSIGNALED(s) (((s)&0xffff) - 1U < 0xffu)

pid_t wait(int*);
pid_t waitpid(pid_t, int*, int);

#ifdef __cplusplus
}
#endif
#endif
