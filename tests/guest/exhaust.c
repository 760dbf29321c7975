/* Test function that uses up what a call may use; the input selects how.
 *   flood        writes 3 MiB to stdout and 1 MiB to stderr, in 64 KiB writes;
 *                outputs "flooded".
 *   shared       opens the shared file big/a 64 times, keeping every
 *                descriptor, and reads its last byte through each; then
 *                opens big/b; then writes /tmp/fill in 64 KiB blocks until a
 *                write fails, and removes it. Outputs
 *                "opened <n>, last <c>, b: errno <e>, fill: <bytes> bytes, errno <e>".
 *   keys <n>     writes state keys key0 .. key<n-1> (1 byte each); outputs
 *                "created <n>".
 *   read <n>     reads the sizes of state keys missing0 .. missing<n-1>, which
 *                do not exist; outputs "read <n>, sizes <sum>".
 *   init         what initialisation saw: "stdin: <n>", the result of the
 *                zygote's read of fd 0.
 * A constructor and the zygote both write to stdout; the zygote reads stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faasm/faasm.h"

static char report[256];
static int stdinRead = -100;

__attribute__((constructor)) static void constructor(void) {
  static const char msg[] = "constructor on stdout\n";
  write(1, msg, sizeof msg - 1);
}

FAASM_ZYGOTE() {
  static const char msg[] = "zygote on stdout\n";
  write(1, msg, sizeof msg - 1);
  write(2, msg, sizeof msg - 1);
  char buf[64];
  stdinRead = (int)read(0, buf, sizeof buf);
  return 0;
}

static void flood(void) {
  static char block[64 * 1024];
  memset(block, 'o', sizeof block);
  for (int i = 0; i < 48; ++i) write(1, block, sizeof block);
  memset(block, 'e', sizeof block);
  for (int i = 0; i < 16; ++i) write(2, block, sizeof block);
  snprintf(report, sizeof report, "flooded");
}

static void shared(void) {
  int opened = 0;
  char last = '?';
  for (int i = 0; i < 64; ++i) {
    int fd = open("/shared/big/a", O_RDONLY);
    if (fd < 0) break;
    if (lseek(fd, -1, SEEK_END) < 0 || read(fd, &last, 1) != 1) break;
    ++opened;
  }
  int other = open("/shared/big/b", O_RDONLY);
  int otherErrno = other < 0 ? errno : 0;

  static char block[64 * 1024];
  memset(block, 'x', sizeof block);
  int fd = open("/tmp/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  long total = 0;
  int fillErrno = 0;
  while (total < 1024L * 1024 * 1024) {
    ssize_t n = write(fd, block, sizeof block);
    if (n != (ssize_t)sizeof block) {
      fillErrno = errno;
      break;
    }
    total += n;
  }
  close(fd);
  unlink("/tmp/fill");
  snprintf(report, sizeof report, "opened %d, last %c, b: errno %d, fill: %ld bytes, errno %d",
           opened, last, otherErrno, total, fillErrno);
}

static void keys(int n) {
  char key[32];
  for (int i = 0; i < n; ++i) {
    snprintf(key, sizeof key, "key%d", i);
    faasmWriteState(key, (const uint8_t*)"k", 1);
  }
  snprintf(report, sizeof report, "created %d", n);
}

static void readMissing(int n) {
  char key[32];
  long sum = 0;
  for (int i = 0; i < n; ++i) {
    snprintf(key, sizeof key, "missing%d", i);
    sum += (long)faasmReadStateSize(key);
  }
  snprintf(report, sizeof report, "read %d, sizes %ld", n, sum);
}

int main(void) {
  char in[64] = {0};
  long n = faasmGetInputSize();
  if (n >= (long)sizeof in) n = sizeof in - 1;
  faasmGetInput((uint8_t*)in, n);
  if (strcmp(in, "flood") == 0)
    flood();
  else if (strcmp(in, "shared") == 0)
    shared();
  else if (strncmp(in, "keys ", 5) == 0)
    keys(atoi(in + 5));
  else if (strncmp(in, "read ", 5) == 0)
    readMissing(atoi(in + 5));
  else if (strcmp(in, "init") == 0)
    snprintf(report, sizeof report, "stdin: %d", stdinRead);
  else
    snprintf(report, sizeof report, "unknown input %s", in);
  faasmSetOutput((const uint8_t*)report, (long)strlen(report));
  return 0;
}
