/* NearFaaS libc overlay (SDK sysroot): <signal.h> without wasi-libc's
 * "WASI lacks signals" error; signal() and raise() come from wasi-libc's
 * signal emulation (libwasi-emulated-signal, linked by default). kill() is
 * libfaasm's and fails with ENOSYS (Faasm's runtime does not implement it). */
#ifndef _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_SIGNAL
#define __NEARFAAS_DEFINED_EMULATED_SIGNAL
#endif
#include_next <signal.h>
#ifdef __NEARFAAS_DEFINED_EMULATED_SIGNAL
#undef _WASI_EMULATED_SIGNAL
#undef __NEARFAAS_DEFINED_EMULATED_SIGNAL
#endif

#ifndef __NEARFAAS_SIGNAL_H
#define __NEARFAAS_SIGNAL_H
#ifdef __cplusplus
extern "C" {
#endif
int kill(pid_t, int);
#ifdef __cplusplus
}
#endif
#endif
