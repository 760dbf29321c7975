// Command-line options of commands that open the local node (func add/run,
// obj, serve, storage-runtime): where its data lives, which object store it
// uses and how it runs calls.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "sched/node.h"
#include "wasm/settings.h"

namespace nearfaas::cli {

struct NodeOptions {
  std::string dataDir;
  std::string cacheDir;
  std::string store = "dir";  // "dir" (embedded, under dataDir) or "rados"
  std::string cephConf;       // store == "rados"
  std::string pool = "nearfaas";
  std::string cluster;  // redis://HOST:PORT of the cluster's Redis, or empty
  unsigned stateLockLeaseMs = 60'000;
  std::string codeSecretFile;  // the cluster's secret for shared generated code
  unsigned codegenTimeoutS = 600;
  uint64_t codegenMemoryMb = 4096;
  uint64_t codeCacheMaxMb = 2048;
  unsigned slots = 0;
  unsigned timeoutMs = 60'000;
  uint32_t maxMemoryPages = wasm::kDefaultMaxMemoryPages;
  // Per call and per user limits; defaults as the settings structs'.
  faaslet::FaasletSettings faaslet;
  state::StateLimits state;
  host::LocalSharedLimits localShared;
  sched::SchedulerSettings limits;  // the queue and chaining bounds

  // `running`: also the options of commands that run calls.
  void addTo(CLI::App& app, bool running);
  // Opens the node with the chosen store. A RADOS store's object op timeout
  // covers the call timeout (a storage call waits on one).
  Result<std::unique_ptr<sched::Node>> open() const;
};

}  // namespace nearfaas::cli
