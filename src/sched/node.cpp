#include "sched/node.h"

#include <cstdlib>

#include "host/faasm.h"
#include "storage/directory_store.h"

namespace nearfaas::sched {

std::filesystem::path NodeConfig::defaultDataDir() {
  if (const char* d = std::getenv("NEARFAAS_DATA_DIR"); d && *d) return d;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/tmp") / ".local/share/nearfaas";
}

std::filesystem::path NodeConfig::defaultCodeCacheDir() {
  if (const char* d = std::getenv("NEARFAAS_CODE_CACHE"); d && *d) return d;
  return {};
}

Result<std::unique_ptr<Node>> Node::open(const NodeConfig& config) {
  auto store = storage::DirectoryStore::open(config.dataDir / "store");
  if (!store)
    return fail("cannot open the store in ", config.dataDir.string(), ": ", store.error().message);
  return open(config, std::move(*store));
}

Result<std::unique_ptr<Node>> Node::open(const NodeConfig& config,
                                         std::unique_ptr<storage::ObjectStore> store) {
  std::unique_ptr<Node> n(new Node());
  n->objects_ = std::move(store);
  n->state_.setLimits(config.state);
  wasm::EngineConfig ec;
  ec.cacheDir = config.codeCacheDir.empty() ? config.dataDir / "code" : config.codeCacheDir;
  if (!config.cc.empty()) ec.compiler.cc = config.cc;
  n->engine_ = std::make_unique<wasm::Engine>(ec);
  host::registerFaasmHost(n->host_);
  n->functions_ = std::make_unique<FunctionStore>(*n->objects_, *n->engine_, n->host_,
                                                  config.faaslet, config.shareGeneratedCode);
  n->scheduler_ =
      std::make_unique<Scheduler>(*n->functions_, n->state_, *n->objects_, config.scheduler);
  return n;
}

Node::~Node() {
  scheduler_.reset();
}

}  // namespace nearfaas::sched
