#include "sched/node.h"

#include <cstdlib>

#include "host/faasm.h"
#include "storage/directory_store.h"

namespace nearfaas::sched {

std::filesystem::path NodeConfig::defaultDataDir() {
  if (const char* d = std::getenv("NEARFAAS_DATA_DIR"); d && *d) return d;
  if (const char* h = std::getenv("HOME"); h && *h)
    return std::filesystem::path(h) / ".local/share/nearfaas";
  return {};
}

std::filesystem::path NodeConfig::defaultCodeCacheDir() {
  if (const char* d = std::getenv("NEARFAAS_CODE_CACHE"); d && *d) return d;
  return {};
}

Result<std::unique_ptr<Node>> Node::open(const NodeConfig& config) {
  if (config.dataDir.empty())
    return fail("no data directory: set HOME or NEARFAAS_DATA_DIR, or give one (--data-dir)");
  auto store = storage::DirectoryStore::open(config.dataDir / "store");
  if (!store)
    return fail("cannot open the store in ", config.dataDir.string(), ": ", store.error().message);
  return open(config, std::move(*store));
}

Result<std::unique_ptr<Node>> Node::open(const NodeConfig& config,
                                         std::unique_ptr<storage::ObjectStore> store) {
  if (!config.codeSharingSecret.empty()) {
    if (auto ok = SharedCode::checkSecret(config.codeSharingSecret); !ok)
      return std::unexpected(ok.error());
  }
  if (config.codeCacheDir.empty() && config.dataDir.empty())
    return fail(
        "no directory for generated code: set HOME or NEARFAAS_DATA_DIR, or give one "
        "(--data-dir or --cache-dir)");
  std::unique_ptr<Node> n(new Node());
  n->objects_ = std::move(store);
  n->state_.setLimits(config.state);
  if (!config.clusterUrl.empty()) {
    auto tier = state::RedisStateTier::connect(config.clusterUrl, config.redis);
    if (!tier)
      return fail("cannot use the cluster's Redis at ", config.clusterUrl, ": ",
                  tier.error().message);
    n->state_.setGlobalTier(std::shared_ptr<state::GlobalStateTier>(std::move(*tier)));
  }
  wasm::EngineConfig ec;
  ec.cacheDir = config.codeCacheDir.empty() ? config.dataDir / "code" : config.codeCacheDir;
  ec.compiler = config.compiler;
  ec.maxCacheBytes = config.codeCacheMaxBytes;
  n->engine_ = std::make_unique<wasm::Engine>(ec);
  host::registerFaasmHost(n->host_);
  n->functions_ = std::make_unique<FunctionStore>(*n->objects_, *n->engine_, n->host_,
                                                  config.faaslet, config.codeSharingSecret);
  n->localShared_ = std::make_unique<host::LocalSharedFiles>(config.localShared);
  n->scheduler_ = std::make_unique<Scheduler>(*n->functions_, n->state_, *n->objects_,
                                              config.scheduler, n->localShared_.get());
  return n;
}

Node::~Node() {
  scheduler_.reset();
}

}  // namespace nearfaas::sched
