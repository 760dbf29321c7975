#include "cli/storage_runtime_command.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

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
  unsigned maxOffloadTimeMs = 10'000;
  std::vector<std::string> callerNetworks;
  bool anyCallerAddress = false;
  unsigned loadQueue = 16;
  size_t maxLoadFailures = 256;
  unsigned loadFailureMemoryMs = 10'000;
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
  settings.maxOffloadTime = std::chrono::milliseconds(a.maxOffloadTimeMs);
  for (const auto& text : a.callerNetworks) {
    auto network = ndp::parseIpv4Network(text);
    if (!network) {
      spdlog::error("--caller-network: {}", network.error().message);
      return 1;
    }
    settings.callerNetworks.push_back(*network);
  }
  settings.originMustBeClient = !a.anyCallerAddress;
  settings.loadQueue = a.loadQueue;
  settings.maxLoadFailures = a.maxLoadFailures;
  settings.loadFailureMemory = std::chrono::milliseconds(a.loadFailureMemoryMs);
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
  s->add_option("--max-offload-time", a->maxOffloadTimeMs,
                "milliseconds one offloaded call may hold the OSD's operation thread; a call not "
                "done by then is given back and runs on the compute worker (keep it below the "
                "OSD's NEARFAAS_NDP_TIMEOUT_MS)")
      ->check(CLI::Range(1u, 3'600'000u))
      ->capture_default_str();
  s->add_option("--caller-network", a->callerNetworks,
                "IPv4 network (a.b.c.d/len) of compute workers whose delta endpoints this runtime "
                "may connect to; repeat for more (default: any unicast address)");
  s->add_flag("--any-caller-address", a->anyCallerAddress,
              "connect to a caller's delta endpoint even if its address is not that of the RADOS "
              "client that sent the call (workers whose endpoint is on another interface)");
  s->add_option("--load-queue", a->loadQueue,
                "function loads that may wait for the loader; calls of functions beyond it run "
                "on the compute worker")
      ->capture_default_str();
  s->add_option("--max-load-failures", a->maxLoadFailures,
                "failed function loads remembered (the oldest is forgotten first)")
      ->capture_default_str();
  s->add_option("--load-failure-memory", a->loadFailureMemoryMs,
                "milliseconds a failed function load is remembered before it is tried again")
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
