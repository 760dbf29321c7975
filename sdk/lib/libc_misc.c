// libc additions of Faasm's libc: clock(), mremap, and <dlfcn.h> answering
// that dynamic loading is not available.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <wasi/api.h>

// Process CPU time (WASI clock id 2) in CLOCKS_PER_SEC units, as musl does.
clock_t clock(void) {
  __wasi_timestamp_t ns;
  if (__wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &ns)) return (clock_t)-1;
  return (clock_t)(ns / (1000000000ull / CLOCKS_PER_SEC));
}

// The host's mmap rounds every region up to whole 64 KiB pages.
static const uintptr_t kPage = 65536;
static uintptr_t pageRound(uintptr_t n) {
  return (n + kPage - 1) & ~(kPage - 1);
}

void* mremap(void* old, size_t oldLen, size_t newLen, int flags, ...) {
  if (newLen == 0 || ((uintptr_t)old & (kPage - 1))) {
    errno = EINVAL;
    return MAP_FAILED;
  }
  uintptr_t have = pageRound(oldLen);
  if (newLen <= have) return old;  // memory never shrinks; the pages stay
  uintptr_t end = (uintptr_t)old + have;
  if (end == __builtin_wasm_memory_size(0) * kPage) {
    // At the top of memory: the host grows memory, and the new pages
    // directly follow the region.
    void* more =
        mmap(NULL, newLen - have, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (more == (void*)end) return old;
    if (more != MAP_FAILED) munmap(more, newLen - have);
  }
  if (!(flags & MREMAP_MAYMOVE)) {
    errno = ENOMEM;
    return MAP_FAILED;
  }
  void* moved = mmap(NULL, newLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (moved == MAP_FAILED) return MAP_FAILED;
  memcpy(moved, old, oldLen);
  munmap(old, oldLen);
  return moved;
}

static char dlMessage[256];
static int dlPending;

void* dlopen(const char* file, int mode) {
  (void)mode;
  strcpy(dlMessage, "dlopen: NearFaaS functions cannot load shared modules (no dynamic linking): ");
  strncat(dlMessage, file ? file : "(main program)", sizeof dlMessage - strlen(dlMessage) - 1);
  dlPending = 1;
  return NULL;
}
void* dlsym(void* restrict handle, const char* restrict name) {
  (void)handle;
  strcpy(dlMessage, "dlsym: no dynamic symbols in a NearFaaS function: ");
  strncat(dlMessage, name ? name : "(null)", sizeof dlMessage - strlen(dlMessage) - 1);
  dlPending = 1;
  return NULL;
}
int dlclose(void* handle) {
  (void)handle;
  strcpy(dlMessage, "dlclose: invalid handle (NearFaaS opens no shared modules)");
  dlPending = 1;
  return -1;
}
// The message of the last failure since the last call, then NULL (POSIX).
char* dlerror(void) {
  if (!dlPending) return NULL;
  dlPending = 0;
  return dlMessage;
}
