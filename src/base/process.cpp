#include "base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

extern char** environ;

namespace nearfaas {

namespace {

// argv[0] as execve needs it: as given if it names a path, else the first
// executable of that name in PATH; empty if there is none.
std::string resolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

void writeAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// Reads `fd` until end of file into `out` (keeping kMaxCapturedOutput bytes);
// false if `deadline` came first.
bool readUntilEof(int fd, std::chrono::steady_clock::time_point deadline, std::string& out) {
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    int pr = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (pr <= 0) continue;  // EINTR or nothing yet
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    size_t room = kMaxCapturedOutput - std::min(kMaxCapturedOutput, out.size());
    out.append(buf, std::min<size_t>(room, static_cast<size_t>(n)));
  }
}

}  // namespace

Result<ProcessResult> runProcess(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout, ProcessLimits limits) {
  if (argv.empty()) return fail("runProcess: empty command");
  std::string program = resolveProgram(argv[0]);
  if (program.empty()) return fail("cannot run ", argv[0], ": not found in PATH");
  // Everything the child needs is made before fork(): the child of a
  // multithreaded process may only make async-signal-safe calls.
  std::vector<char*> cargv;
  for (const auto& a : argv)
    cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int outPipe[2], errPipe[2];
  if (::pipe2(outPipe, O_CLOEXEC) != 0) return fail("pipe: ", std::strerror(errno));
  // Reports a failed exec (its errno) to the parent; closed by a good exec.
  if (::pipe2(errPipe, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(outPipe[0]);
    ::close(outPipe[1]);
    return fail("pipe: ", std::strerror(err));
  }
  int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  rlimit memory{limits.maxMemoryBytes, limits.maxMemoryBytes};

  pid_t pid = ::fork();
  if (pid == 0) {
    // Default dispositions and an empty mask, whatever the runtime installed
    // for its own threads; a process group of its own, for the timeout.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
      ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setpgid(0, 0);
    if (devNull >= 0) ::dup2(devNull, 0);
    ::dup2(outPipe[1], 1);
    ::dup2(outPipe[1], 2);
    if (limits.maxMemoryBytes) ::setrlimit(RLIMIT_AS, &memory);
    ::execve(program.c_str(), cargv.data(), environ);
    int err = errno;
    writeAll(errPipe[1], &err, sizeof err);
    ::_exit(127);
  }
  int forkErr = errno;
  if (devNull >= 0) ::close(devNull);
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  if (pid < 0) {
    ::close(outPipe[0]);
    ::close(errPipe[0]);
    return fail("fork: ", std::strerror(forkErr));
  }
  ::setpgid(pid, pid);  // also here, so the group exists before any kill
  int execErr = 0;
  ssize_t got;
  while ((got = ::read(errPipe[0], &execErr, sizeof execErr)) < 0 && errno == EINTR) {
  }
  ::close(errPipe[0]);
  if (got == static_cast<ssize_t>(sizeof execErr)) {
    ::close(outPipe[0]);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return fail("cannot run ", argv[0], ": ", std::strerror(execErr));
  }

  ProcessResult result;
  if (!readUntilEof(outPipe[0], std::chrono::steady_clock::now() + timeout, result.output)) {
    result.timedOut = true;
    ::kill(-pid, SIGKILL);  // the group: what the child started dies too
  }
  ::close(outPipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exitCode = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

namespace {
// Bytes of private writable memory the calling process has (VmData).
uint64_t dataSegmentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmData:", 0) == 0) return std::strtoull(line.c_str() + 7, nullptr, 10) * 1024;
  return 0;
}
}  // namespace

Result<void> runIsolated(const std::function<Result<void>()>& work,
                         std::chrono::milliseconds timeout, uint64_t maxMemoryBytes) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return fail("pipe: ", std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return fail("fork: ", std::strerror(err));
  }
  if (pid == 0) {
    ::close(pipefd[0]);
    // Default dispositions: a fault in the child must kill the child.
    for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL})
      ::signal(sig, SIG_DFL);
    // Libraries may print diagnostics; the Result is the only report.
    int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0) ::dup2(devnull, 2);
    if (maxMemoryBytes) {
      // The child starts with a copy of this process's memory; it may add
      // maxMemoryBytes of its own (RLIMIT_DATA counts private writable maps).
      uint64_t limit = dataSegmentBytes() + maxMemoryBytes;
      rlimit r{limit, limit};
      ::setrlimit(RLIMIT_DATA, &r);
    }
    auto result = work();
    if (!result) writeAll(pipefd[1], result.error().message.data(), result.error().message.size());
    ::_exit(result ? 0 : 1);
  }
  ::close(pipefd[1]);
  std::string msg;
  bool timedOut = !readUntilEof(pipefd[0], std::chrono::steady_clock::now() + timeout, msg);
  if (timedOut) ::kill(pid, SIGKILL);
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timedOut) return fail("timed out after ", std::to_string(timeout.count()), " ms");
  if (WIFSIGNALED(status))
    return fail("crashed with signal ", std::to_string(WTERMSIG(status)), " (",
                strsignal(WTERMSIG(status)), ")");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fail(msg.empty() ? "failed" : msg);
  return {};
}

}  // namespace nearfaas
