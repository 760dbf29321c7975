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
 *   root      Faasm's runtime root: stat and read of each /etc file, writes
 *             refused, the working directory, relative paths, environment.
 *   dup       env.dup and env.__wasi_fd_dup: the copy shares the offset.
 *   sharedwrite  changes shared files (Faasm's demo: mkdir, create, write;
 *             overwrite, append, rename and unlink originals).
 *   sharedread   what a later call sees of them.
 *   sharedfill   writes 64 KiB blocks to faasm://big until a write fails.
 *   mmap      env.mmap of files: contents, offsets, errors.
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

/* Host imports declared here rather than through the SDK's libc. */
__attribute__((import_module("env"), import_name("dup"))) int hostDup(int fd);
__attribute__((import_module("env"), import_name("__wasi_fd_dup"))) int hostFdDup(int fd, int* out);
__attribute__((import_module("env"), import_name("mmap"))) int hostMmap(int addr, int length,
                                                                        int prot, int flags, int fd,
                                                                        long long offset);

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

/* Reads `path` whole; "<size> <contents>" with newlines as '|'. */
static void statAndRead(const char* step, const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    result(step, -1);
    return;
  }
  char buf[512] = {0};
  FILE* f = fopen(path, "r");
  if (!f) {
    result(step, -1);
    return;
  }
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  for (size_t i = 0; i < n; ++i)
    if (buf[i] == '\n') buf[i] = '|';
  char out[600];
  snprintf(out, sizeof out, "%lld %s", (long long)st.st_size, buf);
  line(step, out);
}

static void root(void) {
  statAndRead("hosts", "/etc/hosts");
  statAndRead("passwd", "/etc/passwd");
  statAndRead("resolv.conf", "/etc/resolv.conf");
  FILE* f = fopen("/etc/hosts", "w");
  result("write /etc/hosts", f ? 0 : -1);
  if (f) fclose(f);
  f = fopen("/etc/passwd", "a");
  result("append /etc/passwd", f ? 0 : -1);
  if (f) fclose(f);
  result("create /etc/new", open("/etc/new", O_WRONLY | O_CREAT, 0644) < 0 ? -1 : 0);
  result("unlink /etc/resolv.conf", unlink("/etc/resolv.conf"));
  result("rmdir /etc", rmdir("/etc"));
  result("rename /etc/hosts", rename("/etc/hosts", "/tmp/hosts"));
  char cwd[256];
  line("getcwd", getcwd(cwd, sizeof cwd) ? cwd : "(null)");
  statAndRead("relative etc/hosts", "etc/hosts");
  result("chdir /etc", chdir("/etc"));
  line("getcwd after chdir", getcwd(cwd, sizeof cwd) ? cwd : "(null)");
  statAndRead("relative passwd", "passwd");
  chdir("/");
  const char* names[] = {"MKL_NUM_THREADS",  "OPENBLAS_NUM_THREADS", "PYTHONHASHSEED", "PYTHONHOME",
                         "PYTHONNOUSERSITE", "PYTHONWASM",           "PYTHON_PATH",    "HOME"};
  for (unsigned i = 0; i < sizeof names / sizeof *names; ++i) {
    const char* v = getenv(names[i]);
    line(names[i], v ? v : "(unset)");
  }
}

static void dupScenario(void) {
  int fd = open("/tmp/d", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "0123456789", 10);
  lseek(fd, 0, SEEK_SET);
  int a = hostDup(fd);
  int b = -1;
  int rc = hostFdDup(fd, &b);
  char buf[64];
  snprintf(buf, sizeof buf, "%d %d %d rc %d", fd, a, b, rc);
  line("fds", buf);
  char got[4] = {0};
  read(fd, got, 3);
  line("read fd", got);
  read(a, got, 3);
  line("read dup", got);
  read(b, got, 3);
  line("read fd_dup", got);
  snprintf(buf, sizeof buf, "%lld", (long long)lseek(fd, 0, SEEK_CUR));
  line("offset of fd", buf);
  close(fd);
  lseek(a, 1, SEEK_SET);
  read(b, got, 3);
  line("after close, seek dup, read fd_dup", got);
  snprintf(buf, sizeof buf, "%d", hostDup(fd));
  line("dup closed fd", buf);
  rc = hostFdDup(12345, &b);
  snprintf(buf, sizeof buf, "%d", rc);
  line("fd_dup bad fd", buf);
  snprintf(buf, sizeof buf, "%d", hostDup(1));
  line("dup stdout", buf);
}

