// Command-line options of commands that open the local node (func add/run,
// obj, serve): where its data lives and how it runs calls.
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
  unsigned slots = 0;
  unsigned timeoutMs = 60'000;
  uint32_t maxMemoryPages = wasm::kDefaultMaxMemoryPages;

  // `running`: also the options of commands that run calls.
  void addTo(CLI::App& app, bool running) {
    app.add_option("--data-dir", dataDir,
                   "data directory of the local node (default: $NEARFAAS_DATA_DIR or "
                   "~/.local/share/nearfaas)");
    app.add_option("--cache-dir", cacheDir,
                   "directory of generated machine code (default: $NEARFAAS_CODE_CACHE or "
                   "<data-dir>/code)");
    if (!running) return;
    app.add_option("--slots", slots, "executor threads (default: number of cores)");
    app.add_option("--timeout", timeoutMs, "call deadline in milliseconds")->capture_default_str();
    app.add_option("--max-memory-pages", maxMemoryPages, "memory limit per Faaslet in 64 KiB pages")
        ->capture_default_str();
  }
  Result<std::unique_ptr<sched::Node>> open() const {
    sched::NodeConfig c;
    if (!dataDir.empty()) c.dataDir = dataDir;
    if (!cacheDir.empty()) c.codeCacheDir = cacheDir;
    c.scheduler.slots = slots;
    c.scheduler.callTimeout = std::chrono::milliseconds(timeoutMs);
    c.faaslet.maxMemoryPages = maxMemoryPages;
    return sched::Node::open(c);
  }
};

}  // namespace nearfaas::cli
