// dup, dup2 and fcntl(F_DUPFD) of the SDK's libc additions, on the host's
// env.__wasi_fd_dup. Built by sdk_test.cpp with `nearfaas func build`: it
// links only against a runtime that provides __wasi_fd_dup. Writes through
// descriptors duplicated from one scratch file and reads the file back:
// output "dup=D dup2=7 dupfd=F>=10 text=abc".
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "faasm/faasm.h"

int main(void) {
  char out[256];
  int fd = open("/tmp/dup-test", O_CREAT | O_TRUNC | O_RDWR, 0644);
  if (fd < 0) return 1;
  int d = dup(fd);
  int d2 = dup2(fd, 7);
  int d3 = fcntl(fd, F_DUPFD, 10);
  if (d < 0 || d2 != 7 || d3 < 10) {
    snprintf(out, sizeof out, "failed dup=%d dup2=%d dupfd=%d", d, d2, d3);
  } else {
    // The copies share the file offset, as POSIX dup specifies.
    write(fd, "a", 1);
    write(d, "b", 1);
    write(d2, "c", 1);
    char text[8] = {0};
    pread(d3, text, sizeof text - 1, 0);
    snprintf(out, sizeof out, "dup=%d dup2=%d dupfd>=10=%d text=%s", d > fd, d2, d3 >= 10, text);
  }
  faasmSetOutput((const uint8_t*)out, strlen(out));
  return 0;
}