static void sharedWrite(void) {
  struct stat st;
  result("stat faasm://some_dir", stat("faasm://some_dir", &st));
  result("mkdir faasm://some_dir", mkdir("faasm://some_dir", 0700));
  writeFile("write faasm://some_dir/test_file.txt", "faasm://some_dir/test_file.txt",
            "This is some dummy content");
  readFile("read it back", "faasm://some_dir/test_file.txt");
  writeFile("overwrite original", "faasm://data/greeting.txt", "changed");
  FILE* f = fopen("/shared/data/greeting.txt", "a");
  fputs("+appended", f);
  fclose(f);
  readFile("read original", "faasm://data/greeting.txt");
  result("rename original", rename("faasm://data/other", "faasm://data/moved"));
  result("unlink moved", unlink("faasm://data/moved"));
  listDir("list faasm://data", "faasm://data");
  result("mkdir again", mkdir("faasm://some_dir", 0700));
}

static void sharedRead(void) {
  readFile("read faasm://some_dir/test_file.txt", "faasm://some_dir/test_file.txt");
  readFile("read faasm://data/greeting.txt", "faasm://data/greeting.txt");
  readFile("read faasm://data/other", "faasm://data/other");
  listDir("list /shared", "/shared");
  listDir("list /shared/data", "/shared/data");
}

static void sharedFill(void) {
  static char block[64 * 1024];
  memset(block, 'x', sizeof block);
  FILE* f = fopen("faasm://big", "w");
  setvbuf(f, NULL, _IONBF, 0);
  long total = 0;
  while (total < 1024L * 1024 * 1024 && fwrite(block, 1, sizeof block, f) == sizeof block)
    total += sizeof block;
  char buf[64];
  snprintf(buf, sizeof buf, "%ld bytes, errno %d", total, errno);
  line("fill", buf);
  fclose(f);
}

static void mmapScenario(void) {
  const int kProtRead = 1, kProtWrite = 2, kMapPrivate = 2, kMapShared = 1;
  int fd = open("/tmp/m", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "mapped file contents", 20);
  int p = hostMmap(0, 20, kProtRead | kProtWrite, kMapPrivate, fd, 0);
  char buf[64] = {0};
  memcpy(buf, (const char*)p, 20);
  line("map whole", buf);
  int q = hostMmap(0, 100000, kProtRead, kMapShared, fd, 7);
  snprintf(buf, sizeof buf, "%.20s, zero past the end: %d", (const char*)q,
           ((const char*)q)[13] == 0 && ((const char*)q)[99999] == 0);
  line("map from 7", buf);
  ((char*)p)[0] = 'M';
  char first[2] = {0};
  pread(fd, first, 1, 0);
  line("file after writing the region", first);
  snprintf(buf, sizeof buf, "%d %d", p % 65536, q % 65536);
  line("page aligned", buf);
  close(fd);
  snprintf(buf, sizeof buf, "%d", hostMmap(0, 10, kProtRead, kMapPrivate, fd, 0));
  line("closed fd", buf);
  int wo = open("/tmp/m", O_WRONLY);
  snprintf(buf, sizeof buf, "%d", hostMmap(0, 10, kProtRead, kMapPrivate, wo, 0));
  line("write-only fd", buf);
  int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
  snprintf(buf, sizeof buf, "%d", hostMmap(0, 10, kProtRead, kMapPrivate, dir, 0));
  line("directory", buf);
  int shared = open("faasm://data/greeting.txt", O_RDONLY);
  int r = hostMmap(0, 5, kProtRead, kMapPrivate, shared, 0);
  memset(buf, 0, sizeof buf);
  if (r != -1) memcpy(buf, (const char*)r, 5);
  line("map shared file", buf);
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
  else if (strcmp(in, "root") == 0)
    root();
  else if (strcmp(in, "dup") == 0)
    dupScenario();
  else if (strcmp(in, "sharedwrite") == 0)
    sharedWrite();
  else if (strcmp(in, "sharedread") == 0)
    sharedRead();
  else if (strcmp(in, "sharedfill") == 0)
    sharedFill();
  else if (strcmp(in, "mmap") == 0)
    mmapScenario();
  else
    line("unknown scenario", in);
  faasmSetOutput((const uint8_t*)report, (long)strlen(report));
  return 0;
}
