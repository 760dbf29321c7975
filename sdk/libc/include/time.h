/* NearFaaS libc overlay (SDK sysroot): wasi-libc's <time.h> with clock()
 * declared without wasi-libc's deprecation. libfaasm's clock() is the
 * process CPU time clock of WASI (clock id 2, CLOCK_PROCESS_CPUTIME_ID) in
 * CLOCKS_PER_SEC units (wasi-libc's: 1000000000), as musl (Faasm's libc) computes it. */
#ifndef _WASI_EMULATED_PROCESS_CLOCKS
#define _WASI_EMULATED_PROCESS_CLOCKS
#define __NEARFAAS_DEFINED_EMULATED_PROCESS_CLOCKS
#endif
#include_next <time.h>
#ifdef __NEARFAAS_DEFINED_EMULATED_PROCESS_CLOCKS
#undef _WASI_EMULATED_PROCESS_CLOCKS
#undef __NEARFAAS_DEFINED_EMULATED_PROCESS_CLOCKS
#endif
