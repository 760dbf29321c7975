// A WASI command for `nearfaas run --dir` (tests/run_dir_test.cpp): it runs
// one scenario against the directory preopened as fd 3 and prints one
// "label=value" line per observation (WASI errno values as numbers); the test
// compares them with what WASI preview1 specifies.
//
//   run_dir escapes HOST_OUTSIDE   attempts to leave the directory
//   run_dir files GUEST_NAME       reads, writes, rights, directories, links
//   run_dir tty                    isatty of stdio
//   run_dir preopens [FILE]        the preopened names; FILE's contents
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#define ROOT 3
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define FILE_RW                                                                    \
  (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |        \
   __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_SYNC | \
   __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS)
#define DIR_RIGHTS                                                                        \
  (__WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_FILESTAT_GET | \
   __WASI_RIGHTS_FD_FILESTAT_GET)

static void show(const char* label, long value) {
  printf("%s=%ld\n", label, value);
}

static void showText(const char* label, const char* text) {
  printf("%s=%s\n", label, text);
}

static int openAt(__wasi_fd_t dir, int lookup, const char* path, __wasi_oflags_t oflags,
                  __wasi_rights_t base, __wasi_rights_t inheriting, __wasi_fdflags_t fdflags,
                  __wasi_fd_t* fd) {
  return __wasi_path_open(dir, lookup, path, oflags, base, inheriting, fdflags, fd);
}

