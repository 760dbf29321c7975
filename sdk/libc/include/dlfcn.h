/* NearFaaS libc overlay (SDK sysroot): <dlfcn.h>, which wasi-libc lacks.
 * Declared so that code using it compiles; NearFaaS does not load shared
 * modules yet, so dlopen returns NULL and dlerror() says so (libfaasm). */
#ifndef __NEARFAAS_DLFCN_H
#define __NEARFAAS_DLFCN_H
#ifdef __cplusplus
extern "C" {
#endif

#define RTLD_LAZY 1
#define RTLD_NOW 2
#define RTLD_NOLOAD 4
#define RTLD_NODELETE 4096
#define RTLD_GLOBAL 256
#define RTLD_LOCAL 0
#define RTLD_NEXT ((void*)-1)
#define RTLD_DEFAULT ((void*)0)

void* dlopen(const char*, int);
void* dlsym(void* __restrict, const char* __restrict);
int dlclose(void*);
char* dlerror(void);

#ifdef __cplusplus
}
#endif
#endif
