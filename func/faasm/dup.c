/*
 * faasm/dup: duplicated descriptors share one open file (and its offset),
 * with dup, dup2 and fcntl(F_DUPFD), as in Faasm's libc.
 *
 * Fork generation (byte output), in C; needs the SDK's dup/dup2/F_DUPFD and
 * the host's descriptor duplication.
 *
 * Steps:  opens /etc/hosts as fd; a = dup(fd); b = dup2(fd, 10);
 *         c = fcntl(fd, F_DUPFD, 20); reads 4 bytes through each of fd, a, b
 *         and c in turn (one shared offset, so 16 consecutive bytes); closes
 *         fd, a and b and reads 4 more bytes through c.
 * Input:  ignored.
 * Output: "a>fd <0|1> b=10 <0|1> c>=20 <0|1>\n<the 16 bytes>|<the 4 bytes>"
 *         (1 where the descriptor is as stated). Returns 0.
 * Errors: a failing call outputs "FAILED - <call>: <strerror>", returns 1.
 */
#include <faasm/faasm.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char* call) {
  char message[128];
  int n = snprintf(message, sizeof(message), "FAILED - %s: %s", call, strerror(errno));
  faasmSetOutput((const uint8_t*)message, n);
  return 1;
}

int main(void) {
  int fd = open("/etc/hosts", O_RDONLY);
  if (fd < 0) return fail("open");
  int a = dup(fd);
  if (a < 0) return fail("dup");
  int b = dup2(fd, 10);
  if (b < 0) return fail("dup2");
  int c = fcntl(fd, F_DUPFD, 20);
  if (c < 0) return fail("fcntl F_DUPFD");

  char shared[16];
  int fds[4] = {fd, a, b, c};
  for (int i = 0; i < 4; i++) {
    if (read(fds[i], shared + 4 * i, 4) != 4) return fail("read");
  }
  close(fd);
  close(a);
  close(b);
  char after[4];
  if (read(c, after, 4) != 4) return fail("read after close");
  close(c);

  char output[128];
  int n = snprintf(output, sizeof(output), "a>fd %d b=10 %d c>=20 %d\n%.16s|%.4s", a > fd, b == 10,
                   c >= 20, shared, after);
  faasmSetOutput((const uint8_t*)output, n);
  return 0;
}
