/* Test function for the WASI file view, through plain C (stdio, POSIX) as
 * wasi-libc provides it. The input selects a scenario; the output is one line
 * per step: "<step>: ok", "<step>: <value>" or "<step>: errno <n>".
 *   scratch   writes, reads, renames, lists and removes files in /tmp and /,
 *             then leaves /tmp/keep behind.
 *   leftover  reports whether anything an earlier call wrote is still there.
 *   shared    reads the shared file data/greeting.txt as /shared/... and as
 *             faasm://..., lists /shared/data, and tries to change it.
 *   escape    tries to reach the host file system: "..", absolute paths,
 *             symlinks (made by the guest, or planted in the store's
 *             directory by the test), hard links.
 *   fill      writes 64 KiB blocks to /tmp/big until a write fails.
 *   state     faasmWriteStateFromFile from a shared file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faasm/faasm.h"

static char report[8192];

static void line(const char* step, const char* what) {
  size_t n = strlen(report);
  snprintf(report + n, sizeof report - n, "%s: %s\n", step, what);
}

static void result(const char* step, int rc) {
  char buf[32];
  if (rc == 0) {
    line(step, "ok");
  } else {
    snprintf(buf, sizeof buf, "errno %d", errno);
    line(step, buf);
  }
}

static void writeFile(const char* step, const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  if (!f) {
    result(step, -1);
    return;
  }
  int ok = fputs(text, f) >= 0;
  result(step, fclose(f) == 0 && ok ? 0 : -1);
}

static void readFile(const char* step, const char* path) {
  FILE* f = fopen(path, "r");
  if (!f) {
    result(step, -1);
    return;
  }
  char buf[256] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  line(step, buf);
}

static void listDir(const char* step, const char* path) {
  DIR* d = opendir(path);
  if (!d) {
    result(step, -1);
    return;
  }
  char names[512] = {0};
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (names[0]) strcat(names, ",");
    strncat(names, e->d_name, sizeof names - strlen(names) - 2);
  }
  closedir(d);
  line(step, names);
}

/* Opens `path` for reading: must fail; reports errno, or what leaked. */
static void tryOpen(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    result(path, -1);
    return;
  }
  char buf[16] = {0};
  read(fd, buf, sizeof buf - 1);
  close(fd);
  char msg[64];
  snprintf(msg, sizeof msg, "OPENED %s", buf);
  line(path, msg);
}

static void scratch(void) {
  writeFile("write /tmp/a.txt", "/tmp/a.txt", "alpha");
  readFile("read /tmp/a.txt", "/tmp/a.txt");
  writeFile("write relative b.txt", "b.txt", "beta");
  readFile("read /b.txt", "/b.txt");
  FILE* f = fopen("/tmp/a.txt", "a");
  fputs("+more", f);
  fclose(f);
  readFile("append", "/tmp/a.txt");
  result("mkdir /tmp/d", mkdir("/tmp/d", 0755));
  result("rename", rename("/tmp/a.txt", "/tmp/d/a.txt"));
  struct stat st;
  result("stat old name", stat("/tmp/a.txt", &st));
  if (stat("/tmp/d/a.txt", &st) == 0) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)st.st_size);
    line("size", buf);
  }
  writeFile("write /tmp/d/c.txt", "/tmp/d/c.txt", "c");
  listDir("list /tmp/d", "/tmp/d");
  result("rmdir non-empty", rmdir("/tmp/d"));
  result("unlink a", unlink("/tmp/d/a.txt"));
  result("unlink c", unlink("/tmp/d/c.txt"));
  result("rmdir", rmdir("/tmp/d"));
  int fd = open("/tmp/seek", O_RDWR | O_CREAT, 0644);
  write(fd, "0123456789", 10);
  lseek(fd, 3, SEEK_SET);
  char two[3] = {0};
  read(fd, two, 2);
  close(fd);
  line("seek+read", two);
  writeFile("write /tmp/keep", "/tmp/keep", "from an earlier call");
  listDir("list /", "/");
}

static void leftover(void) {
  const char* paths[] = {"/tmp/keep", "/b.txt", "/tmp/seek"};
  int leaked = 0;
  for (unsigned i = 0; i < sizeof paths / sizeof *paths; ++i)
    if (access(paths[i], F_OK) == 0) {
      line("LEAK", paths[i]);
      leaked = 1;
    }
  if (!leaked) line("leftover", "clean");
  listDir("list /tmp", "/tmp");
}

static void shared(void) {
  readFile("read /shared", "/shared/data/greeting.txt");
  readFile("read faasm://", "faasm://data/greeting.txt");
  listDir("list /shared/data", "/shared/data");
  FILE* f = fopen("/shared/data/greeting.txt", "w");
  result("write shared", f ? 0 : -1);
  if (f) fclose(f);
  result("unlink shared", unlink("/shared/data/greeting.txt"));
  result("mkdir in shared", mkdir("/shared/new", 0755));
  result("create in shared", open("/shared/data/new.txt", O_WRONLY | O_CREAT, 0644) < 0 ? -1 : 0);
  result("rmdir /shared", rmdir("/shared"));
  readFile("missing shared", "/shared/data/missing.txt");
}

static void escape(void) {
  tryOpen("../etc/passwd");
  tryOpen("/../../etc/passwd");
  tryOpen("/etc/passwd");
  tryOpen("/shared/../../etc/passwd");
  tryOpen("/tmp/../../../proc/self/environ");
  tryOpen("faasm://../../../etc/passwd");
  tryOpen("/shared/../../../../../../etc/hostname");
  tryOpen("/shared/data/link"); /* a symlink planted in the store's directory */
  result("symlink", symlink("/etc/passwd", "/tmp/link"));
  tryOpen("/tmp/link");
  writeFile("write /tmp/t", "/tmp/t", "t");
  result("link", link("/tmp/t", "/tmp/t2"));
  listDir("list /..", "/..");
}

static void fill(void) {
  static char block[64 * 1024];
  memset(block, 'x', sizeof block);
  FILE* f = fopen("/tmp/big", "w");
  setvbuf(f, NULL, _IONBF, 0);
  long total = 0;
  while (total < 1024L * 1024 * 1024 && fwrite(block, 1, sizeof block, f) == sizeof block)
    total += sizeof block;
  char buf[64];
  snprintf(buf, sizeof buf, "%ld bytes, errno %d", total, errno);
  line("fill", buf);
  fclose(f);
  result("unlink big", unlink("/tmp/big"));
  writeFile("write after unlink", "/tmp/small", "ok");
}

static void state(void) {
  unsigned long n = faasmWriteStateFromFile("from_file", "faasm://data/greeting.txt");
  char buf[64] = {0};
  faasmReadState("from_file", (uint8_t*)buf, (long)n);
  line("state", buf);
}

int main(void) {
  char in[32] = {0};
  long n = faasmGetInputSize();
  if (n >= (long)sizeof in) n = sizeof in - 1;
  faasmGetInput((uint8_t*)in, n);
  if (strcmp(in, "scratch") == 0)
    scratch();
  else if (strcmp(in, "leftover") == 0)
    leftover();
  else if (strcmp(in, "shared") == 0)
    shared();
  else if (strcmp(in, "escape") == 0)
    escape();
  else if (strcmp(in, "fill") == 0)
    fill();
  else if (strcmp(in, "state") == 0)
    state();
  else
    line("unknown scenario", in);
  faasmSetOutput((const uint8_t*)report, (long)strlen(report));
  return 0;
}
