/* NearFaaS libc overlay (SDK sysroot): wasi-libc's <unistd.h> plus the calls
 * Faasm's libc declares and NearFaaS implements in libfaasm (sdk/lib/libc_*.c):
 * dup/dup2 (on the host's env.__wasi_fd_dup), the process identity calls
 * (getpid 23, uid/gid 1000, as Faasm answers) and the process calls that fail
 * with an errno (fork, exec*, pipe: ENOSYS). getpid needs no
 * -D_WASI_EMULATED_GETPID here. */
#ifndef _WASI_EMULATED_GETPID
#define _WASI_EMULATED_GETPID
#define __NEARFAAS_DEFINED_EMULATED_GETPID
#endif
#include_next <unistd.h>
#ifdef __NEARFAAS_DEFINED_EMULATED_GETPID
#undef _WASI_EMULATED_GETPID
#undef __NEARFAAS_DEFINED_EMULATED_GETPID
#endif

#ifndef __NEARFAAS_UNISTD_H
#define __NEARFAAS_UNISTD_H
#ifdef __cplusplus
extern "C" {
#endif

int dup(int);
int dup2(int, int);
int pipe(int[2]);
pid_t fork(void);
pid_t vfork(void);
int execve(const char*, char* const[], char* const[]);
int execv(const char*, char* const[]);
int execvp(const char*, char* const[]);
int execl(const char*, const char*, ...);
int execlp(const char*, const char*, ...);
pid_t getppid(void);
pid_t getpgrp(void);
pid_t setsid(void);
uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);

#ifdef __cplusplus
}
#endif
#endif
