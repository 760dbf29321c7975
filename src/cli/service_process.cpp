#include "cli/service_process.h"

#include <pthread.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

namespace nearfaas::cli {

namespace {

// Exit status when a second signal cuts the graceful shutdown short.
constexpr int kForcedExitStatus = 130;
// The log may have a line per call: lines are buffered and written at least
// this often (warnings and errors at once), rather than with one write each.
constexpr auto kLogFlushInterval = std::chrono::seconds(1);
constexpr size_t kLogBufferBytes = 64 << 10;

}  // namespace

ServiceProcess::ServiceProcess(const std::string& logLevel) {
  sigemptyset(&stopSignals_);
  sigaddset(&stopSignals_, SIGINT);
  sigaddset(&stopSignals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals_, nullptr);
  signal(SIGPIPE, SIG_IGN);

  static char logBuffer[kLogBufferBytes];
  setvbuf(stderr, logBuffer, _IOFBF, sizeof logBuffer);
  auto logger = spdlog::stderr_color_mt("nearfaas");
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  logger->set_level(spdlog::level::from_str(logLevel));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(kLogFlushInterval);

  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
}

uint64_t ServiceProcess::openFileLimit() {
  rlimit files{};
  return getrlimit(RLIMIT_NOFILE, &files) == 0 ? files.rlim_cur : 0;
}

void ServiceProcess::waitForStop() {
  spdlog::default_logger()->flush();  // e.g. the ports, for whoever waits for them
  int sig = 0;
  sigwait(&stopSignals_, &sig);
  spdlog::info("{}: shutting down", strsignal(sig));
  std::thread([signals = stopSignals_] {
    int again = 0;
    sigwait(&signals, &again);
    spdlog::warn("{} again: exiting without waiting for calls", strsignal(again));
    spdlog::default_logger()->flush();
    _exit(kForcedExitStatus);
  }).detach();
}

ServiceProcess::~ServiceProcess() {
  spdlog::info("stopped");
  spdlog::shutdown();  // stops the flusher and flushes
}

}  // namespace nearfaas::cli
