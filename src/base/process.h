// Running helper programs (the C compiler, wast2json) as child processes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace nearfaas {

struct ProcessResult {
  int exitCode = -1;  // exit status, or -1 when killed by a signal
  int signal = 0;     // terminating signal, 0 if exited normally
  bool timedOut = false;
  std::string output;  // stdout and stderr interleaved, truncated to kMaxCapturedOutput
};

// Upper bound on the output kept from a child; the rest is drained and dropped.
inline constexpr size_t kMaxCapturedOutput = 64 * 1024;

// Bounds on a child process beyond its run time.
struct ProcessLimits {
  // Address space of the child and of every process it starts (RLIMIT_AS);
  // 0 = no limit. An allocation beyond it fails in the child.
  uint64_t maxMemoryBytes = 0;
};

// Runs argv[0] (looked up in PATH) with the given arguments, stdin from
// /dev/null, and waits for it. The child leads a process group of its own;
// when `timeout` elapses the whole group is killed (a compiler driver's
// cc1 and as included). Fails only if the program cannot be started.
Result<ProcessResult> runProcess(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout = std::chrono::minutes(10),
                                 ProcessLimits limits = {});

// Runs `work` in a forked child process and waits for it, so that a crash or
// abort inside `work` (e.g. in a third-party library) cannot take this process
// down. The child may only write files; its Result comes back through a pipe.
// It is killed when `timeout` elapses, and may allocate at most
// `maxMemoryBytes` (0 = no limit) beyond what it inherited. Call it with no
// locks held that `work` needs.
Result<void> runIsolated(const std::function<Result<void>()>& work,
                         std::chrono::milliseconds timeout = std::chrono::minutes(10),
                         uint64_t maxMemoryBytes = 0);

}  // namespace nearfaas
