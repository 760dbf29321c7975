#include "cli/storage_runtime_command.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <string>

#include "cli/node_options.h"
#include "cli/service_process.h"
#if NEARFAAS_WITH_CEPH
#include "ndp/storage_runtime.h"
#endif

namespace nearfaas::cli {

namespace {

struct StorageRuntimeArgs {
  NodeOptions node;
  std::string socketPath = "/run/nearfaas/ndp.sock";
  unsigned maxConcurrent = 0;
  double maxLoadPerCore = 4.0;
  uint64_t minAvailableMemory = 256ull << 20;
  std::string logLevel = "info";
};

#if NEARFAAS_WITH_CEPH
int runStorageRuntime(StorageRuntimeArgs a) {
  ServiceProcess process(a.logLevel);
  auto node = a.node.open();
  if (!node) {
    spdlog::error("{}", node.error().message);
    return 1;
  }
  ndp::StorageRuntimeSettings settings;
  settings.socketPath = a.socketPath;
  settings.maxConcurrent = a.maxConcurrent;
  settings.maxLoadPerCore = a.maxLoadPerCore;
  settings.minAvailableMemory = a.minAvailableMemory;
  settings.callTimeout = std::chrono::milliseconds(a.node.timeoutMs);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(a.socketPath).parent_path(), ec);
  auto runtime = ndp::StorageRuntime::start(**node, settings);
  if (!runtime) {
    spdlog::error("{}", runtime.error().message);
    return 1;
  }
  spdlog::info("storage runtime listening on {}; stop with SIGINT or SIGTERM", a.socketPath);
  process.waitForStop();
  auto stats = (*runtime)->stats();
  runtime->reset();  // waits for offloads in progress
  spdlog::info("offloads: {} received, {} done, {} refused, {} failed", stats.received, stats.done,
               stats.refused, stats.failed);
  node->reset();
  return 0;
}
#endif

}  // namespace

void addStorageRuntimeCommand(CLI::App& app, int& exitStatus) {
  auto a = std::make_shared<StorageRuntimeArgs>();
  auto* s = app.add_subcommand(
      "storage-runtime",
      "Run storage calls offloaded to the Ceph OSD next to this process (near-data processing); "
      "start the OSD with NEARFAAS_NDP_SOCKET set to --socket");
  s->add_option("--socket", a->socketPath,
                "unix socket the object class (libcls_nearfaas.so) connects to")
      ->capture_default_str();
  s->add_option("--max-concurrent", a->maxConcurrent,
                "offloads run at once; more are refused (default: number of cores)");
  s->add_option("--max-load-per-core", a->maxLoadPerCore,
                "refuse offloads while the 1-minute load average per core is above this")
      ->capture_default_str();
  s->add_option("--min-available-memory", a->minAvailableMemory,
                "refuse offloads while less memory than this is available, e.g. 256MiB")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  s->add_option("--log-level", a->logLevel, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember(kLogLevels))
      ->capture_default_str();
  a->node.store = "rados";
  a->node.addTo(*s, true);
  s->callback([a, &exitStatus] {
#if NEARFAAS_WITH_CEPH
    exitStatus = runStorageRuntime(*a);
#else
    std::fprintf(stderr, "error: this build has no Ceph support (NEARFAAS_WITH_CEPH)\n");
    exitStatus = 1;
#endif
  });
}

}  // namespace nearfaas::cli