// Opens `path` for reading, closing it again; the errno.
static int tryRead(__wasi_fd_t dir, int lookup, const char* path) {
  __wasi_fd_t fd;
  int e = openAt(dir, lookup, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
  if (e == 0) (void)__wasi_fd_close(fd);
  return e;
}

static int writeAll(__wasi_fd_t fd, const char* text, size_t* done) {
  __wasi_ciovec_t iov = {(const uint8_t*)text, strlen(text)};
  return __wasi_fd_write(fd, &iov, 1, done);
}

static int readSome(__wasi_fd_t fd, char* buf, size_t len, size_t* done) {
  __wasi_iovec_t iov = {(uint8_t*)buf, len - 1};
  int e = __wasi_fd_read(fd, &iov, 1, done);
  buf[e == 0 ? *done : 0] = 0;
  return e;
}

static void escapes(const char* hostOutside) {
  show("open ../outside.txt", tryRead(ROOT, FOLLOW, "../outside.txt"));
  show("open /etc/passwd", tryRead(ROOT, FOLLOW, "/etc/passwd"));
  show("open host path", tryRead(ROOT, FOLLOW, hostOutside));
  show("open sub/../../outside.txt", tryRead(ROOT, FOLLOW, "sub/../../outside.txt"));
  show("open out", tryRead(ROOT, FOLLOW, "out"));
  show("open abs", tryRead(ROOT, FOLLOW, "abs"));
  show("open chain", tryRead(ROOT, FOLLOW, "c1"));
  show("open sub/up", tryRead(ROOT, FOLLOW, "sub/up"));
  show("open loop", tryRead(ROOT, FOLLOW, "loop"));
  show("open out nofollow", tryRead(ROOT, 0, "out"));
  // ".." inside the directory is fine.
  show("open sub/../in.txt", tryRead(ROOT, FOLLOW, "sub/../in.txt"));

  __wasi_fd_t fd;
  show("create through out", openAt(ROOT, FOLLOW, "out", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                                    __WASI_RIGHTS_FD_WRITE, 0, 0, &fd));
  show("create ../new.txt",
       openAt(ROOT, FOLLOW, "../new.txt", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd));
  show("truncate through chain",
       openAt(ROOT, FOLLOW, "c1", __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd));

  __wasi_filestat_t st;
  show("stat out", __wasi_path_filestat_get(ROOT, FOLLOW, "out", &st));
  int e = __wasi_path_filestat_get(ROOT, 0, "out", &st);
  show("lstat out", e);
  show("lstat out type", e == 0 ? st.filetype : -1);
  show("stat ../outside.txt", __wasi_path_filestat_get(ROOT, FOLLOW, "../outside.txt", &st));
  show("set times through out",
       __wasi_path_filestat_set_times(ROOT, FOLLOW, "out", 1, 1,
                                      __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  show("set times ../outside.txt",
       __wasi_path_filestat_set_times(ROOT, 0, "../outside.txt", 1, 1,
                                      __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));

  show("mkdir ../newdir", __wasi_path_create_directory(ROOT, "../newdir"));
  show("rmdir ..", __wasi_path_remove_directory(ROOT, ".."));
  show("rmdir ../sandbox", __wasi_path_remove_directory(ROOT, "../sandbox"));
  show("unlink ../outside.txt", __wasi_path_unlink_file(ROOT, "../outside.txt"));
  show("rename in.txt ../moved.txt", __wasi_path_rename(ROOT, "in.txt", ROOT, "../moved.txt"));
  show("rename ../outside.txt stolen.txt",
       __wasi_path_rename(ROOT, "../outside.txt", ROOT, "stolen.txt"));
  show("link ../outside.txt hard", __wasi_path_link(ROOT, 0, "../outside.txt", ROOT, "hard"));
  show("link in.txt ../hard", __wasi_path_link(ROOT, 0, "in.txt", ROOT, "../hard"));
  show("link out follow", __wasi_path_link(ROOT, FOLLOW, "out", ROOT, "hard"));
  // Without following, a link to the symlink is a symlink that leads out too.
  show("link out", __wasi_path_link(ROOT, 0, "out", ROOT, "outlink"));
  show("open outlink", tryRead(ROOT, FOLLOW, "outlink"));
  show("symlink /etc/passwd", __wasi_path_symlink("/etc/passwd", ROOT, "newabs"));
  show("symlink ../outside.txt", __wasi_path_symlink("../outside.txt", ROOT, "newrel"));
  show("open newrel", tryRead(ROOT, FOLLOW, "newrel"));
  show("symlink at ../x", __wasi_path_symlink("in.txt", ROOT, "../x"));

  char buf[64];
  __wasi_size_t used = 0;
  e = __wasi_path_readlink(ROOT, "out", (uint8_t*)buf, sizeof buf - 1, &used);
  buf[e == 0 ? used : 0] = 0;
  show("readlink out", e);
  showText("readlink out text", buf);
  show("readlink ../outside.txt",
       __wasi_path_readlink(ROOT, "../outside.txt", (uint8_t*)buf, sizeof buf, &used));

  // A descriptor of a subdirectory confines paths to that subdirectory.
  __wasi_fd_t sub;
  e = openAt(ROOT, FOLLOW, "sub", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, FILE_RW | DIR_RIGHTS, 0,
             &sub);
  show("open sub", e);
  show("open ../in.txt from sub", e == 0 ? tryRead(sub, FOLLOW, "../in.txt") : -1);

  // Through wasi-libc: the guest's own path names.
  FILE* f = fopen("/etc/passwd", "r");
  show("fopen /etc/passwd fails", f == NULL);
}

// Lists directory `fd` through fd_readdir with a buffer too small for more
// than one entry, continuing from the cookies as wasi-libc's readdir does.
static void listSmall(__wasi_fd_t fd, char* out, size_t outLen) {
  uint8_t buf[40];
  __wasi_dircookie_t cookie = __WASI_DIRCOOKIE_START;
  out[0] = 0;
  for (int round = 0; round < 100; ++round) {
    __wasi_size_t used;
    if (__wasi_fd_readdir(fd, buf, sizeof buf, cookie, &used) != 0) return;
    size_t at = 0;
    while (at + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t d;
      memcpy(&d, buf + at, sizeof d);
      if (at + sizeof d + d.d_namlen > used) break;  // cut: read it again
      strncat(out, (const char*)buf + at + sizeof d, d.d_namlen);
      strncat(out, " ", outLen - strlen(out) - 1);
      cookie = d.d_next;
      at += sizeof d + d.d_namlen;
    }
    if (used < sizeof buf) return;
  }
}

static int cmp(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static void files(const char* guest) {
  char path[512], buf[128];
  __wasi_fd_t fd;
  size_t n = 0;
  __wasi_filesize_t pos = 0;

  int e = openAt(ROOT, FOLLOW, "data.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, FILE_RW, 0, 0,
                 &fd);
  show("create data.txt", e);
  e = writeAll(fd, "hello world", &n);
  show("write", e);
  show("written", (long)n);
  e = __wasi_fd_tell(fd, &pos);
  show("tell", (long)pos);
  e = __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
  show("seek set", e);
  e = readSome(fd, buf, sizeof buf, &n);
  showText("read", buf);
  // fd_pread and fd_pwrite neither use nor move the offset (now at 11).
  __wasi_ciovec_t out = {(const uint8_t*)"WORLD", 5};
  e = __wasi_fd_pwrite(fd, &out, 1, 6, &n);
  show("pwrite", e);
  show("pwritten", (long)n);
  (void)__wasi_fd_tell(fd, &pos);
  show("tell after pwrite", (long)pos);
  __wasi_iovec_t in = {(uint8_t*)buf, 5};
  e = __wasi_fd_pread(fd, &in, 1, 0, &n);
  buf[e == 0 ? n : 0] = 0;
  showText("pread", buf);
  (void)__wasi_fd_tell(fd, &pos);
  show("tell after pread", (long)pos);
  e = __wasi_fd_seek(fd, -5, __WASI_WHENCE_END, &pos);
  show("seek end-5", (long)pos);
  e = readSome(fd, buf, sizeof buf, &n);
  showText("read at end-5", buf);
  __wasi_filestat_t st;
  e = __wasi_fd_filestat_get(fd, &st);
  show("size", (long)st.size);
  show("type", st.filetype);
  show("sync", __wasi_fd_sync(fd));
  (void)__wasi_fd_close(fd);

  // Read-only: rights without fd_write, and they only shrink.
  const __wasi_rights_t readOnly =
      __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL;
  e = openAt(ROOT, FOLLOW, "data.txt", 0, readOnly, 0, 0, &fd);
  show("open read-only", e);
  e = writeAll(fd, "x", &n);
  show("write read-only", e);
  __wasi_fdstat_t fs;
  (void)__wasi_fd_fdstat_get(fd, &fs);
  show("read-only rights are the ones asked", fs.fs_rights_base == readOnly);
  show("read-only filetype", fs.fs_filetype);
  show("drop seek", __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ, 0));
  show("seek without the right", __wasi_fd_seek(fd, 1, __WASI_WHENCE_SET, &pos));
  show("tell without the right", __wasi_fd_tell(fd, &pos));
  show("add write",
       __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0));
  (void)__wasi_fd_close(fd);

  // fd_seek implies fd_tell.
  e = openAt(ROOT, FOLLOW, "data.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0, 0, &fd);
  show("tell with the seek right", __wasi_fd_tell(fd, &pos));
  (void)__wasi_fd_close(fd);

  // Append: every write goes to the end, wherever the offset is.
  e = openAt(ROOT, FOLLOW, "data.txt", 0, FILE_RW, 0, __WASI_FDFLAGS_APPEND, &fd);
  show("open append", e);
  (void)__wasi_fd_fdstat_get(fd, &fs);
  show("append flag", (fs.fs_flags & __WASI_FDFLAGS_APPEND) != 0);
  (void)__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
  e = writeAll(fd, "!", &n);
  show("append write", e);
  (void)__wasi_fd_close(fd);
  snprintf(path, sizeof path, "%s/data.txt", guest);
  FILE* f = fopen(path, "r");
  buf[0] = 0;
  if (f) {
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = 0;
    fclose(f);
  }
  showText("fopen read", buf);

  e = openAt(ROOT, FOLLOW, "trunc.txt", __WASI_OFLAGS_CREAT, FILE_RW, 0, 0, &fd);
  (void)writeAll(fd, "0123456789", &n);
  show("set size", __wasi_fd_filestat_set_size(fd, 4));
  (void)__wasi_fd_filestat_get(fd, &st);
  show("size after set size", (long)st.size);
  (void)__wasi_fd_close(fd);

  show("open exclusive existing",
       openAt(ROOT, FOLLOW, "data.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, FILE_RW, 0, 0,
              &fd));
  show("open missing", tryRead(ROOT, FOLLOW, "missing.txt"));
  show("open file as directory",
       openAt(ROOT, FOLLOW, "data.txt", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd));

  // A directory passes on no more than its inheriting rights.
  __wasi_fd_t narrow;
  e = openAt(ROOT, FOLLOW, ".", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, __WASI_RIGHTS_FD_READ, 0,
             &narrow);
  show("open narrow dir", e);
  show("open for write below narrow dir",
       openAt(narrow, FOLLOW, "data.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd));
  show("open for read below narrow dir", tryRead(narrow, FOLLOW, "data.txt"));
  (void)__wasi_fd_close(narrow);

  // Directories.
  show("mkdir d", __wasi_path_create_directory(ROOT, "d"));
  show("mkdir d again", __wasi_path_create_directory(ROOT, "d"));
  (void)openAt(ROOT, FOLLOW, "d/a", __WASI_OFLAGS_CREAT, FILE_RW, 0, 0, &fd);
  (void)__wasi_fd_close(fd);
  (void)openAt(ROOT, FOLLOW, "d/b", __WASI_OFLAGS_CREAT, FILE_RW, 0, 0, &fd);
  (void)__wasi_fd_close(fd);
  snprintf(path, sizeof path, "%s/d", guest);
  DIR* dir = opendir(path);
  char* names[16];
  int count = 0;
  struct dirent* de;
  while (dir && count < 16 && (de = readdir(dir)))
    names[count++] = strdup(de->d_name);
  if (dir) closedir(dir);
  qsort(names, count, sizeof names[0], cmp);
  buf[0] = 0;
  for (int i = 0; i < count; ++i) {
    strcat(buf, names[i]);
    strcat(buf, " ");
    free(names[i]);
  }
  showText("readdir", buf);
  // telldir/seekdir hand wasi-libc's cookies back to fd_readdir.
  dir = opendir(path);
  int repeats = 0;
  if (dir) {
    for (int i = 0; i < 2; ++i)
      (void)readdir(dir);
    long at = telldir(dir);
    de = readdir(dir);
    char* third = de ? strdup(de->d_name) : NULL;
    (void)readdir(dir);
    seekdir(dir, at);
    de = readdir(dir);
    repeats = third && de && !strcmp(third, de->d_name);
    free(third);
    closedir(dir);
  }
  show("seekdir repeats", repeats);
  __wasi_fd_t dfd;
  e = openAt(ROOT, FOLLOW, "d", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, 0, &dfd);
  listSmall(dfd, buf, sizeof buf);
  showText("fd_readdir small buffer", buf);
  (void)__wasi_fd_close(dfd);

  show("rename d/a d/c", __wasi_path_rename(ROOT, "d/a", ROOT, "d/c"));
  show("stat d/a", __wasi_path_filestat_get(ROOT, FOLLOW, "d/a", &st));
  e = __wasi_path_filestat_get(ROOT, FOLLOW, "d/c", &st);
  show("stat d/c", e);
  show("stat d/c type", st.filetype);
  show("rmdir d not empty", __wasi_path_remove_directory(ROOT, "d"));
  show("unlink d/c", __wasi_path_unlink_file(ROOT, "d/c"));
  show("unlink d/b", __wasi_path_unlink_file(ROOT, "d/b"));
  show("rmdir d", __wasi_path_remove_directory(ROOT, "d"));
  show("stat d", __wasi_path_filestat_get(ROOT, FOLLOW, "d", &st));

  // Symlinks and hard links inside.
  show("symlink", __wasi_path_symlink("data.txt", ROOT, "link"));
  __wasi_size_t used = 0;
  e = __wasi_path_readlink(ROOT, "link", (uint8_t*)buf, sizeof buf - 1, &used);
  buf[e == 0 ? used : 0] = 0;
  show("readlink", e);
  showText("readlink text", buf);
  e = __wasi_path_readlink(ROOT, "link", (uint8_t*)buf, 4, &used);
  show("readlink short buffer used", (long)used);
  show("readlink not a link",
       __wasi_path_readlink(ROOT, "data.txt", (uint8_t*)buf, sizeof buf, &used));
  e = openAt(ROOT, FOLLOW, "link", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
  readSome(fd, buf, sizeof buf, &n);
  (void)__wasi_fd_close(fd);
  showText("read through link", buf);
  (void)__wasi_path_filestat_get(ROOT, 0, "link", &st);
  show("lstat link type", st.filetype);
  (void)__wasi_path_filestat_get(ROOT, FOLLOW, "link", &st);
  show("stat link type", st.filetype);
  show("link hard.txt", __wasi_path_link(ROOT, 0, "data.txt", ROOT, "hard.txt"));
  (void)__wasi_path_filestat_get(ROOT, FOLLOW, "data.txt", &st);
  show("nlink", (long)st.nlink);
  show("link onto existing", __wasi_path_link(ROOT, 0, "data.txt", ROOT, "hard.txt"));

  show("set times",
       __wasi_path_filestat_set_times(ROOT, FOLLOW, "data.txt", 1000000123ull, 2000000456ull,
                                      __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  (void)__wasi_path_filestat_get(ROOT, FOLLOW, "data.txt", &st);
  show("atim", (long)st.atim);
  show("mtim", (long)st.mtim);
}

static void preopens(const char* file) {
  for (__wasi_fd_t fd = 3; fd < 16; ++fd) {
    __wasi_prestat_t pre;
    if (__wasi_fd_prestat_get(fd, &pre) != 0) break;
    char name[256] = {0};
    if (pre.u.dir.pr_name_len >= sizeof name) break;
    (void)__wasi_fd_prestat_dir_name(fd, (uint8_t*)name, pre.u.dir.pr_name_len);
    char label[32];
    snprintf(label, sizeof label, "preopen %u", fd);
    showText(label, name);
  }
  if (!file) return;
  FILE* f = fopen(file, "r");
  char buf[128] = {0};
  if (f) {
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = 0;
    fclose(f);
  }
  showText("contents", f ? buf : "(cannot open)");
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (!strcmp(argv[1], "escapes") && argc > 2)
    escapes(argv[2]);
  else if (!strcmp(argv[1], "files") && argc > 2)
    files(argv[2]);
  else if (!strcmp(argv[1], "tty"))
    printf("isatty=%d %d %d\n", isatty(0), isatty(1), isatty(2));
  else if (!strcmp(argv[1], "preopens"))
    preopens(argc > 2 ? argv[2] : NULL);
  else
    return 2;
  return 0;
}
