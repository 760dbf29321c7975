// What the long-running commands (serve, storage-runtime) share: a logger on
// stderr, and stopping on SIGINT/SIGTERM.
#pragma once

#include <signal.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nearfaas::cli {

class ServiceProcess {
 public:
  // Call before any thread exists: blocks SIGINT/SIGTERM in every thread so
  // that only waitForStop() sees them, ignores SIGPIPE, and makes a buffered
  // logger at `logLevel` (trace ... off) the default, and raises the limit
  // of open files to its hard limit (every state key and connection holds a
  // descriptor).
  explicit ServiceProcess(const std::string& logLevel);
  // The limit of open files in effect.
  static uint64_t openFileLimit();
  // Returns after SIGINT or SIGTERM; a second one then exits the process at
  // once (status 130) without waiting for the shutdown.
  void waitForStop();
  // Flushes the log and stops its flusher.
  ~ServiceProcess();

 private:
  sigset_t stopSignals_;
};

// The --log-level option's accepted values.
inline const std::vector<std::string> kLogLevels = {"trace", "debug", "info",
                                                    "warn",  "error", "off"};

}  // namespace nearfaas::cli
