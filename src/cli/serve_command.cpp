#include "cli/serve_command.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "cli/node_options.h"
#include "http/node_server.h"

namespace nearfaas::cli {

namespace {

// Exit status when a second signal cuts the graceful shutdown short.
constexpr int kForcedExitStatus = 130;
// The log has a line per call: lines are buffered and written at least this
// often (warnings and errors at once), rather than with one write each.
constexpr auto kLogFlushInterval = std::chrono::seconds(1);
constexpr size_t kLogBufferBytes = 64 << 10;

struct ServeArgs {
  NodeOptions node;
  http::NodeServerSettings http;
  unsigned graceMs = 10'000;
  unsigned readTimeoutMs = 30'000;
  std::string logLevel = "info";
};

int serve(ServeArgs a) {
  // Before any thread exists, so that every thread inherits the mask and the
  // signals reach only sigwait() below.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  static char logBuffer[kLogBufferBytes];
  setvbuf(stderr, logBuffer, _IOFBF, sizeof logBuffer);
  auto logger = spdlog::stderr_color_mt("nearfaas");
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  logger->set_level(spdlog::level::from_str(a.logLevel));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(kLogFlushInterval);

  a.http.shutdownGrace = std::chrono::milliseconds(a.graceMs);
  a.http.readTimeout = std::chrono::milliseconds(a.readTimeoutMs);
  auto node = a.node.open();
  if (!node) {
    std::fprintf(stderr, "error: %s\n", node.error().message.c_str());
    return 1;
  }
  auto server = http::NodeServer::start(**node, a.http);
  if (!server) {
    std::fprintf(stderr, "error: %s\n", server.error().message.c_str());
    return 1;
  }
  spdlog::info("serving with {} executor slots; stop with SIGINT or SIGTERM",
               (*node)->scheduler().slots());
  logger->flush();  // the ports, for whoever waits for them

  int sig = 0;
  sigwait(&stopSignals, &sig);
  spdlog::info("{}: shutting down", strsignal(sig));
  // A second signal means: do not wait.
  std::thread([stopSignals] {
    int again = 0;
    sigwait(&stopSignals, &again);
    spdlog::warn("{} again: exiting without waiting for calls", strsignal(again));
    _exit(kForcedExitStatus);
  }).detach();
  (*server)->shutdown();
  server->reset();
  node->reset();  // waits for calls still running (each ends by its deadline at the latest)
  spdlog::info("stopped");
  spdlog::shutdown();  // stops the flusher and flushes
  return 0;
}

}  // namespace

void addServeCommand(CLI::App& app, int& exitStatus) {
  auto a = std::make_shared<ServeArgs>();
  auto* s = app.add_subcommand(
      "serve", "Run the upload and invoke endpoints (Faasm-compatible HTTP API) and the executors");
  s->add_option("--listen,--host", a->http.address, "address to listen on")->capture_default_str();
  s->add_option("--upload-port", a->http.uploadPort, "upload endpoint port (0: any free port)")
      ->capture_default_str();
  s->add_option("--invoke-port", a->http.invokePort, "invoke endpoint port (0: any free port)")
      ->capture_default_str();
  s->add_option("--http-threads", a->http.httpThreads, "I/O threads per endpoint")
      ->capture_default_str();
  s->add_option("--max-body", a->http.maxBodyBytes,
                "largest request body, e.g. 64MB or 1GiB (larger requests get 413)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  s->add_option("--read-timeout", a->readTimeoutMs,
                "milliseconds a client may take to send a request (and keep an idle connection)")
      ->capture_default_str();
  s->add_option("--grace", a->graceMs,
                "milliseconds calls in progress may take to finish on SIGINT/SIGTERM")
      ->capture_default_str();
  s->add_option("--log-level", a->logLevel, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  a->node.addTo(*s, true);
  s->callback([a, &exitStatus] { exitStatus = serve(*a); });
}

}  // namespace nearfaas::cli
