// libc additions of Faasm's libc: the process identity a function sees
// (Faasm's runtime answers getpid 23, uid and gid 1000, user "faasm"), and
// the process calls Faasm's runtime does not implement, failing here with the
// errno POSIX gives for them instead of stopping the function: fork, exec*,
// pipe and kill ENOSYS; wait and waitpid ECHILD (a function has no children).
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kFaasmPid = 23, kFaasmUid = 1000, kFaasmGid = 1000 };

static int fail(int e) {
  errno = e;
  return -1;
}

pid_t getpid(void) {
  return kFaasmPid;
}
// Faasm's runtime has no parent process to report; 1 (init) is what a
// process whose parent is gone sees.
pid_t getppid(void) {
  return 1;
}
pid_t getpgrp(void) {
  return kFaasmPid;
}
pid_t setsid(void) {
  return fail(EPERM);
}
uid_t getuid(void) {
  return kFaasmUid;
}
uid_t geteuid(void) {
  return kFaasmUid;
}
gid_t getgid(void) {
  return kFaasmGid;
}
gid_t getegid(void) {
  return kFaasmGid;
}

pid_t fork(void) {
  return fail(ENOSYS);
}
pid_t vfork(void) {
  return fail(ENOSYS);
}
int execve(const char* path, char* const argv[], char* const envp[]) {
  (void)path, (void)argv, (void)envp;
  return fail(ENOSYS);
}
int execv(const char* path, char* const argv[]) {
  (void)path, (void)argv;
  return fail(ENOSYS);
}
int execvp(const char* file, char* const argv[]) {
  (void)file, (void)argv;
  return fail(ENOSYS);
}
int execl(const char* path, const char* arg, ...) {
  (void)path, (void)arg;
  return fail(ENOSYS);
}
int execlp(const char* file, const char* arg, ...) {
  (void)file, (void)arg;
  return fail(ENOSYS);
}
int pipe(int fds[2]) {
  (void)fds;
  return fail(ENOSYS);
}
int kill(pid_t pid, int sig) {
  (void)pid, (void)sig;
  return fail(ENOSYS);
}
pid_t wait(int* status) {
  (void)status;
  return fail(ECHILD);
}
pid_t waitpid(pid_t pid, int* status, int options) {
  (void)pid, (void)status, (void)options;
  return fail(ECHILD);
}

// The one user. Strings are copied into the caller's buffer by the _r forms.
static char kName[] = "faasm", kPasswd[] = "x", kGecos[] = "", kDir[] = "/home/faasm/",
            kShell[] = "/bin/sh";
static struct passwd faasmUser = {kName, kPasswd, kFaasmUid, kFaasmGid, kGecos, kDir, kShell};

struct passwd* getpwuid(uid_t uid) {
  return uid == kFaasmUid ? &faasmUser : NULL;
}
struct passwd* getpwnam(const char* name) {
  return name && strcmp(name, kName) == 0 ? &faasmUser : NULL;
}

static char* put(char** buf, size_t* left, const char* s) {
  size_t n = strlen(s) + 1;
  if (n > *left) return NULL;
  char* at = memcpy(*buf, s, n);
  *buf += n;
  *left -= n;
  return at;
}

static int fillEntry(struct passwd* found, struct passwd* pw, char* buf, size_t len,
                     struct passwd** result) {
  *result = NULL;
  if (!found) return 0;  // not found: 0 with *result NULL
  *pw = *found;
  if (!(pw->pw_name = put(&buf, &len, found->pw_name)) ||
      !(pw->pw_passwd = put(&buf, &len, found->pw_passwd)) ||
      !(pw->pw_gecos = put(&buf, &len, found->pw_gecos)) ||
      !(pw->pw_dir = put(&buf, &len, found->pw_dir)) ||
      !(pw->pw_shell = put(&buf, &len, found->pw_shell)))
    return ERANGE;
  *result = pw;
  return 0;
}

int getpwuid_r(uid_t uid, struct passwd* pw, char* buf, size_t len, struct passwd** result) {
  return fillEntry(getpwuid(uid), pw, buf, len, result);
}
int getpwnam_r(const char* name, struct passwd* pw, char* buf, size_t len, struct passwd** result) {
  return fillEntry(getpwnam(name), pw, buf, len, result);
}
