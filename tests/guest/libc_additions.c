// The SDK's libc additions (sdk/libc/include, sdk/lib/libc_*.c), one case per
// input word; each case's output is checked in sdk_test.cpp.
//   mmap    anonymous mmap grows memory: "mmap ok top=1 aligned=1 data=ok"
//   mremap  in place at the top of memory, and moved with MREMAP_MAYMOVE
//   clock   clock() links and does not go backwards
//   pwd     getuid/getgid, getpwuid, getpwnam, getpwuid_r
//   process getpid and the process calls Faasm's runtime fails
//   dlfcn   dlopen fails with a message from dlerror
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faasm/faasm.h"

static char out[1024];

static void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t used = strlen(out);
  vsnprintf(out + used, sizeof out - used, fmt, ap);
  va_end(ap);
}

static size_t memoryTop(void) {
  return __builtin_wasm_memory_size(0) * 65536;
}

static void testMmap(void) {
  size_t before = memoryTop();
  char* p = mmap(NULL, 100000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    say("mmap failed errno=%d", errno);
    return;
  }
  // The region starts at the old top, and memory grew by whole pages.
  memset(p, 'x', 100000);
  int ok = p[0] == 'x' && p[99999] == 'x';
  say("mmap ok top=%d aligned=%d grown=%zu data=%s unmap=%d", (size_t)p == before,
      ((uintptr_t)p % 65536) == 0, memoryTop() - before, ok ? "ok" : "bad", munmap(p, 100000));
}

static void testMremap(void) {
  char* p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(p, "kept");
  char* grown = mremap(p, 65536, 3 * 65536, 0);
  say("inplace=%d text=%s ", grown == p, grown == MAP_FAILED ? "-" : grown);
  // A region below the top: without MREMAP_MAYMOVE it cannot grow, with it
  // it moves and keeps its bytes.
  char* low = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(low, "low");
  mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  errno = 0;
  char* stuck = mremap(low, 65536, 2 * 65536, 0);
  say("stuck=%d errno=%s ", stuck == MAP_FAILED, errno == ENOMEM ? "ENOMEM" : "?");
  char* moved = mremap(low, 65536, 2 * 65536, MREMAP_MAYMOVE);
  say("moved=%d text=%s", moved != MAP_FAILED && moved != low, moved == MAP_FAILED ? "-" : moved);
}

static void testClock(void) {
  clock_t a = clock();
  volatile unsigned x = 0;
  for (unsigned i = 0; i < 2000000; i++)
    x += i;
  clock_t b = clock();
  say("clock ok=%d per_sec=%ld", a != (clock_t)-1 && b >= a, (long)CLOCKS_PER_SEC);
}

static void testPwd(void) {
  say("uid=%u gid=%u euid=%u ", (unsigned)getuid(), (unsigned)getgid(), (unsigned)geteuid());
  struct passwd* pw = getpwuid(getuid());
  if (!pw) {
    say("getpwuid=NULL");
    return;
  }
  say("name=%s pwuid=%u pwgid=%u dir=%s ", pw->pw_name, (unsigned)pw->pw_uid, (unsigned)pw->pw_gid,
      pw->pw_dir);
  struct passwd* byName = getpwnam("faasm");
  say("byname=%s other=%s nobody=%s ", byName ? byName->pw_name : "NULL",
      getpwuid(0) ? "found" : "NULL", getpwnam("root") ? "found" : "NULL");
  struct passwd entry, *result = NULL;
  char buf[64];
  int r = getpwuid_r(1000, &entry, buf, sizeof buf, &result);
  say("r=%d copy=%s", r, result ? result->pw_name : "NULL");
}

static const char* errName(int e) {
  return e == ENOSYS ? "ENOSYS" : e == ECHILD ? "ECHILD" : "other";
}

static void testProcess(void) {
  say("pid=%d ", (int)getpid());
  errno = 0;
  say("fork=%d:%s ", (int)fork(), errName(errno));
  char* argv[] = {"sh", NULL};
  errno = 0;
  say("execve=%d:%s ", execve("/bin/sh", argv, argv + 1), errName(errno));
  errno = 0;
  int status = 0;
  say("waitpid=%d:%s ", (int)waitpid(-1, &status, 0), errName(errno));
  errno = 0;
  say("wait=%d:%s ", (int)wait(&status), errName(errno));
  errno = 0;
  say("kill=%d:%s ", kill(getpid(), SIGTERM), errName(errno));
  int fds[2];
  errno = 0;
  say("pipe=%d:%s", pipe(fds), errName(errno));
}

static void testDlfcn(void) {
  void* h = dlopen("libfoo.so", RTLD_NOW);
  const char* e = dlerror();
  say("handle=%s error=%s again=%s", h ? "set" : "NULL", e ? e : "NULL",
      dlerror() ? "set" : "NULL");
}

int main(void) {
  char in[32] = {0};
  long n = faasmGetInputSize();
  if (n <= 0 || n >= (long)sizeof in) return 1;
  faasmGetInput((uint8_t*)in, n);
  if (strcmp(in, "mmap") == 0)
    testMmap();
  else if (strcmp(in, "mremap") == 0)
    testMremap();
  else if (strcmp(in, "clock") == 0)
    testClock();
  else if (strcmp(in, "pwd") == 0)
    testPwd();
  else if (strcmp(in, "process") == 0)
    testProcess();
  else if (strcmp(in, "dlfcn") == 0)
    testDlfcn();
  else
    return 1;
  faasmSetOutput((const uint8_t*)out, strlen(out));
  return 0;
}
