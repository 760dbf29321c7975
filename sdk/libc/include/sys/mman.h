/* NearFaaS libc overlay (SDK sysroot): <sys/mman.h> without wasi-libc's
 * "WASI lacks a true mmap" error. mmap and munmap are the host's env.mmap /
 * env.munmap, as in Faasm: an anonymous mapping grows linear memory by the
 * length rounded up to 64 KiB pages and returns the old top of memory; a file
 * mapping (fd >= 0) copies the file's bytes into such a region; munmap never
 * shrinks memory. mremap (declared with _GNU_SOURCE, as in musl) is libfaasm's:
 * it grows a region at the top of memory in place, otherwise (MREMAP_MAYMOVE)
 * maps a new region and copies. The other calls declared here are not provided
 * and fail to link naming themselves. */
#ifndef _WASI_EMULATED_MMAN
#define _WASI_EMULATED_MMAN
#define __NEARFAAS_DEFINED_EMULATED_MMAN
#endif
#include_next <sys/mman.h>
#ifdef __NEARFAAS_DEFINED_EMULATED_MMAN
#undef _WASI_EMULATED_MMAN
#undef __NEARFAAS_DEFINED_EMULATED_MMAN
#endif
